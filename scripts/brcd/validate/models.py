"""Rules 2 and 4 as pandera models, generated from the Frictionless Table Schemas by our own
code (not pandera's `from_frictionless_schema`, which reads dates as strings, drops foreign
keys and pins frictionless 4).

`table_schema(resource)` compiles one schema to a `pandera.polars.DataFrameSchema` over the
typed frame of `cells.typed_frame`: one `Column` per field with its dtype, `nullable` from
`required` and a check per constraint (`enum`, `pattern`, `minimum`, `maximum`, `minLength`,
`maxLength`), plus the table's domain rules from `checks.rules_for` as DataFrame-level checks.
Every check carries its error tag (`error=`), which `failures` maps back to a BRCD code.
`evaluate` runs a model's checks (each made by pandera's own check backend) in one polars
query, and finds the rows `validate` would list, at a fraction of its cost.
`unique` and `primaryKey` are checked in `keys` (pandera would flag every copy, Frictionless
flags the second and later ones).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterator

from brcd.errors import BrcdError
from brcd.validate.checks import Rule, rules_for

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandera.polars as pa
    import polars as pl

    from brcd.package import Resource

CONSTRAINTS = ("enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength")
RULE_TAG = "rule:"


def dtype(field: dict[str, Any]) -> Any:
    import polars as pl

    return {"integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "date": pl.Date,
            "datetime": pl.Datetime("us", "UTC"), "time": pl.Time, "year": pl.Int64}.get(field.get("type", "string"), pl.Utf8)


def _bound(field: dict[str, Any], value: Any) -> Any:
    """A constraint's value in the field's type (ValueError when it does not fit)."""
    ftype = field.get("type", "string")
    if ftype == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if ftype == "integer" and not isinstance(value, bool):
        if float(value) != int(float(value)):
            raise ValueError(value)
        return int(float(value))
    if ftype == "number" and not isinstance(value, bool):
        return float(value)
    if ftype == "string" and not isinstance(value, str):
        raise ValueError(value)
    return value


def column_checks(field: dict[str, Any], where: Any = None) -> list["pa.Check"]:
    """The field's constraints as pandera checks; a constraint that cannot apply (a bad
    regular expression, a bound of the wrong type) is a broken schema: `BrcdError`, exit 2."""
    import pandera.polars as pa
    import polars as pl

    cons = field.get("constraints") or {}
    ftype = field.get("type", "string")
    name = field["name"]
    checks = []
    try:
        if "enum" in cons:
            checks.append(pa.Check.isin([_bound(field, v) for v in cons["enum"]], error="enum"))
        if "pattern" in cons and ftype == "string":
            pattern = f"^(?:{cons['pattern']})$"
            pl.Series([""], dtype=pl.Utf8).str.contains(pattern)  # compiles the expression or raises
            checks.append(pa.Check.str_matches(pattern, error="pattern"))
        if "minimum" in cons and ftype != "string":
            checks.append(pa.Check.ge(_bound(field, cons["minimum"]), error="minimum"))
        if "maximum" in cons and ftype != "string":
            checks.append(pa.Check.le(_bound(field, cons["maximum"]), error="maximum"))
        if "exclusiveMinimum" in cons and ftype != "string":
            checks.append(pa.Check.gt(_bound(field, cons["exclusiveMinimum"]), error="exclusiveMinimum"))
        if "exclusiveMaximum" in cons and ftype != "string":
            checks.append(pa.Check.lt(_bound(field, cons["exclusiveMaximum"]), error="exclusiveMaximum"))
        if "minLength" in cons and ftype == "string":
            checks.append(pa.Check.str_length(min_value=int(cons["minLength"]), error="minLength"))
        if "maxLength" in cons and ftype == "string":
            checks.append(pa.Check.str_length(max_value=int(cons["maxLength"]), error="maxLength"))
    except (ValueError, TypeError, pl.exceptions.PolarsError) as exc:
        raise BrcdError("schema-error", f"a constraint of field {name!r} cannot be applied: {exc}.", file=where,
                        hint="give each constraint a value of the field's type and a valid regular expression.") from None
    return checks


def rule_check(rule: Rule, table: str, sink: dict[str, dict]) -> "pa.Check":
    """A domain rule as one pandera DataFrame check (True where the row passes). The rule's
    failures by field are left in `sink[rule.code]`, to say which cell each row breaks."""
    import pandera.polars as pa
    import polars as pl

    def passes(data: Any) -> "pl.LazyFrame":
        df = data.lazyframe.collect()
        masks = rule.fails(df, table)
        sink[rule.code] = masks
        failed = pl.select(pl.any_horizontal(list(masks.values()))).to_series() if masks \
            else pl.Series([False] * df.height, dtype=pl.Boolean)  # typed: an empty table has no rows to infer from
        return pl.LazyFrame({"ok": ~failed})

    return pa.Check(passes, name=rule.code, error=f"{RULE_TAG}{rule.code}")


def _required(field: dict[str, Any]) -> bool:
    return bool((field.get("constraints") or {}).get("required"))


def table_schema(resource: "Resource", sink: dict[str, dict] | None = None, *,
                 fields: list[str] | None = None, constraints: bool = True, required: bool = True,
                 rules: bool = True) -> "pa.DataFrameSchema":
    """The table's generated model; the keywords select part of it (see `failures`)."""
    import pandera.polars as pa

    columns = {}
    for f in resource.fields:
        if fields is not None and f["name"] not in fields:
            continue
        checks = column_checks(f, resource.schema_path or resource.root / "datapackage.json") if constraints else []
        nullable = not (required and _required(f))
        if checks or not nullable:  # a column with nothing to check is left out (its type was parsed)
            columns[f["name"]] = pa.Column(dtype(f), checks=checks, nullable=nullable)
    checks = [rule_check(rule, resource.name, sink if sink is not None else {})
              for rule in rules_for(resource.name, resource.fields)] if rules else []
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
             distinct_share: float = 0.05, plan: dict | None = None) -> Iterator[tuple[str, str, str, "np.ndarray"]]:
    """Run the generated model; yield `(kind, field, tag, failing rows)` per failed check, where
    kind is "required", "constraint" or "rule" and tag the constraint name or rule code.

    Element-wise column checks give the same answer for every copy of a value, so columns with
    few distinct values (at most `distinct_share` of the rows) are checked once per distinct
    value, and their failing values mapped back to rows; the others are checked row by row.
    The domain rules run on `context` (the typed frame with the cross-table columns).
    `plan` (a dict kept by the caller) keeps the models made for the first slice of a table for
    its other slices: which columns go by distinct value is decided once, and their values
    already checked are kept."""
    import polars as pl

    import pandera.polars as pa

    plan = {} if plan is None else plan
    if "few" not in plan:
        # the checks worth running once per value: patterns, lengths and enums of strings (a
        # comparison of numbers or dates costs less per row than finding the distinct values)
        names = [f["name"] for f in resource.fields if f.get("type", "string") == "string"
                 and {"pattern", "minLength", "maxLength", "enum"} & set(f.get("constraints") or {})]
        height = typed.height
        if height > 1000 and names:
            approx = typed.select(pl.col(n).approx_n_unique() for n in names).row(0)
        else:
            approx = [height] * len(names)
        few = [n for n, k in zip(names, approx) if height > 1000 and k <= distinct_share * height]
        many = [f["name"] for f in resource.fields if f["name"] not in few]
        sink: dict[str, dict] = {}
        full = table_schema(resource, sink, fields=many)
        required_few = [f["name"] for f in resource.fields if f["name"] in few and _required(f)]
        if required_few:  # only "not null" is left to check on these: any dtype will do
            full = full.add_columns({n: pa.Column(None, nullable=False) for n in required_few})
        plan.update(few=few, sink=sink, full=full,
                    few_model=table_schema(resource, fields=few, required=False, rules=False) if few else None,
                    seen={n: typed[n].clear() for n in few}, bad={})
    sink = plan["sink"]
    sink.clear()

    if plan["few"]:
        yield from _few_failures(typed, plan)
    yield from _model_failures(evaluate(plan["full"], context), sink)


def _model_failures(found: dict[tuple[str, str], "np.ndarray"], sink: dict[str, dict]) -> Iterator[tuple[str, str, str, "np.ndarray"]]:
    for (column, check), rows in found.items():
        if check == "not_nullable":
            yield "required", column, "required", rows
        elif str(check).startswith(RULE_TAG):
            code = check[len(RULE_TAG):]
            for field, mask in sink.get(code, {}).items():
                hit = rows[mask.to_numpy()[rows]]
                if len(hit):
                    yield "rule", field, code, hit
        else:
            yield "constraint", column, str(check), rows
