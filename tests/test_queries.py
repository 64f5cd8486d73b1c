"""Named queries: every query gives the same rows on DuckDB and SQLite and matches its golden
output over a small fixture package; headers are parsed strictly; `brcd query` refuses bad
input with one line and exit 2.

Regenerate the goldens after an intended change: BRCD_UPDATE_GOLDEN=1 pytest tests/test_queries.py
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from brcd.errors import BrcdError
from brcd.package import load_package
from brcd.query.named import bind, engine_values, find_query, load_queries, parse_query, placeholders, read_folder
from brcd.query.results import Result, check_select, fresh_database, render_csv, render_json, render_markdown, render_table, run
from brcd.fields import quote_ident, resource_fields

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "queries" / "small-package"
GOLDEN = REPO / "tests" / "golden" / "queries"
QUERIES = load_queries(REPO)
UPDATE = os.environ.get("BRCD_UPDATE_GOLDEN") == "1"

# One golden file per case: (case, query, parameters as `-p` would pass them).
CASES = [(q.name, q.name, {}) for q in QUERIES if all(not p.required for p in q.params)] + [
    ("site_timeline--copper", "site_timeline", {"site_id": "BAL-MIN-COPPER"}),
    ("site_timeline--lead", "site_timeline", {"site_id": "BAL-MIN-LEAD"}),
    ("incidents_near_sites--10km", "incidents_near_sites", {"radius_km": "10"}),
    ("incidents_near_sites--gold", "incidents_near_sites", {"radius_km": "500", "site_id": "BAL-MIN-GOLD"}),
    ("deaths_by_month_district--alpha-2024", "deaths_by_month_district", {"district_id": "PK201", "since": "2024-02-01"}),
    ("deaths_by_month_district--not-placed", "deaths_by_month_district", {"district_id": "(not placed)"}),
    ("attacks_by_target_perpetrator--january", "attacks_by_target_perpetrator", {"since": "2024-01-01", "until": "2024-01-31"}),
    ("financing_by_financier--copper", "financing_by_financier", {"site_id": "BAL-MIN-COPPER"}),
    ("organizations_most_named--top3", "organizations_most_named", {"top": "3"}),
    ("contested_claims--wave", "contested_claims", {"incident_id": "BAL-INC-2024-0001"}),
    ("contradicted_statements--front", "contradicted_statements", {"speaker_org_id": "ORG-FRONT"}),
    ("coverage_by_year--2024", "coverage_by_year", {"year": "2024"}),
]


# --- the two engines over the same CSVs ------------------------------------------------------

def sqlite_cell(field: dict, text: str):
    if text == "":
        return None
    ftype = field.get("type", "string")
    if ftype == "integer":
        return int(text)
    if ftype == "number":
        return float(text)
    if ftype == "boolean":
        return {"true": 1, "false": 0}[text]
    return text


def load_sqlite(package_path: Path) -> sqlite3.Connection:
    """The package in SQLite with its conventions (dates ISO text, booleans 0/1), typed from the
    schema. The build's dist/brcd.sqlite is checked as well when brcd.release.build is present."""
    pkg = load_package(package_path)
    con = sqlite3.connect(":memory:")
    for res in pkg.resources:
        cols = ", ".join(f"{quote_ident(f.name)} {f.sqlite_type}" for f in resource_fields(res))
        con.execute(f"CREATE TABLE {quote_ident(res.name)} ({cols})")
        with res.path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            assert next(reader) == res.field_names
            rows = [[sqlite_cell(f, v) for f, v in zip(res.fields, row)] for row in reader]
        con.executemany(f"INSERT INTO {quote_ident(res.name)} VALUES ({', '.join('?' * len(res.fields))})", rows)
    return con


