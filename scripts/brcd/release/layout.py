"""What the built databases hold, derived from the Table Schemas once for every engine.

One `TableLayout` per resource (columns, primary and foreign keys, indexes and full-text
columns) and one `LinkTable` per `;`-delimited id list (`listReference`), so the SQLite and
DuckDB writers and the Datasette configuration agree on names without repeating the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brcd.package import Package, Resource
from brcd.fields import quote_ident as q, quote_literal as lit
from brcd.presentation import index_plan, site_facets

# Free-text columns get a full-text index: titles, names, places, descriptions, notes, summaries,
# quotes. The index stems English words (FTS5's porter tokenizer): `hijacking` finds "hijacked".
FREE_TEXT = ("title", "name", "short_name", "aliases", "site_name", "alt_names", "location", "location_aliases",
             "admin3", "speaker_name", "claimed_operation_name", "publisher", "description", "summary", "notes")
FREE_TEXT_PREFIXES = ("quote",)

# Link tables whose natural name is not `<owner singular>_<field stem>`.
LINK_NAMES = {("statements", "contradicted_by_ids"): "statement_contradictions"}


def singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


@dataclass(frozen=True)
class LinkTable:
    """`incident_sources(incident_id, source_id, position)` for `incidents.source_ids`."""

    name: str
    owner: str            # table holding the list, e.g. incidents
    owner_key: str        # its primary key column, e.g. incident_id
    list_field: str       # e.g. source_ids
    delimiter: str
    item_column: str      # e.g. source_id
    target: str           # referenced table, e.g. sources
    target_field: str     # e.g. source_id


@dataclass(frozen=True)
class TableLayout:
    name: str
    resource: Resource
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]
    indexed: list[tuple[str, ...]] = field(default_factory=list)   # one column tuple per index
    fts: list[str] = field(default_factory=list)
    sparse: frozenset[str] = frozenset()   # leading columns whose indexes skip NULLs (`sparse_columns`)

    @property
    def fields(self) -> list[dict[str, Any]]:
        return self.resource.fields

    @property
    def fts_name(self) -> str:
        return f"{self.name}_fts"


def is_free_text(fld: dict[str, Any]) -> bool:
    """Free text, or a closed vocabulary whose values are words (ACLED and GTD labels such as
    "Hijacking"); vocabularies of codes with `categories` labels and patterned ids are not."""
    if fld.get("type", "string") != "string":
        return False
    cons = fld.get("constraints") or {}
    if "pattern" in cons or fld.get("categories"):
        return False
    if "enum" in cons:
        return True
    name = fld["name"]
    return name in FREE_TEXT or name.startswith(FREE_TEXT_PREFIXES)


# Bookkeeping dates nobody filters by; an index on them would only slow the build.
UNINDEXED = ("last_updated",)


def filter_columns(fields: list[dict[str, Any]]) -> list[str]:
    """Columns people filter and facet by: a table's main date (its first required date, such
    as incidents.event_date) and its required closed vocabularies (its classification).
    Optional enums, booleans and secondary dates are left to table scans: each index costs
    about half a second per million rows at build time."""
    out, dated = [], False
    for fld in fields:
        cons = fld.get("constraints") or {}
        if not cons.get("required") or fld["name"] in UNINDEXED:
            continue
        if fld.get("type") in ("date", "datetime") and not dated:
            out.append(fld["name"])
            dated = True
        elif "enum" in cons:
            out.append(fld["name"])
    return out


def default_indexes(res: Resource) -> list[tuple[str, ...]]:
    """One index per single-column foreign key and per column of `filter_columns`."""
    indexed: list[tuple[str, ...]] = []
    fk_columns = [fk["fields"][0] for fk in res.foreign_keys if len(fk["fields"]) == 1]
    for name in fk_columns + filter_columns(res.fields):
        if (name,) not in indexed and [name] != res.primary_key:
            indexed.append((name,))
    return indexed


def site_indexes(package: Package) -> dict[str, list[tuple[str, ...]]]:
    """The indexes the Datasette site asks for (`brcd.presentation.index_plan`: each facet and
    foreign-key column paired with the table's sort column, so a filtered page reads only the
    rows it shows)."""
    return index_plan(package)


def sparse_columns(res: Resource, facets: set[str]) -> frozenset[str]:
    """Optional single-column foreign keys that are not facets (incidents.parent_incident_id,
    actor2_id, claimed_by_id, related_site_id): the site only looks them up by value (`c = ?`
    filters and the row page's "links from other tables" counts), which SQLite answers from a
    partial index `WHERE c IS NOT NULL` too. Leaving the NULL rows out halves to quarters the
    sort of each such index at build time (parent_incident_id: 0.40 s -> 0.07 s at 1M rows).
    Facet columns keep full indexes (facet counts and `__isnull` filters read them)."""
    required = {f["name"] for f in res.fields if (f.get("constraints") or {}).get("required")}
    return frozenset(fk["fields"][0] for fk in res.foreign_keys
                     if len(fk["fields"]) == 1 and fk["fields"][0] not in required | facets | set(res.primary_key))


def table_layout(res: Resource, indexes: list[tuple[str, ...]] | None = None,
                 facets: set[str] | None = None) -> TableLayout:
    """`indexes` overrides `default_indexes`, e.g. with the site's plan; `facets` (the site's
    facet columns) keep full indexes, other optional foreign keys get partial ones."""
    fts = [f["name"] for f in res.fields if is_free_text(f)]
    indexed = [tuple(i) for i in indexes] if indexes is not None else default_indexes(res)
    return TableLayout(name=res.name, resource=res, primary_key=res.primary_key, foreign_keys=res.foreign_keys,
                       indexed=indexed, fts=fts, sparse=sparse_columns(res, facets or set()))


def link_tables(package: Package) -> list[LinkTable]:
    out = []
    for res in package.resources:
        if len(res.primary_key) != 1:
            continue
        for ref in res.list_references():
            list_field = ref["field"]
            stem = list_field[:-1] if list_field.endswith("s") else list_field
            name = LINK_NAMES.get((res.name, list_field)) or f"{singular(res.name)}_{stem.removesuffix('_id')}s"
            out.append(LinkTable(name=name, owner=res.name, owner_key=res.primary_key[0], list_field=list_field,
                                 delimiter=ref["delimiter"], item_column=stem, target=ref["resource"],
                                 target_field=ref["resource_field"]))
    return out


def package_layout(package: Package) -> tuple[list[TableLayout], list[LinkTable]]:
    """Every table's layout (indexes from the site's plan where it has one) and the link tables."""
    plan = site_indexes(package)
    return ([table_layout(r, plan.get(r.name), site_facets(r)) for r in package.resources],
            link_tables(package))


def links_select_sql(link: LinkTable, source: str) -> str:
    """DuckDB SELECT giving one row per list item, in (owner, position) order."""
    owner, lst = q(link.owner_key), q(link.list_field)
    return (f"SELECT {owner}, trim(item) AS {q(link.item_column)}, CAST(pos AS INTEGER) AS position FROM ("
            f"SELECT {owner}, unnest(parts) AS item, generate_subscripts(parts, 1) AS pos FROM ("
            f"SELECT {owner}, string_split({lst}, {lit(link.delimiter)}) AS parts FROM {source} "
            f"WHERE {lst} IS NOT NULL AND {lst} <> '')) WHERE trim(item) <> '' ORDER BY 1, 3")
