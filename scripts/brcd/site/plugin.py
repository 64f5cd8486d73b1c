"""Datasette plugin for the BRCD site (loaded through the shim `site/plugins/brcd_site.py`).

- the home page's data: version and build facts (from the database's `brcd_metadata` table),
  row counts of every table, downloads, stored queries and how to cite;
- downloads of the published package itself: `/datapackage.json`, `/tables/<file>.csv` and
  `/schemas/<file>.json`, only for files the descriptor lists;
- a `year` facet (`{"year": "event_date"}` in metadata, `?_facet_year=event_date` in a URL)
  that groups ISO dates by their first four characters and filters with `col__startswith=YYYY`;
- a cache of query results bounded in bytes (`brcd.site.security.BoundedCache`): the database is
  immutable, so a facet query's result never changes; and one of whole pages and JSON
  (`brcd.site.responses`): the same address answers from memory the second time, with its own nonce;
- the reader's pages: record cards (`brcd.site.record`), cells with labels (`brcd.site.cells`),
  search of every table (`brcd.site.search`), charts (`brcd.site.charts`), stored-query pickers
  (`brcd.site.pickers`), and the map's settings for the table and record templates;
- read-only HTTP: any method but GET, HEAD and OPTIONS gets 405 (Datasette 0.65 answers a POST
  to a table with a 500 and a traceback); security headers on every response, with a fresh
  Content-Security-Policy nonce that the templates put on their inline scripts;
- a `_facet=X` for a column the table already facets by is dropped (Datasette would show it twice);
- quiet expected errors: Datasette 0.65 prints a rich traceback with locals for every 404 or
  400 when `rich` is installed (typer brings it), and for a path no route matches that printing
  itself fails and turns the 404 into a 500; the plugin switches that printing off.

Settings come from `plugins.brcd-site` in the generated metadata (see scripts/brcd/site/metadata.py).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode

from datasette import handle_exception as _default_errors
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.plugins import pm
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args, urlsafe_components
from datasette.utils.asgi import AsgiFileDownload, NotFound, Response

from brcd.presentation import default_columns, format_value
from brcd.site import cells
from brcd.site.charts import CHARTS, CHARTS_BY_NAME, chart_payload
from brcd.site.metadata import RELEASE_DIR, release_files
from brcd.site.model import SiteModel
from brcd.site.pickers import query_pickers
from brcd.site.record import build_record
from brcd.site.responses import respond, response_key
from brcd.site.search import search_all
from brcd.site.security import NONCE_KEY, BoundedCache, new_nonce, result_bytes, safe_url, security_headers

PLUGIN = "brcd-site"
# Query results kept in memory per worker: at most 32 MB in all (`BRCD_SITE_CACHE_MB` changes it;
# 0 turns the cache off) and 1 MB each (a facet's counts are a few KB; a page of large rows is not
# worth keeping); whole pages and JSON likewise, in a second cache of the same bounds.
# Bounded memory: tests/browser/test_serve.py; what it saves: bench_serve.py.
CACHE_MB_ENV = "BRCD_SITE_CACHE_MB"
CACHE_BYTES = 32 * 2**20
CACHE_ITEM_BYTES = 2**20
# Plugins the site replaces: a leftover install would draw a second map with unchecked popups.
REPLACED_PLUGINS = ("datasette_cluster_map",)


def _config(datasette) -> dict:
    """The plugin's settings, read once: Datasette resolves `$env` values through the whole
    dictionary on every call, which cost 0.3 ms per table cell."""
    config = getattr(datasette, "_brcd_config", None)
    if config is None:
        config = datasette.plugin_config(PLUGIN) or {}
        datasette._brcd_config = config
    return config


def human_bytes(n) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""  # pragma: no cover


async def _build_facts(db) -> dict:
    """`brcd_metadata(key, value)` as a dict; empty when the table is not there."""
    if "brcd_metadata" not in await db.table_names():
        return {}
    rows = (await db.execute("select key, value from brcd_metadata")).rows
    return {row[0]: row[1] for row in rows}


async def _latest(datasette, name: str, db, tables: list[str]) -> str | None:
    """The newest `last_updated` of any row: how current the data is. Through `datasette.execute`
    so the answer is cached like a facet (the database never changes)."""
    latest = None
    for table in tables:
        if "last_updated" not in await db.table_columns(table):
            continue
        rows = (await datasette.execute(name, f"select max(last_updated) from {escape_sqlite(table)}")).rows
        value = rows[0][0] if rows else None
        if value and (latest is None or str(value) > latest):
            latest = str(value)
    return latest


COVERAGE_QUERY = "coverage_by_year"


def _whole_year(row: dict) -> bool:
    start, end = str(row.get("period_start") or ""), str(row.get("period_end") or "")
    return start[:4] == end[:4] and start[5:10] == "01-01" and end[5:10] == "12-31"


async def _coverage(datasette, name: str, queries: dict) -> list[dict]:
    """What share of the known death tolls the data holds: for each published yearly count of
    deaths in Balochistan (the `coverage_by_year` stored query, which counts each event once),
    BRCD's own sum beside it. Empty when the package has no such query or figures."""
    query = queries.get(COVERAGE_QUERY)
    if not query:
        return []
    try:
        result = await datasette.execute(name, query["sql"], {"year": ""})
    except Exception:  # noqa: BLE001 - a package without published_totals has nothing to say here
        return []
    rows = [dict(zip(result.columns, row)) for row in result.rows]
    lines = [r for r in rows if r.get("measure") == "deaths" and r.get("area") == "Balochistan"
             and not r.get("actor_id") and _whole_year(r) and r.get("published_value")]
    lines.sort(key=lambda r: (str(r["year"]), -int(r["published_value"])), reverse=True)
    return [{"year": r["year"], "publisher": r.get("publisher") or r.get("publisher_id"),
             "published": int(r["published_value"]), "recorded": int(r.get("brcd_value") or 0),
             "events": int(r.get("brcd_events") or 0)} for r in lines]


