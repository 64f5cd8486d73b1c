"""The Field model: everything BRCD knows about one Table Schema field, written once.

`Field.of(descriptor, schema)` reads a field's descriptor (type, format, `missingValues`, the
type's options and its constraints) and refuses, as a `BrcdError` (exit 2) naming the
feature, whatever it does not read exactly as Table Schema says. A `Field` then gives:

- missing values: `is_missing(raw)` (a raw cell is the text between the commas; an empty
  cell is None, and is missing when "" is one of the missing values, the default);
- parsing: `parse(text)` gives the cell's logical value or raises `Unparsed`; `read(raw)` is
  None for a missing cell. `typed(series)` is the same over a polars column of raw cells (a
  vectorised path for the common types, the scalar one over distinct values for the rest:
  tests hold the two equal);
- constraints on logical values: `problems(raw)` and `constraint_failures(value)`, and the
  bounds and enum already in the field's type (`bound`, `enum_vector`, `categories`) for the
  generated models;
- keys: `key(value)` / `keys(series)`, a canonical text equal for equal logical values
  (integer 1 and 01, number 1 and 1.0, a datetime and the same instant in another zone);
- the text `brcd fmt` writes (`canonical`), the polars dtype (`dtype`), the DuckDB and SQLite
  column types and conversions (`duckdb_type`, `duckdb_value`, `sqlite_type`,
  `sqlite_value`), and the human wording (`words`: "a date as YYYY-MM-DD").

Deliberate choices where the spec leaves room (each also a note in tests/conformance):
cells are read as written, without trimming spaces (" 1 " is not an integer); a datetime or
time without a zone is UTC, so values with and without a zone compare whatever the row order;
a leap second (23:59:60) is accepted and read as the second after 23:59:59.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from brcd.errors import BrcdError

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

DEFAULT_MISSING = ("",)
TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
LENGTHS = ("minLength", "maxLength")
CONSTRAINTS = ("required", "unique", "enum", "pattern", *BOUNDS, *LENGTHS)
# Beyond this exponent plain notation would be absurdly long: `canonical` keeps such a number as written.
MAX_PLAIN_EXPONENT = 60
UNSUPPORTED_HINT = "remove it or use a form brcd reads (see docs: Table Schema support)."

# The lexical forms (one regular expression each, read by Python's `re` and polars alike).
INTEGER_RE = r"^[+-]?[0-9]+$"
NUMBER_RE = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
NUMBER_SPECIALS = {"nan": "NaN", "inf": "Infinity", "+inf": "Infinity", "-inf": "-Infinity"}
DATE_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_CLOCK = r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
TIME_RE = "^" + _CLOCK + "$"
DATETIME_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T" + _CLOCK + "$"
YEAR_RE = r"^[0-9]{4}$"
YEARMONTH_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
DURATION_RE = (r"^P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?"
               r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?$")
_DECIMAL = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
GEOPOINT_RE = rf"^({_DECIMAL}), ?({_DECIMAL})$"
# Table Schema's string formats: (pattern, what a cell must be).
STRING_FORMATS = {
    "email": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address"),
    "uri": (r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$", "a URI with its scheme (like https://...)"),
    "uuid": (r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$", "a UUID"),
    "binary": (r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$", "base64 text"),
}
LIST_ITEM_TYPES = ("string", "integer", "number", "boolean", "date", "time", "datetime")
# strftime directives a `format` pattern of a date, time or datetime may use (Python's and DuckDB's agree on these).
PATTERN_DIRECTIVES = set("dmyYHIpMSfbBaAjzZ%")


class Unparsed(ValueError):
    """A cell that is not of its field's type."""


@dataclass(frozen=True)
class Kind:
    """What one Table Schema type is in each engine and in words."""

    words: str
    dtype: str          # polars dtype name (see `Field.dtype`)
    duckdb: str
    sqlite: str
    constraints: tuple[str, ...]
    formats: tuple[str, ...] = ("default",)


_ORDERED = ("required", "unique", "enum", *BOUNDS)
_SIZED = ("required", "unique", "enum", *LENGTHS)
KINDS: dict[str, Kind] = {
    "string": Kind("text", "Utf8", "VARCHAR", "TEXT", ("required", "unique", "enum", "pattern", *LENGTHS),
                   ("default", *STRING_FORMATS)),
    "integer": Kind("a whole number", "Int64", "BIGINT", "INTEGER", _ORDERED),
    "number": Kind("a number", "Float64", "DOUBLE", "REAL", _ORDERED),
    "boolean": Kind("true or false", "Boolean", "BOOLEAN", "INTEGER", ("required", "unique", "enum")),
    "date": Kind("a date as YYYY-MM-DD", "Date", "DATE", "TEXT", _ORDERED),
    "datetime": Kind("a date and time as YYYY-MM-DDThh:mm:ss", "Datetime", "TIMESTAMP", "TEXT", _ORDERED),
    "time": Kind("a time as hh:mm:ss", "Time", "TIME", "TEXT", _ORDERED),
    "year": Kind("a year as YYYY", "Int64", "INTEGER", "INTEGER", _ORDERED),
    "yearmonth": Kind("a month as YYYY-MM", "Utf8", "VARCHAR", "TEXT", _ORDERED),
    "duration": Kind("an ISO 8601 duration such as P1Y2M or PT5H", "Utf8", "VARCHAR", "TEXT",
                     ("required", "unique", "enum")),
    "geopoint": Kind("a point as 'longitude, latitude'", "Utf8", "VARCHAR", "TEXT", ("required", "unique", "enum"),
                     ("default", "array", "object")),
    "geojson": Kind("a GeoJSON object", "Utf8", "VARCHAR", "TEXT", ("required", "unique", "enum")),
    "object": Kind("a JSON object", "Utf8", "VARCHAR", "TEXT", _SIZED),
    "array": Kind("a JSON array", "Utf8", "VARCHAR", "TEXT", _SIZED),
    "list": Kind("a list", "Utf8", "VARCHAR", "TEXT", ("required", "unique", *LENGTHS)),
    "any": Kind("any value", "Utf8", "VARCHAR", "TEXT", ("required", "unique", "enum")),
}
# (old type, new type) pairs where the new type reads every value of the old one: a widening.
WIDENINGS = {("integer", "number"), ("year", "integer"), ("year", "number"), ("date", "datetime")}


