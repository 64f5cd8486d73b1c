"""Rule 4, domain rules: what Table Schema cannot say. Each rule is one small function with its
error code; `models.table_schema` attaches them to the generated pandera model as checks.

A rule takes the typed frame of one table (with the context columns `add_context` joins in
from other tables) and returns `{field: mask}`, True where a row breaks the rule; `explain`
words one failing row. Empty cells never break a rule (`required` is the schema's business).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from brcd import geo

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

FIRST_DATE = dt.date(1947, 1, 1)
# Dates that may lie in the future (a lease runs for years).
FUTURE_OK = {("minerals", "lease_end")}
# Dates of events: before 1947 is outside BRCD's scope.
EVENT_DATES = {
    "incidents": ["event_date", "date_start", "date_end"],
    "statements": ["statement_date"],
    "financing": ["status_date", "announcement_date"],
    "minerals": ["lease_start", "lease_end", "estimate_as_of"],
}
START_END = {"incidents": [("date_start", "date_end")], "minerals": [("lease_start", "lease_end")]}
PARTS = {
    "incidents": ("fatalities_best", ["deaths_state_forces", "deaths_militants", "deaths_civilians", "deaths_unknown"]),
    "statements": ("claimed_killed_total", ["claimed_killed_state_forces", "claimed_killed_militants",
                                            "claimed_killed_civilians"]),
}
# How far a statement may seem to predate its incident, by the statement's date precision
# (UCDP date_prec: 1 day, 2 a span of days, 3 week, 4 month, 5 year).
PRECISION_DAYS = {1: 0, 2: 6, 3: 7, 4: 31, 5: 366}
# Typed columns other tables' rules need (`add_context`): kept while the table is read.
CONTEXT_FIELDS = {"districts": ["district_id", "latitude", "longitude", "area_km2"],
                  "incidents": ["incident_id", "date_start"]}


@dataclass(frozen=True)
class Rule:
    code: str
    tables: tuple[str, ...]
    fails: Callable[["pl.DataFrame", str], dict[str, "pl.Series"]]
    explain: Callable[[dict[str, Any], str], str]


def _has(df: "pl.DataFrame", *cols: str) -> bool:
    return all(c in df.columns for c in cols)


def _mask(expr: "pl.Expr", df: "pl.DataFrame") -> "pl.Series":
    return df.select(expr.fill_null(False)).to_series()


def fatalities_order(df: "pl.DataFrame", table: str) -> dict:
    import polars as pl

    if not _has(df, "fatalities_low", "fatalities_best", "fatalities_high"):
        return {}
    low, best, high = pl.col("fatalities_low"), pl.col("fatalities_best"), pl.col("fatalities_high")
    return {"fatalities_low": _mask(low > best, df), "fatalities_high": _mask((high < best) & ~(low > best), df)}


def fatalities_parts(df: "pl.DataFrame", table: str) -> dict:
    import polars as pl

    total, parts = PARTS[table]
    if not _has(df, total, *parts):
        return {}
    summed = pl.sum_horizontal(pl.col(p).fill_null(0) for p in parts)
    return {total: _mask(pl.col(total).is_not_null() & (summed > pl.col(total)), df)}


def date_order(df: "pl.DataFrame", table: str) -> dict:
    import polars as pl

    out = {}
    for start, end in START_END.get(table, []):
        if _has(df, start, end):
            out[end] = _mask(pl.col(start) > pl.col(end), df)
    if table == "incidents" and _has(df, "event_date", "date_start", "date_end"):
        ev = pl.col("event_date")
        out["event_date"] = _mask((pl.col("date_start") <= pl.col("date_end"))
                                  & ((ev < pl.col("date_start")) | (ev > pl.col("date_end"))), df)
    return out


def dates_in_future(df: "pl.DataFrame", table: str, fields: list[str]) -> dict:
    import polars as pl

    # a day of slack: it is already tomorrow in Pakistan (UTC+5) for five hours of each UTC day
    latest = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    return {f: _mask(pl.col(f) > latest, df) for f in fields if (table, f) not in FUTURE_OK and f in df.columns}


def dates_before_1947(df: "pl.DataFrame", table: str, fields: list[str]) -> dict:
    import polars as pl

    return {f: _mask(pl.col(f) < FIRST_DATE, df) for f in fields if f in df.columns}


def coordinates_incomplete(df: "pl.DataFrame", table: str) -> dict:
    import polars as pl

    if not _has(df, "latitude", "longitude"):
        return {}
    lat, lon = pl.col("latitude").is_null(), pl.col("longitude").is_null()
    return {"latitude": _mask(lat & ~lon, df), "longitude": _mask(lon & ~lat, df)}


def outside_province(df: "pl.DataFrame", table: str) -> dict:
    import polars as pl

    if not _has(df, "latitude", "longitude"):
        return {}
    lat = df["latitude"].to_numpy()
    lon = df["longitude"].to_numpy()
    both = ~(np.isnan(lat) | np.isnan(lon)) if df.height else np.zeros(0, dtype=bool)
    bad = np.zeros(df.height, dtype=bool)
    idx = np.flatnonzero(both)
    bad[idx] = ~geo.inside_province(lon[idx], lat[idx])
    return {"latitude": pl.Series(bad)}


def far_from_district(df: "pl.DataFrame", table: str) -> dict:
    """Points farther from their district's point than its radius. Most points are near: a
    path along the meridian then the parallel is at least as long as the great circle, so a
    point whose |dlat| + |dlon| (as arcs) is within the radius is near, found in one polars
    pass; only the others get the haversine distance (in numpy, on one core)."""
    import polars as pl

    if not _has(df, "latitude", "longitude", "_district_lat", "_district_lon", "_district_radius_km"):
        return {}
    lat, lon, dlat, dlon, radius = (pl.col(c) for c in ("latitude", "longitude", "_district_lat", "_district_lon",
                                                          "_district_radius_km"))
    path_km = ((lat - dlat).abs() + (lon - dlon).abs()) * (np.pi / 180 * geo.EARTH_RADIUS_KM)
    maybe = np.flatnonzero(df.select((path_km > radius * (1 - 1e-9)).fill_null(False)).to_series().to_numpy())
    bad = np.zeros(df.height, dtype=bool)
    if not len(maybe):
        return {"latitude": pl.Series(bad)}
    part = df.select("latitude", "longitude", "_district_lat", "_district_lon", "_district_radius_km")[maybe]
    plat, plon, pdlat, pdlon, pradius = (part.to_series(i).to_numpy() for i in range(5))
    dist = geo.haversine_km(plat, plon, pdlat, pdlon)
    with np.errstate(invalid="ignore"):
        far = dist > pradius
    far &= ~np.isnan(dist)
    # one error per point: a point outside the province is reported as such
    far[far] = geo.inside_province(plon[far], plat[far])
    bad[maybe[far]] = True
    return {"latitude": pl.Series(bad)}


def currency_code(df: "pl.DataFrame", table: str) -> dict:
    import polars as pl

    if not _has(df, "currency_original"):
        return {}
    col = pl.col("currency_original").cast(pl.Utf8)
    return {"currency_original": _mask(col.str.contains(r"^[A-Z]{3}$") & ~col.is_in(sorted(iso_4217())), df)}


def usd_amount(df: "pl.DataFrame", table: str) -> dict:
    import polars as pl

    if not _has(df, "currency_original", "amount_original", "amount_usd_nominal"):
        return {}
    a, u = pl.col("amount_original"), pl.col("amount_usd_nominal")
    off = (a - u).abs() > 1e-9 * pl.max_horizontal(a.abs(), pl.lit(1.0))
    return {"amount_usd_nominal": _mask((pl.col("currency_original").cast(pl.Utf8) == "USD") & off, df)}


def statement_before_incident(df: "pl.DataFrame", table: str) -> dict:
    import polars as pl

    if not _has(df, "statement_date", "_incident_start"):
        return {}
    slack = pl.col("date_precision").replace_strict(PRECISION_DAYS, default=0, return_dtype=pl.Int64) \
        if "date_precision" in df.columns else pl.lit(0)
    late = pl.col("_incident_start") - pl.duration(days=slack)
    return {"statement_date": _mask(pl.col("statement_date") < late, df)}


def iso_4217() -> set[str]:
    """Active ISO 4217 alphabetic codes, from pycountry's copy of the iso-codes tables."""
    import pycountry

    return {c.alpha_3 for c in pycountry.currencies}