async def home_context(datasette, request) -> dict:
    cfg = _config(datasette)
    name = cfg.get("database", "brcd")
    metadata = datasette.metadata() or {}
    about = metadata.get("brcd") or {}
    out = {
        "database": name,
        "hidden_databases": list(cfg.get("hidden_databases") or []),
        "about": about,
        "tables": [],
        "downloads": [dict(d, size=human_bytes(d.get("bytes"))) for d in cfg.get("downloads") or []],
        "queries": [],
        "build": {},
        "version": about.get("version"),
        "as_of": None,
        "coverage": [],
        "coverage_url": None,
    }
    if name not in datasette.databases:
        return out
    db = datasette.get_database(name)
    out["build"] = await _build_facts(db)
    out["version"] = out["build"].get("version") or out["version"]
    counts = await db.table_counts(limit=60_000)
    present = set(await db.table_names())
    out["as_of"] = await _latest(datasette, name, db, [t for t in cfg.get("tables") or [] if t in present])
    for table in cfg.get("tables") or []:
        if table not in present:
            continue
        meta = datasette.table_metadata(name, table) or {}
        out["tables"].append({
            "name": table,
            "title": meta.get("title") or table,
            "description": meta.get("description") or "",
            "count": counts.get(table),
            "url": datasette.urls.table(name, table),
        })
    actor = request.actor if request else None
    canned = await datasette.get_canned_queries(name, actor)
    out["coverage"] = await _coverage(datasette, name, canned)
    out["coverage_url"] = datasette.urls.table(name, COVERAGE_QUERY) if COVERAGE_QUERY in canned else None
    for qname, query in canned.items():
        url = datasette.urls.table(name, qname)
        defaults = query.get("brcd_defaults") or {}
        if defaults:
            from urllib.parse import urlencode

            url += "?" + urlencode(defaults)
        out["queries"].append({"name": qname, "title": query.get("title") or qname,
                               "description": query.get("description") or "", "url": url})
    return out


