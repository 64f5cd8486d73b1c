"""The record page: one row as a card that reads top to bottom.

Fields come in the groups of the schema's `display.groups` (what, when, where, who, casualties or
amounts, sources, notes), each value as a reader sees it (`brcd.presentation.format_value`), each
id by the name of the row it points to and linked to it; the cited sources with headline,
publisher, date and address; the rows of other tables that name this one (a wave's parts,
statements about an event, a site's deals and incidents, an organization's events) with a few
examples each; and the point to map, exact or, for a row placed only by district, the district's
representative point marked as approximate.

Everything is read in one call on Datasette's connection (`build_record`, run through
`Database.execute_fn`), with every lookup by primary key or by an indexed column.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from urllib.parse import quote, urlencode

from datasette.utils import escape_sqlite as q
from datasette.utils import tilde_encode

from brcd.presentation import default_columns, field_groups, format_value, is_empty
from brcd.site.model import Reference, SiteModel
from brcd.site.security import safe_url

RELATED_SHOWN = 5
COUNT_CAP = 10_000
LONG_TEXT = 160
TITLE_CHARS = 90
TEXT_FIELDS = ("description", "summary", "notes", "quote_short")


def count_text(count: int, cap: int = COUNT_CAP) -> str:
    """A count taken with `limit cap + 1`: "10,000+" when it reached past the cap."""
    return f"{cap:,}+" if count > cap else f"{count:,}"


def row_url(base: str, table: str, pk_value: Any) -> str:
    return f"{base}/{quote(table)}/{tilde_encode(str(pk_value))}"


def _one(con: sqlite3.Connection, sql: str, params: tuple | dict = ()) -> dict[str, Any] | None:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    return dict(zip(names, row)) if row is not None else None


def _all(con: sqlite3.Connection, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _labels_of(con, model: SiteModel, table: str, ids: list[str]) -> dict[str, str]:
    pk, label = model.pk(table), model.label(table)
    if not ids or pk is None:
        return {}
    cols = q(pk) + (f", {q(label)}" if label else "")
    marks = ", ".join("?" for _ in ids)
    rows = _all(con, f"select {cols} from {q(table)} where {q(pk)} in ({marks})", tuple(ids))
    return {str(r[pk]): model.row_label(table, r) for r in rows}


def _split(value: Any, delimiter: str) -> list[str]:
    return [part.strip() for part in str(value).split(delimiter) if part.strip()] if not is_empty(value) else []


def field_entries(con, model: SiteModel, base: str, table: str, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's fields grouped for the card; empty fields are left out of the card except the
    table's key columns (`display.columns`), which read "not known"."""
    res = model.resource(table)
    fks = model.foreign_keys(table)
    key_columns = set(default_columns(res))
    groups = []
    for title, names in field_groups(res):
        entries = []
        for name in names:
            if name not in row:
                continue
            value = row[name]
            lt = model.list_reference(table, name)
            entry: dict[str, Any] = {"name": name, "title": model.field_title(table, name), "code": value,
                                     "text": None, "links": [], "long": False, "url": None}
            if is_empty(value):
                if name not in key_columns:
                    continue
                entry["unknown"] = True
            elif name in fks:
                target = fks[name]
                label = _labels_of(con, model, target, [str(value)]).get(str(value))
                entry["links"] = [{"href": row_url(base, target, value), "text": label or str(value),
                                   "code": str(value), "missing": label is None}]
            elif lt is not None:
                ids = _split(value, lt.delimiter)
                names_by_id = _labels_of(con, model, lt.target, ids)
                entry["links"] = [{"href": row_url(base, lt.target, i), "text": names_by_id.get(i, i), "code": i,
                                   "missing": i not in names_by_id} for i in ids]
            else:
                entry["text"] = format_value(res, name, value, row)
                url = safe_url(value) if isinstance(value, str) and value.startswith(("http://", "https://")) else None
                entry["url"] = url
                entry["long"] = name in TEXT_FIELDS or len(entry["text"] or "") > LONG_TEXT
                if entry["text"] != str(value) and not isinstance(value, (int, float)):
                    entry["code_shown"] = str(value)
                elif entry["text"] != str(value) and res.field(name).get("categories"):
                    entry["code_shown"] = str(value)
            entries.append(entry)
        if entries:
            groups.append({"title": title, "fields": entries})
    return groups