def widens(old: str, new: str) -> bool:
    """Whether a field changed from type `old` to `new` still reads every old value."""
    return new in ("string", "any") or (old, new) in WIDENINGS


# Types read by polars expressions (`Field.typed`); the others go through `Field.parse`, once per distinct value.
VECTOR_TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "time", "year", "yearmonth"}

def schema_error(message: str, where: "str | Path | None", hint: str = UNSUPPORTED_HINT,
                 code: str = "unsupported-feature") -> BrcdError:
    return BrcdError(code, message, file=where, hint=hint)


@dataclass(frozen=True, eq=False)
class Field:
    name: str
    type: str
    format: str
    descriptor: dict[str, Any]
    missing_values: tuple[str, ...] = DEFAULT_MISSING
    constraints: dict[str, Any] = field(default_factory=dict)  # as written; parsed ones below
    true_values: tuple[str, ...] = TRUE_VALUES
    false_values: tuple[str, ...] = FALSE_VALUES
    decimal_char: str = "."
    group_char: str = ""
    bare_number: bool = True
    delimiter: str = ","
    item: "Field | None" = None
    bounds: dict[str, Any] = field(default_factory=dict)  # minimum... as logical values
    enum: tuple[Any, ...] | None = None                     # logical values
    enum_keys: frozenset[str] = frozenset()
    categories: tuple[Any, ...] | None = None               # Table Schema v2 `categories`: the values allowed
    pattern: str | None = None  # anchored for polars (whose $ is the end of the text): the whole value must match

    # --- construction ------------------------------------------------------------------

    @classmethod
    def of(cls, descriptor: dict[str, Any], schema: dict[str, Any] | None = None, *,
           where: "str | Path | None" = None, table: str = "") -> "Field":
        """The model of one field of `schema` (for its `missingValues`); `where` and `table`
        name the file and table in errors. A feature it does not read raises `BrcdError`."""
        name = descriptor.get("name")
        label = f"field {name!r}" + (f" of {table}" if table else "")
        ftype = descriptor.get("type", "string")
        if not isinstance(ftype, str) or ftype not in KINDS:
            raise schema_error(f"{label} has type {ftype!r}, which is not a Table Schema type.", where,
                               f"use one of: {', '.join(KINDS)}.", code="schema-error")
        kind = KINDS[ftype]
        fmt = descriptor.get("format", "default")
        if isinstance(fmt, str) and fmt.startswith("fmt:"):  # Table Schema v1's deprecated spelling
            fmt = fmt[4:]
        if not isinstance(fmt, str) or not (fmt in kind.formats or (ftype in ("date", "time", "datetime") and _pattern_format(fmt))):
            raise schema_error(f"{label} has format {fmt!r}, which brcd does not read for type {ftype}.", where,
                               f"use the format \"default\"" + (f" or one of {', '.join(kind.formats[1:])}" if len(kind.formats) > 1 else "")
                               + (" or a strftime pattern such as %d/%m/%Y" if ftype in ("date", "time", "datetime") else "") + ".")
        if "arrayItem" in descriptor:
            raise schema_error(f"{label} has arrayItem, which brcd does not read.", where)
        missing = read_missing_values(descriptor.get("missingValues", (schema or {}).get("missingValues", list(DEFAULT_MISSING))),
                                  label, where)
        options: dict[str, Any] = {}
        if ftype == "boolean":
            for key, attr in (("trueValues", "true_values"), ("falseValues", "false_values")):
                if key in descriptor:
                    values = descriptor[key]
                    if not isinstance(values, list) or not all(isinstance(v, str) for v in values) or not values:
                        raise schema_error(f"{label}: {key} must be a non-empty list of strings.", where,
                                           f"write {key} as a list, e.g. [\"yes\"].", code="schema-error")
                    options[attr] = tuple(values)
        if ftype in ("number", "integer"):
            for key, attr, kind_of in (("decimalChar", "decimal_char", str), ("groupChar", "group_char", str),
                                       ("bareNumber", "bare_number", bool), ("floatNumber", None, bool)):
                if key not in descriptor or (key == "decimalChar" and ftype == "integer"):
                    continue
                value = descriptor[key]
                if not isinstance(value, kind_of) or (kind_of is str and len(value) != 1):
                    raise schema_error(f"{label}: {key} must be "
                                       + ("one character." if kind_of is str else "true or false."), where,
                                       f"fix {key} in the schema.", code="schema-error")
                if attr:
                    options[attr] = value
            if options.get("group_char") and options.get("group_char") == options.get("decimal_char", "."):
                raise schema_error(f"{label}: groupChar and decimalChar are the same character.", where,
                                   "give them different characters.", code="schema-error")
        if ftype == "list":
            delimiter = descriptor.get("delimiter", ",")
            item_type = descriptor.get("itemType", "string")
            if not isinstance(delimiter, str) or not delimiter:
                raise schema_error(f"{label}: delimiter must be a non-empty string.", where, "fix delimiter.",
                                   code="schema-error")
            if item_type not in LIST_ITEM_TYPES:
                raise schema_error(f"{label} has itemType {item_type!r}, which a list cannot hold.", where,
                                   f"use one of: {', '.join(LIST_ITEM_TYPES)}.", code="schema-error")
            options["delimiter"] = delimiter
            options["item"] = cls.of({"name": name, "type": item_type}, {"missingValues": []}, where=where, table=table)
        constraints = descriptor.get("constraints", {})
        if constraints is None:
            constraints = {}
        if not isinstance(constraints, dict):
            raise schema_error(f"{label}: constraints must be an object.", where,
                               "write constraints as {\"required\": true, ...}.", code="schema-error")
        for key in constraints:
            if key not in CONSTRAINTS:
                raise schema_error(f"{label} has the constraint {key!r}, which brcd does not check.", where)
            if key not in kind.constraints:
                raise schema_error(f"{label}: the constraint {key} does not apply to type {ftype}.", where,
                                   f"type {ftype} takes: {', '.join(kind.constraints)}.", code="schema-error")
        model = cls(name=name, type=ftype, format=fmt, descriptor=descriptor, missing_values=missing,
                    constraints=dict(constraints), **options)
        return model._with_constraints(label, where)

    def _with_constraints(self, label: str, where: "str | Path | None") -> "Field":
        cons = self.constraints
        bounds, enum, pattern = {}, None, None

        def broken(key: str, why: str) -> BrcdError:
            return schema_error(f"{label}: the constraint {key} {why}.", where,
                                "give each constraint a value of the field's type and a valid regular expression.",
                                code="schema-error")

        for key in ("required", "unique"):
            if key in cons and not isinstance(cons[key], bool):
                raise broken(key, "must be true or false")
        for key in LENGTHS:
            if key in cons and (isinstance(cons[key], bool) or not isinstance(cons[key], int) or cons[key] < 0):
                raise broken(key, "must be a whole number, 0 or more")
        for key in BOUNDS:
            if key in cons:
                try:
                    bounds[key] = self.constant(cons[key])
                except (Unparsed, TypeError):
                    raise broken(key, f"is {cons[key]!r}, which is not {self.words}") from None
                if bounds[key] != bounds[key]:  # NaN bounds nothing
                    raise broken(key, "is NaN")
        if "enum" in cons:
            if not isinstance(cons["enum"], list) or not cons["enum"]:
                raise broken("enum", "must be a non-empty list")
            try:
                enum = tuple(self.constant(v) for v in cons["enum"])
            except (Unparsed, TypeError):
                raise broken("enum", f"holds a value that is not {self.words}") from None
        if "pattern" in cons:
            if not isinstance(cons["pattern"], str):
                raise broken("pattern", "must be a string")
            pattern = f"^(?:{cons['pattern']})$"
            try:
                re.compile(pattern)
                _polars_regex_check(pattern)
            except (re.error, ValueError) as exc:
                raise broken("pattern", f"is not a regular expression brcd can run ({exc})") from None
        categories = self._categories(label, where)
        keys = frozenset(self.key(v) for v in enum) if enum is not None else frozenset()
        object.__setattr__(self, "categories", categories)
        object.__setattr__(self, "bounds", bounds)
        object.__setattr__(self, "enum", enum)
        object.__setattr__(self, "enum_keys", keys)
        object.__setattr__(self, "pattern", pattern)
        return self

    def _categories(self, label: str, where: "str | Path | None") -> tuple[Any, ...] | None:
        """Table Schema v2 `categories` (values, or {value, label} objects) of a string or
        integer field: its values must be among them."""
        declared = self.descriptor.get("categories")
        if declared is None:
            return None
        if self.type not in ("string", "integer"):
            raise schema_error(f"{label}: categories apply to string and integer fields, not {self.type}.", where,
                               "remove categories or change the type.", code="schema-error")
        if not isinstance(declared, list) or not declared:
            raise schema_error(f"{label}: categories must be a non-empty list.", where, "list the categories.",
                               code="schema-error")
        try:
            return tuple(self.constant(c["value"] if isinstance(c, dict) else c) for c in declared)
        except (Unparsed, TypeError, KeyError):
            raise schema_error(f"{label}: categories hold a value that is not {self.words}.", where,
                               "give each category a value of the field's type.", code="schema-error") from None

    def constant(self, value: Any) -> Any:
        """A value written in the schema (a bound, an enum item) as a logical value: a string
        is read as a cell; JSON numbers, booleans, objects and arrays stand for themselves."""
        if isinstance(value, str):
            return self.parse(value)
        if self.type in ("integer", "year") and isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != int(value):
                raise Unparsed(value)
            return int(value)
        if self.type == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return Decimal(str(value))
        if self.type == "boolean" and isinstance(value, bool):
            return value
        if self.type in ("object", "geojson") and isinstance(value, dict):
            return self.parse(json.dumps(value))
        if self.type == "array" and isinstance(value, list):
            return value
        if self.type == "any":
            return value
        raise Unparsed(value)

    # --- properties --------------------------------------------------------------------

    @property
    def kind(self) -> Kind:
        return KINDS[self.type]

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    @property
    def unique(self) -> bool:
        return bool(self.constraints.get("unique"))

    @property
    def checks_type(self) -> bool:
        """Whether a cell can fail to be of this field's type (`type-error`)."""
        return not (self.type == "any" or (self.type == "string" and self.format == "default"))

    @property
    def words(self) -> str:
        """What a cell must be, in words ("a date as YYYY-MM-DD")."""
        if self.type == "string" and self.format != "default":
            return STRING_FORMATS[self.format][1]
        if self.type in ("date", "time", "datetime") and self.format != "default":
            return f"{'a date' if self.type == 'date' else 'a time' if self.type == 'time' else 'a date and time'}" \
                   f" written as {self.format}"
        if self.type == "boolean" and (self.true_values, self.false_values) != (TRUE_VALUES, FALSE_VALUES):
            return f"one of {', '.join(self.true_values)} (true) or {', '.join(self.false_values)} (false)"
        if self.type == "number" and (self.decimal_char, self.group_char) != (".", ""):
            return "a number with " + repr(self.decimal_char) + " for decimals" + (
                f" and {self.group_char!r} between thousands" if self.group_char else "")
        if self.type == "number":
            return "a number with a dot for decimals"
        if self.type == "geopoint" and self.format != "default":
            return "a point as [longitude, latitude]" if self.format == "array" else \
                "a point as {\"lon\": longitude, \"lat\": latitude}"
        if self.type == "list":
            return f"a list of {KINDS[self.item.type].words} separated by {self.delimiter!r}"
        return self.kind.words

    # --- missing values and parsing (one cell) -----------------------------------------

    def is_missing(self, raw: str | None) -> bool:
        return (raw if raw is not None else "") in self.missing_values

    def read(self, raw: str | None) -> Any:
        """The logical value of a raw cell (None: missing); `Unparsed` when it is not of the type."""
        if self.is_missing(raw):
            return None
        return self.parse(raw if raw is not None else "")

    def parse(self, text: str) -> Any:
        """The logical value of a present cell's text, or `Unparsed`."""
        return _PARSERS[self.type](self, text)

    def problems(self, raw: str | None) -> list[tuple[str, str]]:
        """(constraint or "type", what is wrong) of one cell, checked alone (not `unique`)."""
        try:
            value = self.read(raw)
        except Unparsed:
            return [("type", f"{raw!r} is not {self.words}.")]
        if value is None:
            return [("required", "a value is required.")] if self.required else []
        return [(tag, f"{raw!r} {words}") for tag, words in self.constraint_failures(value)]

    def constraint_failures(self, value: Any) -> list[tuple[str, str]]:
        """The constraints a present logical value breaks, with their wording."""
        failed = []
        if self.enum is not None and self.key(value) not in self.enum_keys:
            failed.append("enum")
        if self.pattern is not None and not re.fullmatch(self.constraints["pattern"], value):
            failed.append("pattern")
        failed += [key for key, bound in self.bounds.items()
                   if not _within(key, self.comparable(value), self.comparable(bound))]
        if "minLength" in self.constraints and self.length(value) < self.constraints["minLength"]:
            failed.append("minLength")
        if "maxLength" in self.constraints and self.length(value) > self.constraints["maxLength"]:
            failed.append("maxLength")
        if self.categories is not None and self.key(value) not in {self.key(c) for c in self.categories}:
            failed.append("categories")  # last: a coded field's bounds, when it has them, say more
        return [(tag, self.constraint_words(tag)) for tag in failed]

    def constraint_words(self, tag: str) -> str:
        """What a value breaking the constraint `tag` is, in words ("is below the minimum 0.")."""
        cons = self.constraints
        if tag == "required":
            return "is empty: a value is required."
        if tag == "enum":
            return f"is not one of: {', '.join(map(str, cons['enum']))}."
        if tag == "categories":
            return f"is not one of the field's categories: {', '.join(map(str, self.categories))}."
        if tag == "pattern":
            return f"does not match the pattern {cons['pattern']}."
        if tag in BOUND_WORDS:
            return BOUND_WORDS[tag](cons[tag])
        if tag == "minLength":
            return f"is shorter than {cons['minLength']} {self.length_unit}."
        if tag == "maxLength":
            return f"is longer than {cons['maxLength']} {self.length_unit}."
        return f"breaks the constraint {tag}."

    @property
    def length_unit(self) -> str:
        return "characters" if self.type == "string" else "items" if self.type in ("array", "list") else "keys"

    def length(self, value: Any) -> int:
        return len(value)

    def comparable(self, value: Any) -> Any:
        """A logical value as it is ordered: NaN never passes a bound."""
        return value

    # --- keys ----------------------------------------------------------------------------

    def key(self, value: Any) -> str:
        """Canonical text of a logical value: equal values, equal keys."""
        return _KEYS.get(self.type, _str_key)(self, value)

    def key_of(self, raw: str | None) -> str | None:
        """The key of a raw cell (None when missing or not of the type)."""
        try:
            value = self.read(raw)
        except Unparsed:
            return None
        return None if value is None else self.key(value)

    # --- the text `brcd fmt` writes ----------------------------------------------------

    def canonical(self, raw: str) -> str:
        """The cell as `brcd fmt` writes it: integers without sign or leading zeros, numbers in
        plain decimal notation without trailing zeros, booleans as the first true/false value,
        a missing value as "" (or the first missing value when "" is not one). Other cells,
        and cells that do not parse, are kept as written: formatting never changes a value."""
        try:
            value = self.read(raw)
        except Unparsed:
            return raw
        if value is None:
            return "" if "" in self.missing_values else self.missing_values[0]
        if self.type == "integer" and self.group_char == "" and self.bare_number:
            return str(value)
        if self.type == "number" and (self.decimal_char, self.group_char, self.bare_number) == (".", "", True):
            if not value.is_finite():
                return raw
            return _plain(value) or raw
        if self.type == "boolean":
            return (self.true_values if value else self.false_values)[0]
        return raw

    # --- polars --------------------------------------------------------------------------

    @property
    def dtype(self) -> Any:
        import polars as pl

        if self.type == "datetime":
            return pl.Datetime("us", "UTC")
        return getattr(pl, self.kind.dtype)

    def missing_expr(self, c: "pl.Expr", blanks: bool = True) -> "pl.Expr":
        """True where a raw cell (of the column `c`) is missing. An empty cell is null or ""
        (a quoted empty cell), whichever the reader gives; `blanks=False` when the caller
        knows no cell is "" (one comparison of text less)."""
        import polars as pl

        empty = c.is_null() | (c == "") if blanks else c.is_null()
        if self.missing_values == DEFAULT_MISSING:
            return empty
        others = [v for v in self.missing_values if v != ""]
        mask = c.is_in(others).fill_null(False) if others else pl.lit(False)
        return mask | empty if "" in self.missing_values else mask

    def present_expr(self, c: "pl.Expr", blanks: bool = True) -> "pl.Expr":
        """The raw cells that are not missing, as text (missing ones null; an empty cell that
        is not a missing value is the text ""). `blanks`: as for `missing_expr`."""
        import polars as pl

        if self.missing_values == DEFAULT_MISSING:
            return pl.when(c != "").then(c) if blanks else c
        text = c if "" in self.missing_values else c.fill_null("")
        return pl.when(~self.missing_expr(c, blanks)).then(text)

    @property
    def vectorised(self) -> bool:
        """Whether `typed_expr` parses the cells in polars (else `typed` maps distinct values)."""
        return self.type in VECTOR_TYPES and self.format == "default"

    def typed_expr(self, c: "pl.Expr", blanks: bool = True) -> "pl.Expr":
        """Logical values of the raw cells of `c`, as `dtype`: null where a cell is missing or
        does not parse. Only for `vectorised` fields. `blanks`: as for `missing_expr`."""
        return _VECTOR[self.type](self, self.present_expr(c, blanks))

    def unparsed_expr(self, c: "pl.Expr", typed: "pl.Expr", blanks: bool = True) -> "pl.Expr":
        """True where a present cell of `c` has no typed value (`typed`): not of the type,
        except for an integer beyond 64 bits (see `big_integers`)."""
        import polars as pl

        if not self.checks_type:
            return pl.lit(False)
        return self.present_expr(c, blanks).is_not_null() & typed.is_null()

    def big_integers(self, raw: "pl.Series") -> "pl.Series":
        """True where a cell (of an integer field) is an integer beyond 64 bits: it has no
        place in the Int64 column, yet it is an integer (Table Schema sets no limit). Meant for
        the few cells `unparsed_expr` flags: each is read on its own."""
        import polars as pl

        def big(raw_cell: str | None) -> bool:
            try:
                value = self.read(raw_cell)
            except Unparsed:
                return False
            return value is not None and not -2**63 <= value < 2**63

        return pl.Series(raw.name, [self.type == "integer" and big(v) for v in raw.to_list()], dtype=pl.Boolean)

    def typed(self, raw: "pl.Series") -> "pl.Series":
        """`typed_expr` over a column of raw cells, for any field (distinct values of the
        others parsed once each by `parse`)."""
        import polars as pl

        raw = raw.cast(pl.Utf8)
        if self.vectorised:
            return raw.to_frame().select(self.typed_expr(pl.col(raw.name))).to_series().alias(raw.name)
        text = raw.to_frame().select(self.present_expr(pl.col(raw.name))).to_series()
        return self._by_value(text, lambda v: self.vector_value(self.parse(v))).alias(raw.name)

    def unparsed(self, raw: "pl.Series", typed: "pl.Series | None" = None) -> "pl.Series":
        """True where a present cell is not of the type."""
        import polars as pl

        raw = raw.cast(pl.Utf8)
        typed = self.typed(raw) if typed is None else typed
        bad = pl.DataFrame([raw.alias("c"), typed.alias("t")]).select(
            self.unparsed_expr(pl.col("c"), pl.col("t")).alias(raw.name)).to_series()
        if self.type == "integer" and bad.any():
            rows = bad.arg_true()
            bad = bad.scatter(rows, ~self.big_integers(raw.gather(rows)))
        return bad

    def keys(self, raw: "pl.Series") -> "pl.Series":
        """Canonical key text of a column of raw cells (null: missing or not of the type):
        equal logical values, equal keys."""
        import polars as pl

        raw = raw.cast(pl.Utf8)
        c = pl.col(raw.name)
        frame = raw.to_frame()
        if self.type in ("string", "any") and self.format == "default":
            if self.missing_values == DEFAULT_MISSING and not (raw == "").any():
                return raw  # the text is the key: no copy
            return frame.select(self.present_expr(c)).to_series()
        if self.type == "integer":
            typed = frame.select(self.typed_expr(c)).to_series()
            keys = typed.cast(pl.Utf8)
            odd = frame.select(self.unparsed_expr(c, pl.lit(typed))).to_series()
            if odd.any():  # beyond 64 bits: keyed by their own canonical text
                rows = odd.arg_true()
                keys = keys.scatter(rows, [self.key_of(v) for v in raw.gather(rows).to_list()])
            return keys.alias(raw.name)
        text = frame.select(self.present_expr(c)).to_series()
        return self._by_value(text, lambda v: self.key(self.parse(v)), pl.Utf8).alias(raw.name)

    def vector_value(self, value: Any) -> Any:
        """A logical value as it sits in the `dtype` column (a datetime as naive UTC, which
        `_by_value` marks as UTC; the types without a polars type as their key text)."""
        if self.type == "number":
            return float(value)
        if self.type == "datetime":
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        if self.kind.dtype == "Utf8" and self.type != "string":
            return self.key(value)
        return value

    def _by_value(self, text: "pl.Series", convert: Callable[[str], Any], dtype: Any = None) -> "pl.Series":
        """`convert` applied once per distinct value (None where it raises `Unparsed`)."""
        import polars as pl

        dtype = dtype or self.dtype
        values = text.drop_nulls().unique()
        out = []
        for v in values.to_list():
            try:
                out.append(convert(v))
            except Unparsed:
                out.append(None)
        mapped = pl.Series(out, dtype=dtype) if dtype != pl.Datetime("us", "UTC") else \
            pl.Series(out, dtype=pl.Datetime("us")).dt.replace_time_zone("UTC")
        if not len(values):
            return pl.Series(text.name, [None] * len(text), dtype=dtype)
        return text.replace_strict(values, mapped, default=None, return_dtype=dtype)

    def bound(self, key: str) -> Any:
        """A bound as a value comparable with the `dtype` column."""
        value = self.bounds[key]
        return value if self.type == "datetime" else self.vector_value(value)

    def enum_vector(self) -> list[Any]:
        """The enum's values as values of the `dtype` column."""
        return [v if self.type == "datetime" else self.vector_value(v) for v in self.enum or ()]

    # --- SQL -----------------------------------------------------------------------------

    @property
    def duckdb_type(self) -> str:
        return self.kind.duckdb

    @property
    def sqlite_type(self) -> str:
        return self.kind.sqlite

    @property
    def duckdb_native(self) -> bool:
        """Whether DuckDB's CSV reader reads the cells itself (else they are read as VARCHAR
        and converted by `duckdb_value`)."""
        if self.format != "default" or self.missing_values != DEFAULT_MISSING:
            return False
        if self.type == "boolean":
            return (self.true_values, self.false_values) == (TRUE_VALUES, FALSE_VALUES)
        if self.type in ("number", "integer"):
            return (self.decimal_char, self.group_char, self.bare_number) == (".", "", True)
        return self.type not in ("datetime", "time")

    def duckdb_value(self, col: str) -> str:
        """SQL (DuckDB) turning the VARCHAR cell `col` into the column's value (NULL when missing)."""
        value = self._duckdb_convert(col)
        if self.missing_values == DEFAULT_MISSING:
            return value
        missing = ", ".join(_sql_literal(v) for v in self.missing_values)
        empty = f" OR {col} IS NULL" if "" in self.missing_values else ""
        text = col if "" in self.missing_values else f"coalesce({col}, '')"
        return f"CASE WHEN {text} IN ({missing}){empty} THEN NULL ELSE {value.replace(col, text)} END"

    def _duckdb_convert(self, col: str) -> str:
        t = self.type
        if t == "boolean":
            trues = ", ".join(_sql_literal(v) for v in self.true_values)
            falses = ", ".join(_sql_literal(v) for v in self.false_values)
            return f"CASE WHEN {col} IN ({trues}) THEN true WHEN {col} IN ({falses}) THEN false END"
        if t in ("number", "integer"):
            text = col
            if not self.bare_number:
                text = f"regexp_replace(regexp_replace({text}, {_sql_literal(_leading_junk(self))}, ''), " \
                       f"{_sql_literal(TRAILING_JUNK)}, '')"
            if self.group_char:
                text = f"replace({text}, {_sql_literal(self.group_char)}, '')"
            if self.decimal_char != ".":
                text = f"replace({text}, {_sql_literal(self.decimal_char)}, '.')"
            return f"CAST({text} AS {self.duckdb_type})"
        if t in ("date", "time", "datetime") and self.format != "default":
            target = {"date": "DATE", "time": "TIME", "datetime": "TIMESTAMP"}[t]
            return f"CAST(strptime({col}, {_sql_literal(self.format)}) AS {target})"
        if t in ("datetime", "time"):  # a zone, when written, is honoured; without one the time is UTC
            text = f"CASE WHEN regexp_matches({col}, '(Z|[+-][0-9]{{2}}:[0-9]{{2}})$') THEN {col} ELSE {col} || 'Z' END"
            text = f"'2000-01-01T' || {text}" if t == "time" else text
            return f"CAST((CAST({text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC') AS {self.duckdb_type})"
        return f"CAST({col} AS {self.duckdb_type})"

    @property
    def sqlite_words(self) -> str:
        """How the built SQLite database (the site) holds a value, when not as the CSV has it."""
        if self.type == "boolean":
            return "Stored as 1 for true and 0 for false."
        if self.type == "datetime":
            return "Stored as UTC, written YYYY-MM-DDThh:mm:ss."
        if self.type == "time" and self.format == "default":
            return "Stored as UTC, written hh:mm:ss."
        return ""

    def sqlite_value(self, col: str) -> str:
        """SQL (DuckDB) turning the typed column `col` into SQLite's convention for the type:
        dates and times as ISO text, booleans as 0/1."""
        if self.type in ("date", "time"):
            return f"CAST({col} AS VARCHAR)"
        if self.type == "datetime":
            return f"strftime({col}, '%Y-%m-%dT%H:%M:%S')"
        if self.type == "boolean":
            return f"CAST({col} AS INTEGER)"
        return col


