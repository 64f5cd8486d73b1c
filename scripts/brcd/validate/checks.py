"""Rule 4, domain rules: what Table Schema cannot say, declared in the schemas and checked here.

A schema declares the rules of its table under the custom property `brcd:rules`, each naming
the columns the rule reads by role:

    "brcd:rules": [{"rule": "fatalities-order",
                    "fields": {"low": "fatalities_low", "best": "fatalities_best", "high": "fatalities_high"}}]

`RULES` is the one registry: per rule its code (the error code), its fix hint, its roles (the
columns it reads, of which kind) and its check. `bind` reads a resource's declarations
(`Binding`) and refuses a broken one at load (exit 2): an unknown rule, a role left out, a
column the table lacks or of the wrong type. This module names no table and no column:
everything comes from the declarations.

Scopes: a `row` rule reads one row (through the generated pandera model, slice by slice); a
`table` rule compares rows of its own table (the parts of a parent row); a `reference` rule
reads the row a foreign key points at (its `reference` roles are columns of that table). The
last two run once all tables are read (`check_rules`), on the columns `kept_columns` asks the
readers to keep (text) and those `typed_columns` keeps typed (numbers, dates). A rule's check
gives `{column: mask}`, True where a row breaks the rule; empty cells never break a rule
(`required` is the schema's business).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator
from urllib.parse import urlsplit

import numpy as np

from brcd import geo
from brcd.errors import BrcdError
from brcd.fields import Field, resource_fields
from brcd.package import RULES_PROPERTY as PROPERTY
from brcd.report import register_hints

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from brcd.package import Package, Resource

# How far a statement may seem to predate the event it is about, by its date precision
# (UCDP date_prec: 1 day, 2 a span of days, 3 week, 4 month, 5 year).
PRECISION_DAYS = {1: 0, 2: 6, 3: 7, 4: 31, 5: 366}
# Kinds of column a role takes: the Table Schema types that fit.
KINDS = {"number": ("integer", "number"), "date": ("date", "datetime"), "text": ("string",),
         "integer": ("integer",), "any": None}


@dataclass(frozen=True)
class Role:
    kind: str = "any"
    many: bool = False        # a list of columns
    optional: bool = False
    reference: bool = False   # a column of the referenced table, not of this one


@dataclass(frozen=True)
class Rule:
    code: str
    hint: str
    roles: dict[str, Role]
    check: Callable[..., dict[str, "pl.Series"]]
    explain: Callable[["Binding", dict[str, Any], str], str]
    scope: str = "row"                  # row | table | reference
    params: tuple[str, ...] = ()        # required parameters of a declaration
    via: str | None = None              # reference rules: the role holding the foreign key
    context: Callable[..., "pl.DataFrame"] | None = None  # adds the columns the check compares with


@dataclass(frozen=True)
class Binding:
    """One declared rule of one table, its roles resolved to columns."""

    rule: Rule
    resource: str
    fields: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    target: str | None = None           # reference rules: the referenced table and its key
    target_key: str | None = None

    @property
    def code(self) -> str:
        return self.rule.code

    def col(self, role: str) -> str | None:
        return self.fields.get(role) if not self.rule.roles[role].many else None

    def cols(self, role: str) -> list[str]:
        value = self.fields.get(role)
        return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]

    def own_columns(self) -> list[str]:
        return [c for role, spec in self.rule.roles.items() if not spec.reference for c in self.cols(role)]

    def reference_columns(self) -> list[str]:
        return [c for role, spec in self.rule.roles.items() if spec.reference for c in self.cols(role)]


# --- row rules --------------------------------------------------------------------------

def _mask(expr: "pl.Expr", df: "pl.DataFrame") -> "pl.Series":
    return df.select(expr.fill_null(False)).to_series()


def ordered_estimates(b: Binding, df: "pl.DataFrame") -> dict:
    import polars as pl

    low, best, high = (pl.col(b.col(r)) for r in ("low", "best", "high"))
    return {b.col("low"): _mask(low > best, df), b.col("high"): _mask((high < best) & ~(low > best).fill_null(False), df)}


def parts_within_total(b: Binding, df: "pl.DataFrame") -> dict:
    import polars as pl

    total = pl.col(b.col("total"))
    summed = pl.sum_horizontal(pl.col(p).fill_null(0) for p in b.cols("parts"))
    return {b.col("total"): _mask(total.is_not_null() & (summed > total), df)}


def start_before_end(b: Binding, df: "pl.DataFrame") -> dict:
    import polars as pl

    start, end = pl.col(b.col("start")), pl.col(b.col("end"))
    out = {b.col("end"): _mask(start > end, df)}
    for inside in b.cols("within"):
        v = pl.col(inside)
        out[inside] = _mask((start <= end) & ((v < start) | (v > end)), df)
    return out


def not_in_future(b: Binding, df: "pl.DataFrame") -> dict:
    import polars as pl

    # a day of slack: it is already tomorrow in Pakistan (UTC+5) for five hours of each UTC day
    latest = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    out = {}
    for name in b.cols("dates"):
        c = pl.col(name)
        out[name] = _mask((c.dt.date() if df.schema[name] != pl.Date else c) > latest, df)
    return out


def not_before_floor(b: Binding, df: "pl.DataFrame") -> dict:
    """Dates before the floor the declaration gives (`floor`, a date)."""
    import polars as pl

    floor = b.params["floor"]
    out = {}
    for name in b.cols("dates"):
        c = pl.col(name)
        out[name] = _mask((c.dt.date() if df.schema[name] != pl.Date else c) < floor, df)
    return out


def both_coordinates(b: Binding, df: "pl.DataFrame") -> dict:
    import polars as pl

    lat, lon = pl.col(b.col("lat")).is_null(), pl.col(b.col("lon")).is_null()
    return {b.col("lat"): _mask(lat & ~lon, df), b.col("lon"): _mask(lon & ~lat, df)}


def inside_province(b: Binding, df: "pl.DataFrame") -> dict:
    import polars as pl

    lat = df[b.col("lat")].to_numpy()
    lon = df[b.col("lon")].to_numpy()
    both = ~(np.isnan(lat) | np.isnan(lon)) if df.height else np.zeros(0, dtype=bool)
    bad = np.zeros(df.height, dtype=bool)
    idx = np.flatnonzero(both)
    bad[idx] = ~geo.inside_province(lon[idx], lat[idx])
    return {b.col("lat"): pl.Series(bad)}


def currency_code(b: Binding, df: "pl.DataFrame") -> dict:
    import polars as pl

    col = pl.col(b.col("currency")).cast(pl.Utf8)
    return {b.col("currency"): _mask(col.str.contains(r"^[A-Z]{3}$") & ~col.is_in(sorted(iso_4217())), df)}


def usd_amount(b: Binding, df: "pl.DataFrame") -> dict:
    import polars as pl

    a, u = pl.col(b.col("amount")), pl.col(b.col("usd"))
    off = (a - u).abs() > 1e-9 * pl.max_horizontal(a.abs(), pl.lit(1.0))
    return {b.col("usd"): _mask((pl.col(b.col("currency")).cast(pl.Utf8) == "USD") & off, df)}


def figures_need_a_report(b: Binding, df: "pl.DataFrame") -> dict:
    """A basis that says no figure was reported, with a figure filled in."""
    import polars as pl

    none = pl.col(b.col("basis")).cast(pl.Utf8).is_in(list(b.params["values"]))
    return {f: _mask(none & pl.col(f).is_not_null(), df) for f in b.cols("figures")}


def zero_needs_a_report(b: Binding, df: "pl.DataFrame") -> dict:
    """A figure of 0 whose basis does not report zero (nothing reported, or imputed)."""
    import polars as pl

    unreported = pl.col(b.col("basis")).cast(pl.Utf8).is_in(list(b.params["values"]))
    return {f: _mask(unreported & (pl.col(f) == 0), df) for f in b.cols("figures")}


def absolute_urls(b: Binding, df: "pl.DataFrame") -> dict:
    """An address, when given, is absolute http(s): a scheme, a host, no spaces."""
    import polars as pl

    out = {}
    for name in b.cols("urls"):
        values = df[name].cast(pl.Utf8).drop_nulls().unique()
        bad = [v for v in values.to_list() if not _absolute_http(v)]
        out[name] = df[name].cast(pl.Utf8).is_in(pl.Series(bad, dtype=pl.Utf8).implode()).fill_null(False)
    return out


def _absolute_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)


# --- table and reference rules: on whole columns, once all tables are read -------------------

def parent_totals(b: Binding, df: "pl.DataFrame", ref: "pl.DataFrame | None" = None) -> "pl.DataFrame":
    """Beside each row, the sum of its parts' figures (`_parts`; null without parts)."""
    import polars as pl

    sums = df.filter(pl.col("_parent").is_not_null()).group_by("_parent").agg(pl.col(b.col("best")).sum().alias("_parts"))
    return df.join(sums, left_on="_id", right_on="_parent", how="left", maintain_order="left", suffix="_")


