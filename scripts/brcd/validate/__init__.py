"""`validate_package`: every rule of `brcd validate` over a whole package, in one report.

Order of work: the descriptor (profile), then each table's file (`structure`), cells
(`cells`: types, formulas, spaces), keys (`keys`: unique, primary and foreign keys, lists of
ids), the generated pandera model of each table (`models`: constraints and the domain rules of
`checks`), and last the `bytes`/`hash` of each file (`descriptor`), hashed in a thread while
the rest runs. Only a package that cannot be read at all raises (`BrcdError`, exit 2); every
problem in the data is an `Issue` of the returned `Report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from brcd.report import Issue, Report

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from brcd.package import Package
    from brcd.validate.structure import Table

__all__ = ["validate_package"]

CONSTRAINT_WORDS = {
    "required": lambda f, c: "a value is required.",
    "enum": lambda f, c: f"is not one of: {', '.join(map(str, c['enum']))}.",
    "pattern": lambda f, c: f"does not match the pattern {c['pattern']}.",
    "minimum": lambda f, c: f"is below the minimum {c['minimum']}.",
    "maximum": lambda f, c: f"is above the maximum {c['maximum']}.",
    "minLength": lambda f, c: f"is shorter than {c['minLength']} characters.",
    "maxLength": lambda f, c: f"is longer than {c['maxLength']} characters.",
}


def validate_package(package: "str | Path | Package | None", *, max_errors: int | None = None) -> Report:
    """Validate a package (a datapackage.json path, its folder or a loaded Package)."""
    from brcd.package import Package, load_package
    from brcd.validate.collector import Collector
    from brcd.validate.descriptor import check_hashes, start_profile_check
    from brcd.validate.structure import read_table

    pkg = package if isinstance(package, Package) else load_package(package)
    out = Collector(limit=max_errors, order={r.name: i for i, r in enumerate(pkg.resources)})
    finish_profile_check = start_profile_check(pkg)
    digests: dict = {}
    tables: dict[str, Table | None] = {res.name: read_table(res, out, digests) for res in pkg.resources}
    _check_tables(tables, out)
    check_hashes(pkg, out, {name: fut.result() for name, fut in digests.items()})
    finish_profile_check(out)
    return out.report()


def _check_tables(tables: "dict[str, Table | None]", out) -> None:
    from brcd.validate.cells import check_text, typed_frame
    from brcd.validate.keys import check_foreign_keys, check_list_references, check_unique

    typed: dict[str, pl.DataFrame] = {}
    for name, table in tables.items():
        if table is None:
            continue
        typed[name] = typed_frame(table, out)
        for check in (check_text, check_unique):
            _guarded(check, table, out, table, out)
        for check in (check_foreign_keys, check_list_references):
            _guarded(check, table, out, table, tables, out)
    for name, table in tables.items():
        if table is not None:
            _guarded(_check_model, table, out, table, typed, out)


def _guarded(check, table: "Table", out, *args) -> None:
    """Run one check; a bug in it becomes a loud `check-error` in the report, not a traceback,
    and the other checks still run. A broken schema (`BrcdError`) still stops the run."""
    from brcd.errors import BrcdError

    try:
        check(*args)
    except BrcdError:
        raise
    except Exception as exc:  # noqa: BLE001
        out.add(Issue("check-error", table.name, table.resource.relpath,
                      message=f"the check {check.__name__} failed on this table ({type(exc).__name__}: {exc});"
                              " the table may hold errors it did not report."))


def _check_model(table: "Table", typed: "dict[str, pl.DataFrame]", out) -> None:
    """Constraints and domain rules through the table's generated pandera model."""
    from brcd.validate.checks import add_context, rules_for
    from brcd.validate.models import failures

    frame = add_context(table.name, typed[table.name], typed)
    raw = table.frame
    fields = {f["name"]: f for f in table.resource.fields}
    rules = {r.code: r for r in rules_for(table.name, table.resource.fields)}
    for kind, field, tag, rows in failures(table.resource, typed[table.name], frame):
        rows = rows[table.row_ok[rows]]  # ragged and blank rows were reported as such
        if kind in ("required", "rule") and field in raw.columns and len(rows):
            # a cell that did not parse is null in the typed frame but was reported as a type-error
            unparsed = raw[field].gather(rows).is_not_null() & typed[table.name][field].gather(rows).is_null()
            rows = rows[~unparsed.to_numpy()]
        if not len(rows):
            continue
        if kind == "rule":
            rule = rules[tag]

            def make(i: int, rule=rule, field=field, rows=rows) -> Issue:
                r = int(rows[i])
                return table.issue(rule.code, r, field, rule.explain(frame.row(r, named=True), field),
                                   raw[field][r] if field in raw.columns else None)

            out.add_many(len(rows), (make(i) for i in range(min(len(rows), out.limit or len(rows)))))
            continue
        cons = fields[field].get("constraints") or {}
        words = CONSTRAINT_WORDS.get(tag, lambda f, c: f"breaks the constraint {tag}.")(field, cons)
        out.add_rows(len(rows), rows, lambda r, field=field, words=words, tag=tag: table.issue(
            "constraint-error", r, field,
            (f"{field} is empty: {words}" if tag == "required" else f"{raw[field][r]!r} {words}")
            + ("" if tag == "required" else f" (constraint {tag})"), raw[field][r]))
