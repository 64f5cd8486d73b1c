"""`validate_package`: every rule of `brcd validate` over a whole package, in one report.

Order of work: what brcd does not read exactly as the spec says is refused first (`support`,
exit 2); the descriptor against the Data Package profile (`descriptor`, in this process); then,
table by table (the smallest first), the file itself (`structure`), its rows slice by slice
(`records`: blank and ragged rows with their physical lines), each slice's cells (`cells`:
missing values, types, formulas, stray spaces, control characters) and its generated pandera
model (`models`: the schema's constraints and its declared row rules of `checks`); then the keys
between tables (`keys`) and the rules that read other rows (`checks.check_rules`), on the columns
kept from every slice; last the `bytes`/`hash` of each file, hashed in a thread meanwhile. Only
a package that cannot be read at all raises (`BrcdError`,
exit 2); every problem in the data is an `Issue` of the returned `Report`, counted in full
even when `max_errors` shortens the list (`collector`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from brcd.errors import BrcdError
from brcd.fields import field_of
from brcd.package import Package, load_package
from brcd.report import Issue, Report
from brcd.validate.cells import check_text, typed_frame
from brcd.validate.checks import check_rules, row_rules, typed_columns
from brcd.validate.collector import Collector
from brcd.validate.descriptor import check_hashes, start_profile_check
from brcd.validate.keys import check_foreign_keys, check_list_references, check_unique, kept_fields
from brcd.validate.models import evaluate, failures
from brcd.validate.records import Fallback
from brcd.validate.structure import Table, read_table
from brcd.validate.support import refuse_unsupported

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

__all__ = ["validate_package"]

_IMPORTING: dict = {}  # module -> the thread importing it (`_import_soon`)

def validate_package(package: "str | Path | Package | None", *, max_errors: int | None = None,
                     exact_reader: bool = False) -> Report:
    """Validate a package (a datapackage.json path, its folder or a loaded Package).
    `exact_reader`: read every table with the exact CSV reader (to test the fast one against)."""

    pkg = package if isinstance(package, Package) else load_package(package)
    refuse_unsupported(pkg)  # a feature it does not read as the spec says: one error, exit 2
    out = Collector(limit=max_errors, order={r.name: i for i, r in enumerate(pkg.resources)})
    finish_profile_check = start_profile_check(pkg)
    _import_soon("pandera.polars", without=("pandas", "hypothesis"), then=_first_pandera_validation)  # overlapped with reading the first tables
    digests: dict = {}
    tables: dict[str, Table | None] = {}
    typed: dict[str, pl.DataFrame] = {}  # table -> the typed columns the rules read after reading
    # every file is read and its first slice begun before any rows are checked, in the order
    # of `_check_order`: small tables are checked while the big ones are being parsed
    read = [(res, read_table(res, out, digests, exact=exact_reader)) for res in _check_order(pkg.resources)]
    for _, table in read:  # each table's first slice is parsed while the tables before it are checked
        if table is not None:
            table.start(out.limit)
    _imported("pandera.polars")
    for res, table in read:
        if table is not None:
            table = _check_rows(table, kept_fields(res, pkg), pkg, out, typed)
        tables[res.name] = table
    _check_keys(tables, pkg, typed, out)
    _check_row_counts(pkg, tables, out)
    check_hashes(pkg, out, {name: fut.result() for name, fut in digests.items()})
    finish_profile_check(out)
    report = out.report()
    report.rows = {name: len(table.lines) for name, table in tables.items() if table is not None}
    return report


def _check_row_counts(package: Package, tables: "dict[str, Table | None]", out) -> None:
    """A resource's declared `rows` (frictionless' stats) against the rows read."""
    for res in package.resources:
        declared, table = res.descriptor.get("rows"), tables.get(res.name)
        if isinstance(declared, int) and not isinstance(declared, bool) and table is not None \
                and declared != len(table.lines):
            out.add(Issue("row-count", res.name, res.relpath,
                          message=f"datapackage.json declares {declared} rows, the file has {len(table.lines)}."))


def _check_keys(tables: "dict[str, Table | None]", package: Package, typed: dict, out) -> None:
    """Unique and primary keys, foreign keys and lists of ids, and the rules that read other
    rows, of every table, two checks at a time (polars leaves the GIL, and most of a check's
    work is on one core); the biggest tables first, each check's issues collected apart and
    merged in order."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = []
    for table in sorted((t for t in tables.values() if t is not None), key=lambda t: -len(t.lines)):
        jobs.append((check_unique, table, (table,)))
        jobs += [(check, table, (table, tables)) for check in (check_foreign_keys, check_list_references)]
        jobs.append((check_rules, table, (table, tables, package, typed)))

    def run(job: tuple) -> Collector:
        check, table, args = job
        sink = Collector(limit=out.limit, order=out.order)
        _guarded(check, table, sink, *args, sink)
        return sink

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="brcd-keys") as pool:
        for sink in pool.map(run, jobs):
            out.merge(sink)


def _check_order(resources: list) -> list:
    """Smallest file first, so the small tables are checked while the first slice of a big one
    is parsed."""

    def size(res) -> int:
        try:
            return res.path.stat().st_size
        except OSError:
            return 0

    return sorted(resources, key=size)