def parts_within_parent(b: Binding, df: "pl.DataFrame") -> dict:
    """The parts (rows naming a parent) may not add up to more than their parent's figure."""
    import polars as pl

    return {b.col("best"): _mask(pl.col("_parts") > pl.col(b.col("best")), df)}


def parent_spans(b: Binding, df: "pl.DataFrame", ref: "pl.DataFrame | None" = None) -> "pl.DataFrame":
    """Beside each part, its parent's start and end (`_start`, `_end`)."""
    import polars as pl

    spans = df.select(pl.col("_id").alias("_parent"), pl.col(b.col("start")).alias("_start"),
                      pl.col(b.col("end")).alias("_end")).filter(pl.col("_parent").is_not_null()) \
        .unique("_parent", keep="first")
    return df.join(spans, on="_parent", how="left", maintain_order="left")


def parts_within_parent_dates(b: Binding, df: "pl.DataFrame") -> dict:
    """A part's start and end lie within its parent's."""
    import polars as pl

    start, end = b.col("start"), b.col("end")
    return {start: _mask(pl.col(start) < pl.col("_start"), df), end: _mask(pl.col(end) > pl.col("_end"), df)}


def near_district(b: Binding, df: "pl.DataFrame") -> dict:
    """Points farther from their district's point than its radius. Most points are near: a
    path along the meridian then the parallel is at least as long as the great circle, so a
    point whose |dlat| + |dlon| (as arcs) is within the radius is near, found in one polars
    pass; only the others get the haversine distance (in numpy, on one core)."""
    import polars as pl

    lat, lon = b.col("lat"), b.col("lon")
    dlat, dlon, radius = (pl.col(c) for c in ("_ref_lat", "_ref_lon", "_ref_radius"))
    path_km = ((pl.col(lat) - dlat).abs() + (pl.col(lon) - dlon).abs()) * (np.pi / 180 * geo.EARTH_RADIUS_KM)
    maybe = np.flatnonzero(df.select((path_km > radius * (1 - 1e-9)).fill_null(False)).to_series().to_numpy())
    bad = np.zeros(df.height, dtype=bool)
    if len(maybe):
        part = df.select(lat, lon, "_ref_lat", "_ref_lon", "_ref_radius")[maybe]
        plat, plon, pdlat, pdlon, pradius = (part.to_series(i).to_numpy() for i in range(5))
        dist = geo.haversine_km(plat, plon, pdlat, pdlon)
        with np.errstate(invalid="ignore"):
            far = dist > pradius
        far &= ~np.isnan(dist)
        # one error per point: a point outside the province is reported as such
        far[far] = geo.inside_province(plon[far], plat[far])
        bad[maybe[far]] = True
    return {lat: pl.Series(bad)}