def _date_fields(table: str, schema_fields: list[dict]) -> list[str]:
    return [f["name"] for f in schema_fields if f.get("type") == "date"]


def _before_1947_fields(table: str, schema_fields: list[dict]) -> list[str]:
    """Event dates whose schema does not already forbid dates before 1947."""
    out = []
    for f in schema_fields:
        if f["name"] not in EVENT_DATES.get(table, []):
            continue
        minimum = (f.get("constraints") or {}).get("minimum")
        if not (isinstance(minimum, str) and minimum >= FIRST_DATE.isoformat()):
            out.append(f["name"])
    return out


def _v(row: dict, key: str) -> Any:
    v = row.get(key)
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def _explain_order(r: dict, f: str) -> str:
    if f == "event_date":
        return (f"event_date {_v(r, 'event_date')} is outside date_start {_v(r, 'date_start')}"
                f" .. date_end {_v(r, 'date_end')}.")
    start = {"date_end": "date_start", "lease_end": "lease_start"}.get(f, "start")
    return f"{f} {_v(r, f)} is before {start} {_v(r, start)}."


def rules_for(table: str, schema_fields: list[dict]) -> list[Rule]:
    """The domain rules that apply to one table, ready to attach to its pandera model."""
    every = ("*",)
    dates = _date_fields(table, schema_fields)
    early = _before_1947_fields(table, schema_fields)
    rules = [
        Rule("fatalities-order", ("incidents",), fatalities_order,
             lambda r, f: f"fatalities_low {r['fatalities_low']} <= best {r['fatalities_best']} <= high {r['fatalities_high']} does not hold."),
        Rule("fatalities-parts", tuple(PARTS), fatalities_parts,
             lambda r, f: f"the parts by side add up to {sum(r[p] or 0 for p in PARTS[r['_table']][1])}, more than {f} {r[f]}."),
        Rule("date-order", tuple(START_END), date_order, _explain_order),
        Rule("date-in-future", every, lambda df, t: dates_in_future(df, t, dates),
             lambda r, f: f"{f} {_v(r, f)} is in the future."),
        Rule("date-before-1947", every, lambda df, t: dates_before_1947(df, t, early),
             lambda r, f: f"{f} {_v(r, f)} is before 1947."),
        Rule("coordinates-incomplete", every, coordinates_incomplete,
             lambda r, f: f"latitude {r.get('latitude')} and longitude {r.get('longitude')}: give both or neither."),
        Rule("point-outside-province", every, outside_province,
             lambda r, f: f"point (latitude {r['latitude']}, longitude {r['longitude']}) is outside Balochistan"
                          f" ({geo.BOUNDARY_SOURCE})."),
        Rule("point-far-from-district", every, far_from_district,
             lambda r, f: (f"point (latitude {r['latitude']}, longitude {r['longitude']}) is "
                           f"{geo.haversine_km(r['latitude'], r['longitude'], r['_district_lat'], r['_district_lon']):.0f} km "
                           f"from the point of district {r.get('district_id')}, more than {r['_district_radius_km']:.0f} km.")),
        Rule("currency-code", ("financing",), currency_code,
             lambda r, f: f"{r[f]!r} is not an ISO 4217 currency code."),
        Rule("usd-amount-mismatch", ("financing",), usd_amount,
             lambda r, f: f"the currency is USD but amount_usd_nominal {r[f]} differs from amount_original {r['amount_original']}."),
        Rule("statement-before-incident", ("statements",), statement_before_incident,
             lambda r, f: f"statement_date {_v(r, f)} is before its incident {r.get('related_incident_id')} started ({_v(r, '_incident_start')})."),
    ]
    return [r for r in rules if r.tables == every or table in r.tables]