def site_model(datasette) -> SiteModel | None:
    """The served package's model, read once per process (None when no package root is set)."""
    model = getattr(datasette, "_brcd_model", None)
    if model is None:
        root = _config(datasette).get("package_root")
        if not root or not (Path(root) / "datapackage.json").is_file():
            return None
        model = SiteModel.load(root)
        datasette._brcd_model = model
    return model


def _database(datasette) -> str:
    return _config(datasette).get("database", "brcd")


MAPPED_COLUMNS = ("latitude", "longitude")


def map_settings(datasette, model: SiteModel, table: str) -> dict | None:
    """What the map script needs for a table page: where the rows come from and which columns
    hold the id, title, date, deaths and point; None for tables that cannot be placed."""
    res = model.resource(table)
    if res is None:
        return None
    names = res.field_names
    has_point = all(c in names for c in MAPPED_COLUMNS)
    if not has_point and "district_id" not in names:
        return None
    cfg = _config(datasette)
    database = _database(datasette)
    return {
        "table": table, "title": model.title(table), "pk": model.pk(table), "label": model.label(table),
        "date": model.sort(table), "deaths": "fatalities_best" if "fatalities_best" in names else None,
        "point": has_point, "district": "district_id" if "district_id" in names and table != "districts" else None,
        "rows_url": datasette.urls.table(database, table, format="json"),
        "districts_url": datasette.urls.table(database, "districts", format="json") if "districts" in model.tables else None,
        "row_base": datasette.urls.table(database, table),
        "tiles": cfg.get("tiles") or {},
    }


async def table_context(datasette, model: SiteModel, database: str, table: str, request) -> dict:
    res = model.resource(table)
    if res is None or database != _database(datasette):
        return {}
    args = request.args if request else {}
    chosen = bool(args.getlist("_col") or args.getlist("_nocol"))
    show_all = args.get("_fields") == "all"
    return {
        "compact": None if (chosen or show_all) else default_columns(res),
        "all_columns": len(res.field_names),
        "field_titles": {f["name"]: model.field_title(table, f["name"]) for f in res.fields},
        "map": map_settings(datasette, model, table),
    }


@hookimpl
def extra_template_vars(template, database, table, datasette, request):
    nonce = request.scope.get(NONCE_KEY, "") if request is not None else ""

    async def inner():
        out = {"csp_nonce": nonce, "brcd_charts": [{"name": c.name, "title": c.title} for c in CHARTS]}
        model = site_model(datasette)
        if template == "index.html":
            out["brcd_home"] = await home_context(datasette, request)
        if model is None:
            return out
        if template == "row.html" and table and request is not None:
            pks = urlsafe_components(request.url_vars.get("pks", ""))
            if len(pks) == 1:
                db = datasette.get_database(database)
                base = datasette.urls.database(database)
                record = await db.execute_fn(lambda con: build_record(con, model, base, table, pks[0]))
                if record and record.get("point"):
                    record["map"] = dict(map_settings(datasette, model, table) or {}, tiles=_config(datasette).get("tiles") or {})
                out["brcd_record"] = record
        elif template == "table.html" and table:
            out["brcd_table"] = await table_context(datasette, model, database, table, request)
        elif template == "query.html" and request is not None:
            name = request.url_vars.get("table")
            query = await datasette.get_canned_query(database, name, request.actor) if name else None
            if query:
                args = {k: request.args.get(k) for k in request.args}
                out["brcd_query"] = await query_pickers(datasette, model, database, query, args)
        return out

    return inner


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    model = site_model(datasette)
    if model is None or database != _database(datasette):
        return None
    return cells.render(model, datasette.urls.database(database), database, table, column, value, row)


