"""`brcd release` and `brcd verify`: byte-identical releases, a descriptor upstream
Frictionless accepts, and a one-byte change named in every kind of file."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from brcd.release.archive import release

REPO = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA.md")


def brcd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brcd", *args], capture_output=True, text=True, cwd=cwd)


def with_docs(descriptor: Path) -> Path:
    for name in DOCS:
        shutil.copy(REPO / name, descriptor.parent / name)
    return descriptor


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the zip, the folder it unpacks to) of one release of the real package."""
    from pkgcopy import copy_package

    descriptor = with_docs(copy_package(tmp_path_factory.mktemp("pkg")))
    result = release(descriptor, tmp_path_factory.mktemp("dist"))
    unpacked = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(result.zip_path) as zf:
        zf.extractall(unpacked)
    (root,) = unpacked.iterdir()
    return result.zip_path, root


def test_two_releases_of_the_same_inputs_are_byte_identical(released, tmp_path: Path) -> None:
    zip_path, root = released
    again = brcd("release", str(root), "--out", str(tmp_path))  # re-release the unpacked copy
    assert again.returncode == 0, again.stderr
    from pkgcopy import copy_package

    descriptor = with_docs(copy_package(tmp_path / "pkg"))
    second = release(descriptor, tmp_path / "second")
    assert second.zip_path.read_bytes() == zip_path.read_bytes()
    sums = (tmp_path / "second" / "SHA256SUMS").read_text().splitlines()
    assert [line for line in sums if line.endswith(".zip")] == [
        line for line in (zip_path.parent / "SHA256SUMS").read_text().splitlines() if line.endswith(".zip")]


def test_the_zip_holds_data_databases_docs_and_checksums(released) -> None:
    zip_path, root = released
    names = set(zipfile.ZipFile(zip_path).namelist())
    prefix = root.name + "/"
    for name in ("datapackage.json", "SHA256SUMS", "brcd.sqlite", "parquet/incidents.parquet",
                 "tables/incidents.csv", "schemas/incidents.schema.json", *DOCS):
        assert prefix + name in names, name
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zipfile.ZipFile(zip_path).infolist())
    assert all(path.stat().st_mode & 0o777 == 0o644 for path in zip_path.parent.iterdir() if path.is_file())
    assert prefix + "brcd.duckdb" not in names  # beside the zip: DuckDB's bytes are not reproducible
    duckdb_path = zip_path.with_suffix(".duckdb")
    sums = (zip_path.parent / "SHA256SUMS").read_text()
    assert sums == "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted([zip_path, duckdb_path]))
    descriptor = json.loads((root / "datapackage.json").read_text())
    for res in descriptor["resources"]:
        data = (root / res["path"]).read_bytes()
        assert res["bytes"] == len(data) and res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    listed = {f["path"] for f in descriptor["brcd:files"]}
    assert {"brcd.sqlite", "README.md", "schemas/incidents.schema.json"} <= listed


def test_released_descriptor_passes_upstream_frictionless(released) -> None:
    _zip, root = released
    proc = subprocess.run(["frictionless", "validate", "--json", "datapackage.json"], capture_output=True, text=True,
                          cwd=root)
    report = json.loads(proc.stdout)
    assert report["valid"] is True, proc.stdout[:2000]
    assert proc.returncode == 0


def test_verify_accepts_the_zip_and_the_unpacked_folder(released) -> None:
    zip_path, root = released
    for target in (zip_path, root):
        proc = brcd("verify", str(target))
        assert proc.returncode == 0, proc.stderr
        assert "match their checksums; the package is valid" in proc.stdout


def test_the_release_zip_is_well_inside_the_limits_verify_enforces(released) -> None:
    """verify refuses members above a compression ratio (zip bombs), too many members or too
    many bytes: the real release must be far from each (docs/performance.md has the ratios
    of a million-row release)."""
    from brcd.release.safezip import Limits

    zip_path, _root = released
    infos = zipfile.ZipFile(zip_path).infolist()
    limits = Limits()
    assert len(infos) * 10 < limits.members
    assert sum(i.file_size for i in infos) * 10 < limits.total_bytes
    assert max(i.file_size / max(i.compress_size, 1) for i in infos) * 4 < limits.ratio


def flip(path: Path, where: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    path.write_bytes(bytes(data))


# Each kind of file in a release, and the name verify must print for a one-byte change in it.
KINDS = [
    ("tables/incidents.csv", "tables/incidents.csv"),
    ("schemas/statements.schema.json", "schemas/statements.schema.json"),
    ("datapackage.json", "datapackage.json"),
    ("brcd.sqlite", "brcd.sqlite"),
    ("parquet/financing.parquet", "parquet/financing.parquet"),
    ("README.md", "README.md"),
    ("CHANGELOG.md", "CHANGELOG.md"),
    ("CITATION.cff", "CITATION.cff"),
    ("LICENSE-DATA.md", "LICENSE-DATA.md"),
    ("SHA256SUMS", "SHA256SUMS"),
]


@pytest.mark.parametrize("changed,named", KINDS, ids=[k[0] for k in KINDS])
def test_verify_names_the_file_a_one_byte_change_damaged(released, tmp_path: Path, changed: str, named: str) -> None:
    _zip, root = released
    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    # SHA256SUMS: a byte of its first checksum (a byte of a file name would name another file)
    flip(copy / changed, 10 / (copy / changed).stat().st_size if changed == "SHA256SUMS" else 0.5)
    proc = brcd("verify", str(copy))
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0].startswith(f"{named}: error[damaged-file]:"), proc.stdout


