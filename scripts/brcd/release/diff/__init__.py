"""`brcd diff OLD NEW`: what changed between two versions of the package, and the bump it needs.

    with open_side("origin/main") as old, open_side("HEAD") as new:
        result = diff_packages(old, new)
    result.required_bump      # "major" | "minor" | "patch" | "none"

Per table: rows added, removed and changed (by primary key, with each changed cell old ->
new) and schema changes (tables and columns added, removed, renamed; types and constraints).
Bumps: MAJOR when a table or column is removed or renamed, a type narrowed, a constraint
tightened or a row removed; MINOR when tables, columns or rows are added (or a constraint
loosened); PATCH when values or descriptions are corrected.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brcd.release.diff.rows import RENAME_MIN_SHARE, RowDiff, diff_rows, rename_shares
from brcd.release.diff.schema import Change, descriptive_match, rename_candidates, table_changes
from brcd.release.diff.semver import check, highest
from brcd.release.diff.sides import Side, open_side
from brcd.errors import BrcdError
from brcd.package import Resource

__all__ = ["Diff", "TableDiff", "diff_packages", "open_side", "Side"]
PACKAGE_DESCRIPTIVE = ("title", "description", "keywords", "contributors", "sources", "licenses", "homepage")


@dataclass
class TableDiff:
    name: str
    status: str                                   # added | removed | renamed | changed | unchanged
    changes: list[Change] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    rows: RowDiff | None = None

    def columns(self, kind: str) -> list[str]:
        return [c.column for c in self.changes if c.kind == kind and c.column]


@dataclass
class Diff:
    old: Side
    new: Side
    tables: list[TableDiff]
    changes: list[Change]                         # every classified change, package-level first
    problems: list[str] | None = None             # from `check`, when asked

    @property
    def required_bump(self) -> str:
        return highest([c.bump for c in self.changes])

    def run_check(self) -> list[str]:
        self.problems = check(self.old.package.version, self.new.package.version, self.required_bump,
                              self.new.changelog)
        return self.problems


def detect_renames(con: Any, old: Resource, new: Resource, key: list[tuple[str, str]] | None) -> dict[str, str]:
    """old column -> new column for removed/added pairs that hold the same values row by row
    (or, with no rows to compare, the same description or position)."""
    pairs = rename_candidates(old, new)
    shares = rename_shares(con, old, new, key, pairs) if key and pairs else {}
    scored = []
    for pair in pairs:
        share = shares.get(pair)
        if share is None and descriptive_match(old, new, pair):
            share = RENAME_MIN_SHARE
        if share is not None and share >= RENAME_MIN_SHARE:
            scored.append((share, pair))
    renames: dict[str, str] = {}
    for _share, (a, b) in sorted(scored, key=lambda s: (-s[0], s[1])):
        if a not in renames and b not in renames.values():
            renames[a] = b
    return renames


def key_pairs(old: Resource, new: Resource) -> list[tuple[str, str]] | None:
    """(old, new) primary key columns when both tables are keyed the same way."""
    if old.primary_key and len(old.primary_key) == len(new.primary_key):
        if all(c in old.field_names for c in new.primary_key) and old.primary_key == new.primary_key:
            return list(zip(old.primary_key, new.primary_key))
    return None


def diff_table(con: Any, old: Resource, new: Resource, limit: int | None) -> TableDiff:
    key = key_pairs(old, new)
    if key is None and old.primary_key and len(old.primary_key) == len(new.primary_key):
        # The key column itself may have been renamed: match it by description or position.
        guess = {a: b for a, b in zip(old.primary_key, new.primary_key) if descriptive_match(old, new, (a, b))}
        key = list(guess.items()) if len(guess) == len(old.primary_key) else None
    renames = detect_renames(con, old, new, key)
    changes = table_changes(old, new, renames)
    if key and [renames.get(a, a) for a, _ in key] == [b for _, b in key]:
        changes = [c for c in changes if c.kind != "primary-key-changed"]
    td = TableDiff(new.name, "unchanged", changes, renames)
    if key is None:
        changes.append(Change("rows-not-compared", "major", "no common primary key: rows cannot be matched", new.name))
    else:
        common = [(a, renames.get(a, a)) for a in old.field_names if renames.get(a, a) in new.field_names]
        td.rows = rows = diff_rows(con, old, new, key, common, limit)
        if rows.removed:
            changes.append(Change("rows-removed", "major", f"{rows.removed} row(s) removed", new.name))
        if rows.added:
            changes.append(Change("rows-added", "minor", f"{rows.added} row(s) added", new.name))
        if rows.changed:
            changes.append(Change("rows-changed", "patch", f"{rows.changed} row(s) with corrected values", new.name))
    td.status = "changed" if changes else "unchanged"
    return td


def diff_packages(old: Side, new: Side, *, limit: int | None = None) -> Diff:
    """Compare two opened packages; `limit` caps the rows listed per table and kind (counts stay exact)."""
    import duckdb

    a, b = old.package, new.package
    common = [n for n in b.resource_names if n in a.resource_names]
    if not common:
        raise BrcdError("incomparable-packages",
                        f"OLD ({', '.join(a.resource_names)}) and NEW ({', '.join(b.resource_names)}) share no table.",
                        hint="compare two versions of the same package.")
    if a.name and b.name and a.name != b.name:
        raise BrcdError("incomparable-packages", f"OLD is package {a.name!r} and NEW is {b.name!r}.",
                        hint="compare two versions of the same package.")
    changes: list[Change] = []
    if any(a.descriptor.get(k) != b.descriptor.get(k) for k in PACKAGE_DESCRIPTIVE):
        changes.append(Change("metadata-changed", "patch", "package title, description, sources or licences changed"))
    tables: list[TableDiff] = []
    gone = [n for n in a.resource_names if n not in b.resource_names]
    new_only = [n for n in b.resource_names if n not in a.resource_names]
    renamed = {}
    for name in gone:  # a table that reappears under another name with the same columns
        match = next((m for m in new_only if m not in renamed.values()
                      and a.resource(name).field_names == b.resource(m).field_names), None)
        if match:
            renamed[name] = match
    for name in gone:
        if name in renamed:
            tables.append(TableDiff(name, "renamed", [Change("table-renamed", "major", f"table {name} renamed to "
                                                             f"{renamed[name]}", name, extra={"to": renamed[name]})]))
        else:
            tables.append(TableDiff(name, "removed", [Change("table-removed", "major", f"table {name} removed", name)]))
    with tempfile.TemporaryDirectory(prefix="brcd-diff-spill-") as spill:
        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET memory_limit = '512MB'")
        con.execute(f"SET temp_directory = '{spill}'")
        try:
            for name in common:
                tables.append(diff_table(con, a.resource(name), b.resource(name), limit))
        finally:
            con.close()
    for name in new_only:
        if name not in renamed.values():
            tables.append(TableDiff(name, "added", [Change("table-added", "minor", f"table {name} added", name)]))
    for td in tables:
        changes.extend(td.changes)
    return Diff(old, new, tables, changes)


def diff_paths(old: str, new: str, *, limit: int | None = None, cwd: Path | None = None) -> Diff:
    """Open OLD and NEW (git refs, folders or release zips) and compare them.
    The packages are unpacked only for the duration of the call."""
    with open_side(old, cwd) as a, open_side(new, cwd) as b:
        return diff_packages(a, b, limit=limit)