def code_label(datasette, table: str, column: str, value) -> str:
    """A facet value's label (the code itself when it has none)."""
    model = site_model(datasette)
    res = model.resource(table) if model and table else None
    if res is None or column not in res.field_names or value in (None, ""):
        return "" if value is None else str(value)
    if res.field(column).get("categories") or res.field(column).get("type") == "boolean":
        return format_value(res, column, value) or str(value)
    return str(value)


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.filters["safe_url"] = lambda url: safe_url(url) or ""
    env.globals["brcd_code_label"] = lambda table, column, value: code_label(datasette, table, column, value)
    env.globals["brcd_field_title"] = lambda table, column: (
        site_model(datasette).field_title(table, column) if site_model(datasette) and table else column)


# ---- search and charts ---------------------------------------------------------------------------

async def search_view(request, datasette):
    model = site_model(datasette)
    text = (request.args.get("q") or "").strip()
    results = await search_all(datasette, model, _database(datasette), text) if model and text else []
    return Response.html(await datasette.render_template(
        "brcd_search.html", {"q": text, "results": results, "searched": bool(text),
                             "metadata": datasette.metadata() or {}}, request=request))


async def charts_view(request, datasette):
    model = site_model(datasette)
    package = model.package if model else None
    payloads = [await chart_payload(datasette, _database(datasette), c, package) for c in CHARTS]
    return Response.html(await datasette.render_template(
        "brcd_charts.html", {"charts": payloads, "metadata": datasette.metadata() or {}}, request=request))


async def chart_json_view(request, datasette):
    chart = CHARTS_BY_NAME.get(request.url_vars["name"])
    if chart is None:
        raise NotFound("No such chart")
    model = site_model(datasette)
    payload = await chart_payload(datasette, _database(datasette), chart, model.package if model else None)
    return Response.json({k: payload[k] for k in ("name", "title", "about", "available", "spec")})


# ---- downloads of the package files ------------------------------------------------------------

def _package_files(root: Path) -> dict[str, Path]:
    """URL path -> file, for the descriptor and the files its resources name."""
    descriptor = root / "datapackage.json"
    files = {"datapackage.json": descriptor}
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    for res in data.get("resources") or []:
        for key in ("path", "schema"):
            rel = res.get(key)
            if isinstance(rel, str) and not rel.startswith(("http:", "https:", "/")) and ".." not in rel:
                files[rel] = root / rel
    return files


def _serve_package_file(rel: str, datasette):
    root = _config(datasette).get("package_root")
    if not root:
        raise NotFound("Package downloads are not configured")
    files = _package_files(Path(root))
    path = files.get(rel)
    if path is None or not path.is_file():
        raise NotFound(f"{rel} is not a file of this package")
    content_type = "text/csv; charset=utf-8" if rel.endswith(".csv") else "application/json; charset=utf-8"
    return AsgiFileDownload(path, filename=path.name, content_type=content_type)


async def descriptor_view(datasette):
    return _serve_package_file("datapackage.json", datasette)


async def package_file_view(request, datasette):
    folder, file = request.url_vars["folder"], request.url_vars["file"]
    return _serve_package_file(f"{folder}/{file}", datasette)


async def release_file_view(request, datasette):

    root = _config(datasette).get("package_root")
    name = request.url_vars["file"]
    if not root or name not in release_files(Path(root)):
        raise NotFound(f"{name} is not a file of a published release")
    path = Path(root) / RELEASE_DIR / name
    content_type = "text/plain; charset=utf-8" if name == "SHA256SUMS" else "application/octet-stream"
    return AsgiFileDownload(path, filename=name, content_type=content_type)


@hookimpl
def register_routes():
    return [
        (r"^/releases/(?P<file>[A-Za-z0-9_.-]+)$", release_file_view),
        (r"^/datapackage\.json$", descriptor_view),
        (r"^/(?P<folder>tables|schemas)/(?P<file>[A-Za-z0-9_.-]+\.(csv|json))$", package_file_view),
        (r"^/-/search$", search_view),
        (r"^/-/charts$", charts_view),
        (r"^/-/charts/(?P<name>[a-z0-9-]+)\.json$", chart_json_view),
    ]


# ---- the year facet ----------------------------------------------------------------------------

