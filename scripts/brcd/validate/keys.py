"""Rules 2 and 3 on keys: `unique`, `primaryKey` and every foreign key between tables,
including self-references (a parent incident) and each item of a `;`-separated list of ids
(`listReference`). All are vectorised over polars frames of the raw strings: a duplicate is
a row whose key was already seen above it; a dangling reference is an anti-join against the
referenced table's keys. Rows that are ragged or blank are left out, as are empty cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brcd.validate.collector import Collector
from brcd.validate.structure import Table

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

ROW = "_row"


def _rows(table: Table) -> "pl.DataFrame":
    """The raw frame with the original row number, restricted to rows whose cells are checked."""
    import polars as pl

    return table.frame.with_row_index(ROW).filter(pl.Series(table.row_ok))


def check_unique(table: Table, out: Collector) -> None:
    import polars as pl

    frame = _rows(table)
    pk = table.resource.primary_key
    keys: list[tuple[str, list[str]]] = []
    if pk:
        keys.append(("primary-key", pk))
    for f in table.resource.fields:
        if (f.get("constraints") or {}).get("unique") and [f["name"]] != pk:
            keys.append(("unique-error", [f["name"]]))
    for code, cols in keys:
        present = pl.all_horizontal(pl.col(c).is_not_null() for c in cols)
        key = pl.struct(cols) if len(cols) > 1 else pl.col(cols[0])
        dup = frame.filter(present & key.is_duplicated() & ~key.is_first_distinct())
        if not dup.height:
            continue
        first = frame.filter(present).unique(cols, keep="first", maintain_order=True).select(cols + [ROW])
        dup = dup.join(first.rename({ROW: "_first"}), on=cols, how="left").sort(ROW)
        label = ", ".join(cols)

        def make(i: int, dup=dup, cols=cols, code=code, label=label):
            rec = dup.row(i, named=True)
            value = ", ".join(str(rec[c]) for c in cols)
            first_line = table.line_of(rec["_first"])
            what = "primary key" if code == "primary-key" else "unique field"
            return table.issue(code, rec[ROW], cols[0],
                               f"{what} {label} = {value!r} repeats the row at line {first_line}.", value)

        out.add_many(dup.height, (make(i) for i in range(min(dup.height, out.limit or dup.height))))


def _key_values(table: Table | None, fields: list[str]) -> "pl.DataFrame | None":
    import polars as pl

    if table is None or any(f not in table.frame.columns for f in fields):
        return None
    return table.frame.select(fields).filter(pl.all_horizontal(pl.col(f).is_not_null() for f in fields)).unique()


def check_foreign_keys(table: Table, tables: dict[str, Table | None], out: Collector) -> None:
    frame = _rows(table)
    for fk in table.resource.foreign_keys:
        cols, ref = fk["fields"], fk["reference"]
        target = tables.get(ref["resource"])
        parent = _key_values(target, ref["fields"])
        if parent is None:
            continue  # the referenced table is missing or unreadable: reported on its own
        import polars as pl

        parent = parent.rename(dict(zip(ref["fields"], cols)))
        child = frame.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in cols))
        missing = child.join(parent, on=cols, how="anti").sort(ROW)
        _report_missing(table, out, missing, cols, ref["resource"], ref["fields"])


def check_list_references(table: Table, tables: dict[str, Table | None], out: Collector) -> None:
    import polars as pl

    frame = _rows(table)
    for lr in table.resource.list_references():
        field, target = lr["field"], tables.get(lr["resource"])
        parent = _key_values(target, [lr["resource_field"]])
        if parent is None or field not in frame.columns:
            continue
        items = frame.select(ROW, pl.col(field).str.split(lr["delimiter"]).alias(field)).explode(field) \
            .filter(pl.col(field).is_not_null() & (pl.col(field) != ""))
        parent = parent.rename({lr["resource_field"]: field})
        missing = items.join(parent, on=field, how="anti").sort(ROW, maintain_order=True)
        _report_missing(table, out, missing, [field], lr["resource"], [lr["resource_field"]], item=True)


def _report_missing(table: Table, out: Collector, missing: "pl.DataFrame", cols: list[str], ref: str,
                    ref_fields: list[str], item: bool = False) -> None:
    if not missing.height:
        return
    rows = missing[ROW].to_numpy()
    values = missing.select(cols).rows()
    where = f"{ref}.{', '.join(ref_fields)}"
    itself = " (this table)" if ref == table.name else ""

    def make(i: int):
        value = ", ".join(str(v) for v in values[i])
        what = f"id {value!r} in the list" if item else f"{value!r}"
        return table.issue("foreign-key", int(rows[i]), cols[0], f"{what} is not found in {where}{itself}.", value)

    out.add_many(len(rows), (make(i) for i in range(min(len(rows), out.limit or len(rows)))))