def district_points(b: Binding, df: "pl.DataFrame", ref: "pl.DataFrame") -> "pl.DataFrame":
    """Beside each row, the point and radius of the row its foreign key names."""
    import polars as pl

    lat, lon, area = (b.col(r) for r in ("ref_lat", "ref_lon", "ref_area"))
    d = ref.filter(pl.col(lat).is_not_null() & pl.col(lon).is_not_null())
    areas = d[area].to_list() if area else [None] * d.height
    radius = pl.Series([geo.district_radius_km(a) for a in areas], dtype=pl.Float64)
    return df.with_columns(_lookup(d["_key"], values, name) for values, name in
                           ((d[lat], "_ref_lat"), (d[lon], "_ref_lon"), (radius, "_ref_radius")))


def _lookup(keys: "pl.Series", values: "pl.Series", name: str) -> "pl.Expr":
    """`values` by `keys`, looked up for each row's `_key` (null where not found): cheaper
    than a join, and the result keeps the frame's chunks."""
    import polars as pl

    return pl.col("_key").replace_strict(keys, values, default=None, return_dtype=values.dtype).alias(name)


def after_referenced_start(b: Binding, df: "pl.DataFrame") -> dict:
    """A row's date may not predate the start of the row it refers to (less the slack its
    date precision allows)."""
    import polars as pl

    precision = b.col("precision")
    slack = pl.col(precision).replace_strict(PRECISION_DAYS, default=0, return_dtype=pl.Int64) if precision \
        else pl.lit(0)
    late = pl.col("_ref_start") - pl.duration(days=slack.fill_null(0))
    return {b.col("date"): _mask(pl.col(b.col("date")) < late, df)}


