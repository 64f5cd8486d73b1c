"""Stored query pages for readers: each parameter as a picker with the values it can take.

A parameter named like a table's primary key (`site_id`, `district_id`, `incident_id`) or like a
foreign key field (`speaker_org_id`, `financier_id`: the organizations) offers that table's rows by
name; dates get a date picker, booleans yes/no, numbers a number box. A value that names no row
("an unknown id") is reported in plain words, and so is a required value left empty, instead of
an empty result that looks like "nothing happened".
"""

from __future__ import annotations

from typing import Any

from datasette.utils import escape_sqlite as q

from brcd.site.model import SiteModel

MAX_CHOICES = 500


def param_table(model: SiteModel, name: str) -> str | None:
    """The table whose ids the parameter takes, if any."""
    for table in model.tables:
        if model.pk(table) == name:
            return table
    for table in model.tables:
        ref = model.foreign_keys(table).get(name)
        if ref:
            return ref
    return None


def param_title(model: SiteModel, name: str, table: str | None) -> str:
    for res in model.package.resources:
        if name in res.field_names:
            return model.field_title(res.name, name)
    if table:
        return model.title(table)
    return name.replace("_", " ").capitalize()


async def _choices(db, model: SiteModel, table: str) -> tuple[list[dict[str, str]], bool]:
    """Up to MAX_CHOICES rows of `table` by label (or newest first), and whether there are more."""
    pk, label, sort = model.pk(table), model.label(table), model.sort(table)
    cols = ", ".join(q(c) for c in dict.fromkeys(c for c in (pk, label) if c))
    order = f"{q(sort)} desc" if sort and model.resource(table).field(sort).get("type") in ("date", "datetime") \
        else q(label or pk)
    rows = (await db.execute(f"select {cols} from {q(table)} order by {order} limit {MAX_CHOICES + 1}")).rows
    choices = [{"value": str(r[pk]), "text": model.row_label(table, dict(r))} for r in rows[:MAX_CHOICES]]
    return choices, len(rows) > MAX_CHOICES


async def _exists(db, model: SiteModel, table: str, value: str) -> bool:
    pk = model.pk(table)
    rows = (await db.execute(f"select 1 from {q(table)} where {q(pk)} = :v limit 1", {"v": value})).rows
    return bool(rows)


async def query_pickers(datasette, model: SiteModel, database: str, query: dict[str, Any],
                        args: dict[str, str]) -> dict[str, Any]:
    """Pickers for the stored query's parameters and the messages about the values given."""
    db = datasette.get_database(database)
    params = query.get("brcd_params") or [{"name": n, "type": "string", "default": None}
                                          for n in query.get("params") or []]
    pickers, messages = [], []
    submitted = any(p["name"] in args for p in params)
    for p in params:
        name, kind = p["name"], p.get("type", "string")
        table = param_table(model, name) if kind == "string" else None
        value = args.get(name, p.get("default") or "")
        picker: dict[str, Any] = {"name": name, "title": param_title(model, name, table), "value": value,
                                  "kind": kind, "required": p.get("default") is None}
        if kind == "date":
            picker["input"] = "date"
        elif kind in ("integer", "number"):
            picker["input"] = "number"
            picker["step"] = "1" if kind == "integer" else "any"
        elif kind == "boolean":
            picker["input"] = "select"
            picker["choices"] = [{"value": "1", "text": "yes"}, {"value": "0", "text": "no"}]
        elif table:
            choices, more = await _choices(db, model, table)
            picker["input"] = "list" if more else "select"
            picker["choices"] = choices
            picker["table_title"] = model.title(table)
            if not picker["required"]:
                picker["choices"] = [{"value": "", "text": f"All ({model.title(table).lower()})"}] + choices
            if value and not await _exists(db, model, table, value):
                messages.append(f"No row of {model.title(table)} has the id “{value}”: pick one from the list.")
        else:
            picker["input"] = "text"
        if picker["required"] and not value:
            messages.append(f"Choose a value for “{picker['title']}” to run this query."
                            if submitted else f"Choose “{picker['title']}” and press Run.")
        pickers.append(picker)
    return {"pickers": pickers, "messages": messages}
