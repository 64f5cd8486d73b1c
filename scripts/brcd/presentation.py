"""How each table is presented to readers: its label column (the text a foreign key to it shows),
its facets and its sort order. Read by the site's metadata (`brcd.site.metadata`) and by the
build, which makes the indexes those facets and sorts need (`brcd.release.layout`).
"""

from __future__ import annotations

from typing import Any

from brcd.errors import BrcdError
from brcd.package import Package, Resource

# The first of these a table has becomes its label column: a foreign key to the table then shows
# this text and links to the row (organizations.name, sources.title, minerals.site_name, ...).
LABEL_CANDIDATES = ("name", "title", "site_name", "location", "summary")

# How each table behaves on the site. Facets are column names, or `{"year": column}` for the
# year facet registered by brcd.site.plugin. Every column named here must exist in the
# table's schema (checked by `configure`). Tables not listed get no facets and primary-key order.
TABLE_BEHAVIOUR: dict[str, dict[str, Any]] = {
    "incidents": {
        "facets": ["event_type", {"year": "event_date"}, "district_id", "actor1_id", "perpetrator_attribution"],
        "sort_desc": "event_date",
    },
    "statements": {
        "facets": ["statement_type", {"year": "statement_date"}, "speaker_org_id", "verification_status"],
        "sort_desc": "statement_date",
    },
    "financing": {
        "facets": ["status", "financier_id", "instrument", {"year": "status_date"}],
        "sort_desc": "status_date",
    },
    "minerals": {"facets": ["dev_status", "district_id", "site_type", "operator_id"], "sort": "site_name"},
    "organizations": {"facets": ["org_type", "country"], "sort": "name"},
    "districts": {"facets": ["admin_level", "parent_id"], "sort": "name"},
    "sources": {"facets": ["source_type", "reliability", "publisher"], "sort_desc": "published_at"},
}


def label_column(resource: Resource) -> str | None:
    names = resource.field_names
    return next((c for c in LABEL_CANDIDATES if c in names), None)


def facet_column(facet: Any) -> str:
    return facet if isinstance(facet, str) else next(iter(facet.values()))


def table_behaviour(resource: Resource) -> dict[str, Any]:
    """Label column, facets and sort of one table, checked against its schema."""
    spec = TABLE_BEHAVIOUR.get(resource.name, {})
    out: dict[str, Any] = {}
    label = label_column(resource)
    if label:
        out["label_column"] = label
    names = set(resource.field_names)
    named = [facet_column(f) for f in spec.get("facets", [])] + [spec[k] for k in ("sort", "sort_desc") if k in spec]
    missing = [c for c in named if c not in names]
    if missing:
        raise BrcdError("site-config-error",
                        f"the site configuration names column(s) {', '.join(missing)} that table "
                        f"{resource.name!r} does not have.", file=resource.schema_path,
                        hint="update TABLE_BEHAVIOUR in scripts/brcd/presentation.py to the schema's field names.")
    if spec.get("facets"):
        out["facets"] = list(spec["facets"])
    for key in ("sort", "sort_desc"):
        if key in spec:
            out[key] = spec[key]
    return out


def index_plan(package: Package) -> dict[str, list[tuple[str, ...]]]:
    """Indexes the site needs to stay fast on big tables, per table, as column tuples.

    A filter on a facet or foreign-key column `c` of a table shown newest first by `s` runs
    `WHERE c = ? ORDER BY s DESC LIMIT 51`: with an index on `c` alone SQLite sorts every
    matching row (12 ms for 25,000 of a million rows here), with `(c, s)` it reads 51 index
    entries (0.5 ms). The composite index also serves `WHERE c = ?`, counts and facets on `c`,
    so it replaces the single-column one. `s` itself gets its own index for the unfiltered page.
    """
    out: dict[str, list[tuple[str, ...]]] = {}
    for res in package.resources:
        spec = TABLE_BEHAVIOUR.get(res.name, {})
        sort = spec.get("sort_desc") or spec.get("sort")
        cols = [facet_column(f) for f in spec.get("facets", [])]
        cols += [fk["fields"][0] for fk in res.foreign_keys if len(fk["fields"]) == 1]
        plan: list[tuple[str, ...]] = [(sort,)] if sort in res.field_names else []
        for c in cols:
            if c not in res.field_names or c == sort or c in res.primary_key:
                continue
            idx = (c, sort) if sort in res.field_names else (c,)
            if idx not in plan:
                plan.append(idx)
        if plan:
            out[res.name] = plan
    return out