BOUND_WORDS = {
    "minimum": lambda b: f"is below the minimum {b}.",
    "maximum": lambda b: f"is above the maximum {b}.",
    "exclusiveMinimum": lambda b: f"is not above {b}.",
    "exclusiveMaximum": lambda b: f"is not below {b}.",
}


def _within(key: str, value: Any, bound: Any) -> bool:
    if value != value:  # NaN is within no bound
        return False
    if key == "minimum":
        return value >= bound
    if key == "maximum":
        return value <= bound
    if key == "exclusiveMinimum":
        return value > bound
    return value < bound


def read_missing_values(values: Any, label: str, where: "str | Path | None") -> tuple[str, ...]:
    """`missingValues` as strings: Table Schema v1's list of strings or v2's {value, label} objects."""
    if not isinstance(values, list):
        raise schema_error(f"{label}: missingValues must be a list.", where, "write missingValues as [\"\"].",
                           code="schema-error")
    out = []
    for v in values:
        if isinstance(v, dict) and isinstance(v.get("value"), str):
            v = v["value"]
        if not isinstance(v, str):
            raise schema_error(f"{label}: missingValues holds {v!r}, not a string.", where,
                               "list the missing values as strings.", code="schema-error")
        out.append(v)
    return tuple(out)


def _pattern_format(fmt: str) -> bool:
    """A strftime pattern (`%d/%m/%Y`) of directives Python and DuckDB read alike."""
    if "%" not in fmt:
        return False
    directives = re.findall(r"%(.)", fmt)
    return all(d in PATTERN_DIRECTIVES for d in directives)


