"""`brcd build`: the SQLite, DuckDB and Parquet files built from a valid package.

    result = build("datapackage.json", Path("dist"))
    result.sqlite, result.duckdb, result.parquet_dir, result.skipped

Every output is written to a temporary file beside its target and renamed only when all of
them are complete, so an interrupted build leaves the previous files in place. A table DuckDB
reads with another number of rows than validation counted is refused (`row-count`): nothing
is written. Each output records the rows of every table (`rows:<table>`). Each output
records `inputs_digest` (a hash over the descriptor, schemas and tables); when every output
already holds the current digest, nothing is rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from brcd import __version__
from brcd.digest import sha256_hex
from brcd.errors import BrcdError
from brcd.fsutil import atomic_path
from brcd.package import Package, load_package
from brcd.release import duckdb_db, sqlite_db
from brcd.release.layout import package_layout
from brcd.validate import validate_package
from brcd.validate.structure import count_rows

# Bump when the layout of the built files changes, so older builds count as stale.
BUILD_FORMAT = "1"
SQLITE_NAME = "brcd.sqlite"
DUCKDB_NAME = "brcd.duckdb"
PARQUET_DIR = "parquet"
MAX_ERRORS_SHOWN = 20
OUTPUT_MODE = 0o644  # temporary files are created 0600; a server may run as another user


@dataclass(frozen=True)
class BuildResult:
    sqlite: Path
    duckdb: Path
    parquet_dir: Path
    skipped: bool
    seconds: dict[str, float] = field(default_factory=dict)   # time per step, for benchmarks

    def parquet(self, table: str) -> Path:
        return self.parquet_dir / f"{table}.parquet"


def as_package(package: str | Path | Package | None) -> Package:
    return package if isinstance(package, Package) else load_package(package)


def input_files(pkg: Package) -> list[tuple[str, Path]]:
    """The files a build reads, as (name relative to the package, path), in a fixed order."""
    files = [("datapackage.json", pkg.descriptor_path)]
    for res in pkg.resources:
        if res.schema_path is not None:
            files.append((res.descriptor["schema"], res.schema_path))
        files.append((res.relpath, res.path))
    return files


def input_hashes(pkg: Package) -> dict[str, str]:
    return {name: sha256_hex(path) for name, path in input_files(pkg)}


def digest_of(hashes: dict[str, str]) -> str:
    h = hashlib.sha256(f"brcd-build-format {BUILD_FORMAT}\n".encode())
    for name, value in hashes.items():
        h.update(f"{name}\0{value}\n".encode())
    return h.hexdigest()


def inputs_digest(package: str | Path | Package) -> str:
    """sha256 over the descriptor, every schema and every table (and the build format)."""
    return digest_of(input_hashes(as_package(package)))


def build_metadata(pkg: Package, hashes: dict[str, str]) -> dict[str, str]:
    meta = {
        "name": pkg.name,
        "title": str(pkg.descriptor.get("title", "")),
        "version": pkg.version,
        "inputs_digest": digest_of(hashes),
        "build_format": BUILD_FORMAT,
        "toolkit_version": __version__,
    }
    meta.update({f"sha256:{name}": value for name, value in hashes.items()})
    return meta


def output_paths(out_dir: Path, pkg: Package) -> tuple[Path, Path, Path]:
    return out_dir / SQLITE_NAME, out_dir / DUCKDB_NAME, out_dir / PARQUET_DIR


def is_fresh(pkg: Package, out_dir: Path, digest: str) -> bool:
    """True when every output exists and records `digest`."""

    sqlite_path, duckdb_path, parquet_dir = output_paths(out_dir, pkg)
    if sqlite_db.read_metadata(sqlite_path).get("inputs_digest") != digest:
        return False
    if duckdb_db.read_metadata(duckdb_path).get("inputs_digest") != digest:
        return False
    return all(duckdb_db.read_parquet_metadata(parquet_dir / f"{r.name}.parquet").get("inputs_digest") == digest
               for r in pkg.resources)


def check_valid(pkg: Package) -> dict[str, int]:
    """Raise `invalid-package` (exit 1) with the validation summary when the package is invalid;
    return the rows validation read per table."""

    report = validate_package(pkg, max_errors=MAX_ERRORS_SHOWN)
    if not report.valid:
        raise BrcdError("invalid-package", f"not built: the package is invalid. {report.summary()}",
                        file=pkg.descriptor_path, hint="run `brcd validate` and fix the errors it lists.",
                        exit_code=1)
    return report.rows


def check_row_counts(pkg: Package, con, source: dict[str, str], rows: dict[str, int]) -> None:
    """Raise `row-count` (exit 1, nothing written) when DuckDB read another number of rows from a
    table than validation did: a build never ships a table cut short (or grown) by a reader
    that parses the file otherwise."""
    for res in pkg.resources:
        (built,) = con.execute(f"SELECT count(*) FROM {source[res.name]}").fetchone()
        want = rows.get(res.name)
        if built != want:
            read = f"validation read {want}" if want is not None else "validation could not read its rows"
            raise BrcdError("row-count", f"not built: DuckDB read {built} rows from {res.relpath}, {read}.",
                            file=res.path, exit_code=1,
                            hint="the file is read two ways; run `brcd fmt` to rewrite it in canonical form, then"
                                 " `brcd validate`, and report the file if the counts still differ.")


def row_count_mismatches(root: Path, rows: dict[str, int]) -> list[tuple[str, str]]:
    """(file, why) for each built file of a release (`parquet/<table>.parquet`, `brcd.sqlite`)
    whose table holds another number of rows than its CSV as validated (`rows`)."""
    import sqlite3

    import duckdb

    out = []
    for name, want in sorted(rows.items()):
        parquet = root / PARQUET_DIR / f"{name}.parquet"
        if parquet.is_file():
            con = duckdb.connect(":memory:")
            try:
                (got,) = con.execute("SELECT count(*) FROM read_parquet(?)", [str(parquet)]).fetchone()
            except duckdb.Error:
                got = None
            finally:
                con.close()
            if got != want:
                out.append((f"{PARQUET_DIR}/{name}.parquet", f"holds {got} rows of {name}; its CSV holds {want}."))
    db = root / SQLITE_NAME
    if db.is_file():
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            for name, want in sorted(rows.items()):
                try:
                    (got,) = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
                except sqlite3.Error:
                    got = None
                if got != want:
                    out.append((SQLITE_NAME, f"holds {got} rows of {name}; its CSV holds {want}."))
                    break
        finally:
            con.close()
    return out


def build(package: str | Path | Package, out_dir: Path = Path("dist"), *, force: bool = False,
          validate: bool = True) -> BuildResult:
    """Build `brcd.sqlite`, `brcd.duckdb` and `parquet/<table>.parquet` in `out_dir`.

    Skips the work when every output already records the current inputs' digest (unless
    `force`). Raises `BrcdError("invalid-package", ..., exit_code=1)` for an invalid package."""

    pkg = as_package(package)
    out_dir = Path(out_dir)
    sqlite_path, duckdb_path, parquet_dir = output_paths(out_dir, pkg)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = now - clock
        clock = now

    hashes = input_hashes(pkg)
    meta = build_metadata(pkg, hashes)
    digest = meta["inputs_digest"]
    if not force and is_fresh(pkg, out_dir, digest):
        return BuildResult(sqlite_path, duckdb_path, parquet_dir, skipped=True)
    lap("hash")
    rows = check_valid(pkg) if validate else {r.name: count_rows(r) for r in pkg.resources}
    meta.update({f"rows:{name}": str(n) for name, n in rows.items()})
    lap("validate")
    tables, links = package_layout(pkg)
    out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        spill = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".brcd-build-", dir=out_dir)))
        con = duckdb_db.connect(spill)
        stack.callback(con.close)
        # Targets are renamed in reverse order of entry: the SQLite file, which readers check
        # first, is renamed last.
        tmp_sqlite = stack.enter_context(atomic_path(sqlite_path))
        tmp_duckdb = stack.enter_context(atomic_path(duckdb_path))
        tmp_parquet = {t.name: stack.enter_context(atomic_path(parquet_dir / f"{t.name}.parquet")) for t in tables}
        source = duckdb_db.write_duckdb(tmp_duckdb, con, tables, links, meta)
        check_row_counts(pkg, con, source, rows)
        lap("duckdb")
        for t in tables:
            duckdb_db.write_parquet(tmp_parquet[t.name], con, source[t.name], {"inputs_digest": digest})
        lap("parquet")
        tmp_sqlite.unlink()
        duckdb_db.allow_parallel_reads(con)
        phases = sqlite_db.write_sqlite(tmp_sqlite, con, tables, links, meta, source)
        lap("sqlite")
        seconds.update({f"sqlite:{phase}": took for phase, took in phases.items()})
        duckdb_db.detach(con)
    remove_stale_parquet(parquet_dir, {t.name for t in tables})
    for path in [sqlite_path, duckdb_path, *(parquet_dir / f"{t.name}.parquet" for t in tables)]:
        path.chmod(OUTPUT_MODE)
    lap("finish")
    return BuildResult(sqlite_path, duckdb_path, parquet_dir, skipped=False, seconds=seconds)


def remove_stale_parquet(parquet_dir: Path, keep: set[str]) -> None:
    for path in parquet_dir.glob("*.parquet"):
        if path.stem not in keep:
            path.unlink()