def referenced_start(b: Binding, df: "pl.DataFrame", ref: "pl.DataFrame") -> "pl.DataFrame":
    """Beside each row, the start date of the row its foreign key names."""
    import polars as pl

    return df.with_columns(_lookup(ref["_key"], ref[b.col("ref_start")], "_ref_start"))


def iso_4217() -> set[str]:
    """Active ISO 4217 alphabetic codes, from pycountry's copy of the iso-codes tables."""
    import pycountry

    return {c.alpha_3 for c in pycountry.currencies}


# --- wording --------------------------------------------------------------------------

def _v(row: dict, key: str | None) -> Any:
    v = row.get(key) if key else None
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def _explain_order(b: Binding, r: dict, f: str) -> str:
    start, end = b.col("start"), b.col("end")
    if f != end:
        return f"{f} {_v(r, f)} is outside {start} {_v(r, start)} .. {end} {_v(r, end)}."
    return f"{end} {_v(r, end)} is before {start} {_v(r, start)}."


def _explain_far(b: Binding, r: dict, f: str) -> str:
    lat, lon = b.col("lat"), b.col("lon")
    km = geo.haversine_km(r[lat], r[lon], r["_ref_lat"], r["_ref_lon"])
    return (f"point ({lat} {r[lat]}, {lon} {r[lon]}) is {km:.0f} km from the point of {b.col('district')}"
            f" {r.get(b.col('district'))}, more than {r['_ref_radius']:.0f} km.")


def _explain_parent_dates(b: Binding, r: dict, f: str) -> str:
    parent = b.col("parent")
    return (f"{f} {_v(r, f)} is outside the span of its parent {r.get(parent)}"
            f" ({_v(r, '_start')} .. {_v(r, '_end')}).")


