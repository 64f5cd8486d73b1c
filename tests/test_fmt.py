"""`brcd fmt`: the canonical CSV form, lossless (checked against Frictionless as an
independent reader), idempotent, atomic, and `--check` that names table and line."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brcd.edit.fmt import format_table, quote_cell
from brcd.fields import Field
from brcd.edit.hash import stale_resources
from brcd.package import load_package

FIXTURES = Path(__file__).parent / "fixtures" / "contrib"
REPO = Path(__file__).resolve().parents[1]


def run_brcd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brcd", *args], capture_output=True, text=True, cwd=cwd)


# --- one cell at a time ---------------------------------------------------------------

@pytest.mark.parametrize("ftype, raw, canonical", [
    ("integer", "+007", "7"),
    ("integer", "-0", "0"),
    ("integer", "12", "12"),
    ("integer", "12a", "12a"),          # not an integer: kept as written, validate reports it
    ("integer", " 7", " 7"),            # a padded cell is kept too (no silent trimming)
    ("number", "1.50", "1.5"),
    ("number", "+2E+3", "2000"),
    ("number", "-0.000", "0"),
    ("number", ".5", "0.5"),
    ("number", "5.", "5"),
    ("number", "1.5e-7", "0.00000015"),
    ("number", "29.8", "29.8"),
    ("number", "INF", "INF"),
    ("number", "1,5", "1,5"),
    ("boolean", "TRUE", "true"),
    ("boolean", "1", "true"),
    ("boolean", "False", "false"),
    ("boolean", "yes", "yes"),
    ("date", "2024-08-26", "2024-08-26"),
    ("string", "  spaced, \"quoted\"  ", "  spaced, \"quoted\"  "),
    ("string", "", ""),
])
def test_canonical_cell(ftype: str, raw: str, canonical: str) -> None:
    assert Field.of({"name": "x", "type": ftype}).canonical(raw) == canonical


def test_custom_boolean_values_keep_their_first_spelling() -> None:
    fld = {"name": "x", "type": "boolean", "trueValues": ["yes", "y"], "falseValues": ["no", "n"]}
    assert Field.of(fld).canonical("y") == "yes"
    assert Field.of(fld).canonical("n") == "no"


@pytest.mark.parametrize("cell, quoted", [
    ("plain", "plain"), ("a,b", '"a,b"'), ('say "hi"', '"say ""hi"""'),
    ("line\nbreak", '"line\nbreak"'), ("lone\rCR", '"lone\rCR"'), (" pad ", " pad "),
])
def test_minimal_quoting(cell: str, quoted: str) -> None:
    assert quote_cell(cell) == quoted


# --- whole tables, against Frictionless as the reader -----------------------------------

INCIDENTS_SCHEMA = json.loads((REPO / "schemas" / "incidents.schema.json").read_text(encoding="utf-8"))


def _int_raw(n: int):
    forms = [st.just(str(n))]
    if n >= 0:
        forms += [st.just(f"+{n}"), st.just(f"00{n}")]
    if n == 0:
        forms.append(st.just("-0"))
    return st.one_of(forms)


def _number_raw(d: Decimal):
    plain = format(d, "f")
    return st.sampled_from([str(d), plain, format(d, "E"), (plain + "000") if "." in plain else plain + ".000",
                            ("+" + plain) if d >= 0 else plain])


RAW = {
    "integer": st.integers(-10**12, 10**12).flatmap(_int_raw),
    "number": st.one_of(
        st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False,
                    places=6).flatmap(_number_raw),
        st.floats(-1e6, 1e6, allow_nan=False).map(repr),
        st.sampled_from(["INF", "-INF"]),
    ),
    "boolean": st.sampled_from(["true", "True", "TRUE", "1", "false", "False", "FALSE", "0"]),
    "date": st.dates().map(lambda d: d.isoformat()),
    # Any text a contributor might type: commas, quotes, CR/LF, spaces at the ends, numbers.
    "string": st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
}


@st.composite
def incident_tables(draw) -> list[list[str]]:
    """Rows for the real incidents schema: a unique id and, per field, a value of its type
    written in any spelling Table Schema accepts (or empty: missing)."""
    n = draw(st.integers(0, 6))
    ids = draw(st.lists(st.integers(0, 9999), min_size=n, max_size=n, unique=True))
    rows = []
    for i in ids:
        row = []
        for fld in INCIDENTS_SCHEMA["fields"]:
            if fld["name"] == "incident_id":
                row.append(f"BAL-INC-2025-{i:04d}")
                continue
            strategy = RAW.get(fld.get("type", "string"), RAW["string"])
            row.append(draw(st.one_of(st.just(""), strategy)))
        rows.append(row)
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, crlf: bool, quote_all: bool) -> None:
    import csv
    import io

    buf = io.StringIO()
    end = "\r\n" if crlf else "\n"
    minimal = csv.writer(buf, lineterminator=end, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    # Python's minimal quoting misses a lone CR when lines end in LF: quote such rows fully.
    full = csv.writer(buf, lineterminator=end, quoting=csv.QUOTE_ALL)
    minimal.writerow(header)
    for r in rows:
        (full if any("\r" in c for c in r) else minimal).writerow(r)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def types_only(schema: dict) -> dict:
    """The schema without constraints: the oracle reads types, it does not validate."""
    out = copy.deepcopy(schema)
    for fld in out["fields"]:
        fld.pop("constraints", None)
    out.pop("foreignKeys", None)
    return out


def frictionless_rows(csv_path: Path, schema: dict) -> list[tuple]:
    """Every row as a tuple of typed values, read by Frictionless; sorted (a multiset)."""
    from frictionless import Dialect, Resource, Schema, formats

    control = formats.CsvControl(delimiter=",", quote_char='"', double_quote=True)
    res = Resource(path=str(csv_path), schema=Schema.from_descriptor(types_only(schema)),
                   dialect=Dialect(controls=[control]), format="csv", encoding="utf-8")
    with res:
        rows = [tuple(_oracle_value(row[name]) for name in row.field_names) for row in res.row_stream]
    return sorted(rows, key=repr)


def _oracle_value(v):
    if isinstance(v, Decimal):
        return ("number", "nan") if v.is_nan() else ("number", v.normalize() if v != 0 else Decimal(0))
    return (type(v).__name__, v)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=incident_tables(), crlf=st.booleans(), quote_all=st.booleans(), shuffle=st.randoms())
