"""How each table is presented to readers, read from its Table Schema and written nowhere else.

Two things in the schemas drive every view of the data (the site, `brcd query`'s table output,
the codebook):

- a field's `categories` (Table Schema v2: `[{"value": code, "label": text}, ...]`) give the
  human label of each code: `self_claimed` reads "Claimed by the perpetrator", date precision
  `2` reads "Within a span of 2 to 6 days";
- the schema's custom `display` property says how the table is shown: `columns` (the compact
  default set of a table page), `facets` (column names, or `{"year": column}` for the year facet
  of brcd.site.plugin), `sort` or `sort_desc`, `groups` (the record page's sections, each
  `{"title", "fields"}`), an optional `label_column` and `money` (`{amount field: currency
  field}`). Upstream `frictionless validate` accepts both (custom properties are allowed).

The build reads the same facts (`index_plan`: the indexes those facets and sorts need).
"""

from __future__ import annotations

from typing import Any

from brcd.errors import BrcdError
from brcd.package import Package, Resource

DISPLAY = "display"

# Without `display.label_column`, the first of these a table has becomes its label column: a
# foreign key to the table then shows this text and links to the row.
LABEL_CANDIDATES = ("name", "title", "site_name", "location", "summary")

# Units shown after a number (people, degrees and money are clear from the column itself).
UNIT_TEXT = {"%": "%", "km2": "km²", "g/t": "g/t", "Mt": "Mt", "years": "years"}
MONEY_UNITS = {"USD": "US$"}
BOOLEAN_TEXT = {True: "yes", False: "no"}
OTHER_FIELDS = "Other fields"


def display_spec(resource: Resource) -> dict[str, Any]:
    """The schema's `display` property (empty when the schema has none)."""
    spec = resource.schema.get(DISPLAY) or {}
    if not isinstance(spec, dict):
        raise BrcdError("site-config-error", f"`{DISPLAY}` of table {resource.name!r} must be a JSON object.",
                        file=resource.schema_path, hint='write "display": {"columns": [...], "facets": [...]}.')
    return spec


def label_column(resource: Resource) -> str | None:
    spec = display_spec(resource)
    if spec.get("label_column"):
        return spec["label_column"]
    names = resource.field_names
    return next((c for c in LABEL_CANDIDATES if c in names), None)


def facet_column(facet: Any) -> str:
    return facet if isinstance(facet, str) else next(iter(facet.values()))


def sort_column(resource: Resource) -> str | None:
    spec = display_spec(resource)
    return spec.get("sort_desc") or spec.get("sort")


def _named_columns(resource: Resource, spec: dict[str, Any]) -> list[str]:
    named = [facet_column(f) for f in spec.get("facets", [])]
    named += [spec[k] for k in ("sort", "sort_desc", "label_column") if spec.get(k)]
    named += list(spec.get("columns", []))
    named += [f for g in spec.get("groups", []) for f in g.get("fields", [])]
    for amount, currency in (spec.get("money") or {}).items():
        named += [amount, currency]
    return named


def check_display(resource: Resource) -> dict[str, Any]:
    """The `display` property, with every column it names checked against the schema's fields."""
    spec = display_spec(resource)
    names = set(resource.field_names)
    missing = sorted({c for c in _named_columns(resource, spec) if c not in names})
    if missing:
        raise BrcdError("site-config-error",
                        f"the `{DISPLAY}` property names column(s) {', '.join(missing)} that table "
                        f"{resource.name!r} does not have.", file=resource.schema_path,
                        hint=f"update `{DISPLAY}` in the schema to the schema's field names.")
    return spec


def table_behaviour(resource: Resource) -> dict[str, Any]:
    """Label column, facets and sort of one table (Datasette's table options)."""
    spec = check_display(resource)
    out: dict[str, Any] = {}
    label = label_column(resource)
    if label:
        out["label_column"] = label
    if spec.get("facets"):
        out["facets"] = list(spec["facets"])
    for key in ("sort", "sort_desc"):
        if spec.get(key):
            out[key] = spec[key]
    return out


def site_facets(resource: Resource) -> set[str]:
    """The columns the site facets the table by."""
    return {facet_column(f) for f in display_spec(resource).get("facets", [])}