def normal(value):
    """Both engines' values in SQLite's conventions: booleans 0/1, dates ISO text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def on_duckdb(con, query, params) -> Result:
    result = run(con, query.duckdb_sql, engine_values(bind(query, params), "duckdb"))
    return Result(result.columns, [[normal(v) for v in row] for row in result.rows])


def on_sqlite(con: sqlite3.Connection, query, params) -> Result:
    cur = con.execute(query.sqlite_sql, engine_values(bind(query, params), "sqlite"))
    return Result([d[0] for d in cur.description], [list(row) for row in cur.fetchall()])


@pytest.fixture(scope="module")
def fixture_duckdb():
    from brcd.duck import connect

    return connect(load_package(FIXTURE))


@pytest.fixture(scope="module")
def fixture_sqlite():
    return load_sqlite(FIXTURE)


def golden_text(case: str, query: str, params: dict, result: Result) -> str:
    rows = ",\n".join("    " + json.dumps(row, ensure_ascii=False) for row in result.rows)
    return (f'{{\n  "case": {json.dumps(case)},\n  "query": {json.dumps(query)},\n  "params": {json.dumps(params)},\n'
            f'  "columns": {json.dumps(result.columns)},\n  "rows": [\n{rows}\n  ]\n}}\n')


@pytest.mark.parametrize("case,name,params", CASES, ids=[c[0] for c in CASES])
def test_query_same_on_both_engines_and_matches_golden(fixture_duckdb, fixture_sqlite, case, name, params):
    query = find_query(QUERIES, name)
    duck = on_duckdb(fixture_duckdb, query, params)
    lite = on_sqlite(fixture_sqlite, query, params)
    assert duck.columns == lite.columns
    assert duck.rows == lite.rows
    path = GOLDEN / f"{case}.json"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(golden_text(case, name, params, duck), encoding="utf-8")
    golden = json.loads(path.read_text(encoding="utf-8"))
    assert (golden["query"], golden["params"]) == (name, params)
    assert duck.columns == golden["columns"]
    assert duck.rows == golden["rows"]


def test_coverage_by_year_counts_each_event_once_and_keeps_to_its_area(tmp_path):
    """Hand-counted oracle over the fixture plus one attack outside the province (no district):
    a wave counts once through its parent (never its parts too), scope militant_attacks leaves the
    army's operation out, an actor total takes the group's cell, events without an injured figure
    are counted apart, and only the Pakistan-wide total takes the attack outside the province."""
    pkg = tmp_path / "pkg"
    shutil.copytree(FIXTURE, pkg)
    incidents = pkg / "tables" / "incidents.csv"
    with incidents.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    outside = dict(next(r for r in rows if r["incident_id"] == "BAL-INC-2024-0005"))
    outside.update(incident_id="BAL-INC-2024-0008", event_date="2024-04-10", date_start="2024-04-10", date_end="2024-04-10",
                   district_id="", location="A city in another province", latitude="", longitude="", geo_precision="",
                   fatalities_best="5", fatalities_low="5", fatalities_high="5", deaths_civilians="5", injured="")
    with incidents.open("a", newline="", encoding="utf-8") as fh:
        csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n").writerow(outside)
    from brcd.duck import connect

    query = find_query(QUERIES, "coverage_by_year")
    duck = on_duckdb(connect(load_package(pkg)), query, {})
    lite = on_sqlite(load_sqlite(pkg), query, {})
    assert duck.columns == lite.columns and duck.rows == lite.rows
    cols = duck.columns
    got = {r[cols.index("total_id")]: (r[cols.index("brcd_events")], r[cols.index("brcd_value")],
                                       r[cols.index("brcd_events_without_figure")]) for r in duck.rows}
    assert got == {
        "TOT-0001": (4, 19, 0),  # wave parent 15 + 2 + 0 (protest) + 2; the army's 6 and the parts left out
        "TOT-0002": (5, 25, 0),  # all violence: the army's operation counts
        "TOT-0003": (1, 1, 0),   # January attacks: the wave is one event
        "TOT-0004": (4, 3, 3),   # injured: only one event reports a figure
        "TOT-0005": (3, 19, 0),  # the front and its cell
        "TOT-0006": (1, 1, 0),   # 2023, whole country
        "TOT-0007": (0, 0, 0),   # a year without events
        "TOT-0008": (5, 24, 0),  # whole country: the attack outside the province counts
    }
    share = {r[cols.index("total_id")]: r[cols.index("share")] for r in duck.rows}
    assert share["TOT-0001"] == round(19 / 40, 3) and share["TOT-0007"] == 0.0


def test_goldens_are_not_empty_and_none_is_orphaned():
    """Each named query has a case, most cases return rows, and no golden file is left over."""
    assert {name for _, name, _ in CASES} == {q.name for q in QUERIES}
    files = {p.stem for p in GOLDEN.glob("*.json")}
    assert files == {case for case, _, _ in CASES}
    empty = [p.stem for p in GOLDEN.glob("*.json") if not json.loads(p.read_text())["rows"]]
    assert empty == []


def test_at_least_ten_questions_each_published_for_sqlite():
    assert len(QUERIES) >= 10
    for q in QUERIES:
        assert q.title and len(q.description) > 40, q.name
        assert q.sqlite_sql is not None, f"{q.name} has no SQLite form, so Datasette cannot publish it"


def test_every_query_same_on_both_engines_over_the_real_tables():
    """The real tables change as data arrive, so no golden: both engines must agree on them."""
    from brcd.duck import connect

    duck = connect(load_package(REPO))
    lite = load_sqlite(REPO)
    site = lite.execute("SELECT site_id FROM minerals ORDER BY site_id LIMIT 1").fetchone()
    for q in QUERIES:
        params = {"site_id": site[0]} if q.name == "site_timeline" and site else {}
        if any(p.required and p.name not in params for p in q.params):
            continue
        d, s = on_duckdb(duck, q, params), on_sqlite(lite, q, params)
        assert (d.columns, d.rows) == (s.columns, s.rows), q.name


def test_build_sqlite_gives_the_same_rows(tmp_path, fixture_duckdb):
    """dist/brcd.sqlite, the file Datasette serves, answers every query like DuckDB does."""
    from brcd.release.build import build
    pkg_dir = tmp_path / "pkg"
    shutil.copytree(FIXTURE, pkg_dir)
    out = build(pkg_dir / "datapackage.json", tmp_path / "dist", validate=False)
    lite = sqlite3.connect(out.sqlite)
    for case, name, params in CASES:
        q = find_query(QUERIES, name)
        d, s = on_duckdb(fixture_duckdb, q, params), on_sqlite(lite, q, params)
        assert (d.columns, d.rows) == (s.columns, s.rows), case


# --- headers --------------------------------------------------------------------------------

GOOD = """-- title: Deaths near a site
-- description: Deaths within a radius,
--   over a date range.
-- params: radius_km number = 25.5, since date = 2024-01-01
-- params: site_id string, label string = 'it''s', top integer = 3, flag boolean = false
SELECT :site_id AS s, ':not_a_param' AS t, CAST(:radius_km AS DOUBLE) AS r, :since AS d, :label AS l,
       CAST(:top AS INTEGER) AS n, CAST(:flag AS INTEGER) AS f -- :nor_this
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "queries"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_parsed(tmp_path):
    q = parse_query(write(tmp_path, "near.sql", GOOD))
    assert (q.name, q.title, q.description) == ("near", "Deaths near a site", "Deaths within a radius, over a date range.")
    assert [(p.name, p.type, p.default) for p in q.params] == [
        ("radius_km", "number", 25.5), ("since", "date", dt.date(2024, 1, 1)), ("site_id", "string", None),
        ("label", "string", "it's"), ("top", "integer", 3), ("flag", "boolean", False)]
    assert q.param("site_id").required and not q.param("label").required
    assert "$site_id" in q.duckdb_sql and ":site_id" in q.sqlite_sql and "':not_a_param'" in q.duckdb_sql
    assert q.engine == "both"