def add_context(table: str, typed: "pl.DataFrame", typed_by_name: dict[str, "pl.DataFrame"]) -> "pl.DataFrame":
    """Join in what the cross-table rules need: the district's point and radius, the incident's start."""
    import polars as pl

    extra = [pl.lit(table).alias("_table")]
    districts = typed_by_name.get("districts")
    if table != "districts" and districts is not None and _has(typed, "district_id", "latitude") \
            and _has(districts, "district_id", "latitude", "longitude"):
        d = districts.filter(pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null()) \
            .unique("district_id", keep="first")
        area = d["area_km2"].to_list() if "area_km2" in d.columns else [None] * d.height
        points = pl.DataFrame({"district_id": d["district_id"], "_district_lat": d["latitude"],
                               "_district_lon": d["longitude"],
                               "_district_radius_km": [geo.district_radius_km(a) for a in area]},
                              schema_overrides={"_district_radius_km": pl.Float64})
        # looked up by expression, so the new columns are cut into the same chunks as the
        # parsed ones (a joined column comes in one chunk, and polars would realign every
        # column against it on each later expression: 0.1 s at a million rows)
        key = pl.col("district_id").cast(pl.Utf8)
        extra += [key.replace_strict(points["district_id"], points[c], default=None, return_dtype=pl.Float64).alias(c)
                  for c in ("_district_lat", "_district_lon", "_district_radius_km")]
    out = typed.with_columns(extra)
    incidents = typed_by_name.get("incidents")
    if table == "statements" and incidents is not None and _has(typed, "related_incident_id") \
            and _has(incidents, "incident_id", "date_start"):
        wanted = typed["related_incident_id"].drop_nulls().unique().cast(pl.Utf8)  # a few of many incidents
        starts = incidents.select(pl.col("incident_id").cast(pl.Utf8).alias("_incident"),
                                  pl.col("date_start").alias("_incident_start")) \
            .filter(pl.col("_incident").is_in(wanted.implode())).unique("_incident", keep="first")
        out = out.with_columns(pl.col("related_incident_id").cast(pl.Utf8).replace_strict(
            starts["_incident"], starts["_incident_start"], default=None, return_dtype=pl.Date).alias("_incident_start"))
    return out
