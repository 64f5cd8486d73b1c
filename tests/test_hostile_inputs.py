"""Hostile inputs (issue 15, robustness): a descriptor that names files outside the package, a
malformed descriptor, a big table whose quoting goes wrong late, a header read one way by
validation and another by DuckDB. Each is one line and exit 2 (or a report), never a
traceback, never a file outside the package read, printed or rewritten, never a build or a
release with fewer rows than its CSV. Cases are named after their defect."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from brcd.errors import BrcdError
from brcd.package import load_package
from brcd.validate import validate_package
from brcd.validate.collector import Collector

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
BASE = FIXTURES / "base"
SECRET = "brcd-secret-outside-the-package"


def brcd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brcd", *args], capture_output=True, text=True, cwd=cwd)


def package(tmp_path: Path, change=None) -> Path:
    """A copy of the base fixture; `change(descriptor, folder)` edits its descriptor (a dict)."""
    pkg = shutil.copytree(BASE, tmp_path / "pkg")
    if change is not None:
        desc = json.loads((pkg / "datapackage.json").read_text())
        change(desc, pkg)
        (pkg / "datapackage.json").write_text(json.dumps(desc, indent=2))
    return pkg


def resource(desc: dict, name: str) -> dict:
    return next(r for r in desc["resources"] if r["name"] == name)


def field(desc: dict, table: str, name: str) -> dict:
    return next(f for f in resource(desc, table)["schema"]["fields"] if f["name"] == name)


def assert_one_line_exit_2(proc: subprocess.CompletedProcess, code: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert f"error[{code}]" in proc.stderr, proc.stderr


# --- files outside the package -------------------------------------------------------------

def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(f"{SECRET},x\n")
    return secret


def _symlink(target_of):
    def change(desc: dict, pkg: Path) -> None:
        link = pkg / "tables" / "sources.csv"
        link.unlink()
        link.symlink_to(target_of(pkg))
    return change


UNSAFE_PATHS = {
    "path-climbs-out-with-dotdot": lambda desc, pkg: resource(desc, "sources").update(path="../outside/secret.csv"),
    "path-absolute": lambda desc, pkg: resource(desc, "sources").update(
        path=str(pkg.parent / "outside" / "secret.csv")),
    "path-is-a-url": lambda desc, pkg: resource(desc, "sources").update(path="https://example.invalid/sources.csv"),
    "symlink-to-a-file-outside": _symlink(lambda pkg: pkg.parent / "outside" / "secret.csv"),
    "symlink-to-dev-zero": _symlink(lambda pkg: Path("/dev/zero")),
    "folder-symlinked-outside": lambda desc, pkg: (shutil.rmtree(pkg / "tables"),
                                                   (pkg / "tables").symlink_to(pkg.parent / "outside")),
    "schema-path-climbs-out": lambda desc, pkg: resource(desc, "sources").update(schema="../outside/secret.csv"),
}


@pytest.mark.parametrize("defect", sorted(UNSAFE_PATHS))
def test_a_file_outside_the_package_is_refused_before_it_is_read(defect, tmp_path):
    secret = _outside(tmp_path)
    if defect == "folder-symlinked-outside":
        for name in os.listdir(BASE / "tables"):
            shutil.copy(BASE / "tables" / name, secret.parent / name)
    pkg = package(tmp_path, UNSAFE_PATHS[defect])
    before = {p: p.read_bytes() for p in secret.parent.iterdir()}
    atime = secret.stat().st_atime_ns
    for args in (["validate", str(pkg)], ["fmt", str(pkg)], ["hash", str(pkg)], ["build", str(pkg), "--out",
                 str(tmp_path / "dist")], ["new", "sources", str(pkg), "--no-input", "--title", "A title"]):
        proc = brcd(*args)
        assert_one_line_exit_2(proc, "unsafe-path")
        assert SECRET not in proc.stdout + proc.stderr
    assert {p: p.read_bytes() for p in secret.parent.iterdir()} == before  # nothing rewritten
    assert secret.stat().st_atime_ns == atime or defect == "folder-symlinked-outside"
    assert not (tmp_path / "dist").exists()


def test_a_symlink_inside_the_package_to_a_file_inside_is_read(tmp_path):
    def change(desc, pkg):
        shutil.move(pkg / "tables" / "sources.csv", pkg / "sources-data.csv")
        (pkg / "tables" / "sources.csv").symlink_to(pkg / "sources-data.csv")
    assert validate_package(package(tmp_path, change)).valid


def test_a_fifo_where_a_table_was_is_refused_without_blocking(tmp_path):
    def change(desc, pkg):
        (pkg / "tables" / "sources.csv").unlink()
        os.mkfifo(pkg / "tables" / "sources.csv")
    proc = subprocess.run([sys.executable, "-m", "brcd", "validate", str(package(tmp_path, change))],
                          capture_output=True, text=True, timeout=60)
    assert_one_line_exit_2(proc, "unsafe-path")


def test_reading_a_table_that_became_a_device_after_load_is_refused(tmp_path):
    """Checked again where the bytes are read: a table swapped for a link to /dev/zero after
    the descriptor was loaded is not read until memory runs out."""
    from brcd.validate.structure import read_table

    pkg = load_package(package(tmp_path))
    res = pkg.resource("sources")
    res.path.unlink()
    res.path.symlink_to("/dev/zero")
    out = Collector()
    assert read_table(res, out) is None
    assert [e.code for e in out.issues] == ["file-unreadable"]


# --- malformed descriptors ----------------------------------------------------------------

MALFORMED = {
    "hash-is-a-number": lambda d, p: resource(d, "sources").update(hash=123),
    "hash-of-an-unsupported-algorithm": lambda d, p: resource(d, "sources").update(hash="shake_128:abcd"),
    "hash-not-hex": lambda d, p: resource(d, "sources").update(hash="sha256:xyz"),
    "bytes-not-a-number": lambda d, p: resource(d, "sources").update(bytes="12"),
    "constraints-a-string": lambda d, p: field(d, "sources", "title").update(constraints="x"),
    "constraint-of-the-wrong-type": lambda d, p: field(d, "sources", "title").update(constraints={"minLength": "3"}),
    "pattern-not-a-regex": lambda d, p: field(d, "sources", "source_id").update(constraints={"pattern": "(["}),
    "primary-key-a-number": lambda d, p: resource(d, "sources")["schema"].update(primaryKey=5),
    "primary-key-not-a-field": lambda d, p: resource(d, "sources")["schema"].update(primaryKey=["nope"]),
    "true-values-a-string": lambda d, p: field(d, "incidents", "is_parent").update(trueValues="yes"),
    "missing-values-a-string": lambda d, p: resource(d, "sources")["schema"].update(missingValues=""),
    "list-reference-without-field": lambda d, p: field(d, "incidents", "source_ids")["listReference"].pop("field"),
    "list-reference-to-a-missing-resource": lambda d, p: field(d, "incidents", "source_ids")["listReference"].update(
        resource="nope"),
    "list-reference-to-a-missing-field": lambda d, p: field(d, "incidents", "source_ids")["listReference"].update(
        field="nope"),
    "foreign-key-without-fields": lambda d, p: resource(d, "incidents")["schema"]["foreignKeys"][1].pop("fields"),
    "foreign-key-without-reference": lambda d, p: resource(d, "incidents")["schema"]["foreignKeys"][1].pop("reference"),
    "foreign-key-to-a-missing-resource": lambda d, p: resource(d, "incidents")["schema"]["foreignKeys"][1][
        "reference"].update(resource="nope"),
    "foreign-key-to-a-missing-field": lambda d, p: resource(d, "incidents")["schema"]["foreignKeys"][1][
        "reference"].update(fields=["nope"]),
    "foreign-key-of-two-fields-to-one": lambda d, p: resource(d, "incidents")["schema"]["foreignKeys"][1].update(
        fields=["district_id", "location"]),
    "foreign-keys-an-object": lambda d, p: resource(d, "incidents")["schema"].update(foreignKeys={}),
    "field-type-a-list": lambda d, p: field(d, "sources", "title").update(type=["string"]),
}
CODES = {"hash-is-a-number": "resource-error", "hash-of-an-unsupported-algorithm": "resource-error",
         "hash-not-hex": "resource-error", "bytes-not-a-number": "resource-error"}


@pytest.mark.parametrize("defect", sorted(MALFORMED))
def test_a_malformed_descriptor_is_one_line_and_exit_2(defect, tmp_path):
    pkg = package(tmp_path, MALFORMED[defect])
    assert_one_line_exit_2(brcd("validate", str(pkg)), CODES.get(defect, "schema-error"))


def test_json_nested_too_deeply_is_one_line_and_exit_2(tmp_path):
    pkg = package(tmp_path)
    (pkg / "datapackage.json").write_text('{"resources": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert_one_line_exit_2(brcd("validate", str(pkg)), "json-error")


V1_FORMS = {
    "primary-key-as-a-string": lambda d, p: resource(d, "sources")["schema"].update(primaryKey="source_id"),
    "foreign-key-fields-as-strings": lambda d, p: resource(d, "incidents")["schema"]["foreignKeys"][1].update(
        fields="district_id", reference={"resource": "districts", "fields": "district_id"}),
    "self-reference-without-resource": lambda d, p: resource(d, "incidents")["schema"]["foreignKeys"][0][
        "reference"].pop("resource"),
}


@pytest.mark.parametrize("form", sorted(V1_FORMS))
def test_forms_the_spec_says_consumers_must_accept_are_accepted(form, tmp_path):
    """Table Schema: `primaryKey` and `foreignKeys.fields` may be a string (v1), and a
    foreign key without `reference.resource` refers to its own table. Accepted, and still
    checked: a dangling key is found."""
    pkg = package(tmp_path, V1_FORMS[form])
    report = validate_package(pkg)
    assert report.valid, [(e.code, e.message) for e in report.errors]
    desc = json.loads((pkg / "datapackage.json").read_text())
    incidents = (pkg / "tables" / "incidents.csv").read_text()
    if form == "primary-key-as-a-string":
        src = (pkg / "tables" / "sources.csv").read_text()
        (pkg / "tables" / "sources.csv").write_text(src + src.splitlines()[1] + "\n")
        want = "primary-key"
    elif form == "foreign-key-fields-as-strings":
        (pkg / "tables" / "incidents.csv").write_text(incidents.replace(",PK205,", ",PK999,"))
        want = "foreign-key"
    else:
        (pkg / "tables" / "incidents.csv").write_text(incidents.replace(",BAL-INC-2024-0001,", ",BAL-INC-2024-0999,"))
        want = "foreign-key"
    assert want in {e.code for e in validate_package(pkg).errors}
    assert json.loads((pkg / "datapackage.json").read_text()) == desc  # the descriptor keeps its forms


# --- big tables whose quoting goes wrong late -----------------------------------------------

def _big_incidents(tmp_path: Path, monkeypatch, late: str) -> Path:
    """The base package with ~400 rows of incidents read through `FileSlices` in slices of
    1 KiB (as a table of gigabytes is read in slices of 48 MiB), `late` replacing the
    description of a row well after the first slice."""
    import brcd.validate.records as records
    import brcd.validate.structure as structure

    pkg = package(tmp_path)
    lines = (pkg / "tables" / "incidents.csv").read_text().splitlines()
    row = lines[3]
    body = [row.replace("BAL-INC-2024-0003", f"BAL-INC-2024-{i:04d}") for i in range(3, 400)]
    body[300] = body[300].replace("Sit-in", late)
    (pkg / "tables" / "incidents.csv").write_text("\n".join(lines[:3] + body) + "\n")
    monkeypatch.setattr(records, "CHUNK_BYTES", 1024)
    monkeypatch.setattr(structure, "STREAM_BYTES", 2048)
    return pkg


def test_a_stray_quote_after_the_first_slice_is_a_csv_error_not_a_buffer_error(tmp_path, monkeypatch):
    pkg = _big_incidents(tmp_path, monkeypatch, '"never closed')
    report = validate_package(pkg)
    assert [(e.code, e.line) for e in report.errors] == [("csv-error", 304)]


def test_a_quote_inside_a_cell_not_quoted_after_the_first_slice_is_text(tmp_path, monkeypatch):
    """The csv module (the exact reader) reads it as text: no rows merged, no error."""
    pkg = _big_incidents(tmp_path, monkeypatch, 'Sit-in 5" away')
    report = validate_package(pkg)
    assert report.valid and report.rows["incidents"] == 399


def test_a_cell_longer_than_a_slice_is_read(tmp_path, monkeypatch):
    long = "x" * 5000
    pkg = _big_incidents(tmp_path, monkeypatch, f'"{long}\n{long}"')
    report = validate_package(pkg)
    assert [(e.code, e.line) for e in report.errors] == [("constraint-error", 304)]  # maxLength 60
    assert report.rows["incidents"] == 399


# --- build and release never ship fewer rows than the CSV holds -----------------------------

def _quoted_header(tmp_path: Path) -> Path:
    pkg = package(tmp_path)
    fin = pkg / "tables" / "financing.csv"
    fin.write_text('""' + fin.read_text())
    return pkg


def test_a_header_duckdb_reads_otherwise_is_refused_by_validate_and_build(tmp_path):
    """`""deal_id` passed a lenient header check, then DuckDB read the rest of the file as one
    quoted cell: build and release shipped financing with 0 rows."""
    pkg = _quoted_header(tmp_path)
    report = validate_package(pkg)
    assert [(e.resource, e.line, e.code) for e in report.errors] == [("financing", 1, "csv-error")]
    proc = brcd("build", str(pkg), "--out", str(tmp_path / "dist"))
    assert proc.returncode == 1 and "invalid-package" in proc.stderr
    assert not list((tmp_path / "dist").rglob("*.*"))


def test_build_refuses_a_table_whose_row_count_differs_from_validation(tmp_path):
    from brcd.release.build import build

    pkg = _quoted_header(tmp_path)
    with pytest.raises(BrcdError) as err:
        build(pkg, tmp_path / "dist", validate=False)
    assert err.value.code == "row-count" and "financing.csv" in err.value.message
    assert not list((tmp_path / "dist").rglob("*.*"))  # nothing half-written


def test_build_records_the_rows_of_each_table(tmp_path):
    import sqlite3

    from brcd.release.build import build

    pkg = package(tmp_path)
    result = build(pkg, tmp_path / "dist")
    meta = dict(sqlite3.connect(result.sqlite).execute("SELECT key, value FROM brcd_metadata").fetchall())
    for res in load_package(pkg).resources:
        rows = len(res.path.read_text().splitlines()) - 1
        assert meta[f"rows:{res.name}"] == str(rows)


def test_verify_does_not_call_a_release_with_a_table_cut_short_intact(tmp_path):
    """A release whose built files hold fewer rows than its CSVs (as the old build shipped
    them), its checksums recomputed so that every file matches its records: not intact."""
    import duckdb

    from brcd.release.archive import FILES_KEY, SUMS, format_sums, parse_sums, release
    from brcd.release.verify import verify

    repo = Path(__file__).resolve().parents[1]
    pkg = package(tmp_path)
    for name in ("README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA.md"):
        shutil.copy(repo / name, pkg / name)
    result = release(pkg, tmp_path / "dist")
    with zipfile.ZipFile(result.zip_path) as zf:
        zf.extractall(tmp_path / "unpacked")
    (root,) = (tmp_path / "unpacked").iterdir()
    assert verify(root).ok
    parquet = root / "parquet" / "financing.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT 0) TO '{parquet}.cut' (FORMAT parquet)")
    con.close()
    os.replace(f"{parquet}.cut", parquet)
    desc = json.loads((root / "datapackage.json").read_text())
    entry = next(f for f in desc[FILES_KEY] if f["path"] == "parquet/financing.parquet")
    entry["bytes"], entry["hash"] = parquet.stat().st_size, "sha256:" + hashlib.sha256(parquet.read_bytes()).hexdigest()
    (root / "datapackage.json").write_text(json.dumps(desc, indent=2))
    sums = parse_sums((root / SUMS).read_text(), root / SUMS)
    for name in ("parquet/financing.parquet", "datapackage.json"):
        sums[name] = hashlib.sha256((root / name).read_bytes()).hexdigest()
    (root / SUMS).write_text(format_sums(sums))
    report = verify(root)
    assert not report.ok
    assert [name for name, _ in report.damaged] == ["parquet/financing.parquet"]