def test_placeholders_skip_strings_comments_and_casts():
    sql = "SELECT :a, ':b', \":c\", x::INT, /* :d */ :e_1 -- :f\n, :a"
    assert [p[0] for p in placeholders(sql)] == ["a", "e_1", "a"]


def test_variant_for_sqlite(tmp_path):
    write(tmp_path, "split.sql", "-- title: T\n-- description: D\n-- engine: duckdb\n-- params: x string = ''\n"
                                 "SELECT unnest(string_split(:x, ';')) AS item\n")
    write(tmp_path, "split.sqlite.sql", "-- engine: sqlite\nSELECT value AS item FROM json_each(:x);\n")
    write(tmp_path, "duck_only.sql", "-- title: T\n-- description: D\n-- engine: duckdb\nSELECT 1 AS one\n")
    by_name = {q.name: q for q in read_folder(tmp_path / "queries")}
    assert by_name["split"].sqlite_sql == "SELECT value AS item FROM json_each(:x)"
    assert by_name["split"].duckdb_sql.startswith("SELECT unnest(string_split($x")
    assert by_name["duck_only"].sqlite_sql is None


HEADER = "-- title: T\n-- description: D\n"
BAD_HEADERS = [
    # (defect, files, code, file with the error, line)
    ("unknown-key", {"q.sql": HEADER + "-- author: me\nSELECT 1"}, "query-header", "q.sql", 3),
    ("no-title", {"q.sql": "-- description: D\nSELECT 1"}, "query-header", "q.sql", 1),
    ("no-description", {"q.sql": "-- title: T\nSELECT 1"}, "query-header", "q.sql", 1),
    ("title-twice", {"q.sql": HEADER + "-- title: again\nSELECT 1"}, "query-header", "q.sql", 3),
    ("stray-comment", {"q.sql": HEADER + "-- a note\nSELECT 1"}, "query-header", "q.sql", 3),
    ("unknown-type", {"q.sql": HEADER + "-- params: n int = 3\nSELECT :n"}, "query-params", "q.sql", 3),
    ("no-type", {"q.sql": HEADER + "-- params: n\nSELECT :n"}, "query-params", "q.sql", 3),
    ("bad-default", {"q.sql": HEADER + "-- params: n integer = three\nSELECT :n"}, "query-params", "q.sql", 3),
    ("bad-date-default", {"q.sql": HEADER + "-- params: d date = 2024-13-01\nSELECT :d"}, "query-params", "q.sql", 3),
    ("unquoted-string", {"q.sql": HEADER + "-- params: s string = abc\nSELECT :s"}, "query-params", "q.sql", 3),
    ("quoted-number", {"q.sql": HEADER + "-- params: n number = '3'\nSELECT :n"}, "query-params", "q.sql", 3),
    ("param-twice", {"q.sql": HEADER + "-- params: a string\n-- params: a string\nSELECT :a"}, "query-params", "q.sql", 4),
    ("trailing-comma", {"q.sql": HEADER + "-- params: a string,\nSELECT :a"}, "query-params", "q.sql", 3),
    ("undeclared", {"q.sql": HEADER + "SELECT 1\nWHERE x = :nope"}, "query-params", "q.sql", 4),
    ("unused", {"q.sql": HEADER + "-- params: a string\nSELECT 1"}, "query-params", "q.sql", None),
    ("writes", {"q.sql": HEADER + "DELETE FROM incidents"}, "query-not-select", "q.sql", 3),
    ("two-statements", {"q.sql": HEADER + "SELECT 1;\nSELECT 2"}, "query-not-select", "q.sql", 3),
    ("syntax", {"q.sql": HEADER + "SELECT 1\nFROM WHERE"}, "query-syntax", "q.sql", 4),
    ("syntax-after-blank-lines", {"q.sql": HEADER + "\n\nSELECT 1\nFROM WHERE"}, "query-syntax", "q.sql", 6),
    ("undeclared-after-blank-line", {"q.sql": HEADER + "\nSELECT 1\nWHERE x = :nope"}, "query-params", "q.sql", 5),
    ("empty", {"q.sql": HEADER + "\n;\n"}, "query-empty", "q.sql", 3),
    ("bad-engine", {"q.sql": HEADER + "-- engine: postgres\nSELECT 1"}, "query-header", "q.sql", 3),
    ("variant-alone", {"q.sqlite.sql": "-- engine: sqlite\nSELECT 1"}, "query-variant", "q.sqlite.sql", None),
    ("variant-for-both", {"q.sql": HEADER + "SELECT 1", "q.sqlite.sql": "-- engine: sqlite\nSELECT 1"},
     "query-variant", "q.sqlite.sql", None),
    ("variant-no-engine", {"q.sql": HEADER + "-- engine: duckdb\nSELECT 1", "q.sqlite.sql": "SELECT 1"},
     "query-variant", "q.sqlite.sql", 1),
    ("variant-with-title", {"q.sql": HEADER + "-- engine: duckdb\nSELECT 1", "q.sqlite.sql": "-- engine: sqlite\n-- title: X\nSELECT 1"},
     "query-header", "q.sqlite.sql", 2),
    ("not-snake-case", {"Deaths-By-Month.sql": HEADER + "SELECT 1"}, "query-name", "Deaths-By-Month.sql", None),
    ("not-utf8", {"q.sql": HEADER + "SELECT '\udcff'"}, "encoding-error", "q.sql", None),
]


