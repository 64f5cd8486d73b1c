"""Search every table at once (`/-/search?q=...`, the home page's search box).

Each table with a full-text index (`<table>_fts`, FTS5 with English stemming, see
brcd.release.sqlite_db) is searched with Datasette's own escaping of the words (each becomes a
quoted term, so no FTS syntax error reaches the reader); the best few matches of each table are
listed with a link to all of them (`/brcd/<table>?_search=...`, Datasette's search).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from datasette.utils import escape_fts
from datasette.utils import escape_sqlite as q

from brcd.site.model import SiteModel
from brcd.site.record import count_text, row_url

SHOWN = 5
COUNT_CAP = 10_000
MAX_QUERY = 200


def search_sql(model: SiteModel, table: str, fts: str) -> tuple[str, str] | None:
    pk, label, sort = model.pk(table), model.label(table), model.sort(table)
    if pk is None:
        return None
    cols = ", ".join(q(c) for c in dict.fromkeys(c for c in (pk, label, sort) if c))
    rows = (f"select {cols} from {q(table)} where rowid in (select rowid from {q(fts)} where {q(fts)} match :query "
            f"order by rank limit {SHOWN})")
    count = f"select count(*) from (select 1 from {q(fts)} where {q(fts)} match :query limit {COUNT_CAP + 1})"
    return rows, count


async def search_all(datasette, model: SiteModel, database: str, text: str) -> list[dict[str, Any]]:
    """One entry per table with at least one match, in package order."""
    text = text.strip()[:MAX_QUERY]
    if not text or database not in datasette.databases:
        return []
    db = datasette.get_database(database)
    query = escape_fts(text)
    base = datasette.urls.database(database)
    out = []
    for table in model.tables:
        fts = (datasette.table_metadata(database, table) or {}).get("fts_table")
        sql = search_sql(model, table, fts) if fts else None
        if sql is None:
            continue
        count = (await db.execute(sql[1], {"query": query})).rows[0][0]
        if not count:
            continue
        rows = (await db.execute(sql[0], {"query": query})).rows
        pk, sort = model.pk(table), model.sort(table)
        out.append({
            "table": table, "title": model.title(table), "count": count, "count_text": count_text(count, COUNT_CAP),
            "all_href": f"{base}/{quote(table)}?{urlencode({'_search': text})}",
            "rows": [{"href": row_url(base, table, r[pk]), "text": model.row_label(table, dict(r)),
                      "id": str(r[pk]), "date": r[sort] if sort else None} for r in rows],
        })
    return out
