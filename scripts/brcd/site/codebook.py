"""The codebook page of the site, `/codebook` (loaded through the shim `site/plugins/brcd_codebook.py`).

It renders the same model as docs/CODEBOOK.md (`brcd.docs.codebook.build_codebook`), read from the
served package's schemas, in the site's layout (template `site/templates/brcd_codebook.html`), and
adds "Codebook" to the site's menu. Every table name links to its page on the site.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from brcd.docs.codebook import COUNT_EXAMPLE, READING, Codebook, build_codebook
from brcd.package import load_package
from brcd.site.metadata import DATABASE, PACKAGE_ROOT_ENV, SITE_PLUGIN

ROUTE = "/codebook"
_cache: dict[tuple, Codebook] = {}


def package_root(datasette) -> Path | None:
    root = (datasette.plugin_config(SITE_PLUGIN) or {}).get("package_root") or os.environ.get(PACKAGE_ROOT_ENV)
    return Path(root) if root else None


def codebook_for(root: Path) -> Codebook:
    """The codebook of the package at `root`, rebuilt when its descriptor or a schema changes."""
    package = load_package(root)
    files = [package.descriptor_path] + [r.schema_path for r in package.resources if r.schema_path]
    key = (str(root),) + tuple((str(p), p.stat().st_mtime_ns) for p in files)
    if key not in _cache:
        _cache.clear()
        _cache[key] = build_codebook(package)
    return _cache[key]


_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*|\[([^\]]+)\]\((https?://[^)\s]+)\)")


def inline(text: str) -> Markup:
    """The codebook's Markdown inline marks (code, bold, emphasis, links) as HTML, escaped."""
    out, last = [], 0
    for m in _INLINE.finditer(text):
        out.append(escape(text[last:m.start()]))
        code, bold, em, label, url = m.groups()
        if code is not None:
            out.append(Markup("<code>{}</code>").format(code))
        elif bold is not None:
            out.append(Markup("<strong>{}</strong>").format(bold))
        elif em is not None:
            out.append(Markup("<em>{}</em>").format(em))
        else:
            out.append(Markup('<a href="{}">{}</a>').format(url, label))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def blocks(text: str) -> Markup:
    """Paragraphs and `- ` lists of the guide's prose as HTML."""
    html = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = para.splitlines()
        if all(line.startswith(("- ", "  ")) for line in lines):
            items, current = [], []
            for line in lines:
                if line.startswith("- ") and current:
                    items.append(" ".join(current))
                    current = []
                current.append(line[2:].strip() if line.startswith("- ") else line.strip())
            items.append(" ".join(current))
            html.append(Markup("<ul>") + Markup("").join(Markup("<li>{}</li>").format(inline(i)) for i in items)
                        + Markup("</ul>"))
        else:
            html.append(Markup("<p>{}</p>").format(inline(" ".join(line.strip() for line in lines))))
    return Markup("\n").join(html)


async def codebook_view(request, datasette):
    root = package_root(datasette)
    if root is None:
        raise NotFound("The codebook needs the package: serve the site with `brcd serve`.")
    codebook = codebook_for(root)
    context = {
        "codebook": codebook,
        "reading": [(title, blocks(text)) for title, _names, text in READING],
        "count_example": COUNT_EXAMPLE,
        "inline": inline,
        "table_url": lambda name: datasette.urls.table(DATABASE, name),
    }
    html = await datasette.render_template("brcd_codebook.html", context, request=request)
    return Response.html(html)


@hookimpl
def register_routes():
    return [(rf"^{ROUTE}$", codebook_view)]


@hookimpl
def menu_links(datasette, actor, request):
    return [{"href": datasette.urls.path(ROUTE), "label": "Codebook"}]
