"""Table cells as readers see them (Datasette's `render_cell` hook): codes by their labels with the
code beside them, yes/no for booleans, money with its currency, numbers with thousands
separators, long text clipped behind a "more" toggle that needs no script, `;` id lists as links
and empty figures as "unknown" rather than a blank that reads like zero.

Every value is escaped here (markupsafe); nothing from a cell reaches the page as markup.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from brcd.presentation import format_value, is_empty
from brcd.site.model import SiteModel

CLIP_CHARS = 140


def clipped(text: str, limit: int = CLIP_CHARS) -> Markup:
    """Long text as a <details> element: the start is the summary, the whole text opens below."""
    if len(text) <= limit:
        return Markup(escape(text))
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return Markup('<details class="brcd-clip"><summary><span class="brcd-clip-start">{}…</span>'
                  '<span class="brcd-more">more</span></summary><div class="brcd-clip-full">{}</div></details>'
                  ).format(cut, text)


def id_links(base: str, target: str, ids: list[str]) -> Markup:
    return Markup(", ").join(Markup('<a href="{}">{}</a>').format(f"{base}/{quote(target)}/{tilde_encode(i)}", i)
                             for i in ids)


def render(model: SiteModel, base: str, database: str, table: str | None, column: str, value: Any,
           row: Any = None) -> Markup | None:
    """The cell's HTML, or None to leave it to Datasette (foreign keys with their labels, primary
    keys, plain text that needs nothing)."""
    info = model.column(table, column) if table else None
    if info is None or info.kind == "key":
        return None
    if is_empty(value):
        return Markup('<span class="brcd-unknown">unknown</span>') if info.figure else None
    if info.link is not None:
        ids = [p.strip() for p in str(value).split(info.link.delimiter) if p.strip()]
        return id_links(base, info.link.target, ids)
    if info.kind == "text" and isinstance(value, str):
        if value.startswith(("http://", "https://")):
            return None  # Datasette links http(s) addresses itself
        return clipped(value) if len(value) > CLIP_CHARS else None
    row_dict = dict(zip(row.keys(), tuple(row))) if info.needs_row and row is not None and hasattr(row, "keys") else None
    text = format_value(info.resource, column, value, row_dict)
    if text is None:
        return None
    if info.kind == "coded":
        return Markup('<span class="brcd-code" title="code: {}">{}</span>').format(value, text)
    return Markup(escape(text))