def _polars_regex_check(pattern: str) -> None:
    import polars as pl

    try:
        pl.Series([""], dtype=pl.Utf8).str.contains(pattern)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """Quote an identifier for SQL (DuckDB and SQLite use the same rule)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: Any) -> str:
    return _sql_literal(str(value))


def _plain(value: Decimal) -> str | None:
    """Plain decimal notation without trailing zeros; None when the exponent is extreme."""
    if value == 0:
        return "0"
    if abs(value.adjusted()) > MAX_PLAIN_EXPONENT:
        return None
    return format(value.normalize(), "f")


# --- parsers of one cell, by type ------------------------------------------------------

def _number_text(f: Field, text: str) -> str | None:
    """The text of a number or integer cell with its options applied (bareNumber, groupChar,
    decimalChar); None when a stray character makes it no number. `_number_text_expr` is
    the same in polars."""
    s = text
    if not f.bare_number:
        s = re.sub(_leading_junk(f), "", s)
        s = re.sub(TRAILING_JUNK, "", s) if re.search(r"[0-9]", s) else s
    if f.group_char:
        s = s.replace(f.group_char, "")
    if f.decimal_char != ".":
        if "." in s:
            return None
        s = s.replace(f.decimal_char, ".")
    return s


TRAILING_JUNK = r"[^0-9]+$"


def _leading_junk(f: Field) -> str:
    return rf"^[^0-9+\-{re.escape(f.decimal_char)}]+"


def _number_text_expr(f: Field, s: "pl.Expr") -> "pl.Expr":
    import polars as pl

    if not f.bare_number:
        s = s.str.replace(_leading_junk(f), "")
        s = pl.when(s.str.contains("[0-9]")).then(s.str.replace(TRAILING_JUNK, "")).otherwise(s)
    if f.group_char:
        s = s.str.replace_all(f.group_char, "", literal=True)
    if f.decimal_char != ".":
        s = pl.when(s.str.contains(".", literal=True)).then(None) \
            .otherwise(s.str.replace_all(f.decimal_char, ".", literal=True))
    return s


def _parse_string(f: Field, text: str) -> str:
    if f.format != "default":
        if not re.match(STRING_FORMATS[f.format][0], text):
            raise Unparsed(text)
        if f.format == "binary":
            try:
                base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise Unparsed(text) from None
    return text


def _parse_integer(f: Field, text: str) -> int:
    s = _number_text(f, text)
    if s is None or not re.match(INTEGER_RE, s):
        raise Unparsed(text)
    return int(s)


def _parse_number(f: Field, text: str) -> Decimal:
    s = _number_text(f, text)
    if s is None:
        raise Unparsed(text)
    special = NUMBER_SPECIALS.get(s.lower())
    if special is not None:
        return Decimal(special)
    if not re.match(NUMBER_RE, s):
        raise Unparsed(text)
    try:
        return Decimal(s)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise Unparsed(text) from None


def _parse_boolean(f: Field, text: str) -> bool:
    if text in f.true_values:
        return True
    if text in f.false_values:
        return False
    raise Unparsed(text)


def _clock(m: re.Match, first: int) -> tuple[int, int, int, int, dt.timezone | None, bool]:
    """Hours, minutes, seconds, microseconds, zone (None: none written) and whether the
    second is a leap second, from the groups of `_CLOCK` starting at group `first`."""
    hh, mm, ss = int(m.group(first)), int(m.group(first + 1)), int(m.group(first + 2))
    frac = m.group(first + 3)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    zone = m.group(first + 4)
    tz = None
    if zone == "Z":
        tz = dt.timezone.utc
    elif zone:
        sign = -1 if zone[0] == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return hh, mm, min(ss, 59), micro, tz, ss == 60


def _parse_datetime(f: Field, text: str) -> dt.datetime:
    if f.format != "default":
        return _strptime(text, f.format).replace(tzinfo=dt.timezone.utc)
    m = re.match(DATETIME_RE, text)
    if not m:
        raise Unparsed(text)
    hh, mm, ss, micro, tz, leap = _clock(m, 3)
    try:
        value = dt.datetime(int(text[:4]), int(text[5:7]), int(text[8:10]), hh, mm, ss, micro,
                            tzinfo=tz or dt.timezone.utc)
    except ValueError:
        raise Unparsed(text) from None
    if leap:
        value = value.replace(microsecond=0) + dt.timedelta(seconds=1)
    return value.astimezone(dt.timezone.utc)


def _parse_time(f: Field, text: str) -> dt.time:
    if f.format != "default":
        return _strptime(text, f.format).time()
    m = re.match(TIME_RE, text)
    if not m:
        raise Unparsed(text)
    hh, mm, ss, micro, tz, leap = _clock(m, 1)
    value = dt.datetime(2000, 1, 1, hh, mm, ss, micro, tzinfo=tz or dt.timezone.utc)
    if leap:
        value = value.replace(microsecond=0) + dt.timedelta(seconds=1)
    return value.astimezone(dt.timezone.utc).time()


def _parse_date(f: Field, text: str) -> dt.date:
    if f.format != "default":
        value = _strptime(text, f.format)
        if value.time() != dt.time(0):
            raise Unparsed(text)
        return value.date()
    if not re.match(DATE_RE, text):
        raise Unparsed(text)
    try:
        return dt.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        raise Unparsed(text) from None


def _strptime(text: str, fmt: str) -> dt.datetime:
    try:
        value = dt.datetime.strptime(text, fmt)
    except ValueError:
        raise Unparsed(text) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _parse_year(f: Field, text: str) -> int:
    if not re.match(YEAR_RE, text):
        raise Unparsed(text)
    return int(text)


def _parse_yearmonth(f: Field, text: str) -> tuple[int, int]:
    if not re.match(YEARMONTH_RE, text):
        raise Unparsed(text)
    return int(text[:4]), int(text[5:7])


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration: months (years x 12 + months) and seconds (weeks, days, hours,
    minutes and seconds) are apart, as a month has no fixed length."""

    months: int
    seconds: Decimal

    def __str__(self) -> str:
        return f"P{self.months}MT{_plain(self.seconds) or self.seconds}S"


