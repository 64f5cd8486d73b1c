"""Rules 2 and 4 as pandera models, generated from the Frictionless Table Schemas by our own
code (not pandera's `from_frictionless_schema`, which reads dates as strings, drops foreign
keys and pins frictionless 4).

`table_schema(resource)` compiles one schema to a `pandera.polars.DataFrameSchema` over the
typed frame of `cells.typed_frame`: one `Column` per field with its dtype, `nullable` from
`required` and a check per constraint (`enum`, `pattern`, `minimum`, `maximum`, `minLength`,
`maxLength`), plus the table's domain rules from `checks.rules_for` as DataFrame-level checks.
Every check carries its error tag (`error=`), which `failures` maps back to a BRCD code.
`unique` and `primaryKey` are checked in `keys` (pandera would flag every copy, Frictionless
flags the second and later ones).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterator

from brcd.validate.checks import Rule, rules_for

if TYPE_CHECKING:  # pragma: no cover
    import pandera.polars as pa
    import polars as pl

    from brcd.package import Resource

CONSTRAINTS = ("enum", "pattern", "minimum", "maximum", "minLength", "maxLength")
RULE_TAG = "rule:"


def dtype(field: dict[str, Any]) -> Any:
    import polars as pl

    return {"integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "date": pl.Date,
            "datetime": pl.Datetime("us", "UTC"), "time": pl.Time, "year": pl.Int64}.get(field.get("type", "string"), pl.Utf8)


def _bound(field: dict[str, Any], value: Any) -> Any:
    if field.get("type") == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def column_checks(field: dict[str, Any]) -> list["pa.Check"]:
    import pandera.polars as pa

    cons = field.get("constraints") or {}
    ftype = field.get("type", "string")
    checks = []
    if "enum" in cons:
        values = [_bound(field, v) for v in cons["enum"]]
        checks.append(pa.Check.isin(values, error="enum"))
    if "pattern" in cons and ftype == "string":
        checks.append(pa.Check.str_matches(f"^(?:{cons['pattern']})$", error="pattern"))
    if "minimum" in cons and ftype != "string":
        checks.append(pa.Check.ge(_bound(field, cons["minimum"]), error="minimum"))
    if "maximum" in cons and ftype != "string":
        checks.append(pa.Check.le(_bound(field, cons["maximum"]), error="maximum"))
    if "minLength" in cons and ftype == "string":
        checks.append(pa.Check.str_length(min_value=cons["minLength"], error="minLength"))
    if "maxLength" in cons and ftype == "string":
        checks.append(pa.Check.str_length(max_value=cons["maxLength"], error="maxLength"))
    return checks


def rule_check(rule: Rule, table: str, field: str) -> "pa.Check":
    """A domain rule as a pandera DataFrame check (True where the row passes)."""
    import pandera.polars as pa
    import polars as pl

    def passes(data: Any) -> "pl.LazyFrame":
        df = data.lazyframe.collect()
        mask = rule.fails(df, table).get(field)
        if mask is None:
            mask = pl.Series([False] * df.height, dtype=pl.Boolean)
        return pl.LazyFrame({"ok": ~mask})

    return pa.Check(passes, name=rule.code, error=f"{RULE_TAG}{rule.code}:{field}")


def rule_fields(rule: Rule, table: str, resource: "Resource") -> list[str]:
    """The fields a rule can report, found by running it on an empty typed frame."""
    import polars as pl

    empty = pl.DataFrame({f["name"]: pl.Series([], dtype=dtype(f)) for f in resource.fields})
    probe = empty.with_columns(pl.lit(None, dtype=pl.Float64).alias(c)
                               for c in ("_district_lat", "_district_lon", "_district_radius_km"))
    probe = probe.with_columns(pl.lit(None, dtype=pl.Date).alias("_incident_start"), pl.lit(table).alias("_table"))
    return list(rule.fails(probe, table))


def table_schema(resource: "Resource") -> "pa.DataFrameSchema":
    import pandera.polars as pa

    columns = {}
    for f in resource.fields:
        required = bool((f.get("constraints") or {}).get("required"))
        columns[f["name"]] = pa.Column(dtype(f), checks=column_checks(f), nullable=not required)
    checks = [rule_check(rule, resource.name, field)
              for rule in rules_for(resource.name, resource.fields)
              for field in rule_fields(rule, resource.name, resource)]
    return pa.DataFrameSchema(columns, checks=checks, strict=False, name=resource.name)


def failures(schema: "pa.DataFrameSchema", frame: "pl.DataFrame") -> Iterator[tuple[str, str | None, str, "pl.Series"]]:
    """Run the model lazily; yield `(kind, field, tag, failing row indexes)` per failed check,
    where kind is "required", "constraint" or "rule" and tag the constraint name or rule code."""
    import pandera.polars as pa
    import polars as pl

    try:
        schema.validate(frame, lazy=True)
        return
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    if "index" not in cases.columns or not cases.height:
        return
    groups = cases.filter(pl.col("index").is_not_null()).group_by(["column", "check"], maintain_order=True) \
        .agg(pl.col("index").sort())
    for column, check, index in groups.iter_rows():
        if check == "not_nullable":
            yield "required", column, "required", pl.Series(index)
        elif check.startswith(RULE_TAG):
            _, code, field = check.split(":", 2)
            yield "rule", field, code, pl.Series(index)
        elif check in CONSTRAINTS:
            yield "constraint", column, check, pl.Series(index)
        else:  # a dtype or other schema-level failure: report it as a constraint on the column
            yield "constraint", column, str(check), pl.Series(index)
