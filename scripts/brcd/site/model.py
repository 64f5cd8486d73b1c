"""What the site knows about the package it serves: each table's schema, label column, sort
column, foreign keys and the link tables of `;` id lists, read once from the package itself
(`brcd.presentation` and `brcd.release.layout`), so pages never repeat the schemas by hand."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brcd.package import Package, Resource, load_package
from brcd.presentation import display_spec, label_column, sort_column
from brcd.release.layout import LinkTable, link_tables


FIGURE_TYPES = ("integer", "number")


@dataclass(frozen=True)
class Column:
    """How a table cell is shown: `kind` is "key" (primary or foreign key: Datasette links it),
    "coded" (labelled codes), "text" (plain string) or "value" (numbers, booleans, dates)."""

    resource: Resource
    kind: str
    figure: bool                    # a number: empty reads "unknown"
    link: LinkTable | None = None   # a `;` id list
    needs_row: bool = False         # money whose currency is another column


@dataclass(frozen=True)
class Reference:
    """Rows of `table` that name a row of `target` in `column`, directly or through `link`."""

    table: str
    column: str
    target: str
    link: LinkTable | None = None


class SiteModel:
    def __init__(self, package: Package) -> None:
        self.package = package
        self.tables: dict[str, Resource] = {r.name: r for r in package.resources}
        self.links = link_tables(package)
        self.links_by_field = {(lt.owner, lt.list_field): lt for lt in self.links}
        self.columns = {(res.name, f["name"]): self._column(res, f) for res in package.resources for f in res.fields}

    def _column(self, res: Resource, fld: dict[str, Any]) -> Column:
        name, ftype = fld["name"], fld.get("type", "string")
        figure = ftype in FIGURE_TYPES
        if name in res.primary_key or name in self.foreign_keys(res.name):
            return Column(res, "key", figure)
        link = self.links_by_field.get((res.name, name))
        if link is not None:
            return Column(res, "list", figure, link)
        if fld.get("categories"):
            return Column(res, "coded", figure)
        money = display_spec(res).get("money") or {}
        kind = "text" if ftype == "string" else "value"
        return Column(res, kind, figure, needs_row=name in money)

    def column(self, table: str, name: str) -> Column | None:
        return self.columns.get((table, name))

    @classmethod
    def load(cls, root: str | Path) -> "SiteModel":
        return cls(load_package(Path(root)))

    def resource(self, table: str) -> Resource | None:
        return self.tables.get(table)

    def title(self, table: str) -> str:
        res = self.tables.get(table)
        return str(res.descriptor.get("title") or table) if res else table

    def pk(self, table: str) -> str | None:
        res = self.tables.get(table)
        return res.primary_key[0] if res and len(res.primary_key) == 1 else None

    def label(self, table: str) -> str | None:
        res = self.tables.get(table)
        return label_column(res) if res else None

    def sort(self, table: str) -> str | None:
        res = self.tables.get(table)
        return sort_column(res) if res else None

    def foreign_keys(self, table: str) -> dict[str, str]:
        """Single-column foreign keys of `table`: field -> referenced table."""
        res = self.tables.get(table)
        if res is None:
            return {}
        return {fk["fields"][0]: fk["reference"]["resource"] for fk in res.foreign_keys if len(fk["fields"]) == 1}

    def list_reference(self, table: str, field: str) -> LinkTable | None:
        return self.links_by_field.get((table, field))

    def references_to(self, target: str) -> list[Reference]:
        """Every way a row of another table (or of this one) names a row of `target`, in package order."""
        out = []
        for res in self.package.resources:
            for column, ref in self.foreign_keys(res.name).items():
                if ref == target:
                    out.append(Reference(res.name, column, target))
            for lt in self.links:
                if lt.owner == res.name and lt.target == target:
                    out.append(Reference(res.name, lt.list_field, target, lt))
        return out

    def field_title(self, table: str, field: str) -> str:
        res = self.tables.get(table)
        try:
            return str(res.field(field).get("title") or field) if res else field
        except KeyError:
            return field

    def row_label(self, table: str, row: dict[str, Any]) -> str:
        label = self.label(table)
        pk = self.pk(table)
        text = row.get(label) if label else None
        return str(text) if text not in (None, "") else str(row.get(pk) if pk else "")
