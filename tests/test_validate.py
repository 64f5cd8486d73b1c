"""`brcd validate`: one fixture per rule, named after its defect, each asserting the exact
(resource, line, field, code) of what it must report; the report's formats and exit codes;
the synthetic generator's injected errors found at their lines; the real package valid."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from brcd.errors import BrcdError
from brcd.report import HINTS, Report, render_github, render_text
from brcd.validate import validate_package

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
DEFECTS = sorted(d.name for d in FIXTURES.iterdir() if d.is_dir() and d.name != "base")
sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))


def build(name: str, dest: Path) -> Path:
    """The base fixture package with the defect's files laid over it; returns its folder."""
    shutil.copytree(FIXTURES / "base", dest)
    for src in (FIXTURES / name).rglob("*"):
        rel = src.relative_to(FIXTURES / name)
        if src.is_dir() or rel.name in ("expected.json", "fix.json"):
            continue
        if rel.name.endswith(".delete"):
            (dest / rel.parent / rel.name[: -len(".delete")]).unlink()
        else:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / rel)
    return dest


def located(report: Report) -> list[tuple]:
    return sorted(((e.resource, e.line, e.field, e.code) for e in report.errors), key=_key)


def _key(t: tuple) -> tuple:
    return tuple("" if v is None else str(v).zfill(8) if isinstance(v, int) else v for v in t)


def brcd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brcd", *args], capture_output=True, text=True, cwd=cwd)


def test_the_base_fixture_is_valid(tmp_path):
    report = validate_package(shutil.copytree(FIXTURES / "base", tmp_path / "pkg"))
    assert report.valid, located(report)


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_is_reported_where_it_is(defect, tmp_path):
    expected = sorted((tuple(e) for e in json.loads((FIXTURES / defect / "expected.json").read_text())), key=_key)
    report = validate_package(build(defect, tmp_path / "pkg"))
    assert located(report) == expected
    assert report.valid == (not expected)
    assert report.error_count == len(expected)
    for e in report.errors:
        assert e.code in HINTS and e.message


FIXED = sorted(d for d in DEFECTS if (FIXTURES / d / "fix.json").exists())


@pytest.mark.parametrize("defect", FIXED)
def test_a_rule_fixture_passes_once_its_defect_is_fixed(defect, tmp_path):
    """The fixtures of the rules that keep the data right (issue 14): each fails with its
    rule's code, and passes once the one cell of `fix.json` is set right: the rule, not
    something else in the fixture, is what fails."""
    fix = json.loads((FIXTURES / defect / "fix.json").read_text())
    pkg = build(defect, tmp_path / "pkg")
    path = pkg / fix["file"]
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[fix["line"] - 1].split(",")
    assert cells[header.index(fix["field"])] != fix["value"]
    cells[header.index(fix["field"])] = fix["value"]
    lines[fix["line"] - 1] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    report = validate_package(pkg)
    assert report.valid, located(report)


@pytest.mark.parametrize("defect", DEFECTS)
def test_files_read_in_slices_give_the_same_report(defect, tmp_path, monkeypatch):
    """Big files are not held whole but read a slice at a time (their head checked first, and
    carriage returns and bytes that are not UTF-8 found slice by slice); every defect must be
    found there exactly as in a file read whole."""
    import brcd.validate.structure as structure

    pkg = build(defect, tmp_path / "pkg")
    whole = validate_package(pkg)
    monkeypatch.setattr(structure, "STREAM_BYTES", 1)
    sliced = validate_package(pkg)
    assert [e.to_dict() for e in sliced.errors] == [e.to_dict() for e in whole.errors]


def test_the_real_package_is_valid(repo_root):
    report = validate_package(repo_root)
    assert report.valid, [(e.resource, e.line, e.field, e.code, e.message) for e in report.errors[:20]]


