"""Charts drawn in the browser with the bundled Vega-Lite (site/static/vendor), from data this
module computes on the served database: `/-/charts` shows them, `/-/charts/<name>.json` gives
each one's Vega-Lite spec with its rows inlined.

Why bundled Vega-Lite rather than a Datasette plugin: datasette-vega 0.6.2 (2018) offers only an
interactive chart builder on table pages, with no charts defined ahead; datasette-dashboards 0.8.0
works on 0.65 but renders its charts with Vega's default expression compiler, which needs
`'unsafe-eval'` in the Content-Security-Policy, and inline scripts. Vega-Lite 6 with
vega-interpreter (`ast: true`) draws the same charts under a strict policy, from three files
served by this site.

Empty figures are unknown, never zero: SQL's SUM skips them, a month or speaker with no known
figure has none (a gap in the line), and each chart says how many rows it could not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from brcd.presentation import column_labels

SIDES = [("deaths_state_forces", "State forces"), ("deaths_militants", "Militants"),
         ("deaths_civilians", "Civilians"), ("deaths_unknown", "Side not known")]

# Each death once: a wave's parent row adds only what its parts do not hold (as in
# queries/deaths_by_month_district.sql), so months sum the top-level figures.
DEATHS_BY_MONTH = """
with parts as (
  select parent_incident_id as id, sum(fatalities_low) as low, sum(fatalities_best) as best,
         sum(fatalities_high) as high, {part_sides}
  from incidents where parent_incident_id is not null group by parent_incident_id
)
select substr(i.event_date, 1, 7) as month,
       sum(i.fatalities_low - coalesce(p.low, 0)) as low,
       sum(i.fatalities_best - coalesce(p.best, 0)) as best,
       sum(i.fatalities_high - coalesce(p.high, 0)) as high,
       {row_sides},
       sum(case when p.id is null then 1 else 0 end) as events,
       sum(case when p.id is null and i.fatalities_best is null then 1 else 0 end) as events_unknown
from incidents as i left join parts as p on p.id = i.incident_id
group by month order by month
"""


def _deaths_sql() -> str:
    part = ", ".join(f"sum({c}) as {c}" for c, _ in SIDES)
    rows = ",\n       ".join(f"sum(i.{c} - coalesce(p.{c}, 0)) as {c}" for c, _ in SIDES)
    return DEATHS_BY_MONTH.format(part_sides=part, row_sides=rows)


def deaths_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per month and series: the estimate (with low and high) and each side."""
    out = []
    for r in rows:
        out.append({"month": r["month"], "series": "All deaths (best estimate)", "deaths": r["best"],
                    "low": r["low"], "high": r["high"], "events": r["events"], "unknown": r["events_unknown"]})
        for col, name in SIDES:
            if r[col] is not None:
                out.append({"month": r["month"], "series": name, "deaths": r[col]})
    return out


def deaths_spec(values: list[dict[str, Any]]) -> dict[str, Any]:
    x = {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": "Month"}
    band = {"filter": "datum.series === 'All deaths (best estimate)' && datum.low != null && datum.high != null"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Deaths per month: best estimate with its low-high band, and deaths by side.",
        "width": "container", "height": 300,
        "data": {"values": values},
        "layer": [
            {"transform": [band], "mark": {"type": "area", "opacity": 0.25, "color": "#4c78a8"},
             "encoding": {"x": x, "y": {"field": "low", "type": "quantitative", "title": "Deaths"},
                          "y2": {"field": "high"},
                          "tooltip": [{"field": "month", "title": "Month"}, {"field": "low", "title": "Low"},
                                      {"field": "high", "title": "High"}]}},
            {"mark": {"type": "line", "point": True},
             "encoding": {"x": x, "y": {"field": "deaths", "type": "quantitative", "title": "Deaths"},
                          "color": {"field": "series", "type": "nominal", "title": "Series"},
                          "tooltip": [{"field": "month", "title": "Month"}, {"field": "series", "title": "Series"},
                                      {"field": "deaths", "title": "Deaths"}]}},
        ],
    }


def claims_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        speaker = r.get("speaker") or r.get("speaker_org_id") or "unknown speaker"
        for prefix, side in (("sf", "State forces"), ("militants", "Militants"), ("civilians", "Civilians")):
            claimed, recorded = r.get(f"{prefix}_claimed"), r.get(f"{prefix}_recorded")
            if claimed is None and recorded is None:
                continue
            out.append({"speaker": speaker, "side": side, "kind": "Claimed", "deaths": claimed})
            out.append({"speaker": speaker, "side": side, "kind": "BRCD estimate", "deaths": recorded})
    return out


def claims_spec(values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Deaths claimed by each speaker against BRCD's estimate for the same incidents and side.",
        "width": 560,
        "data": {"values": values},
        "transform": [{"filter": "datum.deaths != null"}],
        "mark": {"type": "bar"},
        "height": {"step": 14},
        "encoding": {
            "row": {"field": "speaker", "type": "nominal", "title": None, "header": {"labelAngle": 0,
                                                                                     "labelAlign": "left"}},
            "y": {"field": "side", "type": "nominal", "title": None, "scale": {"paddingInner": 0.2}},
            "yOffset": {"field": "kind"},
            "x": {"field": "deaths", "type": "quantitative", "title": "Deaths"},
            "color": {"field": "kind", "type": "nominal", "title": "Figure"},
            "tooltip": [{"field": "speaker"}, {"field": "side"}, {"field": "kind"}, {"field": "deaths"}],
        },
    }


def financing_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"financier": r.get("financier") or r.get("financier_id"), "instrument": r.get("instrument"),
             "usd": r.get("usd_total")} for r in rows if r.get("usd_total") is not None]


