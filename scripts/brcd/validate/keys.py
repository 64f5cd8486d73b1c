"""Rules 2 and 3 on keys: `unique`, `primaryKey`, `uniqueKeys` and every foreign key between
tables, including self-references (a parent row) and each item of a delimited list of ids
(`listReference`). Keys are compared as logical values: each cell's canonical key text from
its field's model (`brcd.fields.Field.keys`: integer 1 and 01 are one key, so are number 1,
1.0 and 01), so a foreign key 01 finds the row keyed 1. All are vectorised over polars frames:
a duplicate is a row whose key was already seen above it (keys are hashed first, see
`later_copies`); a dangling reference is an anti-join against the referenced table's keys.
Rows that are ragged or blank are left out, as are missing and unparsable cells (a type error
already); an empty primary-key cell is an error (`primary-key`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from brcd.fields import field_of
from brcd.validate.checks import kept_columns
from brcd.validate.collector import Collector
from brcd.validate.structure import Table

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

ROW = "_row"


def kept_fields(resource, package) -> list[str]:
    """The columns the key checks and the rules read after reading need once the rows are
    gone: this table's keys, the fields that point elsewhere, the fields other tables point at
    and the columns of `checks.kept_columns`."""
    want = set(resource.primary_key) | kept_columns(resource, package)
    want |= {f["name"] for f in resource.fields if (f.get("constraints") or {}).get("unique")}
    want |= {name for cols in resource.unique_keys for name in cols}
    for fk in resource.foreign_keys:
        want |= set(fk["fields"])
    want |= {lr["field"] for lr in resource.list_references()}
    for other in package.resources:
        for fk in other.foreign_keys:
            if fk["reference"]["resource"] == resource.name:
                want |= set(fk["reference"]["fields"])
        for lr in other.list_references():
            if lr["resource"] == resource.name:
                want.add(lr["resource_field"])
    return [n for n in resource.field_names if n in want]


def key_frame(table: Table, cols: list[str]) -> "pl.DataFrame":
    """The logical keys of `cols` (canonical text; null where a cell is missing or unparsable)."""
    import polars as pl

    return pl.DataFrame([field_of(table.resource, c).keys(table.frame[c].cast(pl.Utf8)).alias(c) for c in cols])


def check_unique(table: Table, out: Collector) -> None:
    import polars as pl

    ok = pl.Series(table.row_ok)
    pk = table.resource.primary_key
    keys: list[tuple[str, list[str]]] = []
    if pk:
        keys.append(("primary-key", pk))
        _check_empty_primary_key(table, pk, out)
    for f in table.resource.fields:
        if (f.get("constraints") or {}).get("unique") and [f["name"]] != pk:
            keys.append(("unique-error", [f["name"]]))
    keys += [("unique-error", cols) for cols in table.resource.unique_keys if cols != pk]
    for code, cols in keys:
        frame = key_frame(table, cols)
        dup, first = later_copies(frame, cols, ok)
        if not len(dup):
            continue
        shown = dup if out.limit is None else dup[: out.limit]
        values = table.frame.select(pl.col(c).cast(pl.Utf8) for c in cols).gather(shown)
        label = ", ".join(cols)
        what = "primary key" if code == "primary-key" else "unique fields" if len(cols) > 1 else "unique field"

        def make(i: int, cols=cols, code=code, label=label, what=what, first=first, values=values):
            value = ", ".join(str(v) for v in values.row(i))
            line = table.line_of(int(first[i]))
            return table.issue(code, int(shown[i]), cols[0], f"{what} {label} = {value!r} repeats the row at line {line}.",
                               value)

        out.add_many(len(dup), (make(i) for i in range(len(shown))))


def _check_empty_primary_key(table: Table, pk: list[str], out: Collector) -> None:
    """A row must have every primary-key field (a missing cell of a `required` field is
    reported as such already)."""
    import polars as pl

    models = [field_of(table.resource, c) for c in pk]
    unchecked = [m for m in models if not m.required]
    if not unchecked:
        return
    empty = table.frame.select(pl.any_horizontal(m.missing_expr(pl.col(m.name).cast(pl.Utf8)) for m in unchecked)
                               & pl.lit(pl.Series(table.row_ok))).to_series()
    rows = np.flatnonzero(empty.fill_null(False).to_numpy())
    if not len(rows):
        return

    def make(r: int):
        name = next(m.name for m in unchecked if m.is_missing(table.frame[m.name][r]))
        return table.issue("primary-key", r, name, f"{name} is empty: every row needs its primary key"
                                                   f" ({', '.join(pk)}).")

    out.add_rows(len(rows), rows, make)


def later_copies(frame: "pl.DataFrame", cols: list[str], ok: "pl.Series") -> tuple[np.ndarray, np.ndarray]:
    """The rows (ascending) whose key, all of `cols` present and the row `ok`, repeats the key
    of a row above, and for each the first row with that key. The keys are hashed first (in
    parallel; comparing strings in a hash table is one core's work, 60 ms at a million ids):
    when no two hashes are equal no key repeats, and otherwise only the rows whose hash
    repeats are compared, exactly."""
    import polars as pl

    present = pl.all_horizontal(pl.col(c).is_not_null() for c in cols) & pl.lit(ok)
    key = pl.struct(cols) if len(cols) > 1 else pl.col(cols[0])
    hashes = frame.select(pl.when(present).then(key.hash())).to_series()
    known = hashes.drop_nulls()
    if known.n_unique() == len(known):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ordered = known.sort()
    repeated = ordered.filter(ordered == ordered.shift(1))
    rows = np.flatnonzero(hashes.is_in(repeated.implode()).fill_null(False).to_numpy())
    same = frame.select(cols)[rows].with_columns(pl.Series(ROW, rows)) \
        .select(~key.is_first_distinct(), pl.col(ROW).first().over(cols)).to_numpy()
    later = same[:, 0].astype(bool)
    return rows[later], same[later, 1].astype(np.int64)


def _key_values(table: Table | None, fields: list[str]) -> "pl.DataFrame | None":
    import polars as pl

    if table is None or any(f not in table.frame.columns for f in fields):
        return None
    keys = key_frame(table, fields)
    return keys.filter(pl.all_horizontal(pl.col(f).is_not_null() for f in fields)).unique()


def _missing(values: "pl.Series", source, target: Table | None, field: str) -> "pl.Series | None":
    """The distinct raw `values` (of the source field `source`) whose logical key is not a
    key of `target.field` (None: the target cannot be read). A value that does not parse
    (a type error already) is not looked up."""
    if target is None or field not in target.frame.columns:
        return None
    import polars as pl

    values = values.drop_nulls().unique().cast(pl.Utf8)
    wanted = source.keys(values)
    model = field_of(target.resource, field)
    column = target.frame[field]
    if model.type == "string" and model.format == "default" and model.missing_values == ("",):
        column = column.cast(pl.Utf8)  # the key is the text: scan for the few wanted values
        found = column.filter(column.is_in(wanted.drop_nulls().implode()))
    else:
        found = model.keys(column.unique().cast(pl.Utf8))
    return values.filter(wanted.is_not_null() & ~wanted.is_in(found.drop_nulls().implode()).fill_null(False))


def check_foreign_keys(table: Table, tables: dict[str, Table | None], out: Collector) -> None:
    import polars as pl

    ok = pl.Series(table.row_ok)
    for fk in table.resource.foreign_keys:
        cols, ref = fk["fields"], fk["reference"]
        if len(cols) == 1:
            present = pl.col(cols[0]).is_not_null() & ok
            source = field_of(table.resource, cols[0])
            missing = _missing(table.frame[cols[0]], source, tables.get(ref["resource"]), ref["fields"][0])
            if missing is None or not len(missing):
                continue
            bad = table.frame.select(present & pl.col(cols[0]).cast(pl.Utf8).is_in(missing.implode())).to_series()
            rows = np.flatnonzero(bad.fill_null(False).to_numpy())
        else:
            parent = _key_values(tables.get(ref["resource"]), ref["fields"])
            if parent is None:
                continue  # the referenced table is missing or unreadable: reported on its own
            child = key_frame(table, cols).with_row_index(ROW).filter(
                pl.all_horizontal(pl.col(c).is_not_null() for c in cols) & ok)
            rows = child.join(parent.rename(dict(zip(ref["fields"], cols))), on=cols, how="anti")[ROW].sort().to_numpy()
        _report_missing(table, out, rows, None, cols, ref["resource"], ref["fields"])


def check_list_references(table: Table, tables: dict[str, Table | None], out: Collector) -> None:
    import polars as pl

    for lr in table.resource.list_references():
        field = lr["field"]
        if field not in table.frame.columns:
            continue
        items = table.frame.select(pl.col(field).cast(pl.Utf8).str.split(lr["delimiter"])).with_row_index(ROW) \
            .filter(pl.Series(table.row_ok)).explode(field) \
            .filter(pl.col(field).is_not_null() & (pl.col(field) != ""))
        target = tables.get(lr["resource"])
        source = field_of(target.resource, lr["resource_field"]) if target is not None else None
        missing = _missing(items[field], source, target, lr["resource_field"]) if source is not None else None
        if missing is None or not len(missing):
            continue
        hit = items.filter(pl.col(field).is_in(missing.implode()))
        _report_missing(table, out, hit[ROW].to_numpy(), hit[field].to_list(), [field], lr["resource"],
                        [lr["resource_field"]])


def _report_missing(table: Table, out: Collector, rows: np.ndarray, items: list | None, cols: list[str],
                    ref: str, ref_fields: list[str]) -> None:
    import polars as pl

    if not len(rows):
        return
    shown = rows if out.limit is None else rows[: out.limit]
    values = [items[i] for i in range(len(shown))] if items is not None else \
        [", ".join(str(v) for v in r) for r in table.frame.select(pl.col(c).cast(pl.Utf8) for c in cols).gather(shown).rows()]
    where = f"{ref}.{', '.join(ref_fields)}"
    itself = " (this table)" if ref == table.name else ""

    def make(i: int):
        what = f"id {values[i]!r} in the list" if items is not None else f"{values[i]!r}"
        return table.issue("foreign-key", int(shown[i]), cols[0], f"{what} is not found in {where}{itself}.",
                           values[i])

    out.add_many(len(rows), (make(i) for i in range(len(shown))))