def test_cli_exit_codes_and_json_shape(tmp_path):
    pkg = build("fatalities-low-above-best", tmp_path / "pkg")
    out = brcd("validate", str(pkg), "--format", "json")
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == ["ok", "exit_code", "valid", "error_count", "truncated", "errors"]
    assert data["ok"] is False and data["exit_code"] == 1
    assert data["valid"] is False and data["error_count"] == 1 and data["truncated"] is False
    (err,) = data["errors"]
    assert list(err) == ["code", "resource", "path", "line", "row", "field", "column", "value", "message", "hint"]
    assert err["hint"] == HINTS["fatalities-order"]
    assert (err["code"], err["path"], err["line"], err["row"], err["field"], err["column"], err["value"]) == \
        ("fatalities-order", "tables/incidents.csv", 3, 2, "fatalities_low", 13, "4")
    ok = brcd("validate", str(shutil.copytree(FIXTURES / "base", tmp_path / "ok")))
    assert ok.returncode == 0 and "valid" in ok.stdout


@pytest.mark.parametrize("breakage, code", [
    ("{not json", "json-error"),
    ('{"resources": [{"name": "x", "path": "tables/x.csv", "schema": {"fields": "nope"}}]}', "schema-error"),
])
def test_an_unreadable_package_is_one_line_and_exit_2(tmp_path, breakage, code):
    (tmp_path / "datapackage.json").write_text(breakage)
    out = brcd("validate", str(tmp_path))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and f"error[{code}]" in out.stderr and "Traceback" not in out.stderr
    with pytest.raises(BrcdError):
        validate_package(tmp_path)


@pytest.mark.parametrize("field, constraint, value", [
    ("incident_id", "pattern", "^(BAL"), ("fatalities_best", "enum", ["a", "b"]), ("event_date", "minimum", "soon"),
])
def test_a_constraint_that_cannot_apply_is_a_broken_schema(tmp_path, field, constraint, value):
    pkg = shutil.copytree(FIXTURES / "base", tmp_path / "pkg")
    descriptor = json.loads((pkg / "datapackage.json").read_text())
    incidents = next(r for r in descriptor["resources"] if r["name"] == "incidents")
    next(f for f in incidents["schema"]["fields"] if f["name"] == field).setdefault("constraints", {})[constraint] = value
    (pkg / "datapackage.json").write_text(json.dumps(descriptor))
    out = brcd("validate", str(pkg))
    assert out.returncode == 2 and "error[schema-error]" in out.stderr and field in out.stderr
    assert "Traceback" not in out.stderr


def test_a_failing_check_is_reported_not_raised(tmp_path, monkeypatch):
    import brcd.validate as validate

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(validate, "check_unique", broken)  # patched where the engine looks it up
    report = validate_package(shutil.copytree(FIXTURES / "base", tmp_path / "pkg"))
    assert {e.code for e in report.errors} == {"check-error"} and not report.valid
    assert "boom" in report.errors[0].message


def test_the_cli_reports_profile_errors_from_its_helper_process(tmp_path):
    pkg = build("descriptor-profile-error", tmp_path / "pkg")
    data = json.loads(brcd("validate", str(pkg), "--format", "json").stdout)
    assert [(e["code"], e["path"]) for e in data["errors"]] == [("package-error", "datapackage.json")]
    assert "licenses" in data["errors"][0]["message"]


def test_a_missing_descriptor_exits_2(tmp_path):
    out = brcd("validate", str(tmp_path / "nowhere"))
    assert out.returncode == 2 and "error[file-missing]" in out.stderr


def test_max_errors_says_the_list_is_cut_in_every_format(tmp_path):
    pkg = build("date-minimum-violation", tmp_path / "pkg")  # two errors
    report = validate_package(pkg, max_errors=1)
    assert report.truncated and report.error_count == 2 and len(report.errors) == 1
    assert "only the first 1" in render_text(report)
    assert "::warning" in render_github(report) and "only the first 1" in render_github(report)
    data = json.loads(brcd("validate", str(pkg), "--format", "json", "--max-errors", "1").stdout)
    assert data["truncated"] is True and data["error_count"] == 2 and len(data["errors"]) == 1
    assert validate_package(pkg).truncated is False


def test_text_is_one_line_per_error_with_its_place_and_fix(tmp_path):
    pkg = build("dangling-statement-in-list", tmp_path / "pkg")
    text = brcd("validate", str(pkg)).stdout
    assert "tables/statements.csv:3:" in text and "error[foreign-key]: contradicted_by_ids:" in text
    assert f"Fix: {HINTS['foreign-key']}" in text