MAX_YEARS = 200


def year_facet_sql(sql: str, column: str, first: int, last: int) -> str:
    """Rows per year as one range count per year (`col >= 'YYYY' and col < 'YYYY+1'`), newest
    first. Each count reads an index range on the date column; a `group by substr(col, 1, 4)`
    reads every row through a function instead (1.06 s against 0.11 s for a million rows)."""
    col = escape_sqlite(column)
    years = ", ".join(f"('{y}', '{y + 1}')" for y in range(last, first - 1, -1))
    return (f"select v.column1 as value, (select count(*) from ({sql}) where {col} >= v.column1 "
            f"and {col} < v.column2) as count from (values {years}) as v")


class YearFacet(Facet):
    """Counts rows per year of an ISO date column; a value filters with `col__startswith=YYYY`."""

    type = "year"

    async def _years(self, column: str) -> tuple[int, int] | None:
        col = escape_sqlite(column)
        ends = (f"select (select {col} from ({self.sql}) where {col} > '' order by {col} limit 1), "
                f"(select {col} from ({self.sql}) where {col} > '' order by {col} desc limit 1)")
        row = (await self.ds.execute(self.database, ends, self.params, truncate=False,
                                     custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows[0]
        if not row[0] or not str(row[0])[:4].isdigit() or not str(row[1])[:4].isdigit():
            return None
        first, last = int(str(row[0])[:4]), int(str(row[1])[:4])
        return (first, last) if last - first < MAX_YEARS else None

    async def facet_results(self):
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            try:
                span = await self._years(column)
                rows = [] if span is None else [r for r in (await self.ds.execute(
                    self.database, year_facet_sql(self.sql, column, *span), self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows if r["count"]]
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in rows[:size]:
                selected = str(args.get(key)) == str(row["value"])
                toggle = (path_with_removed_args(self.request, {key: str(row["value"])}) if selected
                          else path_with_added_args(self.request, {key: row["value"]}))
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, toggle), "selected": selected})
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": source != "metadata",
                "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                "truncated": len(rows) > size,
            })
        return results, timed_out


@hookimpl
def register_facet_classes():
    return [YearFacet]


# ---- result cache ------------------------------------------------------------------------------

# Facet counts of a whole big table can take longer than `facet_time_limit_ms` (250 ms) on a busy
# machine (a million incidents: 0.35 to 0.7 s per facet at load 14 on 2 cores), so they would time
# out on every request and never reach the cache. Each worker computes them once at startup with
# this limit instead (Datasette caps it at `sql_time_limit_ms`).
WARM_TIME_LIMIT_MS = 30_000


async def warm_facets(datasette) -> None:
    """Ask each table's JSON once, facets included, with a generous time limit: the counts land
    in the result cache, where every later unfiltered table page finds them."""
    await asyncio.sleep(0.2)
    datasette._brcd_warming = True
    try:
        database = _database(datasette)
        for table in _config(datasette).get("tables") or []:
            if (datasette.table_metadata(database, table) or {}).get("facets"):
                await datasette.client.get(f"{datasette.urls.table(database, table, format='json')}?_size=1")
    finally:
        datasette._brcd_warming = False


