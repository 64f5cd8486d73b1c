"""Rules 1 and 2 on single cells: missing values, type and format (`type-error`), `required`
(`constraint-error`), spreadsheet formula injection and stray spaces. `typed_frame` turns a
table of raw cells into typed columns for the constraint and domain checks, through each
field's model (`brcd.fields.Field`); a cell that does not parse is reported once here and is
null in the typed frame (the later checks skip it: see `validate._check_model`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from brcd.fields import resource_fields
from brcd.validate.collector import Collector
from brcd.validate.structure import Table

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

FORMULA_RE = r"^[=+\-@][A-Za-z(]"
TYPED = "\x00typed"  # suffix of the typed columns beside the raw ones, in one query


def typed_frame(table: Table, out: Collector) -> "pl.DataFrame":
    """Parse every cell; report `type-error` for present cells that do not parse, and
    `constraint-error` (required) for missing cells of required fields."""
    import polars as pl

    fields = resource_fields(table.resource)
    raw = table.frame
    # which columns hold a "" cell (a quoted empty cell, missing like an empty one), in one
    # query: the others skip a comparison of text per check, and a text column is then its
    # own typed column (no copy)
    shortest = raw.select(pl.col(f.name).str.len_bytes().min() for f in fields).row(0) if raw.height \
        else [None] * len(fields)
    blanks = {f.name: n == 0 for f, n in zip(fields, shortest)}
    fast = [f for f in fields if f.vectorised]
    typed = raw.select(f.typed_expr(pl.col(f.name), blanks[f.name]).alias(f.name) for f in fast)
    slow = [f.typed(raw[f.name]) for f in fields if not f.vectorised]
    if slow:
        typed = typed.with_columns(slow)
    typed = typed.select(f.name for f in fields)
    both = pl.concat([raw, typed.rename({f.name: f.name + TYPED for f in fields})], how="horizontal")
    checks = [(f, "type-error", f.unparsed_expr(pl.col(f.name), pl.col(f.name + TYPED), blanks[f.name]))
              for f in fields if f.checks_type]
    checks += [(f, "required", f.missing_expr(pl.col(f.name), blanks[f.name])) for f in fields if f.required]
    if not checks:
        return typed
    ok = pl.Series(table.ok)
    bad = both.select(((expr & pl.lit(ok)).fill_null(False)).alias(str(i)) for i, (_, _, expr) in enumerate(checks))
    counts = bad.sum().row(0)
    for i, ((f, kind, _), n) in enumerate(zip(checks, counts)):
        if not n:
            continue
        name = f.name
        rows = np.flatnonzero(bad[str(i)].to_numpy())
        if kind == "required":
            out.add_rows(int(n), rows, lambda r, name=name: table.issue(
                "constraint-error", r, name, f"{name} is empty: a value is required.", raw[name][r]))
            continue
        if f.type == "integer":
            rows = _without_big_integers(table, f, rows, out)
        out.add_rows(len(rows), rows, lambda r, name=name, want=f.words: table.issue(
            "type-error", r, name, f"{raw[name][r]!r} is not {want}.", raw[name][r]))
    return typed


def _without_big_integers(table: Table, f, rows: np.ndarray, out: Collector) -> np.ndarray:
    """`rows` less the integers beyond 64 bits among them: integers all the same (Table Schema
    sets no limit), with no place in the typed Int64 column, so their constraints are checked
    here, one cell at a time."""
    column = table.frame[f.name]
    big = f.big_integers(column.gather(rows)).to_numpy()
    for r in rows[big]:
        cell = column[int(r)]
        for tag, words in f.constraint_failures(f.read(cell)):
            out.add(table.issue("constraint-error", int(r), f.name, f"{cell!r} {words} (constraint {tag})", cell))
    return rows[~big]


def free_text_fields(table: Table) -> list[str]:
    """Strings without a format, an enum or a pattern (those catch stray characters themselves)."""
    return [f.name for f in resource_fields(table.resource)
            if f.type == "string" and f.format == "default" and f.enum is None and f.pattern is None
            and f.categories is None]


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
