"""`brcd release`: one reproducible zip per version, and the checksums beside it.

`DIR/brcd-<version>.zip` holds, under `brcd-<version>/`: `datapackage.json` (every resource
with `bytes` and a `sha256:` hash, and `brcd:files` listing the size and hash of every other
file), the CSVs and schemas, `brcd.sqlite`, `parquet/<table>.parquet`, the README for data
users, the codebook, CHANGELOG, CITATION.cff and licences, and `SHA256SUMS` (every other file of the release, in
`sha256sum` format). The DuckDB file goes beside the zip as `DIR/brcd-<version>.duckdb`, and
`DIR/SHA256SUMS` lists the zips and DuckDB files in DIR.

Two releases of the same inputs give a byte-identical zip: entries are sorted, every entry
has the same timestamp (1980-01-01, or SOURCE_DATE_EPOCH when set) and permissions, and the
SQLite and Parquet files are built deterministically (see `brcd.release.build`). DuckDB (1.5) does
not write the same bytes twice for the same table once it holds about a million rows (even
on one thread, reading the same Parquet file), so its file stays outside the zip and outside
that promise; its checksum is still in `DIR/SHA256SUMS`.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from brcd.digest import file_digest, sha256_hex
from brcd.errors import BrcdError
from brcd.fsutil import atomic_path, atomic_write_text
from brcd.package import DESCRIPTOR, Package, dump_descriptor, load_package
from brcd.release.build import DUCKDB_NAME, PARQUET_DIR, SQLITE_NAME, build

SUMS = "SHA256SUMS"
FILES_KEY = "brcd:files"
# Name in the release -> the files beside datapackage.json it is taken from (the first that exists):
# data users get the README written for them (`brcd codebook` writes docs/DATA-README.md) and the
# codebook. A name whose last choice is None may be left out.
DOCS = {"README.md": ("docs/DATA-README.md", "README.md"), "CODEBOOK.md": ("docs/CODEBOOK.md", None),
        "CHANGELOG.md": ("CHANGELOG.md",), "CITATION.cff": ("CITATION.cff",)}
LICENCE_GLOB = "LICENSE*"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
PUBLISHED_MODE = 0o644


@dataclass(frozen=True)
class ReleaseResult:
    zip_path: Path
    duckdb_path: Path
    sums_path: Path
    version: str
    files: list[str]


def release_name(pkg: Package) -> str:
    version = pkg.version
    if not SEMVER.match(version):
        raise BrcdError("bad-version", f"version {version!r} in datapackage.json is not MAJOR.MINOR.PATCH.",
                        file=pkg.descriptor_path, hint='set "version" to a semantic version such as "1.2.0".')
    return f"{pkg.name or 'brcd'}-{version}"


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return ZIP_EPOCH
    try:
        stamp = time.gmtime(max(int(epoch), 315532800))  # the zip format starts in 1980
    except ValueError:
        raise BrcdError("bad-source-date-epoch", f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds.",
                        hint="unset it or set it to a Unix timestamp.") from None
    return stamp[:6]


def doc_files(pkg: Package) -> list[tuple[str, Path]]:
    """README (for data users), codebook, CHANGELOG, CITATION.cff and licences beside datapackage.json."""
    out = []
    for name, choices in DOCS.items():
        path = next((pkg.root / c for c in choices if c is not None and (pkg.root / c).is_file()), None)
        if path is None and choices[-1] is not None:
            raise BrcdError("file-missing", f"{name} is required in a release.", file=pkg.root / choices[-1],
                            hint=f"add {choices[-1]} beside datapackage.json.")
        if path is not None:
            out.append((name, path))
    licences = sorted(p for p in pkg.root.glob(LICENCE_GLOB) if p.is_file())
    if not licences:
        raise BrcdError("file-missing", "no licence file (LICENSE*) beside datapackage.json.", file=pkg.root,
                        hint="add the licence texts (e.g. LICENSE and LICENSE-DATA.md).")
    out.extend((p.name, p) for p in licences)
    return out


def package_files(pkg: Package) -> list[tuple[str, Path]]:
    out = []
    for res in pkg.resources:
        out.append((res.relpath, res.path))
        if res.schema_path is not None:
            out.append((res.descriptor["schema"], res.schema_path))
    return out


def built_files(build_dir: Path, pkg: Package) -> list[tuple[str, Path]]:
    out = [(SQLITE_NAME, build_dir / SQLITE_NAME)]
    out += [(f"{PARQUET_DIR}/{r.name}.parquet", build_dir / PARQUET_DIR / f"{r.name}.parquet") for r in pkg.resources]
    return out


def release_descriptor(pkg: Package, digests: dict[str, tuple[int, str]]) -> dict:
    """The descriptor with fresh `bytes`/`hash` per resource and `brcd:files` for the rest."""
    descriptor = copy.deepcopy(pkg.descriptor)
    table_paths = set()
    for res in descriptor["resources"]:
        size, digest = digests[res["path"]]
        res["bytes"], res["hash"] = size, digest
        table_paths.add(res["path"])
    descriptor[FILES_KEY] = [{"path": name, "bytes": size, "hash": digest}
                             for name, (size, digest) in sorted(digests.items()) if name not in table_paths]
    return descriptor


def format_sums(digests: dict[str, str]) -> str:
    """`sha256sum` format: `<hex>  <name>` per line, sorted by name."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))


