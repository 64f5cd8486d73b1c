"""Rules 1 and 2 on single cells: type and format (`type-error`), spreadsheet formula
injection and stray spaces. `typed_frame` turns a table of strings into typed columns for the
constraint and domain checks; a cell that does not parse is reported once here and is null
in the typed frame (the `required` check then skips it: see `models.failures`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from brcd.errors import BrcdError
from brcd.validate.collector import Collector
from brcd.validate.structure import Table

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from brcd.package import Resource

DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
TIME_RE = r"^\d{2}:\d{2}:\d{2}$"
YEAR_RE = r"^\d{4}$"
YEARMONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
FORMULA_RE = r"^[=+\-@][A-Za-z(]"
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]

TYPE_WORDS = {
    "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "date": "a date as YYYY-MM-DD", "datetime": "a date and time as YYYY-MM-DDThh:mm:ss",
    "time": "a time as hh:mm:ss", "year": "a year as YYYY", "yearmonth": "a month as YYYY-MM",
}
# Table Schema's string formats: (pattern, what a cell must be).
STRING_FORMATS = {
    "email": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address"),
    "uri": (r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$", "a URI with its scheme (like https://...)"),
    "uuid": (r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$", "a UUID"),
    "binary": (r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$", "base64 text"),
}
# Date and time types are read in their ISO form only (Table Schema's "default").
ISO_ONLY = ("date", "datetime", "time", "year", "yearmonth")


def checks_type(field: dict[str, Any]) -> bool:
    """Whether a cell of this field can fail to be of its type (`type-error`)."""
    ftype = field.get("type", "string")
    return ftype not in ("string", "any") or field.get("format") in STRING_FORMATS


def type_words(field: dict[str, Any]) -> str:
    ftype = field.get("type", "string")
    if ftype == "string":
        return STRING_FORMATS[field["format"]][1]
    return TYPE_WORDS.get(ftype, ftype)


def check_formats(resource: "Resource") -> None:
    """A field format this validator cannot read is a broken schema (exit 2), not a million
    type errors: date and time types in their ISO form only, strings in `STRING_FORMATS`."""

    for f in resource.fields:
        ftype, fmt = f.get("type", "string"), f.get("format", "default")
        if (ftype in ISO_ONLY and fmt != "default") or (ftype == "string" and fmt not in ("default", *STRING_FORMATS)):
            raise BrcdError("schema-error", f"field {f['name']!r} of {resource.name} has format {fmt!r}, which"
                            " brcd validate does not read.", file=resource.schema_path or resource.root / "datapackage.json",
                            hint=f"give {ftype} fields the format \"default\""
                                 + (f" or one of {', '.join(STRING_FORMATS)}" if ftype == "string" else "") + ".")


def parse_expr(field: dict[str, Any]) -> "pl.Expr":
    """The typed value of a field's cell; null where the cell is empty or does not parse."""
    import polars as pl

    c = pl.col(field["name"])
    ftype = field.get("type", "string")
    if ftype == "integer":
        return c.cast(pl.Int64, strict=False)
    if ftype == "number":
        v = c.cast(pl.Float64, strict=False)
        return pl.when(v.is_finite()).then(v)
    if ftype == "boolean":
        return pl.when(c.is_in(field.get("trueValues", TRUE_VALUES))).then(True) \
            .when(c.is_in(field.get("falseValues", FALSE_VALUES))).then(False)
    # cache=False: polars' cache of parsed strings costs more than it saves (a slice holds
    # tens of thousands of distinct dates): 2.5 ms less per date column per 150k rows
    if ftype == "date":
        return pl.when(c.str.contains(DATE_RE)).then(c.str.to_date("%Y-%m-%d", strict=False, cache=False))
    if ftype == "datetime":
        return pl.when(c.str.contains(DATETIME_RE)).then(c.str.to_datetime(strict=False, time_zone="UTC", cache=False))
    if ftype == "time":
        return pl.when(c.str.contains(TIME_RE)).then(c.str.to_time("%H:%M:%S", strict=False, cache=False))
    if ftype == "year":
        return pl.when(c.str.contains(YEAR_RE)).then(c.cast(pl.Int64, strict=False))
    if ftype == "yearmonth":
        return pl.when(c.str.contains(YEARMONTH_RE)).then(c)
    if ftype == "string" and field.get("format") in STRING_FORMATS:
        return pl.when(c.str.contains(STRING_FORMATS[field["format"]][0])).then(c)
    return c


