"""Rules 2 and 4 as pandera models, generated from the Frictionless Table Schemas by our own
code (not pandera's `from_frictionless_schema`, which reads dates as strings, drops foreign
keys and pins frictionless 4).

`table_schema(resource)` compiles one schema to a `pandera.polars.DataFrameSchema` over the
typed frame of `cells.typed_frame`: one `Column` per field with its dtype and a check per
constraint on logical values (`enum`, `pattern`, `minimum`, `maximum`, `exclusiveMinimum`,
`exclusiveMaximum`, `minLength`, `maxLength`), each made from the field's model
(`brcd.fields.Field`: the bounds and enum already of the field's type), plus the table's row
rules (`checks.row_rules`, declared in the schema) as DataFrame-level checks. Every check
carries its error tag (`error=`), which `failures` maps back to a BRCD code.
`evaluate` runs a model's checks (each made by pandera's own check backend) in one polars
query, and finds the rows `validate` would list, at a fraction of its cost.
`required` is checked on the raw cells (`cells.typed_frame`: a missing value, not a cell that
failed to parse); `unique` and `primaryKey` in `keys` (pandera would flag every copy,
Frictionless flags the second and later ones).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator

from brcd.fields import Field, resource_fields
from brcd.validate.checks import Binding, row_rules

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandera.polars as pa
    import polars as pl

    from brcd.package import Package, Resource

RULE_TAG = "rule:"
# pandera's built-in checks of a bound (they pass NaN above any bound: see `_bound_check`)
BOUND_CHECKS = {"minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt"}


def column_checks(field: Field) -> list["pa.Check"]:
    """The field's constraints on logical values as pandera checks (a constraint that cannot
    apply was refused when the field's model was made)."""
    import pandera.polars as pa

    checks = []
    if field.enum is not None:
        checks.append(pa.Check.isin(field.enum_vector(), error="enum"))
    if field.categories is not None:
        checks.append(pa.Check.isin([field.vector_value(c) for c in field.categories], error="categories"))
    if field.pattern is not None:
        checks.append(pa.Check.str_matches(field.pattern, error="pattern"))
    for key in field.bounds:
        if field.type == "number":
            checks.append(_bound_check(field, key))
        else:
            checks.append(getattr(pa.Check, BOUND_CHECKS[key])(field.bound(key), error=key))
    for key in ("minLength", "maxLength"):
        if key not in field.constraints:
            continue
        n = field.constraints[key]
        if field.type == "string":
            checks.append(pa.Check.str_length(**{("min_value" if key == "minLength" else "max_value"): n}, error=key))
        else:
            checks.append(_length_check(key, n))
    return checks


def _bound_check(field: Field, key: str) -> "pa.Check":
    """A bound of a number: NaN is within no bound (polars orders NaN above every number)."""
    import pandera.polars as pa
    import polars as pl

    bound = field.bound(key)
    op = {"minimum": "__ge__", "maximum": "__le__", "exclusiveMinimum": "__gt__", "exclusiveMaximum": "__lt__"}[key]

    def within(data: Any) -> "pl.LazyFrame":
        c = pl.col(data.key)
        return data.lazyframe.select(getattr(c, op)(bound) & c.is_not_nan())

    return pa.Check(within, error=key, name=key)


def _length_check(key: str, n: int) -> "pa.Check":
    """minLength / maxLength of a collection (array, object, list), whose typed column holds
    each value's canonical JSON: its number of items or keys."""
    import pandera.polars as pa
    import polars as pl

    def within(data: Any) -> "pl.LazyFrame":
        size = pl.col(data.key).map_elements(lambda v: len(json.loads(v)), return_dtype=pl.Int64)
        return data.lazyframe.select(size >= n if key == "minLength" else size <= n)

    return pa.Check(within, error=key, name=key)


def rule_check(rule: Binding, sink: dict[str, dict]) -> "pa.Check":
    """A declared row rule as one pandera DataFrame check (True where the row passes). The
    rule's failures by field are left in `sink[rule.code]`, to say which cell each row breaks."""
    import pandera.polars as pa
    import polars as pl

    def passes(data: Any) -> "pl.LazyFrame":
        df = data.lazyframe.collect()
        masks = rule.rule.check(rule, df)
        sink[rule.code] = masks
        failed = pl.select(pl.any_horizontal(list(masks.values()))).to_series() if masks \
            else pl.Series([False] * df.height, dtype=pl.Boolean)  # typed: an empty table has no rows to infer from
        return pl.LazyFrame({"ok": ~failed})

    return pa.Check(passes, name=rule.code, error=f"{RULE_TAG}{rule.code}")