def test_github_annotations_point_at_the_line_and_column(tmp_path):
    pkg = build("leading-space", tmp_path / "pkg")
    out = brcd("validate", str(pkg), "--format", "github").stdout.splitlines()
    assert out[0].startswith("::error file=tables/incidents.csv,line=4,col=9,title=whitespace::")


def test_crlf_hash_mismatch_is_explained(package_copy):
    descriptor = json.loads(package_copy.read_text())
    res = descriptor["resources"][0]
    path = package_copy.parent / res["path"]
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    report = validate_package(package_copy)
    codes = {(e.resource, e.code) for e in report.errors}
    assert (res["name"], "hash-count") in codes and (res["name"], "line-ending") in codes
    hash_error = next(e for e in report.errors if e.code == "hash-count")
    assert "CRLF" in hash_error.message


@pytest.mark.parametrize("slices", ["one slice", "many small slices", "many slices read from the file"])
def test_every_injected_error_is_found_at_its_line(tmp_path, monkeypatch, slices):
    import brcd.digest as digest
    import brcd.validate.records as records
    import brcd.validate.structure as structure
    from synth import write_package

    if slices != "one slice":  # slice boundaries inside the table, keys checked across them
        monkeypatch.setattr(records, "CHUNK_BYTES", 20_000)
    if slices == "many slices read from the file":  # slices read while the hash still reads
        monkeypatch.setattr(structure, "STREAM_BYTES", 1)
        monkeypatch.setattr(digest, "CHUNK", 8192)
    descriptor, injected = write_package(tmp_path / "synth", 3000, seed=7, inject_errors=True)
    report = validate_package(descriptor)
    assert {(e.code, e.line, e.field) for e in report.errors} == {(e["code"], e["line"], e["field"]) for e in injected}
    clean, none = write_package(tmp_path / "clean", 3000, seed=7)
    assert none == [] and validate_package(clean).valid


def test_error_count_is_exact_when_the_list_is_cut(tmp_path):
    from synth import write_package

    descriptor, injected = write_package(tmp_path / "synth", 2000, seed=1, inject_errors=True)
    full = validate_package(descriptor)
    cut = validate_package(descriptor, max_errors=5)
    assert cut.error_count == full.error_count == len(injected)
    assert [e.line for e in cut.errors] == [e.line for e in full.errors[:5]]