def _import_soon(module: str, without: tuple[str, ...] = (), then: "Callable[[], None] | None" = None) -> None:
    """Import `module` in a thread, so the import overlaps with work that leaves the GIL (polars);
    whoever imports it next waits for it (or imports it, should this one fail).

    `without`: packages that, when not imported yet, this thread's import must not pull in.
    pandera imports pandas for its pandas API, and hypothesis for its data synthesis, when
    they are installed, and does without them otherwise (a polars-only install); BRCD uses
    the polars API alone, and the two would cost 0.35 s of CPU, holding the GIL, on every
    run. Only this thread is told they are missing: another thread that imports one gets it,
    and so does pandera then.
    `then` runs in the same thread after the import, still without them (pandera looks for
    pandas once more on its first validation, and remembers the answer)."""
    import importlib
    import importlib.abc
    import sys
    import threading

    if module in sys.modules:
        return
    blocked = tuple(name for name in without if name not in sys.modules)

    class Without(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):  # noqa: ANN001 - the finder protocol
            if threading.current_thread() is thread and name.split(".")[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    finder = Without()

    def run() -> None:
        if blocked:
            sys.meta_path.insert(0, finder)
        try:
            importlib.import_module(module)
            if then is not None:
                then()
        except Exception:  # noqa: BLE001 - the import where it is needed says what is wrong
            pass
        finally:
            if finder in sys.meta_path:
                sys.meta_path.remove(finder)

    thread = threading.Thread(target=run, name="brcd-import", daemon=True)
    _IMPORTING[module] = thread
    thread.start()


def _first_pandera_validation() -> None:
    """Run one row through a column check and a frame check, as the generated models are run
    (this imports the parts of pandera and polars that only the first run would)."""
    import pandera.polars as pa
    import polars as pl

    schema = pa.DataFrameSchema({"a": pa.Column(pl.Int64, checks=[pa.Check.ge(0)], nullable=False)},
                                checks=[pa.Check(lambda data: data.lazyframe.select(pl.col("a") >= 0))])
    evaluate(schema, pl.DataFrame({"a": [1]}))


def _imported(module: str) -> None:
    """Wait for `_import_soon(module)`: were this thread to import the module's parts too, it
    would import them as they are, unblocked."""
    thread = _IMPORTING.pop(module, None)
    if thread is not None:
        thread.join()


def _check_rows(table: "Table", keep: list[str], package: Package, out, typed: dict) -> "Table":
    """Check the table's rows slice by slice; keep `keep` columns for the key checks and the
    rules that read other rows. When the fast reader gives up on a slice, the whole table is
    read again by the exact one and checked afresh."""

    tmp = Collector(limit=out.limit, order=out.order)
    try:
        _check_slices(table, keep, package, tmp, typed)
    except Fallback:
        tmp = Collector(limit=out.limit, order=out.order)
        table = table.fallback(tmp)
        _check_slices(table, keep, package, tmp, typed)
    out.merge(tmp)
    table.source = table.fallback = None  # the file's bytes can go
    return table


def _check_slices(table: "Table", keep: list[str], package: Package, out, typed_kept: dict) -> None:
    import polars as pl

    kept: list[pl.DataFrame] = []
    wanted = typed_columns(table.resource, package)
    slices: list[pl.DataFrame] = []
    plan: dict = {}  # the table's pandera models, made for its first slice
    for _ in table.chunks(out):
        typed = typed_frame(table, out)
        _guarded(check_text, table, out, table, out)
        _guarded(_check_model, table, out, table, typed, package, out, plan)
        table.keep(keep, kept)
        if wanted:
            slices.append(typed.select(wanted))
            table.keep(wanted, [])  # their lines in rows that span several (their text is not kept)
    table.finish(kept)
    if wanted:
        typed_kept[table.name] = pl.concat(slices, rechunk=False) if slices else None


def _guarded(check, table: "Table", out, *args) -> None:
    """Run one check; a bug in it becomes a loud `check-error` in the report, not a traceback,
    and the other checks still run. A broken schema (`BrcdError`) still stops the run."""

    try:
        check(*args)
    except BrcdError:
        raise
    except Exception as exc:  # noqa: BLE001
        out.add(Issue("check-error", table.name, table.resource.relpath,
                      message=f"the check {check.__name__} failed on this table ({type(exc).__name__}: {exc});"
                              " the table may hold errors it did not report."))


def _check_model(table: "Table", typed: "pl.DataFrame", package: Package, out, plan: dict | None = None) -> None:
    """Constraints and row rules of the current slice, through the generated pandera model."""

    raw = table.frame
    rules = {b.code: b for b in row_rules(table.resource, package)}
    for kind, field, tag, rows in failures(table.resource, typed, typed, plan=plan, package=package):
        rows = rows[table.ok[rows]]  # ragged and blank rows were reported as such
        if kind == "rule" and field in raw.columns and len(rows):
            # a cell that did not parse is null in the typed frame but was reported as a type-error
            unparsed = raw[field].gather(rows).is_not_null() & typed[field].gather(rows).is_null()
            rows = rows[~unparsed.to_numpy()]
        if not len(rows):
            continue
        if kind == "rule":
            rule = rules[tag]

            def make(i: int, rule=rule, field=field, rows=rows) -> Issue:
                r = int(rows[i])
                return table.issue(rule.code, r, field, rule.rule.explain(rule, typed.row(r, named=True), field),
                                   raw[field][r] if field in raw.columns else None)

            out.add_many(len(rows), (make(i) for i in range(min(len(rows), out.limit or len(rows)))))
            continue
        words = field_of(table.resource, field).constraint_words(tag)
        out.add_rows(len(rows), rows, lambda r, field=field, words=words, tag=tag: table.issue(
            "constraint-error", r, field, f"{raw[field][r]!r} {words} (constraint {tag})", raw[field][r]))