N, D, T = Role("number"), Role("date"), Role("text")
RULES: dict[str, Rule] = {r.code: r for r in [
    Rule("fatalities-order", "make the low estimate <= the best <= the high.",
         {"low": N, "best": N, "high": N}, ordered_estimates,
         lambda b, r, f: " <= ".join(f"{b.col(k)} {r.get(b.col(k))}" for k in ("low", "best", "high")) + " does not hold."),
    Rule("fatalities-parts", "the parts must not add up to more than the total: fix the parts or the total.",
         {"total": N, "parts": Role("number", many=True)}, parts_within_total,
         lambda b, r, f: f"the parts ({', '.join(b.cols('parts'))}) add up to "
                         f"{sum(r.get(p) or 0 for p in b.cols('parts'))}, more than {f} {r.get(f)}."),
    Rule("date-order", "the start date must be on or before the end date (and the dates within them between them).",
         {"start": D, "end": D, "within": Role("date", many=True, optional=True)}, start_before_end, _explain_order),
    Rule("date-in-future", "a date cannot be after today: check the year.",
         {"dates": Role("date", many=True)}, not_in_future, lambda b, r, f: f"{f} {_v(r, f)} is in the future."),
    Rule("date-before-1947", "the date is before the start of the dataset's scope (the floor its schema declares):"
                             " check the year.",
         {"dates": Role("date", many=True)}, not_before_floor,
         lambda b, r, f: f"{f} {_v(r, f)} is before {b.params['floor'].isoformat()}.", params=("floor",)),
    Rule("coordinates-incomplete", "give both coordinates, or neither.",
         {"lat": N, "lon": N}, both_coordinates,
         lambda b, r, f: f"{b.col('lat')} {r.get(b.col('lat'))} and {b.col('lon')} {r.get(b.col('lon'))}:"
                         " give both or neither."),
    Rule("point-outside-province", "the point is not inside Balochistan: check the sign and order of the coordinates.",
         {"lat": N, "lon": N}, inside_province,
         lambda b, r, f: f"point ({b.col('lat')} {r.get(b.col('lat'))}, {b.col('lon')} {r.get(b.col('lon'))}) is"
                         f" outside Balochistan ({geo.BOUNDARY_SOURCE})."),
    Rule("point-far-from-district", "the point is far from the district it names: fix the coordinates or the district.",
         {"lat": N, "lon": N, "district": Role(), "ref_lat": Role("number", reference=True),
          "ref_lon": Role("number", reference=True), "ref_area": Role("number", reference=True, optional=True)},
         near_district, _explain_far, scope="reference", via="district", context=district_points),
    Rule("currency-code", "use an ISO 4217 currency code (USD, PKR, CNY, ...).",
         {"currency": T}, currency_code, lambda b, r, f: f"{r.get(f)!r} is not an ISO 4217 currency code."),
    Rule("usd-amount-mismatch", "when the currency is USD, the amount in USD must equal the original amount.",
         {"currency": T, "amount": N, "usd": N}, usd_amount,
         lambda b, r, f: f"the currency is USD but {f} {r.get(f)} differs from {b.col('amount')} {r.get(b.col('amount'))}."),
    Rule("statement-before-incident", "a statement about an event cannot predate it: check both dates or the reference.",
         {"date": D, "precision": Role("integer", optional=True), "incident": Role(),
          "ref_start": Role("date", reference=True)},
         after_referenced_start,
         lambda b, r, f: f"{f} {_v(r, f)} is before {b.col('incident')} {r.get(b.col('incident'))}"
                         f" started ({_v(r, '_ref_start')}).",
         scope="reference", via="incident", context=referenced_start),
    Rule("figure-with-none-reported", "the basis says no source reports a figure: empty the figures, or give the"
                                      " basis of the figure you filled in.",
         {"basis": T, "figures": Role("number", many=True)}, figures_need_a_report,
         lambda b, r, f: f"{b.col('basis')} is {r.get(b.col('basis'))!r} but {f} is {r.get(f)}.", params=("values",)),
    Rule("zero-without-reported-basis", "a figure of 0 must come from a source that reports zero: give that basis,"
                                        " or leave the figure empty when no source reports one.",
         {"basis": T, "figures": Role("number", many=True)}, zero_needs_a_report,
         lambda b, r, f: f"{f} is 0 but {b.col('basis')} is {r.get(b.col('basis'))!r}, which does not report zero.",
         params=("values",)),
    Rule("parts-exceed-parent", "the parts of a parent row may not add up to more than its figure: fix the parts"
                                " or the parent's figure.",
         {"id": Role(), "parent": Role(), "best": N}, parts_within_parent,
         lambda b, r, f: f"the rows whose {b.col('parent')} is {r.get(b.col('id'))} add up to {r.get('_parts')}"
                         f" in {f}, more than its {r.get(f)}.", scope="table", context=parent_totals),
    Rule("part-outside-parent-dates", "a part's dates must lie within its parent's start and end.",
         {"id": Role(), "parent": Role(), "start": D, "end": D}, parts_within_parent_dates, _explain_parent_dates,
         scope="table", context=parent_spans),
    Rule("cited-source-incomplete", "a source that rows cite needs what its rule requires: a title, who published it and when.",
         {"id": Role(), "required": Role(many=True)}, lambda b, df: {},
         lambda b, r, f: f"{b.col('id')} {r.get(b.col('id'))} is cited but {f} is empty.",
         scope="cited", params=("cited_by",)),
    Rule("url-not-absolute", "write the address in full, starting with http:// or https://, or leave it empty.",
         {"urls": Role("text", many=True)}, absolute_urls,
         lambda b, r, f: f"{r.get(f)!r} is not an absolute http(s) address."),
]}
register_hints({code: rule.hint for code, rule in RULES.items()})


# --- declarations -------------------------------------------------------------------------

_BOUND: dict[tuple[int, int], tuple[Any, Any, list[Binding]]] = {}


def bind(resource: "Resource", package: "Package | None" = None) -> list[Binding]:
    """The rules declared on `resource`, checked against its schema (and, for reference
    rules, the referenced table's); a broken declaration raises `BrcdError`."""
    key = (id(resource.schema), id(package))
    known = _BOUND.get(key)
    if known is not None and known[0] is resource.schema and known[1] is package:
        return known[2]
    bindings = _bind(resource, package)
    if len(_BOUND) > 256:
        _BOUND.clear()
    _BOUND[key] = (resource.schema, package, bindings)
    return bindings