@hookimpl
def startup(datasette):
    """Memoise `datasette.execute` (used by facets, counts, charts and the SQL page, not by a
    table's own page query) for immutable databases, in a cache bounded in bytes: same SQL and
    parameters on an unchanging file give the same rows; then fill it with the tables' facet
    counts (`warm_facets`). Also stops Datasette's error handler printing rich tracebacks (see the
    module docstring), and unregisters plugins the site replaces."""
    if getattr(datasette, "_brcd_started", False):  # a request made during startup starts it again
        return None
    datasette._brcd_started = True
    _default_errors.rich = None
    for name, plugin in list(pm.list_name_plugin()):
        if getattr(plugin, "__name__", "") in REPLACED_PLUGINS:
            pm.unregister(plugin=plugin, name=name)
    original = datasette.execute
    limit = os.environ.get(CACHE_MB_ENV)
    cache = BoundedCache(int(float(limit) * 2**20) if limit else CACHE_BYTES, CACHE_ITEM_BYTES)
    datasette._brcd_cache = cache
    datasette._brcd_responses = BoundedCache(cache.max_bytes, CACHE_ITEM_BYTES)

    async def execute(db_name, sql, params=None, truncate=False, custom_time_limit=None,
                      page_size=None, log_sql_errors=True):
        db = datasette.databases.get(db_name)
        cacheable = _immutable(datasette, db_name) and sql.lstrip().lower().startswith(("select", "with"))
        if cacheable:
            key = (db_name, db.hash, sql, json.dumps(params, sort_keys=True, default=str), truncate, page_size)
            hit = cache.get(key)
            if hit is not None:
                return hit
        if getattr(datasette, "_brcd_warming", False):
            custom_time_limit = max(custom_time_limit or 0, WARM_TIME_LIMIT_MS)
        result = await original(db_name, sql, params=params, truncate=truncate,
                                custom_time_limit=custom_time_limit, page_size=page_size,
                                log_sql_errors=log_sql_errors)
        if cacheable:
            cache.put(key, result, result_bytes(result.rows))
        return result

    datasette.execute = execute

    async def start_warming() -> None:
        datasette._brcd_warm_task = asyncio.get_running_loop().create_task(warm_facets(datasette))

    return start_warming


# ---- read-only HTTP, headers and facets ---------------------------------------------------------

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def _immutable(datasette, name: str) -> bool:
    db = datasette.databases.get(name)
    return db is not None and not db.is_mutable


def configured_facets(datasette, path: str) -> tuple[set[str], set[str]] | None:
    """(column facets, year facets) the metadata gives the table at `path` (`/db/table` or
    `/db/table.json`), or None for other paths."""
    parts = path.strip("/").split("/")
    if len(parts) != 2:
        return None
    database, table = unquote(parts[0]), unquote(parts[1])
    if table.endswith(".json"):
        table = table[: -len(".json")]
    if database not in datasette.databases:
        return None
    facets = (datasette.table_metadata(database, table) or {}).get("facets") or []
    return ({f for f in facets if isinstance(f, str)},
            {v for f in facets if isinstance(f, dict) for k, v in f.items() if k == "year"})


def dedupe_facets(query_string: bytes, columns: set[str], years: set[str]) -> bytes:
    """The query string without `_facet=X` (`_facet_year=X`) for facets the table already has."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not ((k == "_facet" and v in columns) or (k == "_facet_year" and v in years))]
    return query_string if len(kept) == len(pairs) else urlencode(kept).encode("latin-1")


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def site(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            nonce = new_nonce()
            headers = security_headers(nonce)
            if scope.get("method", "GET").upper() not in READ_METHODS:
                body = b'{"ok": false, "error": "This site is read-only.", "status": 405}'
                await send({"type": "http.response.start", "status": 405,
                            "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                        (b"allow", b"GET, HEAD, OPTIONS"), *headers]})
                await send({"type": "http.response.body", "body": body})
                return
            scope = dict(scope, **{NONCE_KEY: nonce})
            if b"_facet" in scope.get("query_string", b""):
                facets = configured_facets(datasette, scope.get("path", ""))
                if facets:
                    scope["query_string"] = dedupe_facets(scope["query_string"], *facets)

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    names = {name.lower() for name, _ in message.get("headers", [])}
                    message = dict(message, headers=[*message.get("headers", []),
                                                     *(h for h in headers if h[0] not in names)])
                await send(message)

            responses = getattr(datasette, "_brcd_responses", None)  # made at startup
            key = None
            if responses is not None and responses.max_bytes:
                key = response_key(scope, lambda name: _immutable(datasette, name))
            if key is not None:
                await respond(responses, key, app, scope, receive, send_with_headers)
                return
            await app(scope, receive, send_with_headers)

        return site

    return wrap