def _parse_duration(f: Field, text: str) -> Duration:
    m = re.match(DURATION_RE, text)
    if not m or text in ("P", "PT") or text.endswith("T") or not any(m.groups()):
        raise Unparsed(text)
    y, mo, w, d, h, mi, s = (g or "0" for g in m.groups())
    seconds = ((int(w) * 7 + int(d)) * 24 + int(h)) * 3600 + int(mi) * 60 + Decimal(s)
    return Duration(int(y) * 12 + int(mo), seconds)


def _parse_geopoint(f: Field, text: str) -> tuple[Decimal, Decimal]:
    if f.format == "default":
        m = re.match(GEOPOINT_RE, text)
        if not m:
            raise Unparsed(text)
        lon, lat = Decimal(m.group(1)), Decimal(m.group(2))
    else:
        value = _json(text)
        if f.format == "array":
            if not (isinstance(value, list) and len(value) == 2):
                raise Unparsed(text)
            lon, lat = value
        else:
            if not (isinstance(value, dict) and set(value) == {"lon", "lat"}):
                raise Unparsed(text)
            lon, lat = value["lon"], value["lat"]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat)):
            raise Unparsed(text)
        lon, lat = Decimal(str(lon)), Decimal(str(lat))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Unparsed(text)
    return lon, lat