def _bind(resource: "Resource", package: "Package | None") -> list[Binding]:
    where = resource.schema_path or resource.root / "datapackage.json"
    declared = resource.schema.get(PROPERTY, [])

    def broken(message: str) -> BrcdError:
        return BrcdError("rule-error", f"{resource.name}: {PROPERTY} {message}", file=where,
                         hint=f"declare each rule as {{\"rule\": CODE, \"fields\": {{ROLE: COLUMN}}}}; rules: "
                              f"{', '.join(RULES)}.")

    if not isinstance(declared, list):
        raise broken("must be a list.")
    types = {f.name: f.type for f in resource_fields(resource)}
    out = []
    for i, entry in enumerate(declared):
        if not isinstance(entry, dict) or entry.get("rule") not in RULES:
            raise broken(f"#{i + 1} names no known rule ({entry.get('rule') if isinstance(entry, dict) else entry!r}).")
        rule = RULES[entry["rule"]]
        unknown = set(entry) - {"rule", "fields", "description", *rule.params}
        if unknown:
            raise broken(f"#{i + 1} ({rule.code}) has unknown keys: {', '.join(sorted(unknown))}.")
        fields = entry.get("fields")
        if not isinstance(fields, dict) or set(fields) - set(rule.roles):
            raise broken(f"#{i + 1} ({rule.code}) takes the roles {', '.join(rule.roles)} under \"fields\".")
        params = {p: entry.get(p) for p in rule.params}
        if any(v is None for v in params.values()):
            raise broken(f"#{i + 1} ({rule.code}) needs {', '.join(rule.params)}.")
        if "floor" in params:
            try:
                params["floor"] = dt.date.fromisoformat(params["floor"])
            except (TypeError, ValueError):
                raise broken(f"#{i + 1} ({rule.code}): floor {params['floor']!r} is not a date (YYYY-MM-DD).") from None
        target, target_key, target_types = None, None, {}
        if rule.via:
            target, target_key = _reference_of(resource, package, fields.get(rule.via), broken, rule)
            target_types = {f.name: f.type for f in resource_fields(package.resource(target))}
        for role, spec in rule.roles.items():
            value = fields.get(role)
            if value is None:
                if spec.optional:
                    continue
                raise broken(f"#{i + 1} ({rule.code}) needs the role {role!r}.")
            names = value if spec.many else [value]
            if spec.many != isinstance(value, list) or not all(isinstance(n, str) for n in names):
                raise broken(f"#{i + 1} ({rule.code}): {role} must be " + ("a list of columns." if spec.many else "a column."))
            pool = target_types if spec.reference else types
            for n in names:
                if n not in pool:
                    raise broken(f"#{i + 1} ({rule.code}): {role} {n!r} is not a column of "
                                 f"{target if spec.reference else resource.name}.")
                allowed = KINDS[spec.kind]
                if allowed is not None and pool[n] not in allowed:
                    raise broken(f"#{i + 1} ({rule.code}): {role} {n!r} is {pool[n]}, not {spec.kind}.")
        if rule.scope == "table" and not _self_reference(resource, fields["parent"], fields["id"]):
            raise broken(f"#{i + 1} ({rule.code}): {fields['parent']!r} must be a foreign key to {fields['id']!r} of"
                         " the same table.")
        if rule.scope == "cited":
            params["cited_by"] = _cited_by(resource, package, params["cited_by"], broken, rule)
        out.append(Binding(rule, resource.name, dict(fields), params, target, target_key))
    return out


def _reference_of(resource, package, column, broken, rule) -> tuple[str, str]:
    for fk in resource.foreign_keys:
        if fk["fields"] == [column]:
            if package is None or fk["reference"]["resource"] not in package.resource_names:
                break
            return fk["reference"]["resource"], fk["reference"]["fields"][0]
    raise broken(f"({rule.code}): {column!r} must be a single-column foreign key to a table of the package.")


def _self_reference(resource, parent: str, key: str) -> bool:
    return any(fk["fields"] == [parent] and fk["reference"]["resource"] == resource.name
               and fk["reference"]["fields"] == [key] for fk in resource.foreign_keys)


