"""Datasette plugin for the BRCD site (loaded through the shim `site/plugins/brcd_site.py`).

- the home page's data: version and build facts (from the database's `brcd_metadata` table),
  row counts of every table, downloads, stored queries and how to cite;
- downloads of the published package itself: `/datapackage.json`, `/tables/<file>.csv` and
  `/schemas/<file>.json`, only for files the descriptor lists;
- a `year` facet (`{"year": "event_date"}` in metadata, `?_facet_year=event_date` in a URL)
  that groups ISO dates by their first four characters and filters with `col__startswith=YYYY`;
- a cache of facet counts: the database is immutable, so a facet query's result never changes;
- read-only HTTP: any method but GET, HEAD and OPTIONS gets 405 (Datasette 0.65 answers a POST
  to a table with a 500 and a traceback);
- quiet expected errors: Datasette 0.65 prints a rich traceback with locals for every 404 or
  400 when `rich` is installed (typer brings it), and for a path no route matches that printing
  itself fails and turns the 404 into a 500; the plugin switches that printing off.

Settings come from `plugins.brcd-site` in the generated metadata (see scripts/brcd/site/metadata.py).
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

from datasette import handle_exception as _default_errors
from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import AsgiFileDownload, NotFound, Response

from brcd.site.metadata import RELEASE_DIR, release_files

PLUGIN = "brcd-site"
FACET_CACHE_SIZE = 512


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


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
    for qname, query in (await datasette.get_canned_queries(name, actor)).items():
        url = datasette.urls.table(name, qname)
        defaults = query.get("brcd_defaults") or {}
        if defaults:
            from urllib.parse import urlencode

            url += "?" + urlencode(defaults)
        out["queries"].append({"name": qname, "title": query.get("title") or qname,
                               "description": query.get("description") or "", "url": url})
    return out


@hookimpl
def extra_template_vars(template, datasette, request):
    if template != "index.html":
        return {}

    async def inner():
        return {"brcd_home": await home_context(datasette, request)}

    return inner


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
    ]


# ---- the year facet ----------------------------------------------------------------------------

class YearFacet(Facet):
    """Counts rows per year of an ISO date column; a value filters with `col__startswith=YYYY`."""

    type = "year"

    async def facet_results(self):
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (f"select substr({col}, 1, 4) as value, count(*) as count from ({self.sql}) "
                   f"where {col} is not null and {col} != '' group by value order by value desc limit {size + 1}")
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                             custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = str(args.get(key)) == str(row["value"])
                toggle = (path_with_removed_args(self.request, {key: str(row["value"])}) if selected
                          else path_with_added_args(self.request, {key: row["value"]}))
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, toggle), "selected": selected})
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": source != "metadata",
                "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                "truncated": len(rows.rows) > size,
            })
        return results, timed_out


@hookimpl
def register_facet_classes():
    return [YearFacet]


# ---- facet cache -------------------------------------------------------------------------------

@hookimpl
def startup(datasette):
    """Memoise `datasette.execute` (used by facets, not by the table's own page query) for
    immutable databases: same SQL and parameters on an unchanging file give the same rows.
    Also stops Datasette's error handler printing rich tracebacks (see the module docstring)."""
    _default_errors.rich = None
    original = datasette.execute
    cache: collections.OrderedDict = collections.OrderedDict()

    async def execute(db_name, sql, params=None, truncate=False, custom_time_limit=None,
                      page_size=None, log_sql_errors=True):
        db = datasette.databases.get(db_name)
        cacheable = db is not None and not db.is_mutable and sql.lstrip().lower().startswith("select")
        if cacheable:
            key = (db_name, db.hash, sql, json.dumps(params, sort_keys=True, default=str), truncate, page_size)
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        result = await original(db_name, sql, params=params, truncate=truncate,
                                custom_time_limit=custom_time_limit, page_size=page_size,
                                log_sql_errors=log_sql_errors)
        if cacheable and len(result.rows) <= 1000:
            cache[key] = result
            if len(cache) > FACET_CACHE_SIZE:
                cache.popitem(last=False)
        return result

    datasette.execute = execute


# ---- read-only HTTP and quiet expected errors ---------------------------------------------------

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def read_only(scope, receive, send):
            if scope.get("type") == "http" and scope.get("method", "GET").upper() not in READ_METHODS:
                body = b'{"ok": false, "error": "This site is read-only.", "status": 405}'
                await send({"type": "http.response.start", "status": 405,
                            "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                        (b"allow", b"GET, HEAD, OPTIONS")]})
                await send({"type": "http.response.body", "body": body})
                return
            await app(scope, receive, send)

        return read_only

    return wrap