def _json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Unparsed(text) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_object(f: Field, text: str) -> dict:
    value = _json(text)
    if not isinstance(value, dict):
        raise Unparsed(text)
    return value


def _parse_array(f: Field, text: str) -> list:
    value = _json(text)
    if not isinstance(value, list):
        raise Unparsed(text)
    return value


_GEOJSON_VALIDATOR: list = []


def _parse_geojson(f: Field, text: str) -> dict:
    """A GeoJSON object, checked against the GeoJSON profile frictionless ships (the one its
    validator uses), read from the installed package's files without importing it."""
    value = _parse_object(f, text)
    if not _GEOJSON_VALIDATOR:
        import importlib.util

        import jsonschema

        spec = importlib.util.find_spec("frictionless")
        path = Path(list(spec.submodule_search_locations)[0]) / "assets" / "profiles" / "geojson.json"
        profile = json.loads(path.read_text(encoding="utf-8"))
        _GEOJSON_VALIDATOR.append(jsonschema.validators.validator_for(profile)(profile))
    if not _GEOJSON_VALIDATOR[0].is_valid(value):
        raise Unparsed(text)
    return value


def _parse_list(f: Field, text: str) -> list:
    items = text.split(f.delimiter)
    return [f.item.parse(item) for item in items]


def _parse_any(f: Field, text: str) -> str:
    return text