def typed_frame(table: Table, out: Collector) -> "pl.DataFrame":
    """Parse every cell; report `type-error` for non-empty cells that do not parse."""
    import polars as pl

    fields = table.resource.fields
    raw = table.frame
    typed = raw.select(parse_expr(f).alias(f["name"]) for f in fields)
    checked = [f for f in fields if checks_type(f)]
    if checked:
        ok = pl.Series(table.ok)
        bad = raw.select((pl.col(f["name"]).is_not_null() & typed[f["name"]].is_null() & ok).alias(f["name"])
                         for f in checked)
        counts = bad.sum().row(0)
        for f, n in zip(checked, counts):
            if not n:
                continue
            name = f["name"]
            rows = np.flatnonzero(bad[name].to_numpy())
            want = type_words(f)
            out.add_rows(int(n), rows, lambda r, name=name, want=want: table.issue(
                "type-error", r, name, f"{raw[name][r]!r} is not {want}.", raw[name][r]))
    return typed


def free_text_fields(table: Table) -> list[str]:
    """String fields without an enum or pattern (those catch stray characters themselves)."""
    out = []
    for f in table.resource.fields:
        cons = f.get("constraints") or {}
        if f.get("type", "string") == "string" and "enum" not in cons and "pattern" not in cons:
            out.append(f["name"])
    return out


def _is_formula(c: "pl.Expr") -> "pl.Expr":
    return c.str.contains(FORMULA_RE)


def _has_spaces(c: "pl.Expr") -> "pl.Expr":
    # two anchored expressions: one `^\s|\s$` tries every position of the cell
    return c.str.contains(r"^\s") | c.str.contains(r"\s$")


TEXT_CHECKS = (("formula-injection", _is_formula, "starts like a spreadsheet formula"),
               ("whitespace", _has_spaces, "has spaces at its start or end"))
TEXT_DISTINCT_SHARE = 0.25


def _text_failures(column: "pl.Series") -> list["np.ndarray | None"]:
    """Per `TEXT_CHECKS`, a mask of the cells failing it (None: none fail). Free text often
    repeats (place names, boilerplate), so a column with few distinct values (at most
    `TEXT_DISTINCT_SHARE` of its cells) is checked once per value, mapped back to the rows."""
    import polars as pl

    c = pl.col(column.name)
    values = column.drop_nulls().unique()
    if len(values) > TEXT_DISTINCT_SHARE * len(column):
        fails = column.to_frame().select(test(c).fill_null(False).alias(code) for code, test, _ in TEXT_CHECKS)
        return [fails[code].to_numpy() if fails[code].any() else None for code, _, _ in TEXT_CHECKS]
    fails = values.to_frame().select(test(c).alias(code) for code, test, _ in TEXT_CHECKS)
    return [column.is_in(values.filter(fails[code]).implode()).fill_null(False).to_numpy() if fails[code].any() else None
            for code, _, _ in TEXT_CHECKS]


def check_text(table: Table, out: Collector) -> None:
    """Formula injection and leading/trailing spaces in free-text cells."""
    names = free_text_fields(table)
    if not names or not table.frame.height:
        return
    frame = table.frame
    masks = {name: _text_failures(frame[name]) for name in names}
    for i, (code, _, say) in enumerate(TEXT_CHECKS):
        for name in names:
            mask = masks[name][i]
            rows = np.flatnonzero(mask & table.ok) if mask is not None else ()
            if not len(rows):
                continue
            out.add_rows(len(rows), rows, lambda r, name=name, say=say, code=code: table.issue(
                code, r, name, f"{frame[name][r]!r} {say}.", frame[name][r]))
