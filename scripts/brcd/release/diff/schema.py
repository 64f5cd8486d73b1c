"""Schema changes between two versions of a table, each with the bump it needs.

MAJOR: a table or column removed or renamed, columns re-ordered, a type narrowed, a
constraint tightened, the primary key changed, a foreign key added, a declared rule
(`brcd:rules`) added or given other parameters. MINOR: a table or column added, a type widened,
a constraint loosened, a foreign key dropped, a declared rule dropped. PATCH: titles and
descriptions. (The Data Package "version" recipe, with the issue's rules on top.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field as dfield
from typing import Any, Iterator

from brcd.fields import widens
from brcd.package import RULES_PROPERTY, Resource

LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength")
FLAGS = ("required", "unique")
DESCRIPTIVE = ("title", "description", "example", "rdfType")


@dataclass
class Change:
    kind: str
    bump: str
    detail: str
    table: str | None = None
    column: str | None = None
    extra: dict[str, Any] = dfield(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {"table": self.table, "column": self.column, "kind": self.kind, "bump": self.bump, "detail": self.detail}
        out.update(self.extra)
        return {k: v for k, v in out.items() if v is not None}


def type_change(old: str, new: str) -> str | None:
    if old == new:
        return None
    if widens(old, new):
        return "widened"
    return "narrowed"


def constraint_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """(constraint, tightened|loosened) for every constraint that differs."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key in FLAGS:
            out.append((key, "tightened" if b and not a else "loosened"))
        elif key == "enum":
            if a is None or b is None:
                out.append((key, "tightened" if a is None else "loosened"))
            else:
                out.append((key, "loosened" if set(b) > set(a) else "tightened"))
        elif key in LOWER_BOUNDS or key in UPPER_BOUNDS:
            if a is None or b is None:
                out.append((key, "tightened" if a is None else "loosened"))
            else:
                try:
                    higher = b > a
                except TypeError:
                    higher = str(b) > str(a)
                out.append((key, "tightened" if higher == (key in LOWER_BOUNDS) else "loosened"))
        elif key == "pattern" and a is not None and b is not None and pattern_widened(a, b):
            out.append((key, "loosened"))
        else:  # pattern, format and anything else: loosened only when removed
            out.append((key, "loosened" if b is None else "tightened"))
    return out


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern, its anchors and one enclosing group removed:
    `^(A|B)$` -> [A, B]. Bars inside groups, classes or after a backslash do not split."""
    body = pattern
    if body.startswith("^") and body.endswith("$") and not body.endswith("\\$"):
        body = body[1:-1]
    for opener in ("(?:", "("):
        if body.startswith(opener) and body.endswith(")") and _closing(body, len(opener) - 1) == len(body) - 1:
            body = body[len(opener):-1]
            break
    parts, start = [], 0
    for i, ch, depth in _outside_escapes_and_classes(body):
        if ch == "|" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    return parts + [body[start:]]


def _outside_escapes_and_classes(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) of each character of a regex that is neither
    escaped nor inside a character class."""
    depth, escaped, in_class = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        else:
            depth += (ch == "(") - (ch == ")")
            yield i, ch, depth


def _closing(text: str, open_at: int) -> int:
    """Index of the parenthesis that closes the one at `open_at` (-1 when unbalanced)."""
    for i, ch, depth in _outside_escapes_and_classes(text, open_at):
        if ch == ")" and depth == 0:
            return i
    return -1


def pattern_widened(old: str, new: str) -> bool:
    """True when the new pattern keeps every alternative of the old one and adds others
    (`^(A|B)$` -> `^(A|B|C)$`): every value that matched still matches, a loosening. Any
    other change to a pattern is counted as a tightening (no general test of regex inclusion)."""
    kept = alternatives(new)
    return all(alt in kept for alt in alternatives(old))


