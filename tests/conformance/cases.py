"""Table-level conformance cases, from frictionless-py's validate tests (resource, package,
checks; see NOTICE). Each case is a package (tables given as a fixture file or as the rows the
upstream test writes inline) with:

- `upstream`: what frictionless reports, in BRCD's error codes (`UPSTREAM_CODES` maps theirs),
  as a set of (table, line, code), or "valid", or "refused" (an error before any row is read);
- `spec`: what Table Schema says, the expectation BRCD is held to: the same unless a `note`
  says why BRCD deliberately differs (house rules: a header that is not the schema's fields
  stops the table; a blank row is one error; stray spaces are not trimmed) or refuses a
  feature it does not read (exit 2, never a silent pass).

Lines are physical lines (the header is line 1), frictionless' `rowNumber` in these files.
Keys are written as arrays where upstream writes Table Schema v1's single-field string form
("fields": "id"): reading that form is the descriptor reader's business, tested with it."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tablepkg import csv_text

V1 = "https://datapackage.org/profiles/1.0/datapackage.json"
V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
# frictionless code -> BRCD code
UPSTREAM_CODES = {"blank-label": "incorrect-label", "field-error": "package-error"}
HEADER_NOTE = ("BRCD reads no row of a table whose header is not the schema's fields in order (a shifted column "
               "would be misread) and says so in one more incorrect-label at line 1.")
BLANK_ROW_NOTE = "BRCD reports a blank row once (blank-row); frictionless also reports its empty key (primary-key)."
REFUSED_DIALECT = "BRCD reads the default CSV dialect only: any other dialect is refused at load (exit 2)."


@dataclass
class Case:
    id: str
    tables: dict[str, tuple[dict, Any]]        # name -> (schema, "fixture:<file>" or CSV text)
    upstream: Any                              # "valid", "refused" or a set of (table, line, code)
    spec: Any = None                           # defaults to upstream
    note: str = ""
    resources: dict[str, dict] = field(default_factory=dict)  # extra keys of a resource's descriptor
    descriptor: dict = field(default_factory=dict)             # extra keys of datapackage.json

    def __post_init__(self) -> None:
        if self.spec is None:
            self.spec = self.upstream


def rows(header: list[str], *data: list[Any]) -> str:
    return csv_text(header, [list(r) for r in data])


def schema(*fields: dict, **more: Any) -> dict:
    return {"fields": [dict(f) for f in fields], **more}


def f(name: str, ftype: str = "string", **more: Any) -> dict:
    return {"name": name, "type": ftype, **more}


TABLE = schema(f("id", "integer"), f("name"))  # what frictionless infers for table.csv
SCORES = [["row", "score"], [2, 1], [3, 2], [4, 3], [5, 4], [6]]
WORDS = [["row", "word"], [2, "a"], [3, "ab"], [4, "abc"], [5, "abcd"], [6]]
CITIES = [["id", "name", "next_id"], [1, "london", 2], [2, "paris", 3], [3, "rome", 4], [4, "rio", None]]
PEOPLE = [["label", "population"], [1, 8], [2, 2], [3, 3], [4, 6]]
CITIES_SCHEMA = schema(f("id", "integer"), f("name"), f("next_id", "integer"), foreignKeys=[
    {"fields": ["next_id"], "reference": {"resource": "", "fields": ["id"]}},
    {"fields": ["id"], "reference": {"resource": "people", "fields": ["label"]}}])
PEOPLE_SCHEMA = schema(f("label", "integer"), f("population", "integer"))  # inferred upstream
TRAVEL = [["from", "to", "hours"], [1, 2, 1.5], [2, 3, 8], [3, 4, 18]]
TRAVEL_SCHEMA = schema(f("from", "integer"), f("to", "integer"), f("hours", "number"), foreignKeys=[
    {"fields": ["from", "to"], "reference": {"resource": "cities", "fields": ["id", "next_id"]}}])


def table_rows(data: list[list[Any]]) -> str:
    return rows(data[0], *data[1:])


def fk_case(name: str, cities: list, people: list, upstream: Any, travel: bool = False, fks: bool = True) -> Case:
    city_schema = copy.deepcopy(CITIES_SCHEMA)
    if not fks:
        del city_schema["foreignKeys"]
    tables = {"cities": (city_schema, table_rows(cities)), "people": (PEOPLE_SCHEMA, table_rows(people))}
    if travel:
        tables["travel_time"] = (TRAVEL_SCHEMA, table_rows(TRAVEL))
    return Case(f"package/__spec__/test_validate.py::{name}", tables, upstream,
                note="the people table has no schema upstream: frictionless infers {label, population} integers.")


def _cities(change=None) -> list:
    data = copy.deepcopy(CITIES)
    if change:
        change(data)
    return data


R = "resource/__spec__/test_validate.py::"
RS = "resource/__spec__/test_validate_schema.py::"
RD = "resource/__spec__/test_validate_dialect.py::"
P = "package/__spec__/test_validate.py::"
C = "checks/__spec__/test_baseline.py::"
F = "schema/__spec__/field/test_constraints.py::"
TABLE_HASH = "sha256:a1fd6c5ff3494f697874deeb07f69f8667e903dd94a7bc062dd57550cea26da8"

CASES: list[Case] = [
    Case(R + "test_resource_validate", {"t": (TABLE, "fixture:table.csv")}, "valid"),
    Case(C + "test_validate_invalid", {"t": (schema(f("id", "integer"), f("name"), f("field3", "integer"),
                                                    f("name2", "integer")), "fixture:invalid.csv")},
         upstream={("t", 1, "incorrect-label"), ("t", 1, "duplicate-label"), ("t", 2, "missing-cell"),
                   ("t", 3, "missing-cell"), ("t", 4, "blank-row"), ("t", 5, "extra-cell")},
         spec={("t", 1, "incorrect-label"), ("t", 1, "duplicate-label")},
         note=HEADER_NOTE + " The schema is the one frictionless infers (field3, name2)."),
    Case(R + "test_resource_validate_defective_rows",
         {"t": (schema(f("id", "integer"), f("name"), f("age", "integer")), "fixture:defective-rows.csv")},
         {("t", 2, "missing-cell"), ("t", 3, "extra-cell")}),
    Case(R + "test_resource_validate_blank_rows",
         {"t": (schema(f("id", "integer"), f("name"), f("age", "integer")), "fixture:blank-rows.csv")},
         {("t", 4, "blank-row")}),
    Case(RS + "test_resource_validate_schema_extra_headers_and_cells",
         {"t": (schema(f("id", "integer")), "fixture:table.csv")},
         upstream={("t", 1, "extra-label")}, spec={("t", 1, "extra-label"), ("t", 1, "incorrect-label")},
         note=HEADER_NOTE),
    Case(RS + "test_resource_validate_schema_min_length_constraint",
         {"t": (schema(f("row", "integer"), f("word", constraints={"minLength": 2})), table_rows(WORDS))},
         {("t", 2, "constraint-error"), ("t", 6, "missing-cell")}),
    Case(RS + "test_resource_validate_schema_max_length_constraint",
         {"t": (schema(f("row", "integer"), f("word", constraints={"maxLength": 2})), table_rows(WORDS))},
         {("t", 4, "constraint-error"), ("t", 5, "constraint-error"), ("t", 6, "missing-cell")}),
    Case(RS + "test_resource_validate_schema_minimum_constraint",
         {"t": (schema(f("row", "integer"), f("score", "integer", constraints={"minimum": 2})), table_rows(SCORES))},
         {("t", 2, "constraint-error"), ("t", 6, "missing-cell")}),
    Case(RS + "test_resource_validate_schema_maximum_constraint",
         {"t": (schema(f("row", "integer"), f("score", "integer", constraints={"maximum": 2})), table_rows(SCORES))},
         {("t", 4, "constraint-error"), ("t", 5, "constraint-error"), ("t", 6, "missing-cell")}),
    Case(RS + "test_resource_validate_schema_exclusive_minimum_and_maximum_constraints",
         {"t": (schema(f("row", "integer"), f("score", "integer", constraints={"exclusiveMinimum": 1,
                                                                              "exclusiveMaximum": 4})),
                table_rows(SCORES))},
         {("t", 2, "constraint-error"), ("t", 5, "constraint-error"), ("t", 6, "missing-cell")}, descriptor={"$schema": V2}),
    Case(RS + "test_resource_validate_schema_foreign_key_error_self_referencing",
         {"t": (schema(f("id", "integer"), f("cat", "integer"), f("name"),
                       foreignKeys=[{"fields": ["cat"], "reference": {"resource": "", "fields": ["id"]}}]), "fixture:nested.csv")},
         "valid"),
    Case(RS + "test_resource_validate_schema_foreign_key_error_self_referencing_invalid",
         {"t": (schema(f("id", "integer"), f("cat", "integer"), f("name"),
                       foreignKeys=[{"fields": ["cat"], "reference": {"resource": "", "fields": ["id"]}}]),
                "fixture:nested-invalid.csv")},
         {("t", 6, "foreign-key")}),
    Case(RS + "test_resource_validate_schema_unique_error_and_type_error",
         {"t": (schema(f("id"), f("unique_number", "number", constraints={"unique": True})),
                rows(["id", "unique_number"], ["a1", 100], ["a2", "bad"], ["a3", 100], ["a4", 0], ["a5", 0]))},
         {("t", 3, "type-error"), ("t", 4, "unique-error"), ("t", 6, "unique-error")}),
    Case(RS + "test_resource_validate_schema_primary_key_error_composite",
         {"t": (schema(f("id", "integer"), f("name"), primaryKey=["id", "name"]),
                rows(["id", "name"], [1, "Alex"], [1, "John"], ["", "Paul"], [1, "John"], ["", None]))},
         upstream={("t", 5, "primary-key"), ("t", 6, "blank-row"), ("t", 6, "primary-key")},
         spec={("t", 4, "primary-key"), ("t", 5, "primary-key"), ("t", 6, "blank-row")},
         note="A primary key identifies its row: an empty key cell is an error in BRCD, as in SQL (frictionless "
              "passes a partly empty composite key: frictionless-py issue 1623). " + BLANK_ROW_NOTE),
    Case(RS + "test_resource_validate_less_actual_fields_with_required_constraint_issue_950",
         {"t": (schema(f("id", "integer"), f("name"), f("bad", "any", constraints={"required": True})),
                "fixture:table.csv")},
         upstream={("t", 1, "missing-label")}, spec={("t", 1, "missing-label"), ("t", 1, "incorrect-label")},
         note=HEADER_NOTE),
    Case(RS + "test_resource_validate_missing_label_preserves_irregular_row_issue_1791",
         {"t": (schema(f("a"), f("b"), f("c")), rows(["a", "b"], ["1"]))},
         upstream={("t", 1, "missing-label"), ("t", 2, "missing-cell")},
         spec={("t", 1, "missing-label"), ("t", 1, "incorrect-label")}, note=HEADER_NOTE),
    Case(RS + "test_resource_validate_fields_match_reordered_labels[exact]",
         {"t": (schema(f("id"), f("name"), fieldsMatch="exact"), rows(["name", "id"], ["english", "1"]))},
         {("t", 1, "incorrect-label")}, descriptor={"$schema": V2}),
    Case(RS + "test_resource_validate_fields_match_reordered_labels[equal]",
         {"t": (schema(f("id"), f("name"), fieldsMatch="equal"), rows(["name", "id"], ["english", "1"]))},
         upstream="valid", spec="refused", descriptor={"$schema": V2},
         note="fieldsMatch other than exact is refused: BRCD's header is the schema's fields in order."),
    Case(RS + "test_resource_fields_match_reads_cells_by_name",
         {"t": (schema(f("id", "integer"), f("name"), fieldsMatch="equal"), "fixture:sync-schema.csv")},
         upstream="valid", spec="refused", descriptor={"$schema": V2},
         note="fieldsMatch other than exact is refused: BRCD's header is the schema's fields in order."),
    Case(RS + "test_resource_validate_invalid_table_schema_issue_304",
         {"t": (schema(f("name"), f("age", "bad")), rows(["name", "age"], ["Alex", "33"]))}, "refused"),
    Case(R + "test_resource_validate_resource_none_is_not_iterable_enum_constraint_issue_833",
         {"t": (schema(f("id", "number"), f("value", "array", arrayItem={"type": "string", "constraints": {
             "enum": ["a", "b", "c"]}})), "fixture:issue-833.csv")},
         upstream="valid", spec="refused", note="arrayItem is refused at load (not read by brcd)."),
    Case(RD + "test_resource_validate_dialect_delimiter", {"t": (TABLE, "id;name\n1;english\n")},
         upstream="valid", spec="refused", resources={"t": {"dialect": {"delimiter": ";"}}}, note=REFUSED_DIALECT),
    Case(RD + "test_resource_validate_dialect_header_false", {"t": (TABLE, "1,english\n2,german\n")},
         upstream="valid", spec="refused", resources={"t": {"dialect": {"header": False}}}, note=REFUSED_DIALECT),
    Case(RD + "test_resource_validate_dialect_number", {"t": (TABLE, "fixture:table.csv")},
         upstream="valid", spec="refused", resources={"t": {"dialect": {"headerRows": [2]}}}, note=REFUSED_DIALECT),
    Case(RD + "test_resource_validate_dialect_skip_rows", {"t": (TABLE, "fixture:table.csv")},
         upstream="valid", spec="refused", resources={"t": {"dialect": {"commentChar": "#"}}}, note=REFUSED_DIALECT),
    Case(R + "test_resource_validate_compression_invalid", {"t": (TABLE, "fixture:table.csv")},
         upstream="refused", resources={"t": {"compression": "bad"}}),
    Case(R + "test_resource_validate_encoding", {"t": (TABLE, "fixture:table.csv")}, "valid",
         resources={"t": {"encoding": "utf-8"}}),
    # package
    Case(P + "test_package_validate_from_path_invalid",
         {"data": (schema(f("id", constraints={"required": True}), f("name"), f("description"), f("amount", "number"),
                          primaryKey=["id"]), "fixture:invalid-data.csv")},
         upstream={("data", 3, "blank-row"), ("data", 3, "primary-key")}, spec={("data", 3, "blank-row")},
         note=BLANK_ROW_NOTE + " (The package's second table, data2.csv, is not in the stored repository: left out.)"),
    Case(P + "test_package_validate_composite_primary_key_unique_issue_215",
         {"t": (schema(f("id1"), f("id2"), primaryKey=["id1", "id2"]), rows(["id1", "id2"], ["a", "1"], ["a", "2"]))},
         "valid"),
    Case(P + "test_package_validate_composite_primary_key_not_unique_issue_215",
         {"t": (schema(f("id1"), f("id2"), primaryKey=["id1", "id2"]), rows(["id1", "id2"], ["a", "1"], ["a", "1"]))},
         {("t", 3, "primary-key")}),
    Case(P + "test_package_validate_geopoint_required_constraint_issue_231",
         {"office-locations": (schema(f("Office", format="default", constraints={"required": True, "unique": True}),
                                      f("Location", "geopoint", format="object", constraints={"required": True}),
                                      missingValues=[""]), "fixture:geopoint-object.csv")},
         "valid", resources={"office-locations": {"format": "csv", "mediatype": "text/csv", "encoding": "utf-8"}}),
    Case(P + "test_package_validate_with_schema_issue_348",
         {"people": (schema(f("id"), f("name"), f("surname"), f("dob", "date")),
                     rows(["id", "name", "surname"], ["p1", "Tom", "Hanks"], ["p2", "Meryl", "Streep"]))},
         upstream={("people", 1, "missing-label")}, spec={("people", 1, "missing-label"), ("people", 1, "incorrect-label")},
         note=HEADER_NOTE),
    Case(P + "test_package_validate_stats", {"resource1": (TABLE, "fixture:table.csv")}, "valid",
         resources={"resource1": {"hash": TABLE_HASH, "bytes": 30}}),
    Case(P + "test_package_validate_stats_invalid", {"resource1": (TABLE, "fixture:table.csv")},
         {("resource1", None, "hash-count"), ("resource1", None, "byte-count")},
         resources={"resource1": {"hash": TABLE_HASH + "a", "bytes": 31}}),
    Case(P + "test_package_validate_stats_size_invalid", {"resource1": (TABLE, "fixture:table.csv")},
         {("resource1", None, "byte-count")}, resources={"resource1": {"bytes": 31}}),
    Case(P + "test_package_validate_check_file_package_stats_hash_invalid", {"resource1": (TABLE, "fixture:table.csv")},
         {("resource1", None, "hash-count")}, resources={"resource1": {"hash": TABLE_HASH + "a"}}),
    Case(C + "test_validate_baseline_stats_hash_invalid", {"t": (TABLE, "fixture:table.csv")},
         {("t", None, "hash-count")}, resources={"t": {"hash": "bad"}}),
    Case(C + "test_validate_baseline_stats_rows_invalid", {"t": (TABLE, "fixture:table.csv")},
         {("t", None, "row-count")}, resources={"t": {"rows": 3}}),
    Case(C + "test_validate_baseline_stats_rows", {"t": (TABLE, "fixture:table.csv")}, "valid",
         resources={"t": {"rows": 2}}),
    fk_case("test_package_validate_schema_foreign_key_error", CITIES, PEOPLE, "valid"),
    fk_case("test_package_validate_schema_foreign_key_not_defined", CITIES, PEOPLE, "valid", fks=False),
    fk_case("test_package_validate_schema_foreign_key_self_referenced_resource_violation",
            _cities(lambda d: d.pop(4)), PEOPLE, {("cities", 4, "foreign-key")}),
    fk_case("test_package_validate_schema_foreign_key_internal_resource_violation",
            CITIES, PEOPLE[:4], {("cities", 5, "foreign-key")}),
    fk_case("test_package_validate_schema_foreign_key_internal_resource_violation_non_existent",
            CITIES, [["label", "population"], [10, 10]],
            {("cities", 2, "foreign-key"), ("cities", 3, "foreign-key"), ("cities", 4, "foreign-key"),
             ("cities", 5, "foreign-key")}),
    fk_case("test_package_validate_schema_multiple_foreign_key", CITIES, PEOPLE, "valid", travel=True),
    fk_case("test_package_validate_schema_multiple_foreign_key_resource_violation_non_existent",
            _cities(lambda d: d.pop(1)), PEOPLE, {("travel_time", 2, "foreign-key")}, travel=True),
    fk_case("test_package_validate_schema_multiple_foreign_key_violations",
            _cities(lambda d: (d[3].__setitem__(0, 5), d[4].__setitem__(0, 6))), PEOPLE,
            {("cities", 3, "foreign-key"), ("cities", 4, "foreign-key"), ("cities", 5, "foreign-key"),
             ("travel_time", 4, "foreign-key")}, travel=True),
    Case(P + "test_package_validate_v2_inherited_by_detached_resource",
         {"table": (schema(f("name"), f("note"), missingValues=[{"value": "-99", "label": "REFUSED"}]),
                    rows(["name", "note"], ["a", "-99"], ["b", "ok"]))}, "valid", descriptor={"$schema": V2}),
    Case(P + "test_package_validate_missing_values_version_gate_inheritance[schema-inherits-package-v1]",
         {"table": (schema(f("id", "integer"), f("name"), missingValues=[{"value": "-99", "label": "REFUSED"}]),
                    "fixture:table.csv")},
         {(None, None, "schema-error")}, descriptor={"$schema": V1}),
    Case(P + "test_package_validate_resource_name_version_gate[absent-package-is-v1]",
         {"My Table": (TABLE, "fixture:table.csv")}, {(None, None, "resource-error")}, descriptor={"$schema": None}),
    Case(P + "test_package_validate_resource_name_version_gate[package-v2]",
         {"My Table": (TABLE, "fixture:table.csv")}, "valid", descriptor={"$schema": V2}),
    Case(P + "test_package_validate_package_name_version_gate[absent-is-v1]",
         {"table": (TABLE, "fixture:table.csv")}, {(None, None, "package-error")},
         descriptor={"$schema": None, "name": "My Package"}),
    Case(P + "test_package_licenses_required_path_or_name_issue_1290",
         {"table": (TABLE, "fixture:table.csv")}, {(None, None, "package-error")},
         descriptor={"licenses": [{"title": "title"}]}),
    # constraints read cell by cell (schema/__spec__/field/test_constraints.py), as tables
    Case(F + "test_field_read_cell_required",
         {"t": (schema(f("id", "integer"), f("name", constraints={"required": True}, missingValues=["", "NA", "N/A"])),
                rows(["id", "name"], [1, "test"], [2, "null"], [3, "none"], [4, "nil"], [5, "nan"], [6, "-"],
                     [7, "NA"], [8, "N/A"], [9, ""]))},
         {("t", 8, "constraint-error"), ("t", 9, "constraint-error"), ("t", 10, "constraint-error")},
         descriptor={"$schema": V2}),
    Case(F + "test_field_read_cell_pattern",
         {"t": (schema(f("id", "integer"), f("name", constraints={"pattern": "a|b"})),
                rows(["id", "name"], [1, "a"], [2, "b"], [3, "c"], [4, ""]))}, {("t", 4, "constraint-error")}),
    Case(F + "test_field_read_cell_pattern (anchoring)",
         {"t": (schema(f("id", "integer"), f("name", constraints={"pattern": "a|b"})),
                rows(["id", "name"], [1, "ab"], [2, "xb"], [3, "ax"]))},
         upstream={("t", 3, "constraint-error")},
         spec={("t", 2, "constraint-error"), ("t", 3, "constraint-error"), ("t", 4, "constraint-error")},
         note="Table Schema matches a pattern against the whole value; frictionless compiles ^a|b$, which "
              "matches 'ax' and 'xb' (lenient anchoring). The facts (pattern a|b) are upstream's; the cells are ours."),
    Case(F + "test_field_read_cell_enum",
         {"t": (schema(f("id", "integer"), f("n", "integer", constraints={"enum": ["1", "2", "3"]})),
                rows(["id", "n"], [1, "1"], [2, "4"], [3, ""]))}, {("t", 3, "constraint-error")}),
    Case(F + "test_field_read_cell_multiple_constraints",
         {"t": (schema(f("id", "integer"), f("name", constraints={"pattern": "a|b", "enum": ["a", "b"]})),
                rows(["id", "name"], [1, "a"], [2, "b"], [3, "c"]))}, {("t", 4, "constraint-error")}),
    Case(F + "test_field_read_cell_exclusive_bounds_date",
         {"t": (schema(f("id", "integer"), f("d", "date", constraints={"exclusiveMinimum": "2020-01-01",
                                                                       "exclusiveMaximum": "2020-12-31"})),
                rows(["id", "d"], [1, "2020-06-15"], [2, "2020-01-01"], [3, "2020-12-31"]))},
         {("t", 3, "constraint-error"), ("t", 4, "constraint-error")}, descriptor={"$schema": V2}),
    Case(F + "test_field_read_cell_minimum / maximum",
         {"t": (schema(f("id", "integer"), f("lo", "integer", constraints={"minimum": 2}),
                       f("hi", "integer", constraints={"maximum": 2})),
                rows(["id", "lo", "hi"], [1, "3", "3"], [2, "2", "2"], [3, "1", "1"], [4, "", ""]))},
         {("t", 2, "constraint-error"), ("t", 4, "constraint-error")}),
    Case("schema/__spec__/test_describe.py::test_describe_schema (leading zeros)",
         {"t": (schema(f("value", "integer", constraints={"unique": True})), "fixture:leading-zeros.csv")}, "valid"),
    Case("schema/__spec__/test_describe.py::test_describe_schema (leading zeros as keys)",
         {"t": (schema(f("value", "integer", constraints={"unique": True})), "value\n01\n1\n001\n")},
         {("t", 3, "unique-error"), ("t", 4, "unique-error")},
         note="Integer keys compare as integers (01 = 1 = 001). The cells are ours, the file's form (leading zeros) upstream's."),
]
