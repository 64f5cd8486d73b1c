"""Rules 1 and 2 on single cells: type and format (`type-error`), spreadsheet formula
injection and stray spaces. `typed_frame` turns a table of strings into typed columns for the
constraint and domain checks; a cell that does not parse is reported once here and is null
in the typed frame (the `required` check then skips it: see `models.failures`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from brcd.validate.collector import Collector
from brcd.validate.structure import Table

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

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
    if ftype == "date":
        return pl.when(c.str.contains(DATE_RE)).then(c.str.to_date("%Y-%m-%d", strict=False))
    if ftype == "datetime":
        return pl.when(c.str.contains(DATETIME_RE)).then(c.str.to_datetime(strict=False, time_zone="UTC"))
    if ftype == "time":
        return pl.when(c.str.contains(TIME_RE)).then(c.str.to_time("%H:%M:%S", strict=False))
    if ftype == "year":
        return pl.when(c.str.contains(YEAR_RE)).then(c.cast(pl.Int64, strict=False))
    if ftype == "yearmonth":
        return pl.when(c.str.contains(YEARMONTH_RE)).then(c)
    return c


def typed_frame(table: Table, out: Collector) -> "pl.DataFrame":
    """Parse every cell; report `type-error` for non-empty cells that do not parse."""
    import polars as pl

    fields = table.resource.fields
    raw = table.frame
    typed = raw.select(parse_expr(f).alias(f["name"]) for f in fields)
    checked = [f for f in fields if f.get("type", "string") not in ("string", "any")]
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
            want = TYPE_WORDS.get(f.get("type", "string"), f.get("type"))
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


def check_text(table: Table, out: Collector) -> None:
    """Formula injection and leading/trailing spaces in free-text cells."""
    import polars as pl

    names = free_text_fields(table)
    if not names or not table.frame.height:
        return
    ok = pl.Series(table.ok)
    frame = table.frame
    formula = frame.select((pl.col(n).str.contains(FORMULA_RE).fill_null(False) & ok).alias(n) for n in names)
    # two anchored expressions: one `^\s|\s$` tries every position of the cell
    spaces = frame.select(((pl.col(n).str.contains(r"^\s") | pl.col(n).str.contains(r"\s$")).fill_null(False) & ok)
                          .alias(n) for n in names)
    for code, masks, say in (
        ("formula-injection", formula, "starts like a spreadsheet formula"),
        ("whitespace", spaces, "has spaces at its start or end"),
    ):
        for name, n in zip(names, masks.sum().row(0)):
            if not n:
                continue
            rows = np.flatnonzero(masks[name].to_numpy())
            out.add_rows(int(n), rows, lambda r, name=name, say=say, code=code: table.issue(
                code, r, name, f"{frame[name][r]!r} {say}.", frame[name][r]))