def test_brcd_help_imports_no_heavy_library():
    code = ("import sys, brcd.cli; heavy = {'polars', 'pandera', 'duckdb', 'frictionless', 'shapely', 'pyarrow'};"
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_few_value_checks_report_values_first_seen_or_seen_again_on_later_slices():
    """Slices of one table share `plan`: a value checked on an earlier slice is not checked
    again, yet every slice still reports each of its rows holding a bad value."""
    import polars as pl

    from brcd.package import Resource
    from brcd.validate.models import failures

    fields = [{"name": "code", "constraints": {"pattern": "[A-Z]+", "maxLength": 3}},
              {"name": "kind", "constraints": {"enum": ["a", "b"]}}]
    resource = Resource("t", {"path": "t.csv"}, Path("."), {"fields": fields}, None)
    slices = [pl.DataFrame({"code": ["AB", "x", None] * 500, "kind": ["a", "b", "c"] * 500}),
              pl.DataFrame({"code": ["AB", "ABCD", "x"] * 500, "kind": ["a", "a", "b"] * 500}),
              pl.DataFrame({"code": ["ab1"] * 1500, "kind": ["c"] * 1500})]
    plan: dict = {}
    for frame in slices:
        shared = {(f, t): list(r) for _, f, t, r in failures(resource, frame, frame, plan=plan)}
        row_by_row = {(f, t): list(r) for _, f, t, r in failures(resource, frame, frame, distinct_share=0.0)}
        assert shared == row_by_row and shared
    assert plan["few"] == ["code", "kind"]
    assert sorted(plan["seen"]["code"].to_list()) == ["AB", "ABCD", "ab1", "x"]
    assert plan["bad"]["code", "maxLength"].to_list() == ["ABCD"]


@pytest.mark.parametrize("distinct", ["few distinct values", "every value distinct"])
def test_text_checks_find_the_same_cells_by_distinct_value_or_row_by_row(distinct):
    import polars as pl

    from brcd.validate.cells import _text_failures

    cells = [" lead", "=SUM(A1)", "fine", None, "trail\t", "+plain", "@x", "-1"] * 300
    if distinct == "every value distinct":  # a number added where it keeps the cell's defect
        cells = [c if c is None else f"{i}{c}" if c.endswith("\t") else f"{c}{i}" for i, c in enumerate(cells)]
    formula, spaces = _text_failures(pl.Series("t", cells))
    assert list(formula) == [c is not None and c.startswith(("=S", "+p", "@x")) for c in cells]
    assert list(spaces) == [c is not None and c != c.strip() for c in cells]


def _one_table_package(dest: Path, schema: dict, rows: list[list[str]]) -> Path:
    """A package of one table `things` with the given schema and rows (no hash to keep)."""
    import csv as csv_module

    (dest / "tables").mkdir(parents=True)
    with open(dest / "tables" / "things.csv", "w", newline="", encoding="utf-8") as f:
        csv_module.writer(f, lineterminator="\n").writerows([[fl["name"] for fl in schema["fields"]], *rows])
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json",  # (exclusive bounds, uniqueKeys)
                  "name": "things", "resources": [{"name": "things", "path": "tables/things.csv", "format": "csv",
                                                   "encoding": "utf-8", "schema": schema}]}
    (dest / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return dest


def test_exclusive_bounds_string_formats_and_unique_keys(tmp_path):
    """Table Schema constraints no BRCD schema uses yet are still checked when a schema gains
    them: exclusive bounds, the email/uri/uuid/binary string formats and `uniqueKeys`."""
    schema = {"fields": [
        {"name": "id", "type": "string"},
        {"name": "score", "type": "integer", "constraints": {"exclusiveMinimum": 0, "exclusiveMaximum": 10}},
        {"name": "ratio", "type": "number", "constraints": {"exclusiveMaximum": 1}},
        {"name": "contact", "type": "string", "format": "email"},
        {"name": "link", "type": "string", "format": "uri"},
        {"name": "token", "type": "string", "format": "uuid"},
        {"name": "blob", "type": "string", "format": "binary"},
        {"name": "place", "type": "string"},
        {"name": "day", "type": "string"},
    ], "primaryKey": ["id"], "uniqueKeys": [["place", "day"]]}
    good = ["a@b.org", "https://example.org/x", "123e4567-e89b-12d3-a456-426614174000", "aGk="]
    rows = [
        ["r1", "5", "0.5", *good, "Quetta", "2020-01-01"],
        ["r2", "0", "0.5", *good, "Quetta", "2020-01-02"],       # score not above 0
        ["r3", "10", "1", *good, "Gwadar", "2020-01-01"],        # score not below 10, ratio not below 1
        ["r4", "9", "0.9", "not an email", "example.org", "123", "a", "Quetta", "2020-01-01"],  # formats; repeats r1's place+day
        ["r5", "1", "0", *good, "", "2020-01-01"],               # an empty part of a unique key repeats nothing
        ["r6", "1", "0", *good, "", "2020-01-01"],
    ]
    report = validate_package(_one_table_package(tmp_path / "pkg", schema, rows))
    got = {(e.line, e.field, e.code) for e in report.errors}
    assert got == {(3, "score", "constraint-error"), (4, "score", "constraint-error"), (4, "ratio", "constraint-error"),
                   (5, "contact", "type-error"), (5, "link", "type-error"), (5, "token", "type-error"),
                   (5, "blob", "type-error"), (5, "place", "unique-error")}, report.errors
    repeat = next(e for e in report.errors if e.code == "unique-error")
    assert "line 2" in repeat.message and "place, day" in repeat.message


def test_a_date_format_it_cannot_read_is_refused_and_a_pattern_is_read(tmp_path):
    """Table Schema's "any" (any form a library can guess) is refused, one line and exit 2;
    a strftime pattern is read as written."""
    schema = {"fields": [{"name": "id", "type": "string"}, {"name": "day", "type": "date", "format": "any"}]}
    pkg = _one_table_package(tmp_path / "pkg", schema, [["r1", "01/02/2020"]])
    out = brcd("validate", str(pkg))
    assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.count("\n") == 1
    assert "error[unsupported-feature]" in out.stderr and "format 'any'" in out.stderr and "day" in out.stderr
    schema["fields"][1]["format"] = "%d/%m/%Y"
    pkg = _one_table_package(tmp_path / "pkg2", schema, [["r1", "01/02/2020"], ["r2", "2020-02-01"]])
    report = validate_package(pkg)
    assert [(e.line, e.field, e.code) for e in report.errors] == [(3, "day", "type-error")]


def _pandera_failures(schema, frame) -> dict:
    """What pandera's own `validate` lists: failing rows by (column, check)."""
    import pandera.polars as pa
    import polars as pl

    try:
        schema.validate(frame, lazy=True)
        return {}
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    groups = cases.filter(pl.col("index").is_not_null()).group_by(["column", "check"]).agg(pl.col("index"))
    return {(column, check): sorted(index) for column, check, index in groups.iter_rows()}


def test_the_model_runner_fails_the_rows_pandera_validate_fails():
    """`evaluate` runs a generated model's checks in one query, not through pandera's
    `validate`; check by check (NaN against bounds, every constraint, nulls that pass, a
    declared row rule) it must fail exactly the rows that `validate` lists."""
    import polars as pl

    from brcd.package import Resource
    from brcd.validate.models import evaluate, table_schema

    fields = [
        {"name": "code", "type": "string", "constraints": {"required": True, "pattern": "[A-Z]{3}-[0-9]+", "maxLength": 6}},
        {"name": "kind", "type": "string", "constraints": {"enum": ["a", "bb"], "minLength": 2}},
        {"name": "day", "type": "date", "constraints": {"minimum": "1950-01-01", "maximum": "2020-12-31"}},
        {"name": "share", "type": "number", "constraints": {"required": True, "exclusiveMinimum": 0, "exclusiveMaximum": 1}},
        {"name": "fatalities_low", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "fatalities_best", "type": "integer", "constraints": {"maximum": 100}},
        {"name": "fatalities_high", "type": "integer"},
    ]
    rules = [{"rule": "fatalities-order", "fields": {"low": "fatalities_low", "best": "fatalities_best",
                                                     "high": "fatalities_high"}}]
    resource = Resource("incidents", {"path": "t.csv"}, Path("."), {"fields": fields, "brcd:rules": rules}, None)
    schema = table_schema(resource)
    day = pl.Series(["2000-01-01", "1949-12-31", None, "2021-01-01", "2020-12-31", "1990-05-05"]).str.to_date()
    frame = pl.DataFrame({
        "code": ["ABC-1", "abc-1", None, "ABC-12", "ABC-123", "ABC-9"],
        "kind": ["a", "bb", None, "c", "a", "bb"],
        "day": day,
        "share": [0.5, 0.0, float("nan"), None, 1.0, 0.99],
        "fatalities_low": [0, -1, None, 5, 3, 1],
        "fatalities_best": [1, 2, 3, 4, 101, 1],
        "fatalities_high": [2, 2, 3, 6, 101, 0],
    })
    want = _pandera_failures(schema, frame)
    got = {tag: list(rows) for tag, rows in evaluate(schema, frame).items()}
    assert got == want
    assert {check for _, check in got} >= {"pattern", "maxLength", "enum", "minLength", "minimum",
                                          "maximum", "exclusiveMinimum", "exclusiveMaximum", "rule:fatalities-order"}
    # NaN is within no bound (polars orders it above every number); a null passes
    assert got[("share", "exclusiveMinimum")] == [1, 2] and got[("kind", "enum")] == [3]


def test_a_typed_frame_that_does_not_fit_its_model_is_a_check_error():
    """A column of another dtype than the model's is a bug in our typed frame, and a check
    that does not answer row by row a bug in the model: `evaluate` raises (the run reports a
    check-error); it does not compare the wrong values or pass the rows unchecked."""
    import pandera.polars as pa
    import polars as pl

    from brcd.package import Resource
    from brcd.validate.models import evaluate, table_schema

    fields = [{"name": "n", "type": "integer", "constraints": {"minimum": 0}}]
    schema = table_schema(Resource("t", {"path": "t.csv"}, Path("."), {"fields": fields}, None))
    assert {tag: list(rows) for tag, rows in evaluate(schema, pl.DataFrame({"n": [1, -2]})).items()} == {("n", "minimum"): [1]}
    with pytest.raises(TypeError, match="'n' is String"):
        evaluate(schema, pl.DataFrame({"n": ["1", "-2"]}))
    with pytest.raises(KeyError, match="'n'"):
        evaluate(schema, pl.DataFrame({"m": [1]}))
    # a check that answers once for the whole frame, not row by row, is not quietly passed
    whole = pa.DataFrameSchema(schema.columns, checks=[pa.Check(lambda data: data.lazyframe.select(pl.col("n").min() >= 0))])
    with pytest.raises(pl.exceptions.ShapeError):
        evaluate(whole, pl.DataFrame({"n": [1, -2]}))


@pytest.mark.parametrize("seed", range(40))
def test_repeated_keys_found_through_hashes_are_the_later_copies(seed):
    """`keys.later_copies` hashes keys before it compares them; on keys of one or two columns,
    strings or categoricals, with empty cells and rows left out, it must find exactly the rows
    whose key repeats one above (what one `is_first_distinct` over the values finds), and the
    first row of each such key."""
    import random

    import polars as pl

    from brcd.validate.keys import later_copies

    rng = random.Random(seed)
    n = rng.choice([0, 1, 5, 50, 400])
    pool = [None] + [f"K-{i}" for i in range(rng.choice([1, 3, 30, 1000]))]
    frame = pl.DataFrame({"a": [rng.choice(pool) for _ in range(n)], "b": [rng.choice(pool[:4]) for _ in range(n)]},
                         schema={"a": pl.Utf8, "b": pl.Utf8})
    if seed % 3 == 0:
        frame = frame.with_columns(pl.col("a").cast(pl.Categorical))
    if seed % 4 == 1 and n > 2:  # several chunks, as the kept columns of many slices are
        frame = pl.concat([frame[: n // 2], frame[n // 2:]], rechunk=False)
    ok = pl.Series([rng.random() > 0.1 for _ in range(n)], dtype=pl.Boolean)
    cols = ["a"] if seed % 2 else ["a", "b"]
    key = pl.struct(cols) if len(cols) > 1 else pl.col("a")
    present = pl.all_horizontal(pl.col(c).is_not_null() for c in cols) & pl.lit(ok)
    shown = frame.with_row_index("_i").filter(present)
    shown = shown.with_columns(pl.col("_i").first().over(cols).alias("_first"))
    want = shown.filter(~shown.select(key.is_first_distinct()).to_series())
    rows, first = later_copies(frame, cols, ok)
    assert rows.tolist() == want["_i"].to_list() and first.tolist() == want["_first"].to_list()


def test_a_ragged_row_is_not_the_first_copy_of_a_key(tmp_path):
    """A ragged row's cells are misaligned: its id is reported as ragged, and a later row with
    the same id is not a repeat of it (nor pointed at as the first copy)."""
    schema = {"fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}], "primaryKey": ["id"]}
    pkg = _one_table_package(tmp_path / "pkg", schema, [["a", "1", "extra"], ["a", "2"], ["b", "3"], ["a", "4"]])
    report = validate_package(pkg)
    got = [(e.line, e.code, e.message) for e in report.errors]
    assert [(line, code) for line, code, _ in got] == [(2, "extra-cell"), (5, "primary-key")], got
    assert "line 3" in got[1][2]


def test_key_checks_of_several_tables_are_all_reported(tmp_path):
    """The key checks of all tables run two at a time: the issues of each come back, exactly
    counted, whichever finishes first."""
    pkg = build("duplicate-primary-key", tmp_path / "pkg")
    want = json.loads((FIXTURES / "duplicate-primary-key" / "expected.json").read_text())
    for defect in ("duplicate-unique-value", "dangling-statement-in-list"):
        for src in (FIXTURES / defect / "tables").iterdir():
            shutil.copyfile(src, pkg / "tables" / src.name)
        want += json.loads((FIXTURES / defect / "expected.json").read_text())
    report = validate_package(pkg)
    assert located(report) == sorted(map(tuple, want), key=_key)
    cut = validate_package(pkg, max_errors=1)
    assert cut.error_count == 3 and len(cut.errors) == 1


def test_points_far_from_their_district_are_those_the_haversine_finds():
    """`far_from_district` measures only points whose meridian-then-parallel path is longer
    than the radius; it must flag exactly the points the haversine distance flags, on points
    at all distances (many just inside or outside the radius), with empty coordinates."""
    import math
    import random

    import numpy as np
    import polars as pl

    from brcd import geo
    from brcd.validate.checks import RULES, Binding, near_district

    rng = random.Random(7)
    rows = []
    for _ in range(3000):
        dlat, dlon, radius = rng.uniform(25.5, 31.5), rng.uniform(61.5, 69.5), rng.choice([25.0, 60.0, 150.0, 300.0])
        km = radius * rng.choice([rng.uniform(0, 3), 1 - 1e-6, 1 + 1e-6, rng.uniform(0.98, 1.02)])
        bearing = rng.uniform(0, 2 * math.pi)
        lat = dlat + km / geo.EARTH_RADIUS_KM * math.cos(bearing) * 180 / math.pi
        lon = dlon + km / geo.EARTH_RADIUS_KM * math.sin(bearing) * 180 / math.pi / math.cos(math.radians(dlat))
        rows.append([None if rng.random() < 0.03 else lat, lon, dlat, None if rng.random() < 0.03 else dlon, radius])
    names = ["latitude", "longitude", "_ref_lat", "_ref_lon", "_ref_radius"]
    frame = pl.DataFrame(rows, schema={n: pl.Float64 for n in names}, orient="row")
    lat, lon, dlat, dlon, radius = (frame[n].to_numpy() for n in names)
    dist = geo.haversine_km(lat, lon, dlat, dlon)
    with np.errstate(invalid="ignore"):
        want = (dist > radius) & ~np.isnan(dist)
    want[want] = geo.inside_province(lon[want], lat[want])
    rule = Binding(RULES["point-far-from-district"], "t", {"lat": "latitude", "lon": "longitude", "district": "d"})
    got = near_district(rule, frame)["latitude"].to_numpy()
    assert 200 < want.sum() < 2800 and (got == want).all()


def test_the_grid_of_interior_cells_agrees_with_the_outline():
    """`inside_province` settles points in grid cells wholly inside the boundary without the
    outline; on points all over the box and within metres of the outline (and of cell edges),
    it must answer as the outline test alone does."""
    import numpy as np
    import shapely

    from brcd import geo

    geom, wide = geo.province()
    west, south, east, north = geom.bounds
    rng = np.random.default_rng(3)
    edge = shapely.get_coordinates(geom.boundary)
    near = edge[rng.integers(0, len(edge), 20000)] + rng.normal(0, 0.02, (20000, 2))
    cell_edges = np.column_stack([west + rng.integers(0, 95, 5000) * geo.CELL_DEG + rng.choice([-1e-12, 0, 1e-12], 5000),
                                  rng.uniform(south, north, 5000)])
    spread = np.column_stack([rng.uniform(west - 1, east + 1, 20000), rng.uniform(south - 1, north + 1, 20000)])
    lon, lat = np.vstack([near, cell_edges, spread]).T
    outline = shapely.contains_xy(geom, lon, lat) | shapely.contains_xy(wide, lon, lat)
    west, south, cells = geo.interior_cells()
    assert cells.sum() > 2000  # the grid settles most of the province
    assert (geo.inside_province(lon, lat) == outline).all()
    assert not geo.inside_province(np.array([np.nan]), np.array([28.0])).any()