@pytest.mark.parametrize("defect,files,code,where,line", BAD_HEADERS, ids=[c[0] for c in BAD_HEADERS])
def test_malformed_query_file_is_an_error_naming_file_and_line(tmp_path, defect, files, code, where, line):
    folder = tmp_path / "queries"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(BrcdError) as err:
        read_folder(folder)
    assert err.value.code == code
    assert Path(err.value.file) == folder / where
    assert err.value.line == line
    assert err.value.hint


# --- parameters -------------------------------------------------------------------------------

def test_bind_types_and_defaults(tmp_path):
    q = parse_query(write(tmp_path, "near.sql", GOOD))
    typed = bind(q, {"site_id": "S", "radius_km": "12", "top": " 7 ", "flag": "yes", "since": "2025-02-03"})
    assert typed == {"radius_km": 12.0, "since": dt.date(2025, 2, 3), "site_id": "S", "label": "it's", "top": 7, "flag": True}
    assert engine_values(typed, "sqlite")["flag"] == 1 and engine_values(typed, "sqlite")["since"] == "2025-02-03"
    assert engine_values(typed, "duckdb")["flag"] is True and engine_values(typed, "duckdb")["since"] == "2025-02-03"


@pytest.mark.parametrize("values,code,words", [
    ({}, "missing-parameter", ["site_id", "string"]),
    ({"site_id": "S", "radius_km": "far"}, "bad-parameter", ["radius_km", "number"]),
    ({"site_id": "S", "radius_km": "nan"}, "bad-parameter", ["radius_km", "number"]),
    ({"site_id": "S", "top": "2.5"}, "bad-parameter", ["top", "integer"]),
    ({"site_id": "S", "since": "03/02/2025"}, "bad-parameter", ["since", "date"]),
    ({"site_id": "S", "flag": "maybe"}, "bad-parameter", ["flag", "boolean"]),
    ({"site_id": "S", "radius": "3"}, "unknown-parameter", ["radius", "radius_km (number, default 25.5)"]),
])
def test_bad_parameters_name_the_parameter_and_type(tmp_path, values, code, words):
    q = parse_query(write(tmp_path, "near.sql", GOOD))
    with pytest.raises(BrcdError) as err:
        bind(q, values)
    assert err.value.code == code
    text = err.value.one_line()
    assert all(w in text for w in words), text


