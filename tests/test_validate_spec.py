"""Table Schema as the spec says, in `brcd validate`: one regression test per silent pass or
crash issue 15 found (keys compared as raw text, missing values ignored, bounds on datetimes
crashing, a composite foreign key over a categorical column crashing) and the refusals at
load of what brcd does not read (exit 2, one line naming the feature)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from brcd.errors import BrcdError
from brcd.validate import validate_package
from tablepkg import write_package


def errors(pkg: Path) -> list[tuple]:
    return sorted((e.resource, e.line, e.field, e.code) for e in validate_package(pkg).errors)


def table(*fields: dict, **schema: object) -> dict:
    return {"fields": list(fields), **schema}


def test_integer_keys_are_compared_as_integers(tmp_path):
    schema = table({"name": "id", "type": "integer"}, {"name": "n", "type": "string"}, primaryKey=["id"])
    pkg = write_package(tmp_path / "p", {"t": (schema, [["1", "a"], ["01", "b"], ["+1", "c"], ["2", "d"]])})
    assert errors(pkg) == [("t", 3, "id", "primary-key"), ("t", 4, "id", "primary-key")]


def test_unique_numbers_are_compared_as_numbers(tmp_path):
    schema = table({"name": "x", "type": "number", "constraints": {"unique": True}})
    pkg = write_package(tmp_path / "p", {"t": (schema, [["1"], ["1.0"], ["01"], ["1.5"], ["NaN"]])})
    assert errors(pkg) == [("t", 3, "x", "unique-error"), ("t", 4, "x", "unique-error")]


def test_an_empty_primary_key_cell_is_an_error(tmp_path):
    schema = table({"name": "a", "type": "string"}, {"name": "b", "type": "integer"}, primaryKey=["a", "b"])
    pkg = write_package(tmp_path / "p", {"t": (schema, [["x", "1"], ["", "2"], ["y", ""], ["x", "01"]])})
    assert errors(pkg) == [("t", 3, "a", "primary-key"), ("t", 4, "b", "primary-key"), ("t", 5, "a", "primary-key")]


def test_a_foreign_key_finds_the_same_value_written_otherwise(tmp_path):
    parent = table({"name": "id", "type": "integer"}, primaryKey=["id"])
    child = table({"name": "ref", "type": "integer"},
                  foreignKeys=[{"fields": ["ref"], "reference": {"resource": "parent", "fields": ["id"]}}])
    pkg = write_package(tmp_path / "p", {"parent": (parent, [["1"], ["2"]]), "child": (child, [["01"], ["+2"], ["3"]])})
    assert errors(pkg) == [("child", 4, "ref", "foreign-key")]


def test_a_composite_foreign_key_over_foreign_key_columns(tmp_path):
    """Columns that are themselves single foreign keys are kept compact (categorical); a
    composite key over them once crashed the join (str against categorical)."""
    places = table({"name": "id", "type": "string"}, primaryKey=["id"])
    routes = table({"name": "a", "type": "string"}, {"name": "b", "type": "string"}, primaryKey=["a", "b"],
                   foreignKeys=[{"fields": ["a"], "reference": {"resource": "places", "fields": ["id"]}},
                                {"fields": ["b"], "reference": {"resource": "places", "fields": ["id"]}}])
    trips = table({"name": "from", "type": "string"}, {"name": "to", "type": "string"},
                  foreignKeys=[{"fields": ["from"], "reference": {"resource": "places", "fields": ["id"]}},
                               {"fields": ["to"], "reference": {"resource": "places", "fields": ["id"]}},
                               {"fields": ["from", "to"], "reference": {"resource": "routes", "fields": ["a", "b"]}}])
    pkg = write_package(tmp_path / "p", {
        "places": (places, [["x"], ["y"], ["z"]]), "routes": (routes, [["x", "y"], ["y", "z"]]),
        "trips": (trips, [["x", "y"], ["y", "z"], ["x", "z"], ["x", ""]])})
    assert errors(pkg) == [("trips", 4, "from", "foreign-key")]


def test_unique_keys_and_a_self_reference(tmp_path):
    schema = table({"name": "id", "type": "integer"}, {"name": "a", "type": "string"}, {"name": "b", "type": "integer"},
                   {"name": "parent", "type": "integer"}, primaryKey=["id"], uniqueKeys=[["a", "b"]],
                   foreignKeys=[{"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}])
    pkg = write_package(tmp_path / "p", {"t": (schema, [["1", "x", "1", ""], ["2", "x", "01", "1"], ["3", "x", "", "9"]])})
    assert errors(pkg) == [("t", 3, "a", "unique-error"), ("t", 4, "parent", "foreign-key")]


def test_missing_values_and_a_quoted_empty_cell(tmp_path):
    schema = table({"name": "s", "type": "string", "constraints": {"required": True}},
                   {"name": "n", "type": "integer", "constraints": {"required": True}}, missingValues=["", "NA"])
    text = 's,n\n"",1\nx,NA\nNA,2\nok,3\n'
    pkg = write_package(tmp_path / "p", {"t": (schema, text)})
    assert errors(pkg) == [("t", 2, "s", "constraint-error"), ("t", 3, "n", "constraint-error"),
                           ("t", 4, "s", "constraint-error")]
    # without "" among the missing values, an empty cell is a value: a string "", not an integer
    schema["missingValues"] = ["NA"]
    pkg = write_package(tmp_path / "q", {"t": (schema, 's,n\n,1\nx,\n')})
    assert errors(pkg) == [("t", 3, "n", "type-error")]


def test_bounds_on_datetimes_and_times_are_checked_not_crashed(tmp_path):
    schema = table({"name": "at", "type": "datetime", "constraints": {"minimum": "2020-01-01T00:00:00Z"}},
                   {"name": "clock", "type": "time", "constraints": {"maximum": "18:00:00"}})
    rows = [["2020-01-01T00:00:00Z", "18:00:00"], ["2020-01-01T04:00:00+05:00", "19:00:00+02:00"],
            ["2019-12-31T23:00:00", "18:00:01"], ["2016-12-31T23:59:60Z", "23:59:60"]]
    pkg = write_package(tmp_path / "p", {"t": (schema, rows)})
    assert errors(pkg) == [("t", 3, "at", "constraint-error"), ("t", 4, "at", "constraint-error"),
                           ("t", 4, "clock", "constraint-error"), ("t", 5, "at", "constraint-error")]


def test_numbers_read_as_the_schema_writes_them(tmp_path):
    schema = table({"name": "x", "type": "number", "decimalChar": ",", "groupChar": ".",
                    "constraints": {"maximum": 1000}},
                   {"name": "y", "type": "number", "bareNumber": False},
                   {"name": "z", "type": "number"}, {"name": "big", "type": "integer", "constraints": {"minimum": 0}})
    rows = [["1.000,0", "€12", "NaN", "99999999999999999999"], ["1.000,5", "12%", "-INF", "-99999999999999999999"],
            ["1,0,5", "x", "1e3", "1"]]
    pkg = write_package(tmp_path / "p", {"t": (schema, rows)})
    assert errors(pkg) == [("t", 3, "big", "constraint-error"), ("t", 3, "x", "constraint-error"),
                           ("t", 4, "x", "type-error"), ("t", 4, "y", "type-error")]


def test_every_type_is_checked(tmp_path):
    kinds = [("duration", "P1Y2M", "P1M1Y"), ("geopoint", "62.3, 25.1", "181,90"), ("object", '{"a": 1}', "[1]"),
             ("array", "[1]", "string"), ("geojson", '{"type": "Point", "coordinates": [1, 2]}', "{}"),
             ("list", "a,b", None), ("year", "2024", "24"), ("yearmonth", "2024-02", "2024-2")]
    schema = table(*({"name": k, "type": k} for k, _, _ in kinds),
                   {"name": "items", "type": "array", "constraints": {"minLength": 2}})
    good = [g for _, g, _ in kinds] + ['[1, 2]']
    bad = [b or "" for _, _, b in kinds] + ["[1]"]
    pkg = write_package(tmp_path / "p", {"t": (schema, [good, bad])})
    assert errors(pkg) == sorted([("t", 3, k, "type-error") for k, _, b in kinds if b] + [("t", 3, "items", "constraint-error")])


@pytest.mark.parametrize("change, words", [
    ({"dialect": {"delimiter": ";"}}, "dialect.delimiter ';'"),
    ({"dialect": {"header": False}}, "dialect.header False"),
    ({"dialect": "dialect.json"}, "dialect given by reference"),
    ({"encoding": "latin-1"}, "encoding 'latin-1'"),
    ({"format": "xlsx"}, "format 'xlsx'"),
    ({"compression": "gz"}, "compression 'gz'"),
])
def test_a_resource_read_otherwise_is_refused_in_one_line(tmp_path, change, words):
    schema = table({"name": "a", "type": "string"})
    pkg = write_package(tmp_path / "p", {"t": (schema, [["x"]])}, t=change)
    out = subprocess.run([sys.executable, "-m", "brcd", "validate", str(pkg)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "error[unsupported-feature]" in out.stderr and words in out.stderr, out.stderr


def test_the_default_dialect_written_out_is_read(tmp_path):
    schema = table({"name": "a", "type": "string"})
    dialect = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True, "lineTerminator": "\n"}
    pkg = write_package(tmp_path / "p", {"t": (schema, [["x"]])}, t={"dialect": dialect, "encoding": "UTF-8"})
    assert errors(pkg) == []


@pytest.mark.parametrize("schema, code, words", [
    (table({"name": "a"}, fieldsMatch="subset"), "unsupported-feature", "fieldsMatch 'subset'"),
    (table({"name": "a"}, foreignKeys=[{"fields": ["a"], "reference": {"resource": "nowhere", "fields": ["id"]}}]),
     "schema-error", "'nowhere'"),
    (table({"name": "a"}, foreignKeys=[{"fields": ["a"], "reference": {"resource": "", "fields": ["b"]}}]),
     "schema-error", "refers to 'b', which is not a field of 't'"),
    (table({"name": "a"}, uniqueKeys=[["a", "b"]]), "schema-error", "uniqueKeys"),
    (table({"name": "a"}, foreignKeys=[{"fields": ["a"], "reference": {"package": "../other/datapackage.json",
                                                                        "resource": "t", "fields": ["a"]}}]),
     "unsupported-feature", "another package"),
    (table({"name": "a", "type": "string"}, **{"brcd:rules": [{"rule": "no-such-rule"}]}), "rule-error", "no-such-rule"),
    (table({"name": "a", "type": "string"}, **{"brcd:rules": [{"rule": "date-in-future", "fields": {"dates": ["a"]}}]}),
     "rule-error", "is string, not date"),
    (table({"name": "a", "type": "date"}, **{"brcd:rules": [{"rule": "date-in-future", "fields": {"dates": ["b"]}}]}),
     "rule-error", "'b' is not a column"),
    (table({"name": "a", "type": "number"}, **{"brcd:rules": [{"rule": "fatalities-order", "fields": {"low": "a"}}]}),
     "rule-error", "needs the role 'best'"),
])
def test_a_schema_feature_it_does_not_read_is_refused(tmp_path, schema, code, words):
    pkg = write_package(tmp_path / "p", {"t": (schema, [["x"]])})
    with pytest.raises(BrcdError) as info:
        validate_package(pkg)
    assert info.value.code == code and words in info.value.message, info.value.one_line()


def test_upstream_frictionless_accepts_the_rule_declarations(tmp_path):
    """`brcd:rules` is a custom property: upstream `frictionless validate` still says the
    fixture package, which declares every kind of rule, is valid."""
    import shutil

    pkg = shutil.copytree(Path(__file__).parent / "fixtures" / "validate" / "base", tmp_path / "pkg")
    out = subprocess.run(["frictionless", "validate", "--json", "datapackage.json"], capture_output=True, text=True,
                         cwd=pkg)
    import json

    assert json.loads(out.stdout)["valid"] is True, out.stdout[-2000:]


def test_categories_allow_only_their_values(tmp_path):
    schema = table({"name": "kind", "type": "string", "categories": [{"value": "a", "label": "Alpha"}, "b"]},
                   {"name": "code", "type": "integer", "categories": [1, 2]})
    pkg = write_package(tmp_path / "p", {"t": (schema, [["a", "1"], ["c", "02"], ["b", "3"]])})
    assert errors(pkg) == [("t", 3, "kind", "constraint-error"), ("t", 4, "code", "constraint-error")]