def parse_sums(text: str, path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if not m:
            raise BrcdError("damaged-file", f"line {number} of {path.name} is not `<sha256>  <file>`.", file=path,
                            line=number, hint="the checksum list itself was changed; download the release again.",
                            exit_code=1)
        out[m.group(2)] = m.group(1)
    return out


def write_zip(target: Path, prefix: str, entries: list[tuple[str, Path | bytes]]) -> None:
    """A zip whose bytes depend only on the entries: sorted, fixed time and mode, deflate level 6."""
    stamp = zip_timestamp()
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        for name, content in sorted(entries, key=lambda e: e[0]):
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info._compresslevel = 6  # type: ignore[attr-defined]  # ZipInfo has no public setter
            info.create_system = 3
            info.external_attr = (0o100000 | FILE_MODE) << 16
            size = len(content) if isinstance(content, bytes) else content.stat().st_size
            with zf.open(info, "w", force_zip64=size > 0x7FFFFFFF) as out:
                if isinstance(content, bytes):
                    out.write(content)
                else:
                    with content.open("rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)


def update_outer_sums(out_dir: Path, digests: dict[str, str]) -> Path:
    """Add or replace lines in DIR/SHA256SUMS, dropping lines of files that no longer exist."""
    sums_path = out_dir / SUMS
    current: dict[str, str] = {}
    if sums_path.is_file():
        try:
            current = parse_sums(sums_path.read_text(encoding="utf-8"), sums_path)
        except BrcdError:
            current = {}
    current = {name: value for name, value in current.items() if (out_dir / name).is_file()}
    current.update(digests)
    atomic_write_text(sums_path, format_sums(current))
    return sums_path


def release(package: str | Path | Package | None = None, out_dir: Path = Path("dist")) -> ReleaseResult:
    """Build the package and write `out_dir/<name>-<version>.zip` and `out_dir/SHA256SUMS`."""

    pkg = package if isinstance(package, Package) else load_package(package)
    name = release_name(pkg)
    out_dir = Path(out_dir)
    files = package_files(pkg) + doc_files(pkg)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".brcd-release-", dir=out_dir) as tmp:
        build_dir = Path(tmp) / "build"
        build(pkg, build_dir, force=True)
        files += built_files(build_dir, pkg)
        digests = {arc: file_digest(path) for arc, path in files}
        descriptor = dump_descriptor(release_descriptor(pkg, digests)).encode("utf-8")
        entries: list[tuple[str, Path | bytes]] = list(files) + [(DESCRIPTOR, descriptor)]
        sums = {arc: digest.split(":", 1)[1] for arc, (_size, digest) in digests.items()}
        sums[DESCRIPTOR] = hashlib.sha256(descriptor).hexdigest()
        entries.append((SUMS, format_sums(sums).encode("utf-8")))
        zip_path = out_dir / f"{name}.zip"
        write_zip(zip_path, name, entries)
        duckdb_path = out_dir / f"{name}.duckdb"
        with atomic_path(duckdb_path) as tmp_duckdb:
            shutil.copyfile(build_dir / DUCKDB_NAME, tmp_duckdb)
    sums_path = update_outer_sums(out_dir, {p.name: sha256_hex(p) for p in (zip_path, duckdb_path)})
    for path in (zip_path, duckdb_path, sums_path):
        path.chmod(PUBLISHED_MODE)  # temporary files are created 0600; releases are for everyone to read
    return ReleaseResult(zip_path, duckdb_path, sums_path, pkg.version, sorted(arc for arc, _ in entries))