def default_columns(resource: Resource) -> list[str]:
    """The compact set of columns a table page shows first (all columns when none is chosen)."""
    return list(display_spec(resource).get("columns") or resource.field_names)


def field_groups(resource: Resource) -> list[tuple[str, list[str]]]:
    """The record page's sections in order; fields no group names (apart from the primary key)
    come last under "Other fields", so no column is ever left out."""
    groups = [(g["title"], list(g["fields"])) for g in display_spec(resource).get("groups", [])]
    placed = {f for _, fields in groups for f in fields} | set(resource.primary_key)
    rest = [f for f in resource.field_names if f not in placed]
    if rest:
        groups.append((OTHER_FIELDS, rest))
    return groups


# ---- labels ------------------------------------------------------------------------------------

def value_labels(fld: dict[str, Any]) -> dict[Any, str]:
    """`{code: label}` from a field's `categories` (plain values count as their own label)."""
    out: dict[Any, str] = {}
    for cat in fld.get("categories") or []:
        if isinstance(cat, dict) and "value" in cat:
            out[cat["value"]] = str(cat.get("label", cat["value"]))
        else:
            out[cat] = str(cat)
    return out


def table_labels(resource: Resource) -> dict[str, dict[Any, str]]:
    """`{field: {code: label}}` for every field of the table that has categories."""
    return {f["name"]: labels for f in resource.fields if (labels := value_labels(f))}


def codebook_labels(package: Package) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every labelled code of the package, for a codebook: `{table: {field: [{"value", "label"}]}}`
    in schema order."""
    return {res.name: {name: [{"value": v, "label": lab} for v, lab in labels.items()]
                       for name, labels in table_labels(res).items()}
            for res in package.resources if table_labels(res)}


def column_labels(package: Package, columns: list[str]) -> dict[str, dict[Any, str]]:
    """Labels for query result columns named like a labelled field. A name whose tables label
    it differently is left alone (its codes stay as they are)."""
    out: dict[str, dict[Any, str]] = {}
    ambiguous: set[str] = set()
    for res in package.resources:
        for name, labels in table_labels(res).items():
            if name in out and out[name] != labels:
                ambiguous.add(name)
            out.setdefault(name, labels)
    return {c: out[c] for c in columns if c in out and c not in ambiguous}


# ---- values as readers see them -----------------------------------------------------------------

def is_empty(value: Any) -> bool:
    return value is None or value == ""


def number_text(value: Any) -> str:
    """Thousands separators; whole floats without `.0`; other floats as written."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.12g}"
    return str(value)


def boolean_value(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    return {"true": True, "false": False, "1": True, "0": False}.get(text)


def money_text(amount: Any, currency: Any) -> str:
    text = number_text(amount)
    if is_empty(currency):
        return text
    symbol = MONEY_UNITS.get(str(currency))
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def format_value(resource: Resource, name: str, value: Any, row: dict[str, Any] | None = None) -> str | None:
    """A cell as a reader sees it: the code's label, yes/no, money with its currency, numbers with
    thousands separators and units. None for an empty cell (unknown, never 0)."""
    if is_empty(value):
        return None
    try:
        fld = resource.field(name)
    except KeyError:
        return str(value)
    labels = value_labels(fld)
    if labels:
        for key in (value, str(value)):
            if key in labels:
                return labels[key]
        if isinstance(value, str) and value.lstrip("-").isdigit() and int(value) in labels:
            return labels[int(value)]
    ftype = fld.get("type", "string")
    if ftype == "boolean":
        flag = boolean_value(value)
        return BOOLEAN_TEXT[flag] if flag is not None else str(value)
    if ftype in ("integer", "number") and isinstance(value, (int, float)):
        money = display_spec(resource).get("money") or {}
        unit = fld.get("unit")
        if name in money:
            return money_text(value, (row or {}).get(money[name]))
        if unit in MONEY_UNITS:
            return money_text(value, unit)
        text = number_text(value)
        return f"{text} {UNIT_TEXT[unit]}".replace(" %", "%") if unit in UNIT_TEXT else text
    return str(value)


# ---- indexes the site needs ---------------------------------------------------------------------

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
        spec = display_spec(res)
        sort = sort_column(res)
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