# --- the command ------------------------------------------------------------------------------

def brcd(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """Run `brcd.cli.main` in-process as the console script does; return (exit code, out, err)."""
    from brcd.cli import main

    monkeypatch.setattr(sys, "argv", ["brcd", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def fixture_args(*args: str) -> list[str]:
    return [*args, "--package", str(FIXTURE), "--queries", str(REPO / "queries")]


def test_cli_formats_agree_with_the_golden(capsys, monkeypatch):
    golden = json.loads((GOLDEN / "incidents_near_sites--10km.json").read_text())
    base = fixture_args("query", "incidents_near_sites", "-p", "radius_km=10")
    code, out, _ = brcd(capsys, monkeypatch, *base, "--format", "json")
    assert code == 0
    assert [list(r.values()) for r in json.loads(out)] == golden["rows"]
    code, out, _ = brcd(capsys, monkeypatch, *base, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == golden["columns"]
    assert rows[1:] == [["" if v is None else str(v) for v in r] for r in golden["rows"]]
    code, out, _ = brcd(capsys, monkeypatch, *base, "--format", "markdown")
    assert out.splitlines()[0] == "| " + " | ".join(golden["columns"]) + " |"
    assert len(out.splitlines()) == 2 + len(golden["rows"])
    code, out, _ = brcd(capsys, monkeypatch, *base)
    assert out.splitlines()[0].split() == golden["columns"]
    assert out.splitlines()[-1] == f"({len(golden['rows'])} rows)"


def test_cli_list_names_every_query(capsys, monkeypatch):
    code, out, _ = brcd(capsys, monkeypatch, *fixture_args("query", "--list"))
    assert code == 0
    for q in QUERIES:
        assert f"{q.name}: {q.title}" in out


@pytest.mark.parametrize("args,code_word,words", [
    (["query", "deaths_by_montj"], "unknown-query", [q.name for q in QUERIES]),
    (["query", "site_timeline"], "missing-parameter", ["site_id", "string"]),
    (["query", "incidents_near_sites", "-p", "radius_km=ten"], "bad-parameter", ["radius_km", "number"]),
    (["query", "organizations_most_named", "-p", "top=many"], "bad-parameter", ["top", "integer"]),
    (["query", "deaths_by_month_district", "-p", "since=yesterday"], "bad-parameter", ["since", "date"]),
    (["query", "wave_breakdown", "-p", "radius_km"], "bad-parameter", ["key=value"]),
    (["query", "--sql", "DELETE FROM incidents"], "sql-writes", ["DELETE"]),
    (["query", "--sql", "WITH x AS (SELECT 1) INSERT INTO incidents SELECT * FROM x"], "sql-writes", ["INSERT"]),
    (["query", "--sql", "UPDATE incidents SET fatalities_best = 0"], "sql-writes", ["UPDATE"]),
    (["query", "--sql", "CREATE TABLE t AS SELECT 1"], "sql-writes", ["CREATE"]),
    (["query", "--sql", "ATTACH 'x.db' AS x"], "sql-writes", ["ATTACH"]),
    (["query", "--sql", "SELECT 1; DROP VIEW incidents"], "sql-not-select", ["2 statements"]),
    (["query", "--sql", "SELEC 1"], "sql-syntax", ["syntax"]),
    (["query", "--sql", "SELECT nope FROM incidents"], "sql-error", ["nope"]),
    (["query"], "bad-usage", ["query name or --sql"]),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, monkeypatch, args, code_word, words):
    code, out, err = brcd(capsys, monkeypatch, *fixture_args(*args))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"error[{code_word}]" in err
    assert all(w in err for w in words), err


def test_cli_sql_copy_is_refused_and_writes_nothing(capsys, monkeypatch, tmp_path):
    target = tmp_path / "out.csv"
    code, _, err = brcd(capsys, monkeypatch, *fixture_args("query", "--sql", f"COPY incidents TO '{target}'"))
    assert code == 2 and "error[sql-writes]" in err and "COPY" in err
    assert not target.exists()


def test_cli_sql_select_runs(capsys, monkeypatch):
    code, out, _ = brcd(capsys, monkeypatch, *fixture_args(
        "query", "--sql", "SELECT incident_id, is_parent FROM incidents WHERE is_parent", "--format", "csv"))
    assert code == 0
    assert out == "incident_id,is_parent\nBAL-INC-2024-0001,true\n"


def test_console_script_exits_2_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "brcd", *fixture_args("query", "no_such_query")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "error[unknown-query]" in proc.stderr
    assert "sources_per_table" in proc.stderr


def test_check_select_accepts_only_one_select():
    import duckdb

    con = duckdb.connect()
    assert check_select(con, "WITH a AS (SELECT 1 AS x) SELECT x FROM a") == "WITH a AS (SELECT 1 AS x) SELECT x FROM a"
    for sql in ("INSTALL httpfs", "SET threads = 1", "EXPORT DATABASE '/tmp/x'", "CALL pragma_version()"):
        with pytest.raises(BrcdError) as err:
            check_select(con, sql)
        assert err.value.code == "sql-writes"


# --- the built database ---------------------------------------------------------------------------

def write_built(path: Path, digest: str | None, marker: int) -> None:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE incidents AS SELECT ? AS marker", [marker])
    if digest is not None:
        con.execute("CREATE TABLE brcd_metadata (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO brcd_metadata VALUES ('inputs_digest', ?)", [digest])
    con.close()


def test_fresh_database_only_when_the_digest_matches(tmp_path):
    pkg_dir = tmp_path / "pkg"
    shutil.copytree(FIXTURE, pkg_dir)
    pkg = load_package(pkg_dir)
    db = pkg_dir / "dist" / "brcd.duckdb"
    assert fresh_database(pkg, digest=lambda p: "d1") is None
    write_built(db, "d1", 1)
    assert fresh_database(pkg, digest=lambda p: "d1") == db
    assert fresh_database(pkg, digest=lambda p: "d2") is None
    db.unlink()
    write_built(db, None, 1)
    assert fresh_database(pkg, digest=lambda p: "d1") is None


def test_cli_reads_the_built_file_when_fresh_and_the_csvs_when_stale(tmp_path, capsys, monkeypatch):
    import brcd.release.build as build_module
    pkg_dir = tmp_path / "pkg"
    shutil.copytree(FIXTURE, pkg_dir)
    write_built(pkg_dir / "dist" / "brcd.duckdb", build_module.inputs_digest(pkg_dir / "datapackage.json"), 42)
    args = ["query", "--sql", "SELECT * FROM incidents LIMIT 1", "--format", "csv", "--package", str(pkg_dir)]
    code, out, err = brcd(capsys, monkeypatch, *args)
    assert (code, out, err) == (0, "marker\n42\n", "")
    code, out, _ = brcd(capsys, monkeypatch, *args, "--csv-only")
    assert out.startswith("incident_id,")
    with (pkg_dir / "tables" / "sources.csv").open("a", encoding="utf-8") as fh:
        fh.write("SRC-0099,Added later,,,,,,news_report,,,,secondary,,\n")
    code, out, err = brcd(capsys, monkeypatch, *args)
    assert code == 0 and out.startswith("incident_id,")
    assert "not fresh" in err


# --- rendering --------------------------------------------------------------------------------

def test_renderers_keep_every_row_and_character():
    long = "x" * 500 + " | end"
    result = Result(["a", "b", "c"], [(1, None, long), (2.5, True, dt.date(2024, 1, 2))])
    table = render_table(result)
    assert long in table and table.endswith("(2 rows)\n")
    assert "2024-01-02" in table and "true" in table
    assert list(csv.reader(io.StringIO(render_csv(result))))[1:] == [["1", "", long], ["2.5", "true", "2024-01-02"]]
    assert json.loads(render_json(result)) == [{"a": 1, "b": None, "c": long}, {"a": 2.5, "b": True, "c": "2024-01-02"}]
    md = render_markdown(result).splitlines()
    assert len(md) == 4 and "x" * 500 + " \\| end" in md[2]