def cited_sources(con, model: SiteModel, base: str, table: str, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The sources the row cites, in the order it cites them, with headline, publisher, date and
    address (http(s) only)."""
    lt = model.list_reference(table, "source_ids")
    if lt is None or "sources" not in model.tables:
        return []
    ids = _split(row.get("source_ids"), lt.delimiter)
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    found = {r["source_id"]: r for r in _all(con, f"select * from sources where source_id in ({marks})", tuple(ids))}
    res = model.resource("sources")
    out = []
    for sid in ids:
        src = found.get(sid)
        if src is None:
            out.append({"id": sid, "href": row_url(base, "sources", sid), "title": sid, "missing": True})
            continue
        out.append({
            "id": sid, "href": row_url(base, "sources", sid), "title": src.get("title") or sid,
            "publisher": src.get("publisher"), "date": src.get("published_at"),
            "url": safe_url(src.get("url")), "archive_url": safe_url(src.get("archive_url")),
            "type": format_value(res, "source_type", src.get("source_type")) if "source_type" in src else None,
            "reliability": format_value(res, "reliability", src.get("reliability")) if "reliability" in src else None,
        })
    return out


def related_rows(con, model: SiteModel, base: str, table: str, pk_value: Any) -> list[dict[str, Any]]:
    """For each way another row names this one: how many rows (counted up to COUNT_CAP), the
    newest few with their label and date, and a link to all of them."""
    out = []
    for ref in model.references_to(table):
        if ref.table == table and ref.column == "source_ids":
            continue
        out.extend(_related(con, model, base, ref, pk_value))
    return out


def _related(con, model: SiteModel, base: str, ref: Reference, pk_value: Any) -> list[dict[str, Any]]:
    other = ref.table
    pk, label, sort = model.pk(other), model.label(other), model.sort(other)
    if pk is None:
        return []
    cols = ", ".join(q(c) for c in dict.fromkeys(c for c in (pk, label, sort) if c))
    order = f" order by {q(sort)} desc" if sort else ""
    if ref.link is None:
        where, params = f"{q(ref.column)} = ?", (str(pk_value),)
        source = q(other)
        all_href = f"{base}/{quote(other)}?{urlencode({ref.column: str(pk_value)})}"
    else:
        lt = ref.link
        where = f"{q(pk)} in (select {q(lt.owner_key)} from {q(lt.name)} where {q(lt.item_column)} = ?)"
        params, source = (str(pk_value),), q(other)
        through = json.dumps({"table": lt.name, "column": lt.item_column, "value": str(pk_value)})
        all_href = f"{base}/{quote(other)}?{urlencode({'_through': through})}"
    count = con.execute(f"select count(*) from (select 1 from {source} where {where} limit {COUNT_CAP + 1})",
                        params).fetchone()[0]
    if not count:
        return []
    rows = _all(con, f"select {cols} from {source} where {where}{order} limit {RELATED_SHOWN}", params)
    verb = "citing it" if ref.column == "source_ids" else f"naming it as {model.field_title(other, ref.column).lower()}"
    return [{
        "title": f"{model.title(other)} {verb}",
        "count": count, "count_text": count_text(count), "all_href": all_href,
        "rows": [{"href": row_url(base, other, r[pk]), "text": model.row_label(other, r), "id": str(r[pk]),
                  "date": r.get(sort) if sort else None} for r in rows],
    }]


def map_point(con, model: SiteModel, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
    """The row's own point, else its district's representative point (approximate), else None."""
    lat, lon = row.get("latitude"), row.get("longitude")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        approximate = table == "districts"
        return {"lat": lat, "lon": lon, "approximate": approximate,
                "note": "Representative point of the district" if approximate else "Reported position"}
    district = row.get("district_id")
    if not is_empty(district) and "districts" in model.tables:
        d = _one(con, "select name, latitude, longitude from districts where district_id = ?", (str(district),))
        if d and isinstance(d.get("latitude"), (int, float)) and isinstance(d.get("longitude"), (int, float)):
            return {"lat": d["latitude"], "lon": d["longitude"], "approximate": True,
                    "note": f"Approximate: no point is recorded, shown at {d['name']} district's representative point"}
    return None


def heading(model: SiteModel, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The card's title line and the short line under it."""
    res = model.resource(table)
    pk = model.pk(table)
    title = model.row_label(table, row)
    if len(title) > TITLE_CHARS:  # a statement's summary: the card shows it whole below
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    bits = []
    sort = model.sort(table)
    if sort and not is_empty(row.get(sort)):
        bits.append(str(row[sort]))
    for name in ("event_type", "sub_event_type", "statement_type", "instrument", "status", "site_type", "org_type",
                 "admin_level", "source_type"):
        if name in row and not is_empty(row[name]):
            bits.append(format_value(res, name, row[name], row))
    return {"title": title, "id": str(row.get(pk)) if pk else "", "line": " · ".join(b for b in bits if b)}


def build_record(con: sqlite3.Connection, model: SiteModel, base: str, table: str, pk_value: str) -> dict[str, Any] | None:
    """Everything the record page shows for one row (None when the row does not exist)."""
    pk = model.pk(table)
    if pk is None or model.resource(table) is None:
        return None
    row = _one(con, f"select * from {q(table)} where {q(pk)} = ?", (pk_value,))
    if row is None:
        return None
    return {
        "table": table, "table_title": model.title(table), "table_href": f"{base}/{quote(table)}",
        "heading": heading(model, table, row),
        "groups": field_entries(con, model, base, table, row),
        "sources": cited_sources(con, model, base, table, row),
        "related": related_rows(con, model, base, table, pk_value),
        "point": map_point(con, model, table, row),
        "json_href": row_url(base, table, pk_value) + ".json",
    }