def table_schema(resource: "Resource", sink: dict[str, dict] | None = None, *, package: "Package | None" = None,
                 fields: list[str] | None = None, constraints: bool = True, rules: bool = True) -> "pa.DataFrameSchema":
    """The table's generated model; the keywords select part of it (see `failures`)."""
    import pandera.polars as pa

    columns = {}
    for f in resource_fields(resource):
        if fields is not None and f.name not in fields:
            continue
        checks = column_checks(f) if constraints else []
        if checks:  # a column with nothing to check is left out (its type was parsed)
            columns[f.name] = pa.Column(f.dtype, checks=checks, nullable=True)
    checks = [rule_check(b, sink if sink is not None else {}) for b in row_rules(resource, package)] if rules else []
    return pa.DataFrameSchema(columns, checks=checks, strict=False, name=resource.name)


def evaluate(schema: "pa.DataFrameSchema", frame: "pl.DataFrame") -> dict[tuple[str, str], "np.ndarray"]:
    """Every check of a generated model over `frame`, in one polars query: the failing rows
    (ascending) by `(column, check)`, where check is the check's `error` tag or "not_nullable"
    and column is the model's name for a DataFrame check. These are the rows `schema.validate(frame,
    lazy=True)` lists in its failure cases (a test holds the two equal), and each check's output
    is made by pandera's own check backend, as `validate` makes it. What is left out is
    `validate`'s way of running them: one collect per check, then a frame of failure cases and
    an error object per failed check, which cost more than the checks themselves (about 25 ms a
    150k-row slice, twice that when checks fail). A column missing from the frame or of
    another dtype is a bug in the typed frame, not in the data: it raises."""
    import numpy as np
    import polars as pl
    import pandera.backends.polars.builtin_checks  # noqa: F401 - the polars code of the built-in checks
    from pandera.api.polars.types import PolarsData
    from pandera.backends.polars.checks import PolarsCheckBackend
    from pandera.constants import CHECK_OUTPUT_KEY

    data = frame.lazy()
    outputs: list[pl.LazyFrame] = []
    tags: list[tuple[str, str]] = []

    def add(output: "pl.LazyFrame", tag: tuple[str, str]) -> None:
        outputs.append(output.select(pl.col(CHECK_OUTPUT_KEY).alias(str(len(outputs)))))
        tags.append(tag)

    def check_output(check: "pa.Check", key: str) -> "pl.LazyFrame":
        builtin = getattr(check._check_fn, "__name__", None)
        if builtin is not None and check.is_builtin_check(builtin):  # as `Check.__call__` does: a model's
            check._check_fn = check.get_builtin_check_fn(builtin)  # copy of a check has an old dispatcher
        output = PolarsCheckBackend(check).apply(PolarsData(data, key))
        if not isinstance(output, pl.LazyFrame):
            raise TypeError(f"the check {check.error or check.name} gave {type(output).__name__}, not a frame of rows")
        result = pl.col(CHECK_OUTPUT_KEY)  # a null output passes when the check ignores nulls (pandera's rule)
        return output.select(result | result.is_null() if check.ignore_na else result.fill_null(False))

    for name, column in schema.columns.items():
        if name not in frame.schema:
            raise KeyError(f"column {name!r} of the model is not in the frame")
        if column.dtype is not None and column.dtype.type != frame.schema[name]:
            raise TypeError(f"column {name!r} is {frame.schema[name]}, the model wants {column.dtype.type}")
        if not column.nullable:  # pandera's not_nullable: NaN counts as null in a float column
            present = pl.col(name).is_not_null()
            if frame.schema[name].is_float():
                present = present & pl.col(name).is_not_nan()
            add(data.select(present.alias(CHECK_OUTPUT_KEY)), (name, "not_nullable"))
        for check in column.checks:
            add(check_output(check, name), (name, check.error or check.name))
    for check in schema.checks:
        add(check_output(check, "*"), (schema.name, check.error or check.name))
    if not outputs:
        return {}
    # every output is one boolean per row without nulls: a null here is a row an output lacks
    # (older polars pads a shorter frame in a horizontal concat; newer ones raise)
    failed = pl.concat(outputs, how="horizontal").select(
        pl.all().not_().arg_true().implode(), pl.sum_horizontal(pl.all().null_count()).alias("_lacking")).collect()
    if failed["_lacking"][0]:
        raise pl.exceptions.ShapeError("a check of the model does not give one answer per row")
    found = {}
    for i, tag in enumerate(tags):
        rows = failed.to_series(i)[0]
        if len(rows):
            found[tag] = rows.to_numpy().astype(np.int64, copy=False)
    return found


def _padded(values: dict[str, "pl.Series"]) -> "pl.DataFrame":
    """The columns' values padded with nulls to one height, as one frame."""
    import polars as pl

    height = max((len(v) for v in values.values()), default=0)
    return pl.DataFrame([v.extend_constant(None, height - len(v)).alias(n) for n, v in values.items()])


