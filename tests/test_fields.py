"""The Field model (`brcd.fields`): one reading of every Table Schema type, the same cell by
cell (`parse`, used by fmt and new) and column by column (`typed`, used by validate), with
missing values, constraints on logical values, keys, the SQL conversions and the refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brcd.errors import BrcdError
from brcd.fields import KINDS, Field, Unparsed

# --- the two readings agree ------------------------------------------------------------

ALPHABET = "0123456789+-.:eETZ WPYMDHS,"


def _samples(ftype: str):
    """Cells of a type: well-formed ones, near misses and noise."""
    digits = st.integers(-10**22, 10**22)
    common = [st.text(ALPHABET, max_size=12), st.just(""), st.just(" 1"), st.just("1 ")]
    if ftype == "integer":
        forms = [digits.map(str), digits.map(lambda n: f"+{abs(n)}"), digits.map(lambda n: f"00{abs(n)}"),
                 st.sampled_from(["-0", "1.0", "1e3", "9223372036854775807", "9223372036854775808", "-9223372036854775809"])]
    elif ftype == "number":
        forms = [st.floats(allow_nan=False, allow_infinity=False).map(repr), digits.map(str),
                 st.sampled_from(["NaN", "nan", "INF", "-INF", "+INF", "inf", ".5", "5.", "1e400", "1_000", "0x10",
                                  "Infinity", "1E-3"])]
    elif ftype == "boolean":
        forms = [st.sampled_from(["true", "True", "TRUE", "1", "false", "False", "FALSE", "0", "yes", "t", "tRUE"])]
    elif ftype == "date":
        forms = [st.dates().map(lambda d: d.isoformat()), st.sampled_from(["2019-02-29", "2020-02-29", "2019-13-01",
                                                                            "0000-01-01", "2019-1-01", "20190101"])]
    elif ftype in ("datetime", "time"):
        zones = st.sampled_from(["", "Z", "+05:00", "-01:30", "+23:59", "+1:00", "+24:00"])
        clock = st.tuples(st.integers(0, 24), st.integers(0, 60), st.integers(0, 61), st.sampled_from(["", ".5", ".123456789"]),
                          zones).map(lambda t: f"{t[0]:02d}:{t[1]:02d}:{t[2]:02d}{t[3]}{t[4]}")
        forms = [clock, st.sampled_from(["23:59:60", "23:59:60Z", "12:00", "3 am"])]
        if ftype == "datetime":
            forms = [st.tuples(st.dates(), clock).map(lambda t: f"{t[0].isoformat()}T{t[1]}"),
                     st.sampled_from(["2016-12-31T23:59:60Z", "2014-01-01 06:00:00", "2014-01-01T06:00"])]
    elif ftype == "year":
        forms = [st.integers(-100, 12000).map(str)]
    else:  # yearmonth
        forms = [st.tuples(st.integers(0, 9999), st.integers(0, 13)).map(lambda t: f"{t[0]:04d}-{t[1]:02d}"),
                 st.sampled_from(["2000-1", "2000-10-01"])]
    return st.one_of(*forms, *common)


VECTOR = ["integer", "number", "boolean", "date", "datetime", "time", "year", "yearmonth"]


@pytest.mark.parametrize("ftype", VECTOR)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_polars_and_python_read_every_cell_alike(ftype, data):
    cells = data.draw(st.lists(_samples(ftype), min_size=1, max_size=30))
    field = Field.of({"name": "x", "type": ftype})
    raw = pl.Series("x", cells, dtype=pl.Utf8)
    typed = field.typed(raw).to_list()
    bad = field.unparsed(raw).to_list()
    keys = field.keys(raw).to_list()
    for cell, value, failed, key in zip(cells, typed, bad, keys):
        try:
            expected = field.read(cell)
        except Unparsed:
            assert failed and key is None, (cell, value)
            continue
        assert not failed, cell
        if expected is None:
            assert value is None and key is None, cell
            continue
        assert key == field.key(expected), cell
        if ftype == "integer" and not -2**63 <= expected < 2**63:
            assert value is None  # beyond Int64: an integer all the same (no type error), keyed exactly
        elif ftype == "number" and expected.is_nan():
            assert value != value
        else:
            want = field.vector_value(expected)
            if ftype == "datetime":
                want = want.replace(tzinfo=dt.timezone.utc)
            assert value == want, (cell, value, want)


# --- what each type reads -----------------------------------------------------------------

@pytest.mark.parametrize("descriptor, good, bad", [
    ({"type": "number"}, ["NaN", "INF", "-INF", "1e5", ".5", "5.", "-0"], ["1_000", "0x1A", " 1", "1,5", "Infinity"]),
    ({"type": "number", "decimalChar": ",", "groupChar": "."}, ["8.699,8", "1,5"], ["1,5,5", "1.234,5.6a"]),
    ({"type": "number", "bareNumber": False, "groupChar": ","}, ["€ -12.3", "100%", "  10,000.00 €"], ["abc"]),
    ({"type": "integer"}, ["1", "01", "+5", "123456789012345678901234567890"], ["1.0", "1e3", " 1"]),
    ({"type": "integer", "bareNumber": False}, ["1$", "-12 €"], ["$"]),
    ({"type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]}, ["yes", "no"], ["true", "Yes", "1"]),
    ({"type": "date", "format": "%d/%m/%y"}, ["21/11/06"], ["21/11/06 16:30", "2006-11-21"]),
    ({"type": "datetime"}, ["2014-01-01T06:00:00", "2014-01-01T06:00:00Z", "2014-01-01T06:00:00+01:00",
                            "2016-12-31T23:59:60Z", "2014-01-01T06:00:00.123456789"],
     ["2014-01-01T06:00:00+1:00", "2014-01-01 06:00:00", "2014-01-01T06:00", "Mon 1st Jan 2014 9 am"]),
    ({"type": "time"}, ["06:00:00", "06:00:00Z", "06:00:00+01:00", "23:59:60"], ["09:00", "3 am", "3.00"]),
    ({"type": "year"}, ["2000", "0001"], ["-2000", "20000", "3.14"]),
    ({"type": "yearmonth"}, ["2000-10"], ["2000-13", "2000-0", "2000-1"]),
    ({"type": "duration"}, ["P1Y10M3DT5H11M7S", "P1Y", "PT1S", "P2W", "PT0.5S"], ["P1M1Y", "P-1Y", "P", "PT", "year"]),
    ({"type": "geopoint"}, ["180,90", "180, -90", "0,0"], ["181,90", "0,91", "string", "180 ,90", "[180, 90]"]),
    ({"type": "geopoint", "format": "array"}, ["[180, -90]"], ["180,90", "[181, 0]", "[1]"]),
    ({"type": "geopoint", "format": "object"}, ['{"lon": 180, "lat": 90}'], ["[180, -90]", '{"lon": 181, "lat": 0}',
                                                                           '{"lon": 1, "lat": 0, "x": 1}']),
    ({"type": "geojson"}, ['{"type": "Feature", "geometry": null, "properties": {}}', '{"type": "Point", "coordinates": [1, 2]}'],
     ["{}", "1", '{"type": "Nothing"}']),
    ({"type": "object"}, ["{}", '{"a": 1}'], ['["a"]', "1", "string", '{"a": NaN}']),
    ({"type": "array"}, ["[]", '["a", 1]'], ['{"a": 1}', "string"]),
    ({"type": "list", "itemType": "integer"}, ["1,2,3", "7"], ["1,2,", "2  ,  3", "1;2"]),
    ({"type": "list", "delimiter": ";"}, ["a;b", "a;;c"], []),
    ({"type": "string", "format": "email"}, ["name@gmail.com"], ["http://google.com", "string"]),
    ({"type": "string", "format": "uri"}, ["http://google.com", "urn:isbn:1"], ["://no-scheme.test", "string"]),
    ({"type": "string", "format": "uuid"}, ["0f8fad5b-d9cb-469f-a165-70867728950e"], ["0f8fad5b"]),
    ({"type": "string", "format": "binary"}, ["dGVzdA=="], ["string", "dGVzdA="]),
])
def test_each_type_reads_its_forms_and_refuses_the_rest(descriptor, good, bad):
    field = Field.of({"name": "x", **descriptor})
    for cell in good:
        field.parse(cell)
    for cell in bad:
        with pytest.raises(Unparsed):
            field.parse(cell)
    raw = pl.Series("x", good + bad, dtype=pl.Utf8)
    assert field.unparsed(raw).to_list() == [False] * len(good) + [True] * len(bad)


def test_zones_are_read_whatever_the_row_order():
    """A datetime without a zone is UTC; with one, that instant: the order of the rows (which
    once decided how a whole column was parsed) changes nothing."""
    field = Field.of({"name": "x", "type": "datetime"})
    cells = ["2014-01-01T06:00:00", "2014-01-01T06:00:00+01:00", "2014-01-01T05:00:00Z"]
    forward = field.typed(pl.Series("x", cells)).to_list()
    backward = field.typed(pl.Series("x", cells[::-1])).to_list()[::-1]
    assert forward == backward
    assert forward[1] == forward[2] == dt.datetime(2014, 1, 1, 5, tzinfo=dt.timezone.utc)
    assert field.key(field.parse(cells[1])) == field.key(field.parse(cells[2]))


def test_keys_are_logical_values():
    assert Field.of({"name": "x", "type": "integer"}).keys(pl.Series("x", ["1", "01", "+1", None])).to_list() == \
        ["1", "1", "1", None]
    assert len(set(Field.of({"name": "x", "type": "number"}).keys(pl.Series("x", ["1", "1.0", "01", "1e0"])))) == 1
    assert Field.of({"name": "x", "type": "boolean"}).keys(pl.Series("x", ["1", "true", "TRUE"])).n_unique() == 1
    big = Field.of({"name": "x", "type": "integer"}).keys(pl.Series("x", ["0099999999999999999999", "99999999999999999999"]))
    assert big.to_list() == ["99999999999999999999"] * 2


# --- missing values -----------------------------------------------------------------------

def test_missing_values_are_the_schemas_and_an_empty_cell_is_missing_only_when_listed():
    na = Field.of({"name": "x", "type": "integer", "constraints": {"required": True}}, {"missingValues": ["NA", "-"]})
    assert na.read("NA") is None and na.read("-") is None
    assert na.problems("NA") == [("required", "a value is required.")]
    assert na.problems("") == [("type", "'' is not a whole number.")]  # "" is not a missing value here
    default = Field.of({"name": "x", "type": "string", "constraints": {"required": True}})
    raw = pl.Series("x", ["", None, "NA"])
    assert raw.to_frame().select(default.missing_expr(pl.col("x"))).to_series().to_list() == [True, True, False]
    # a field's own missingValues (Table Schema v2) replace the schema's
    own = Field.of({"name": "x", "type": "string", "missingValues": ["n/a"]}, {"missingValues": ["NA"]})
    assert own.read("n/a") is None and own.read("NA") == "NA" and own.read("") == ""
    v2 = Field.of({"name": "x", "type": "string"}, {"missingValues": [{"value": "-99", "label": "refused"}]})
    assert v2.read("-99") is None


# --- constraints on logical values --------------------------------------------------------

def test_categories_are_the_values_allowed():
    """Table Schema v2 `categories` (plain or labelled) allow only their values."""
    kind = Field.of({"name": "x", "type": "string", "categories": ["a", {"value": "b", "label": "Bee"}]})
    assert kind.problems("b") == [] and kind.problems("c")[0][0] == "categories"
    codes = Field.of({"name": "x", "type": "integer", "categories": [1, 2]})
    assert codes.problems("02") == [] and codes.problems("3")[0][0] == "categories"
    with pytest.raises(BrcdError):
        Field.of({"name": "x", "type": "date", "categories": ["2020-01-01"]})


def test_bounds_on_dates_datetimes_and_times_compare_values():
    when = Field.of({"name": "x", "type": "datetime", "constraints": {"minimum": "2020-01-01T00:00:00Z",
                                                                       "maximum": "2020-12-31T23:59:59+05:00"}})
    assert when.problems("2020-12-31T20:00:00+01:00")[0][0] == "maximum"  # 19:00 UTC > 18:59:59 UTC
    assert when.problems("2020-01-01T04:00:00+05:00")[0][0] == "minimum"
    assert when.problems("2020-06-01T00:00:00") == []
    clock = Field.of({"name": "x", "type": "time", "constraints": {"maximum": "12:00:00"}})
    assert clock.problems("12:00:01")[0][0] == "maximum" and clock.problems("13:00:00+02:00") == []
    day = Field.of({"name": "x", "type": "date", "constraints": {"exclusiveMinimum": "1947-08-14"}})
    assert day.problems("1947-08-14")[0][0] == "exclusiveMinimum" and day.problems("1947-08-15") == []


def test_nan_is_within_no_bound_and_lengths_count_items():
    number = Field.of({"name": "x", "type": "number", "constraints": {"minimum": 0}})
    assert number.problems("NaN")[0][0] == "minimum" and number.problems("INF") == []
    items = Field.of({"name": "x", "type": "array", "constraints": {"minLength": 2}})
    assert items.problems('["a"]')[0][0] == "minLength" and items.problems('["a", "b"]') == []
    keys = Field.of({"name": "x", "type": "object", "constraints": {"maxLength": 1}})
    assert keys.problems('{"a": 1, "b": 2}')[0][0] == "maxLength"
    listed = Field.of({"name": "x", "type": "list", "constraints": {"maxLength": 2}})
    assert listed.problems("a,b,c")[0][0] == "maxLength"


def test_a_pattern_matches_the_whole_value_and_enum_compares_values():
    either = Field.of({"name": "x", "type": "string", "constraints": {"pattern": "a|b"}})
    assert either.problems("a") == [] and either.problems("ab")[0][0] == "pattern"
    assert either.problems("a\n")[0][0] == "pattern"  # Python's $ would match before a final newline
    import pandera.polars as pa  # noqa: F401 - the generated model checks the same way
    from brcd.validate.models import column_checks, evaluate
    frame = pl.DataFrame({"x": ["a", "ab", "a\n", None]})
    schema = pa.DataFrameSchema({"x": pa.Column(pl.Utf8, checks=column_checks(either), nullable=True)})
    assert list(evaluate(schema, frame)[("x", "pattern")]) == [1, 2]
    numbers = Field.of({"name": "x", "type": "number", "constraints": {"enum": [1, "2.50"]}})
    assert numbers.problems("1.0") == [] and numbers.problems("2.5") == [] and numbers.problems("3")[0][0] == "enum"
    point = Field.of({"name": "x", "type": "geopoint", "constraints": {"enum": ["10, 20"]}})
    assert point.problems("10,20.0") == [] and point.problems("10,21")[0][0] == "enum"


# --- refused when the package is loaded -------------------------------------------------

@pytest.mark.parametrize("descriptor, code, words", [
    ({"type": "date", "format": "any"}, "unsupported-feature", "format 'any'"),
    ({"type": "geojson", "format": "topojson"}, "unsupported-feature", "format 'topojson'"),
    ({"type": "string", "format": "wkt"}, "unsupported-feature", "format 'wkt'"),
    ({"type": "array", "arrayItem": {"type": "integer"}}, "unsupported-feature", "arrayItem"),
    ({"type": "integer", "constraints": {"pattern": "[0-9]+"}}, "schema-error", "pattern does not apply"),
    ({"type": "duration", "constraints": {"minimum": "P1D"}}, "schema-error", "minimum does not apply"),
    ({"type": "string", "constraints": {"jsonSchema": {}}}, "unsupported-feature", "jsonSchema"),
    ({"type": "date", "constraints": {"minimum": "soon"}}, "schema-error", "minimum"),
    ({"type": "datetime", "constraints": {"maximum": "2020-01-01"}}, "schema-error", "maximum"),
    ({"type": "boolean", "trueValues": "yes"}, "schema-error", "trueValues"),
    ({"type": "number", "decimalChar": ",", "groupChar": ","}, "schema-error", "the same character"),
    ({"type": "list", "itemType": "geopoint"}, "schema-error", "itemType"),
    ({"type": "string", "constraints": {"pattern": "(?<=a)b"}}, "schema-error", "pattern"),
    ({"type": "string", "constraints": "x"}, "schema-error", "constraints must be an object"),
    ({"type": "string", "constraints": {"required": "yes"}}, "schema-error", "required"),
    ({"type": "integer", "constraints": {"enum": ["one"]}}, "schema-error", "enum"),
])
def test_a_feature_it_does_not_read_is_refused_in_one_line(descriptor, code, words):
    with pytest.raises(BrcdError) as info:
        Field.of({"name": "x", **descriptor}, where="schema.json", table="t")
    err = info.value
    assert err.code == code and words in err.message and "\n" not in err.one_line(), err.one_line()


# --- words, SQL ----------------------------------------------------------------------------

def test_every_type_has_words_and_sql_types():
    for ftype, kind in KINDS.items():
        assert kind.words and kind.duckdb and kind.sqlite
    assert Field.of({"name": "x", "type": "date"}).words == "a date as YYYY-MM-DD"
    assert "yes" in Field.of({"name": "x", "type": "boolean", "trueValues": ["yes"]}).words


@pytest.mark.parametrize("descriptor, schema, cells", [
    ({"type": "number", "decimalChar": ",", "groupChar": "."}, {}, ["1.234,5", "-0,5", "NaN", ""]),
    ({"type": "number", "bareNumber": False}, {}, ["€12.5", "40%", ""]),
    ({"type": "integer", "groupChar": " "}, {}, ["1 000", "7"]),
    ({"type": "boolean", "trueValues": ["yes", "Y"], "falseValues": ["no"]}, {}, ["yes", "Y", "no"]),
    ({"type": "date", "format": "%d/%m/%Y"}, {}, ["21/11/2006", "01/01/1950"]),
    ({"type": "datetime"}, {}, ["2014-01-01T06:00:00", "2014-01-01T06:00:00+01:00", "2014-01-01T23:30:00-01:00"]),
    ({"type": "time"}, {}, ["06:00:00", "06:00:00+01:00"]),
    ({"type": "integer"}, {"missingValues": ["NA", ""]}, ["NA", "3", ""]),
    ({"type": "string"}, {"missingValues": ["NA"]}, ["NA", "", "x"]),
])
def test_duckdb_reads_each_cell_as_the_model_does(descriptor, schema, cells):
    """The build and `brcd query` read the CSVs in DuckDB: where its reader cannot type a
    cell itself, the model's SQL converts the text; the values must be the model's."""
    import duckdb

    field = Field.of({"name": "x", **descriptor}, schema)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[c if c != "" else None] for c in cells])
    got = [r[0] for r in con.execute(f"SELECT {field.duckdb_value('x')} FROM t").fetchall()]
    for cell, value in zip(cells, got):
        want = field.read(cell)
        if isinstance(want, Decimal):
            assert (value != value) if want.is_nan() else value == float(want), cell
        elif isinstance(want, dt.datetime):
            assert value == want.replace(tzinfo=None), cell
        else:
            assert value == want, (cell, value, want)


def test_polars_reads_exactly_the_lexical_forms_of_numbers_and_integers():
    """`typed_expr` casts numbers and integers without a regular expression: polars' own
    grammar must be Table Schema's, on every short string of the characters that matter."""
    import itertools
    import re

    from brcd.fields import INTEGER_RE, NUMBER_RE

    cells = ["".join(p) for n in range(1, 6) for p in itertools.product("01+-.eE", repeat=n)]
    cells += ["nan", "NaN", "INF", "-inf", "+Inf", "infinity", "Infinity", "+nan", "-nan", "in", "na"]
    number, integer = Field.of({"name": "x", "type": "number"}), Field.of({"name": "x", "type": "integer"})
    raw = pl.Series("x", cells)
    for field, pattern in ((number, NUMBER_RE), (integer, INTEGER_RE)):
        read = field.unparsed(raw).to_list()
        for cell, bad in zip(cells, read):
            lexical = bool(re.match(pattern, cell)) or (field is number and cell.lower() in ("nan", "inf", "-inf", "+inf"))
            assert bad != lexical, (field.type, cell)