def field_changes(table: str, name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    out = []
    moved = type_change(old.get("type", "string"), new.get("type", "string"))
    if moved:
        out.append(Change(f"type-{moved}", "major" if moved == "narrowed" else "minor",
                          f"type {old.get('type', 'string')} -> {new.get('type', 'string')}", table, name))
    for key, how in constraint_changes(old.get("constraints") or {}, new.get("constraints") or {}):
        a, b = (old.get("constraints") or {}).get(key), (new.get("constraints") or {}).get(key)
        out.append(Change(f"constraint-{how}", "major" if how == "tightened" else "minor",
                          f"{key}: {a!r} -> {b!r}", table, name))
    if old.get("format", "default") != new.get("format", "default"):
        out.append(Change("format-changed", "major", f"format {old.get('format')!r} -> {new.get('format')!r}", table, name))
    if old.get("listReference") != new.get("listReference"):
        out.append(Change("reference-changed", "major", "listReference changed", table, name))
    if any(old.get(k) != new.get(k) for k in DESCRIPTIVE):
        out.append(Change("metadata-changed", "patch", "title or description changed", table, name))
    return out


def fk_set(res: Resource, renames: dict[str, str]) -> set[tuple]:
    """Foreign keys as hashable tuples, with old column names mapped to the new ones."""
    return {(tuple(renames.get(f, f) for f in fk["fields"]), fk["reference"]["resource"],
             tuple(fk["reference"]["fields"])) for fk in res.foreign_keys}


def table_changes(old: Resource, new: Resource, renames: dict[str, str]) -> list[Change]:
    """Schema changes within a table, given `renames` (old column -> new column)."""
    t = new.name
    out: list[Change] = []
    new_names = set(new.field_names)
    renamed_to = set(renames.values())
    for name in old.field_names:
        if name in renames:
            out.append(Change("column-renamed", "major", f"column {name} renamed to {renames[name]}", t, name,
                              {"to": renames[name]}))
        elif name not in new_names:
            out.append(Change("column-removed", "major", f"column {name} removed", t, name))
    for name in new.field_names:
        if name not in old.field_names and name not in renamed_to:
            out.append(Change("column-added", "minor", f"column {name} added", t, name))
    common_old = [n for n in old.field_names if renames.get(n, n) in new_names]
    order_new = [n for n in new.field_names if n in {renames.get(o, o) for o in common_old}]
    if [renames.get(n, n) for n in common_old] != order_new:
        out.append(Change("columns-reordered", "major", "columns re-ordered: positional readers break", t))
    for name in common_old:
        out.extend(field_changes(t, renames.get(name, name), old.field(name), new.field(renames.get(name, name))))
    if [renames.get(c, c) for c in old.primary_key] != new.primary_key:
        out.append(Change("primary-key-changed", "major", f"primary key {old.primary_key} -> {new.primary_key}", t))
    old_fks, new_fks = fk_set(old, renames), fk_set(new, {})
    for fk in sorted(new_fks - old_fks):
        out.append(Change("foreign-key-added", "major", f"foreign key {list(fk[0])} -> {fk[1]}", t))
    for fk in sorted(old_fks - new_fks):
        out.append(Change("foreign-key-removed", "minor", f"foreign key {list(fk[0])} -> {fk[1]} dropped", t))
    out.extend(rule_changes(old, new, renames))
    if any(old.descriptor.get(k) != new.descriptor.get(k) for k in DESCRIPTIVE):
        out.append(Change("metadata-changed", "patch", "table title or description changed", t))
    return out


def rename_candidates(old: Resource, new: Resource) -> list[tuple[str, str]]:
    """(removed column, added column) pairs of the same type: possible renames."""
    removed = [f for f in old.fields if f["name"] not in new.field_names]
    added = [f for f in new.fields if f["name"] not in old.field_names]
    return [(r["name"], a["name"]) for r in removed for a in added
            if r.get("type", "string") == a.get("type", "string")]


def descriptive_match(old: Resource, new: Resource, pair: tuple[str, str]) -> bool:
    """Without rows to compare: same description, or the same position among the fields."""
    a, b = old.field(pair[0]), new.field(pair[1])
    if a.get("description") and a.get("description") == b.get("description"):
        return True
    return old.field_names.index(pair[0]) == new.field_names.index(pair[1])


def _rule_columns(rule: dict[str, Any], renames: dict[str, str]) -> str:
    """A declaration's columns as one comparable text, old names mapped to the new ones."""
    def rename(value: Any) -> Any:
        if isinstance(value, str):
            return renames.get(value, value)
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value
    fields = rule.get("fields")
    fields = {role: rename(cols) for role, cols in fields.items()} if isinstance(fields, dict) else fields
    return json.dumps(fields, sort_keys=True, ensure_ascii=False)


def _rule_words(code: str, columns: str) -> str:
    roles = json.loads(columns)
    values = roles.values() if isinstance(roles, dict) else []
    cols = sorted({c for v in values for c in ([v] if isinstance(v, str) else v if isinstance(v, list) else [])
                   if isinstance(c, str)})
    return f"rule {code} on {', '.join(cols)}" if cols else f"rule {code}"


def rule_changes(old: Resource, new: Resource, renames: dict[str, str]) -> list[Change]:
    """The table's declared rules (`brcd:rules`) added, dropped or given other parameters.

    A rule added, or one whose parameters change (a floor, a list of values), can fail rows that
    passed: a tightening, MAJOR like a tightened constraint. A rule dropped is MINOR. When OLD
    declares no rules at all (0.1.0 kept its rules in the toolkit's code, not in the schemas),
    there is nothing to compare them with: one PATCH line says how many are declared now."""
    t = new.name
    before, after = old.schema.get(RULES_PROPERTY), new.schema.get(RULES_PROPERTY)
    if before == after:
        return []
    if before is None:
        codes = sorted({str(r.get("rule")) for r in after if isinstance(r, dict)}) if isinstance(after, list) else []
        return [Change("rules-declared", "patch", f"{len(codes)} kind(s) of rule declared under {RULES_PROPERTY} "
                       f"({', '.join(codes)}); the old version declared none (its rules lived in the toolkit), "
                       "so they are not compared", t)]

    def index(rules: Any, names: dict[str, str]) -> dict[tuple[str, str], dict]:
        return {(str(r.get("rule")), _rule_columns(r, names)): r
                for r in (rules if isinstance(rules, list) else []) if isinstance(r, dict)}

    olds, news = index(before, renames), index(after, {})
    out = []
    for key in sorted(news.keys() - olds.keys()):
        out.append(Change("rule-added", "major", f"{_rule_words(*key)} added: rows that passed may now fail", t))
    for key in sorted(olds.keys() - news.keys()):
        out.append(Change("rule-removed", "minor", f"{_rule_words(*key)} dropped", t))
    for key in sorted(olds.keys() & news.keys()):
        a = {k: v for k, v in olds[key].items() if k not in ("rule", "fields")}
        b = {k: v for k, v in news[key].items() if k not in ("rule", "fields")}
        if a != b:
            out.append(Change("rule-changed", "major", f"{_rule_words(*key)}: {a!r} -> {b!r}", t))
    return out