def _model_of(plan: dict, columns: list[str]) -> "pa.DataFrameSchema":
    """The 'few' model cut down to `columns` (those with values not checked yet: checking the
    others' empty columns costs as much per check as checking values), kept in `plan`."""
    key = tuple(columns)
    models = plan.setdefault("few_models", {})
    if key not in models:
        whole = plan["few_model"]
        models[key] = whole if set(key) >= set(whole.columns) else whole.select_columns(
            [c for c in columns if c in whole.columns])
    return models[key]


def _few_failures(typed: "pl.DataFrame", plan: dict) -> Iterator[tuple[str, str, str, "np.ndarray"]]:
    """The value checks of the 'few' columns, each distinct value checked once per table: most
    values repeat from slice to slice, so only those not seen on an earlier slice go through
    the model, and every bad value found so far (in `plan["bad"]`) is mapped to this slice's rows."""
    import numpy as np
    import polars as pl

    seen, bad = plan["seen"], plan["bad"]
    found = typed.select(pl.col(n).drop_nulls().unique().implode() for n in plan["few"])  # one query: columns in parallel
    distinct = {n: found[n][0] for n in plan["few"]}
    new = {n: v.filter(~v.is_in(seen[n].implode())) if len(seen[n]) else v for n, v in distinct.items()}
    new = {n: v for n, v in new.items() if len(v)}
    if new:
        frame = _padded(new)
        for (column, check), index in evaluate(_model_of(plan, list(new)), frame).items():
            values = frame[column].gather(index)
            known = bad.get((column, check))
            bad[(column, check)] = values if known is None else pl.concat([known, values])
        for n, v in new.items():
            seen[n] = pl.concat([seen[n], v])
    for (column, check), values in bad.items():
        here = values.filter(values.is_in(distinct[column].implode()))
        if len(here):
            rows = np.flatnonzero(typed.select(pl.col(column).is_in(here.implode()).fill_null(False)).to_series().to_numpy())
            yield "constraint", column, check, rows


def failures(resource: "Resource", typed: "pl.DataFrame", context: "pl.DataFrame",
             distinct_share: float = 0.05, plan: dict | None = None,
             package: "Package | None" = None) -> Iterator[tuple[str, str, str, "np.ndarray"]]:
    """Run the generated model; yield `(kind, field, tag, failing rows)` per failed check, where
    kind is "constraint" or "rule" and tag the constraint name or rule code.

    Element-wise column checks give the same answer for every copy of a value, so columns with
    few distinct values (at most `distinct_share` of the rows) are checked once per distinct
    value, and their failing values mapped back to rows; the others are checked row by row.
    The row rules run on `context` (the typed frame).
    `plan` (a dict kept by the caller) keeps the models made for the first slice of a table for
    its other slices: which columns go by distinct value is decided once, and their values
    already checked are kept."""
    import polars as pl

    plan = {} if plan is None else plan
    if "few" not in plan:
        # the checks worth running once per value: patterns, lengths and enums of strings (a
        # comparison of numbers or dates costs less per row than finding the distinct values)
        names = [f.name for f in resource_fields(resource) if f.type == "string"
                 and ({"pattern", "minLength", "maxLength", "enum"} & set(f.constraints) or f.categories is not None)]
        height = typed.height
        if height > 1000 and names:
            approx = typed.select(pl.col(n).approx_n_unique() for n in names).row(0)
        else:
            approx = [height] * len(names)
        few = [n for n, k in zip(names, approx) if height > 1000 and k <= distinct_share * height]
        many = [f.name for f in resource_fields(resource) if f.name not in few]
        sink: dict[str, dict] = {}
        full = table_schema(resource, sink, package=package, fields=many)
        plan.update(few=few, sink=sink, full=full,
                    few_model=table_schema(resource, package=package, fields=few, rules=False) if few else None,
                    seen={n: typed[n].clear() for n in few}, bad={})
    sink = plan["sink"]
    sink.clear()

    if plan["few"]:
        yield from _few_failures(typed, plan)
    yield from _model_failures(evaluate(plan["full"], context), sink)


def _model_failures(found: dict[tuple[str, str], "np.ndarray"], sink: dict[str, dict]) -> Iterator[tuple[str, str, str, "np.ndarray"]]:
    for (column, check), rows in found.items():
        if check == "not_nullable":  # pragma: no cover - the generated models have nullable columns
            yield "constraint", column, "required", rows
        elif str(check).startswith(RULE_TAG):
            code = check[len(RULE_TAG):]
            for field, mask in sink.get(code, {}).items():
                hit = rows[mask.to_numpy()[rows]]
                if len(hit):
                    yield "rule", field, code, hit
        else:
            yield "constraint", column, str(check), rows