_PARSERS: dict[str, Callable[[Field, str], Any]] = {
    "string": _parse_string, "integer": _parse_integer, "number": _parse_number, "boolean": _parse_boolean,
    "date": _parse_date, "datetime": _parse_datetime, "time": _parse_time, "year": _parse_year,
    "yearmonth": _parse_yearmonth, "duration": _parse_duration, "geopoint": _parse_geopoint,
    "geojson": _parse_geojson, "object": _parse_object, "array": _parse_array, "list": _parse_list,
    "any": _parse_any,
}


def _json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _number_key(f: Field, value: Decimal) -> str:
    if value.is_nan():
        return "NaN"
    if value == 0:
        return "0"
    return (_plain(value) if value.is_finite() else None) or str(value.normalize())


_KEYS: dict[str, Callable[[Field, Any], str]] = {
    "number": _number_key,
    "boolean": lambda f, v: "true" if v else "false",
    "date": lambda f, v: v.isoformat(),
    "datetime": lambda f, v: v.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(),
    "time": lambda f, v: v.isoformat(),
    "yearmonth": lambda f, v: f"{v[0]:04d}-{v[1]:02d}",
    "duration": lambda f, v: str(v),
    "geopoint": lambda f, v: f"{_number_key(f, v[0])},{_number_key(f, v[1])}",
    "geojson": lambda f, v: _json_key(v),
    "object": lambda f, v: _json_key(v),
    "array": lambda f, v: _json_key(v),
    "list": lambda f, v: _json_key([f.item.key(i) for i in v]),
    "any": lambda f, v: v if isinstance(v, str) else _json_key(v),
}