def _cited_by(resource, package, cited_by, broken, rule) -> list[tuple[str, str, str | None]]:
    """(table, column, delimiter or None for one id per cell) of each citing column."""
    if not isinstance(cited_by, list) or package is None:
        raise broken(f"({rule.code}): cited_by must list {{\"resource\", \"field\"}} objects.")
    out = []
    for item in cited_by:
        name, column = (item.get("resource"), item.get("field")) if isinstance(item, dict) else (None, None)
        if name not in package.resource_names or column not in package.resource(name).field_names:
            raise broken(f"({rule.code}): cited_by {item!r} is not a column of a table of the package.")
        citing = package.resource(name)
        lists = {lr["field"]: lr["delimiter"] for lr in citing.list_references() if lr["resource"] == resource.name}
        fks = {fk["fields"][0] for fk in citing.foreign_keys
               if len(fk["fields"]) == 1 and fk["reference"]["resource"] == resource.name}
        if column not in lists and column not in fks:
            raise broken(f"({rule.code}): {name}.{column} does not refer to {resource.name}.")
        out.append((name, column, lists.get(column)))
    return out


def row_rules(resource: "Resource", package: "Package | None" = None) -> list[Binding]:
    return [b for b in bind(resource, package) if b.rule.scope == "row"]


def rule_columns(resource: "Resource", package: "Package") -> set[str]:
    """Columns of `resource` the rules that run after reading need once its rows are gone."""
    want: set[str] = set()
    for b in bind(resource, package):
        if b.rule.scope != "row":
            want |= set(b.own_columns())
        if b.rule.scope == "cited":
            want.add(b.col("id"))
    for other in package.resources:
        for b in bind(other, package):
            if b.target == resource.name:
                want |= set(b.reference_columns()) | {b.target_key}
            if b.rule.scope == "cited":
                want |= {column for name, column, _ in b.params["cited_by"] if name == resource.name}
    return want


def _filled_in(resource: "Resource", package: "Package") -> set[str]:
    """Columns a citation rule needs filled in: read as raw cells (an empty cell is missing)."""
    return {c for b in bind(resource, package) if b.rule.scope == "cited" for c in b.cols("required")}


def kept_columns(resource: "Resource", package: "Package") -> set[str]:
    """The `rule_columns` kept as raw cells (text: keys, ids, what a citation must fill in)."""
    want = rule_columns(resource, package)
    return {f.name for f in resource_fields(resource) if f.name in want and f.type in ("string", "any")} \
        | _filled_in(resource, package)


def typed_columns(resource: "Resource", package: "Package") -> list[str]:
    """The other `rule_columns`, kept typed from every slice (numbers, dates: 8 bytes a cell,
    not their text)."""
    raw = kept_columns(resource, package)
    return [f.name for f in resource_fields(resource) if f.name in rule_columns(resource, package) - raw]


# --- running the rules after reading ------------------------------------------------------------

def check_rules(table, tables: dict, package: "Package", typed: dict, out) -> None:
    """The table, reference and citation rules declared on `table`'s resource, over the
    columns kept from every slice (`kept_columns`; `typed`: table name -> the `typed_columns`
    of its rows, parsed as the slices were checked)."""
    import polars as pl

    waves: dict[tuple, tuple] = {}  # (id, parent) -> their keys and the rows of parents and parts
    for b in bind(table.resource, package):
        if b.rule.scope == "row" or table.frame is None:
            continue
        if b.rule.scope == "cited":
            _check_cited(b, table, tables, out)
            continue
        via = b.col(b.rule.via) if b.rule.via else None
        frame = _typed(table, [c for c in b.own_columns() if c != via], typed)
        at = np.arange(frame.height)  # the rows of `table` that `frame` holds
        if b.rule.scope == "reference":
            target = tables.get(b.target)
            if target is None or target.frame is None:
                continue  # the referenced table is missing or unreadable: reported on its own
            keys = _keys(table, via)
            present = keys.is_not_null()
            ref_keys = _keys(target, b.target_key).cast(pl.Utf8)
            wanted = ref_keys.is_in(keys.unique().drop_nulls().cast(pl.Utf8).implode()).fill_null(False)
            ref = _typed(target, [b.target_key, *b.reference_columns()], typed).filter(wanted) \
                .with_columns(ref_keys.filter(wanted).alias("_key")).unique("_key", keep="first", maintain_order=True)
            frame = frame.with_columns(keys.alias("_key"), table.frame[via].alias(via))
            if not present.all():
                at = np.flatnonzero(present.to_numpy())
                frame = frame.filter(present)
            frame = b.rule.context(b, frame, ref)
        else:  # a parent and its parts: the rows naming a parent and the rows they name
            pair = (b.col("id"), b.col("parent"))
            if pair not in waves:
                ids, parents = _keys(table, pair[0]), _keys(table, pair[1])
                involved = parents.is_not_null() | ids.is_in(parents.drop_nulls().unique().implode())
                at = np.flatnonzero(involved.fill_null(False).to_numpy())
                waves[pair] = (at, ids.gather(at), parents.gather(at))
            at, ids, parents = waves[pair]
            frame = b.rule.context(b, frame[at].with_columns(ids.alias("_id"), parents.alias("_parent")))
        for column, mask in b.rule.check(b, frame).items():
            hit = np.flatnonzero(mask.to_numpy() & table.row_ok[at])
            if not len(hit):
                continue

            def make(i: int, hit=hit, column=column, frame=frame):
                r = int(hit[i])
                row = frame.row(r, named=True)
                value = table.frame[column][int(at[r])] if column in table.frame.columns else _text(row[column])
                return table.issue(b.code, int(at[r]), column, b.rule.explain(b, row, column), value)

            out.add_many(len(hit), (make(i) for i in range(min(len(hit), out.limit or len(hit)))))