def test_fmt_is_lossless_sorted_and_idempotent(package_copy: Path, rows, crlf, quote_all, shuffle) -> None:
    pkg = load_package(package_copy)
    res = pkg.resource("incidents")
    shuffle.shuffle(rows)
    write_csv(res.path, res.field_names, rows, crlf=crlf, quote_all=quote_all)
    before = frictionless_rows(res.path, res.schema)

    result = format_table(res)
    res.path.write_bytes(result.new)
    after = frictionless_rows(res.path, res.schema)

    assert after == before  # the same typed value, cell for cell, for every row
    text = result.new.decode("utf-8")
    body = [line for line in text.split("\n")[1:] if line]
    ids = [line.split(",", 1)[0] for line in body if line.startswith("BAL-INC-")]
    assert ids == sorted(ids)
    assert text.endswith("\n") and not text.startswith("\ufeff")
    assert format_table(res).new == result.new  # idempotent: fmt of fmt changes nothing


# --- the command ------------------------------------------------------------------------

def make_fixture_package(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def test_check_reports_each_table_and_first_line_then_fmt_fixes_and_rehashes(tmp_path: Path) -> None:
    pkg_dir = make_fixture_package(tmp_path, "fmt-unsorted-noncanonical")
    things = pkg_dir / "tables" / "things.csv"
    # CRLF and a BOM cannot live in the repository (.gitattributes forces LF): add them here.
    things.write_bytes(b"\xef\xbb\xbf" + things.read_bytes().replace(b"\n", b"\r\n"))
    before = things.read_bytes()

    check = run_brcd("fmt", str(pkg_dir), "--check")
    assert check.returncode == 1
    assert ("tables/things.csv:1: error[not-canonical]: not in canonical form (1 row(s) out of primary-key order; "
            "5 cell(s) not in canonical form; byte-order mark; CRLF line endings)") in check.stdout
    assert "tables/labels.csv" not in check.stdout  # already canonical
    assert things.read_bytes() == before  # --check writes nothing

    github = run_brcd("fmt", str(pkg_dir), "--check", "--format", "github")
    assert github.returncode == 1
    assert github.stdout.startswith("::error file=tables/things.csv,line=1,title=not-canonical::")

    done = run_brcd("fmt", str(pkg_dir))
    assert done.returncode == 0, done.stderr
    assert things.read_bytes() == (
        b"thing_id,label,count,weight,active,seen_on\n"
        b'1,"first, with a comma",7,1.5,true,2024-01-02\n'
        b"2,second,,0.25,false,\n"
        b"10,tenth,0,2000,true,2025-12-31\n"
    )
    assert stale_resources(load_package(pkg_dir)) == []  # fmt updated bytes and hash itself
    assert run_brcd("fmt", str(pkg_dir), "--check").returncode == 0


def test_broken_table_is_one_line_error_and_nothing_is_written(tmp_path: Path) -> None:
    pkg_dir = make_fixture_package(tmp_path, "fmt-ragged-row")
    snapshot = {p: p.read_bytes() for p in pkg_dir.rglob("*") if p.is_file()}

    out = run_brcd("fmt", str(pkg_dir))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"{pkg_dir / 'tables' / 'things.csv'}:3: error[field-count]: the row has 5 cells, the header 6. "
        "Fix: add or remove cells (a comma inside a value must be quoted) and run `brcd fmt` again."
    ]
    # things.csv was broken; labels.csv was formattable but is untouched too, as is the descriptor.
    assert {p: p.read_bytes() for p in pkg_dir.rglob("*") if p.is_file()} == snapshot


def test_header_that_differs_from_schema_is_refused(tmp_path: Path) -> None:
    pkg_dir = make_fixture_package(tmp_path, "fmt-unsorted-noncanonical")
    things = pkg_dir / "tables" / "things.csv"
    things.write_text(things.read_text().replace("thing_id,label", "label,thing_id", 1))
    out = run_brcd("fmt", str(pkg_dir), "--check")
    assert out.returncode == 2
    assert "things.csv:1: error[header-mismatch]" in out.stderr
    assert "Traceback" not in out.stderr


def test_real_package_formats_losslessly(package_copy: Path) -> None:
    pkg = load_package(package_copy)
    for res in pkg.resources:
        before = frictionless_rows(res.path, res.schema)
        res.path.write_bytes(format_table(res).new)
        assert frictionless_rows(res.path, res.schema) == before, res.name