# --- polars parsers, by type (the common types in their default formats) ----------------

def _v_string(f: Field, text: "pl.Expr") -> "pl.Expr":
    return text


def _v_integer(f: Field, text: "pl.Expr") -> "pl.Expr":
    """polars reads exactly INTEGER_RE as an integer (a test holds the two equal); beyond 64
    bits it gives null, and `unparsed` tells those apart."""
    import polars as pl

    return _number_text_expr(f, text).cast(pl.Int64, strict=False)


def _v_number(f: Field, text: "pl.Expr") -> "pl.Expr":
    """polars reads exactly NUMBER_RE as a finite number (a test holds the two equal); of the
    words it reads as NaN and infinities, only Table Schema's spellings stand."""
    import polars as pl

    s = _number_text_expr(f, text)
    value = s.cast(pl.Float64, strict=False)
    # beyond a double's range (1e400) a number reads as an infinity: digits tell it from a word
    return pl.when(value.is_finite()).then(value).when(s.is_in(SPECIAL_SPELLINGS)).then(value) \
        .when(value.is_infinite() & s.str.contains("[0-9]")).then(value)


# every case of "nan", "inf", "+inf", "-inf" (Table Schema: "case need not be respected")
SPECIAL_SPELLINGS = sorted({"".join(c) for word in NUMBER_SPECIALS
                            for c in itertools.product(*[(ch.lower(), ch.upper()) for ch in word])})


def _v_boolean(f: Field, text: "pl.Expr") -> "pl.Expr":
    import polars as pl

    return pl.when(text.is_in(list(f.true_values))).then(True).when(text.is_in(list(f.false_values))).then(False)


def _v_date(f: Field, text: "pl.Expr") -> "pl.Expr":
    import polars as pl

    # cache=False: polars' cache of parsed strings costs more than it saves (a slice holds
    # tens of thousands of distinct dates): 2.5 ms less per date column per 150k rows
    # year 0000 is no date (Python's and the spec's calendars start at year 1; polars reads it)
    parsed = text.str.to_date("%Y-%m-%d", strict=False, cache=False)
    return pl.when(text.str.contains(DATE_RE) & ~text.str.starts_with("0000")).then(parsed)


def _v_datetime(f: Field, text: "pl.Expr", pattern: str = DATETIME_RE) -> "pl.Expr":
    """With a zone: that instant; without: UTC (so the row order never matters). A leap
    second is the second after :59, as `_parse_datetime` reads it."""
    import polars as pl

    zoned = text.str.contains(r"(Z|[+-][0-9]{2}:[0-9]{2})$")
    leap = text.str.contains(r":60(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$")
    s = pl.when(leap).then(text.str.replace(r":60(\.[0-9]+)?", ":59")).otherwise(text).str.replace(r"Z$", "+00:00")
    aware = s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us", cache=False) \
        .dt.convert_time_zone("UTC")
    naive = s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us", cache=False) \
        .dt.replace_time_zone("UTC")
    value = pl.when(zoned).then(aware).otherwise(naive)
    value = pl.when(leap).then(value + pl.duration(seconds=1)).otherwise(value)
    return pl.when(text.str.contains(pattern) & ~text.str.starts_with("0000")).then(value)


def _v_time(f: Field, text: "pl.Expr") -> "pl.Expr":
    import polars as pl

    on_a_day = pl.when(text.str.contains(TIME_RE)).then(pl.lit("2000-01-01T") + text)
    return _v_datetime(f, on_a_day).dt.time()


def _v_year(f: Field, text: "pl.Expr") -> "pl.Expr":
    import polars as pl

    return pl.when(text.str.contains(YEAR_RE)).then(text.cast(pl.Int64, strict=False))


def _v_yearmonth(f: Field, text: "pl.Expr") -> "pl.Expr":
    import polars as pl

    return pl.when(text.str.contains(YEARMONTH_RE)).then(text)


_VECTOR: dict[str, Callable[[Field, "pl.Expr"], "pl.Expr"]] = {
    "string": _v_string, "integer": _v_integer, "number": _v_number, "boolean": _v_boolean,
    "date": _v_date, "datetime": _v_datetime, "time": _v_time, "year": _v_year, "yearmonth": _v_yearmonth,
}


def schema_fields(schema: dict[str, Any], *, where: "str | Path | None" = None, table: str = "") -> list[Field]:
    """The models of every field of a Table Schema."""
    return [Field.of(f, schema, where=where, table=table) for f in schema["fields"]]


_MODELS: dict[int, tuple[dict, list[Field]]] = {}


def resource_fields(resource: Any) -> list[Field]:
    """The models of a resource's fields (a `brcd.package.Resource`), made once per schema."""
    known = _MODELS.get(id(resource.schema))
    if known is not None and known[0] is resource.schema:
        return known[1]
    models = schema_fields(resource.schema, where=resource.schema_path or resource.root / "datapackage.json",
                           table=resource.name)
    if len(_MODELS) > 256:
        _MODELS.clear()
    _MODELS[id(resource.schema)] = (resource.schema, models)
    return models


def field_of(resource: Any, name: str) -> Field:
    """The model of one field of a resource."""
    for model in resource_fields(resource):
        if model.name == name:
            return model
    raise KeyError(name)


def _str_key(f: Field, value: Any) -> str:
    return str(value)