def _text(value: Any) -> str | None:
    """A typed value as a cell would write it (the issue's `value` of a column kept typed)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime, dt.time)) else str(value)


def _typed(table, columns: list[str], typed: dict) -> "pl.DataFrame":
    """The kept columns of a read table, typed (those kept typed, as kept; the others parsed
    from the kept raw cells)."""
    import polars as pl

    models = {f.name: f for f in resource_fields(table.resource)}
    kept = typed.get(table.name)
    return pl.DataFrame([kept[c] if kept is not None and c in kept.columns else models[c].typed(table.frame[c])
                         for c in dict.fromkeys(columns)])


def _keys(table, column: str) -> "pl.Series":
    """Keys of a kept column: its logical values' canonical text (a column of text kept as
    a Categorical stays one: its text is its key)."""
    import polars as pl

    model = next(f for f in resource_fields(table.resource) if f.name == column)
    raw = table.frame[column]
    if raw.dtype == pl.Categorical and model.type == "string" and model.format == "default" \
            and model.missing_values == ("",) and not (raw.unique().cast(pl.Utf8) == "").any():
        return raw
    return model.keys(raw)


def _check_cited(b: Binding, table, tables: dict, out) -> None:
    """Rows of `table` that a citing column names must have every `required` column filled in."""
    import polars as pl

    cited = []
    for name, column, delimiter in b.params["cited_by"]:
        citing = tables.get(name)
        if citing is None or citing.frame is None or column not in citing.frame.columns:
            continue
        values = citing.frame.select(pl.col(column).cast(pl.Utf8)).filter(pl.Series(citing.row_ok)).to_series()
        values = values.drop_nulls().unique()  # lists of ids repeat: each split once
        if delimiter is not None:
            values = values.str.split(delimiter).explode()
        cited.append(values.drop_nulls())
    if not cited:
        return
    model = next(f for f in resource_fields(table.resource) if f.name == b.col("id"))
    ids = model.keys(pl.concat(cited).unique().cast(pl.Utf8).alias("_cited")).drop_nulls()
    key = _keys(table, b.col("id"))
    is_cited = key.is_in(ids.implode()).fill_null(False).to_numpy() & table.row_ok[: len(key)]
    models = {f.name: f for f in resource_fields(table.resource)}
    for column in b.cols("required"):
        empty = table.frame.select(models[column].missing_expr(pl.col(column).cast(pl.Utf8))).to_series().to_numpy()
        rows = np.flatnonzero(is_cited & empty)
        if not len(rows):
            continue
        ids_shown = table.frame[b.col("id")]

        def make(i: int, rows=rows, column=column):
            r = int(rows[i])
            return table.issue(b.code, r, column, b.rule.explain(b, {b.col("id"): ids_shown[r]}, column))

        out.add_many(len(rows), (make(i) for i in range(min(len(rows), out.limit or len(rows)))))
