"""`brcd diff` output: JSON (complete, shaped like csv-diff's per table), text and Markdown."""

from __future__ import annotations

import json
from typing import Any

from brcd.release.diff import Diff, TableDiff


def side_json(side: Any) -> dict[str, str]:
    return {"source": side.label, "name": side.package.name, "version": side.package.version}


def table_json(td: TableDiff) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": td.status,
        "columns_added": td.columns("column-added"),
        "columns_removed": td.columns("column-removed"),
        "columns_renamed": [{"from": a, "to": b} for a, b in td.renames.items()],
        "schema_changes": [c.as_dict() for c in td.changes if not c.kind.startswith("rows-")],
    }
    if td.rows is not None:
        r = td.rows
        out.update({
            "primary_key": r.key,
            "counts": {"added": r.added, "removed": r.removed, "changed": r.changed},
            "changed_cells_by_column": r.changed_by_column,
            "added": r.added_rows, "removed": r.removed_rows, "changed": r.changed_rows,
            "truncated": r.truncated,
        })
    return out


def to_json(diff: Diff) -> dict[str, Any]:
    out: dict[str, Any] = {
        "old": side_json(diff.old), "new": side_json(diff.new),
        "required_bump": diff.required_bump,
        "changes": [c.as_dict() for c in diff.changes],
        "tables": {td.name: table_json(td) for td in diff.tables},
    }
    if diff.problems is not None:
        out["check"] = {"ok": not diff.problems, "problems": diff.problems}
    return out


def render_json(diff: Diff) -> str:
    return json.dumps(to_json(diff), indent=2, ensure_ascii=False, default=str) + "\n"


def show(value: Any) -> str:
    return "(empty)" if value is None else json.dumps(value, ensure_ascii=False)


def key_text(key: Any) -> str:
    return "/".join(key) if isinstance(key, list) else str(key)


def row_key(row: dict[str, Any], key: list[str]) -> str:
    return "/".join(str(row.get(k)) for k in key)


def counts_line(td: TableDiff) -> str:
    if td.status in ("added", "removed", "renamed"):
        return f"table {td.status}"
    if td.rows is None:
        return "rows not compared (no common primary key)"
    r = td.rows
    return f"{r.added} added, {r.removed} removed, {r.changed} changed"


def shown_note(shown: int, total: int) -> str | None:
    return f"showing {shown} of {total}" if shown < total else None


def verdict_lines(diff: Diff) -> list[str]:
    if diff.problems is None:
        return []
    if not diff.problems:
        return [f"check passed: version {diff.new.package.version} and CHANGELOG.md cover a {diff.required_bump} change."]
    return ["check FAILED:"] + [f"  - {p}" for p in diff.problems]


def render_text(diff: Diff) -> str:
    o, n = diff.old.package, diff.new.package
    lines = [f"{o.name} {o.version} ({diff.old.label}) -> {n.version} ({diff.new.label}): "
             f"required bump {diff.required_bump.upper()}"]
    for c in diff.changes:
        if not c.kind.startswith("rows-") and c.table is None:
            lines.append(f"  [{c.bump}] {c.detail}")
    for td in diff.tables:
        if td.status == "unchanged":
            continue
        lines.append(f"{td.name}: {counts_line(td)}")
        for c in td.changes:
            if not c.kind.startswith("rows-") or c.kind == "rows-not-compared":
                lines.append(f"  [{c.bump}] {c.kind}: {c.detail}")
        if td.rows is not None:
            r = td.rows
            lines += [f"  + {row_key(row, r.key)}" for row in r.added_rows]
            lines += [f"  - {row_key(row, r.key)}" for row in r.removed_rows]
            for ch in r.changed_rows:
                cells = "; ".join(f"{col}: {show(a)} -> {show(b)}" for col, (a, b) in ch["changes"].items())
                lines.append(f"  ~ {key_text(ch['key'])}: {cells}")
            for kind, shown, total in (("added", r.added_rows, r.added), ("removed", r.removed_rows, r.removed),
                                       ("changed", r.changed_rows, r.changed)):
                note = shown_note(len(shown), total)
                if note:
                    lines.append(f"  ({kind}: {note}; use --limit or --format json for all)")
    if len(lines) == 1:
        lines.append("no changes.")
    return "\n".join(lines + verdict_lines(diff)) + "\n"


def md_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(diff: Diff) -> str:
    o, n = diff.old.package, diff.new.package
    out = [f"## Data changes: {o.name} {o.version} → {n.version}", "",
           f"Compared `{md_cell(diff.old.label)}` with `{md_cell(diff.new.label)}`. "
           f"Required version bump: **{diff.required_bump.upper()}**.", ""]
    changed = [td for td in diff.tables if td.status != "unchanged"]
    if changed:
        out += ["| table | status | added | removed | changed | schema changes |", "|---|---|---:|---:|---:|---|"]
        for td in changed:
            r = td.rows
            schema = "; ".join(f"{c.detail} ({c.bump})" for c in td.changes if not c.kind.startswith("rows-"))
            out.append(f"| `{td.name}` | {td.status} | {r.added if r else ''} | {r.removed if r else ''} | "
                       f"{r.changed if r else ''} | {md_cell(schema)} |")
        out.append("")
    else:
        out += ["No changes.", ""]
    for td in changed:
        r = td.rows
        if r is None or not (r.added_rows or r.removed_rows or r.changed_rows):
            continue
        out += [f"<details><summary><code>{td.name}</code>: {counts_line(td)}</summary>", ""]
        for label, rows in (("Added", r.added_rows), ("Removed", r.removed_rows)):
            if rows:
                out.append(f"{label}: " + ", ".join(f"`{row_key(row, r.key)}`" for row in rows))
                out.append("")
        if r.changed_rows:
            out += ["| key | column | old | new |", "|---|---|---|---|"]
            for ch in r.changed_rows:
                for col, (a, b) in ch["changes"].items():
                    out.append(f"| `{md_cell(key_text(ch['key']))}` | {col} | {md_cell(a)} | {md_cell(b)} |")
            out.append("")
        for kind, shown, total in (("added", r.added_rows, r.added), ("removed", r.removed_rows, r.removed),
                                   ("changed", r.changed_rows, r.changed)):
            note = shown_note(len(shown), total)
            if note:
                out += [f"_{kind}: {note}._", ""]
        out += ["</details>", ""]
    verdict = verdict_lines(diff)
    if verdict:
        out += ["**" + verdict[0] + "**"] + [v.strip() for v in verdict[1:]] + [""]
    return "\n".join(out)