@pytest.mark.parametrize("where", [0.3, 0.7, 0.99])
def test_verify_catches_a_one_byte_change_in_the_zip(released, tmp_path: Path, where: float) -> None:
    zip_path, _root = released
    shutil.copy(zip_path, tmp_path / zip_path.name)
    shutil.copy(zip_path.parent / "SHA256SUMS", tmp_path / "SHA256SUMS")
    flip(tmp_path / zip_path.name, where)
    proc = brcd("verify", str(tmp_path / zip_path.name))
    assert proc.returncode == 1
    assert "error[damaged-file]" in proc.stdout and "Traceback" not in proc.stderr


def test_verify_of_a_zip_checks_the_duckdb_file_beside_it(released, tmp_path: Path) -> None:
    zip_path, _root = released
    for path in (zip_path, zip_path.with_suffix(".duckdb"), zip_path.parent / "SHA256SUMS"):
        shutil.copy(path, tmp_path / path.name)
    flip(tmp_path / zip_path.with_suffix(".duckdb").name)
    proc = brcd("verify", str(tmp_path / zip_path.name))
    assert proc.returncode == 1 and proc.stdout.startswith(f"{zip_path.with_suffix('.duckdb').name}: error[damaged-file]:")


def test_verify_finds_a_renamed_zip_by_its_checksum_and_says_the_duckdb_file_is_absent(released,
                                                                                      tmp_path: Path) -> None:
    """A browser saves a second download as `brcd-X (1).zip`; the DuckDB file is optional."""
    zip_path, _root = released
    renamed = tmp_path / f"{zip_path.stem} (1).zip"
    shutil.copy(zip_path, renamed)
    shutil.copy(zip_path.parent / "SHA256SUMS", tmp_path / "SHA256SUMS")
    proc = brcd("verify", str(renamed))
    assert proc.returncode == 0, proc.stderr
    assert f"note: {renamed.name} is {zip_path.name} of {tmp_path / 'SHA256SUMS'}, renamed." in proc.stderr
    assert f"note: {zip_path.stem}.duckdb (listed in SHA256SUMS) is not beside the zip: not checked." in proc.stderr
    flip(renamed)
    proc = brcd("verify", str(renamed))
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"{renamed.name}: error[damaged-file]: sha256 differs from that of {zip_path.name}")


def test_verify_refuses_a_duckdb_file_that_sha256sums_does_not_list(released, tmp_path: Path) -> None:
    zip_path, _root = released
    for path in (zip_path, zip_path.with_suffix(".duckdb"), zip_path.parent / "SHA256SUMS"):
        shutil.copy(path, tmp_path / path.name)
    sums = tmp_path / "SHA256SUMS"
    sums.write_text("".join(line + "\n" for line in sums.read_text().splitlines() if not line.endswith(".duckdb")))
    proc = brcd("verify", str(tmp_path / zip_path.name))
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"{zip_path.stem}.duckdb: error[damaged-file]: is not listed in {sums}.")


def test_verify_of_something_that_is_not_a_release_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "brcd-9.9.9.zip"
    bad.write_bytes(b"not a zip at all")
    proc = brcd("verify", str(bad))
    assert proc.returncode == 2 and "error[corrupt-zip]" in proc.stderr and "Traceback" not in proc.stderr
    proc = brcd("verify", str(tmp_path / "missing.zip"))
    assert proc.returncode == 2 and "error[file-missing]" in proc.stderr


def test_release_needs_its_docs(package_copy: Path, tmp_path: Path) -> None:
    proc = brcd("release", str(package_copy), "--out", str(tmp_path / "dist"))
    assert proc.returncode == 2 and "error[file-missing]" in proc.stderr and "README.md" in proc.stderr
    assert not list((tmp_path / "dist").glob("*.zip"))


def test_release_refuses_an_invalid_package(package_copy: Path, tmp_path: Path) -> None:
    with_docs(package_copy)
    table = package_copy.parent / "tables" / "sources.csv"
    table.write_text(table.read_text(encoding="utf-8") + "SRC-9999\n", encoding="utf-8")
    proc = brcd("release", str(package_copy), "--out", str(tmp_path / "dist"))
    assert proc.returncode == 1 and "error[invalid-package]" in proc.stderr
    assert not list((tmp_path / "dist").glob("*.zip"))


def test_verify_names_a_file_added_to_a_release(released, tmp_path: Path) -> None:
    _zip, root = released
    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    (copy / "tables" / "extra.csv").write_text("a\n1\n")
    proc = brcd("verify", str(copy))
    assert proc.returncode == 1 and proc.stdout.startswith("tables/extra.csv: error[damaged-file]: is not listed in SHA256SUMS")