def financing_spec(values: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Nominal US dollars committed per financier, by instrument (rows counted in aggregates only).",
        "width": "container",
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "financier", "type": "nominal", "title": None, "sort": "-x"},
            "x": {"aggregate": "sum", "field": "usd", "type": "quantitative", "title": "US dollars (nominal)",
                  "axis": {"format": "~s"}},
            "color": {"field": "instrument", "type": "nominal", "title": "Instrument"},
            "tooltip": [{"field": "financier"}, {"field": "instrument"},
                        {"aggregate": "sum", "field": "usd", "title": "US$", "format": ",.0f"}],
        },
    }


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    about: str
    table: str                      # the table it needs
    sql: str | None                 # its own SQL, or
    stored_query: str | None        # a stored query run with its defaults
    to_values: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    to_spec: Callable[[list[dict[str, Any]]], dict[str, Any]]


CHARTS = [
    Chart("deaths-by-month", "Deaths per month, by side",
          "The line is BRCD's best estimate of deaths per month, the shaded band runs from the low to the high "
          "estimate, and the other lines split the deaths by side where sources do. Incidents without a figure are "
          "not counted as zero: a month without any known figure has no point.",
          "incidents", _deaths_sql(), None, deaths_rows, deaths_spec),
    Chart("claims-vs-estimates", "Casualty claims against BRCD's estimates, per speaker",
          "For each speaker, the deaths its statements claimed beside the deaths BRCD records for the same incidents "
          "and side, counted only where both figures are known.",
          "statements", None, "claims_vs_estimates_by_speaker", claims_rows, claims_spec),
    Chart("financing", "Financing by financier and instrument",
          "Nominal US dollars per financier, split by instrument. Only rows recommended for aggregates count, so "
          "a package and its parts, or an MoU, are not added as money committed.",
          "financing", None, "financing_by_financier", financing_rows, financing_spec),
]
CHARTS_BY_NAME = {c.name: c for c in CHARTS}


async def chart_rows(datasette, database: str, chart: Chart) -> list[dict[str, Any]] | None:
    """The chart's rows, or None when the database cannot give them (no such table or query)."""
    db = datasette.get_database(database)
    if chart.table not in await db.table_names():
        return None
    if chart.sql:
        sql, params = chart.sql, {}
    else:
        query = await datasette.get_canned_query(database, chart.stored_query, None)
        if not query:
            return None
        sql = query["sql"]
        params = dict(query.get("brcd_defaults") or {})
    result = await datasette.execute(database, sql, params)
    return [dict(zip(result.columns, tuple(row))) for row in result.rows]


def labelled(rows: list[dict[str, Any]], labels: dict[str, dict[Any, str]]) -> list[dict[str, Any]]:
    """Rows with codes replaced by their labels (`brcd.presentation.column_labels`)."""
    return [{k: labels.get(k, {}).get(v, v) for k, v in r.items()} for r in rows]


async def chart_payload(datasette, database: str, chart: Chart, package=None) -> dict[str, Any]:
    rows = await chart_rows(datasette, database, chart)
    if rows and package is not None:
        rows = labelled(rows, column_labels(package, list(rows[0])))
    values = chart.to_values(rows) if rows is not None else []
    return {"name": chart.name, "title": chart.title, "about": chart.about, "available": rows is not None,
            "spec": chart.to_spec(values), "rows": rows or []}
