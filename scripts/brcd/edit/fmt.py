"""The canonical form of a table's CSV, so that diffs show only real changes.

Canonical means: UTF-8 without BOM, LF after every record, the header exactly as the schema
lists the fields, rows sorted by primary key (stable, so rows with equal keys keep their
order), blank lines dropped, a cell quoted only when it holds `,` `"` CR or LF, and
fixed number formats:

- integer: plain digits, no sign for positives, no leading zeros (`+007` -> `7`);
- number: plain decimal notation, no exponent, no trailing zeros, `0` for zero
  (`1.50` -> `1.5`, `2E+3` -> `2000`); `NaN`, `INF`, `-INF` stay as they are;
- boolean: the field's first `trueValues`/`falseValues` entry (`true` / `false` by default);
- a missing value: the empty cell.

Every other cell (strings, dates, and any cell that does not parse as its type) is kept
byte for byte: formatting never changes a value. `format_table` checks that on its own
output (each cell reads back as the same typed value) before anything is written. What a
cell means, and its canonical text, come from the field's model (`brcd.fields.Field`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brcd.edit.hash import update_hashes
from brcd.errors import BrcdError
from brcd.fields import Field, Unparsed, resource_fields
from brcd.fsutil import atomic_write_bytes, read_regular
from brcd.package import Package, Resource

NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def quote_cell(cell: str) -> str:
    """Minimal quoting. Python's csv writer leaves a lone CR unquoted when the line
    terminator is LF, which a reader then splits on, so the rule is written out here."""
    if NEEDS_QUOTES.search(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def render_row(cells: list[str]) -> str:
    if len(cells) == 1 and cells[0] == "":
        return '""\n'  # a lone empty cell must not read back as a blank line
    search = NEEDS_QUOTES.search  # quote_cell, inlined: this runs for every cell of a table
    return ",".join(['"' + c.replace('"', '""') + '"' if search(c) else c for c in cells]) + "\n"


@dataclass
class Record:
    """One parsed CSV record with the physical line it starts on (1-based)."""

    line: int
    cells: list[str]


def table_bytes(path: Path) -> bytes:
    """The bytes of a table file (a regular file only: see `fsutil.open_regular`)."""
    try:
        return read_regular(path)
    except FileNotFoundError:
        raise BrcdError("file-missing", "table file not found.", file=path,
                        hint="restore the file or fix the resource's `path` in datapackage.json.") from None
    except OSError as exc:
        raise BrcdError("file-unreadable", f"the table cannot be read: {exc.strerror}.", file=path,
                        hint="make the resource's `path` name a regular file inside the package.") from None


def read_records(path: Path, data: bytes | None = None) -> tuple[list[str], list[Record], str]:
    """Header, records and the decoded text of a CSV file. Blank lines are skipped.
    Raises BrcdError for undecodable text or broken quoting."""
    if data is None:
        data = table_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BrcdError("encoding-error", f"the file is not UTF-8 (byte {exc.start}).", file=path, line=line,
                        hint="save the file as UTF-8.") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[Record] = []
    start = 1
    try:
        for row in reader:
            if row:
                records.append(Record(start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BrcdError("csv-error", f"the CSV cannot be parsed: {exc}.", file=path, line=start,
                        hint="close the quoted cell that starts on this line (a quote inside a cell is written \"\").") from None
    if not records:
        raise BrcdError("header-missing", "the table has no header line.", file=path, line=1,
                        hint="the first line must list the schema's field names.")
    return records[0].cells, records[1:], text


ORDERED_TYPES = ("integer", "number", "boolean", "date", "datetime", "time", "year")


def sort_key(resource: Resource, header: list[str]):
    """Order by the typed primary key: missing first, then values, then unparsable cells."""
    models = {f.name: f for f in resource_fields(resource)}
    idx = [(header.index(name), models[name]) for name in resource.primary_key]

    def key(record: Record) -> tuple:
        out = []
        for i, fld in idx:
            raw = record.cells[i]
            try:
                value = fld.read(raw)
            except Unparsed:
                out.append((2, raw))
                continue
            if value is None:
                out.append((0, ""))
            elif fld.type == "number" and not value.is_finite():
                out.append((2, raw))
            else:
                out.append((1, value if fld.type in ORDERED_TYPES else fld.key(value) if fld.type != "string" else raw))
        return tuple(out)

    return key


def rows_out_of_order(positions: list[int]) -> int:
    """How many rows must move to reach the sorted order: all but the longest run of rows
    already in increasing order (so one misplaced row counts 1, not every row after it)."""
    import bisect

    tails: list[int] = []
    for p in positions:
        i = bisect.bisect_left(tails, p)
        if i == len(tails):
            tails.append(p)
        else:
            tails[i] = p
    return len(positions) - len(tails)


@dataclass
class TableFormat:
    """What formatting does to one table."""

    resource: str
    path: str
    old: bytes
    new: bytes
    rows_moved: int = 0
    cells_rewritten: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def first_difference_line(self) -> int:
        old_lines = self.old.decode("utf-8", "replace").split("\n")
        new_lines = self.new.decode("utf-8", "replace").split("\n")
        for i, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
            if a != b:
                return i
        return min(len(old_lines), len(new_lines))

    def describe(self) -> str:
        parts = []
        if self.rows_moved:
            parts.append(f"{self.rows_moved} row(s) out of primary-key order")
        if self.cells_rewritten:
            parts.append(f"{self.cells_rewritten} cell(s) not in canonical form")
        parts.extend(self.notes)
        return f"{self.path}: not in canonical form ({'; '.join(parts)})."


def format_table(resource: Resource) -> TableFormat:
    """Compute the canonical bytes of one table (nothing is written)."""
    path = resource.path
    old = table_bytes(path)
    header, records, _ = read_records(path, old)
    names = resource.field_names
    if header != names:
        raise BrcdError("header-mismatch", "the header does not list the schema's fields in order.", file=path,
                        line=1, hint=f"run `brcd validate` for details; `brcd fmt` only reformats tables whose "
                                     f"header is exactly: {','.join(names)}.")
    for rec in records:
        if len(rec.cells) != len(names):
            raise BrcdError("field-count", f"the row has {len(rec.cells)} cells, the header {len(names)}.",
                            file=path, line=rec.line,
                            hint="add or remove cells (a comma inside a value must be quoted) and run `brcd fmt` again.")
    fields = resource_fields(resource)
    ordered = sorted(records, key=sort_key(resource, header)) if resource.primary_key else list(records)
    position = {id(r): i for i, r in enumerate(records)}
    moved = rows_out_of_order([position[id(r)] for r in ordered])
    out = [render_row(header)]
    canonical: list[list[str]] = []
    rewritten = 0
    # Only typed fields (and other missing-value spellings) can change: skip the rest.
    typed_cols = [i for i, f in enumerate(fields) if f.type in ("integer", "number", "boolean") or f.missing_values != ("",)]
    for rec in ordered:
        cells = list(rec.cells)
        for i in typed_cols:
            cells[i] = fields[i].canonical(cells[i])
        rewritten += sum(1 for a, b in zip(cells, rec.cells) if a != b)
        canonical.append(cells)
        out.append(render_row(cells))
    new = "".join(out).encode("utf-8")
    check_lossless(resource, ordered, canonical, new)
    result = TableFormat(resource.name, resource.relpath, old, new, moved, rewritten)
    if old.startswith(b"\xef\xbb\xbf"):
        result.notes.append("byte-order mark")
    if old.count(b"\r\n") > new.count(b"\r\n"):
        result.notes.append("CRLF line endings")
    if result.changed and not (moved or rewritten or result.notes):
        result.notes.append("quoting, blank lines or the final newline")
    return result


def check_lossless(resource: Resource, ordered: list[Record], canonical: list[list[str]], new: bytes) -> None:
    """Refuse output whose cells do not read back as the same typed values: the new bytes
    must parse back to exactly the canonical cells, and every rewritten cell must hold the
    same logical value (the same key, see `Field.key`) as the cell it replaces."""
    header, after, _ = read_records(resource.path, new)
    fields = resource_fields(resource)
    same = header == resource.field_names and [r.cells for r in after] == canonical
    for rec, cells in zip(ordered, canonical) if same else ():
        for fld, raw, cell in zip(fields, rec.cells, cells):
            if raw != cell and _comparable(fld, raw) != _comparable(fld, cell):
                same = False
    if not same:  # pragma: no cover - a bug guard, never reached by valid code
        raise BrcdError("fmt-not-lossless", "formatting would change a value; nothing was written.",
                        file=resource.path, hint="report this as a bug in brcd fmt, with the table attached.")


def _comparable(fld: Field, raw: str) -> tuple:
    try:
        value = fld.read(raw)
    except Unparsed:
        return ("unparsed", raw)
    return ("missing",) if value is None else ("value", fld.key(value))


def format_package(package: Package, tables: list[str] | None = None) -> list[TableFormat]:
    """Canonical forms of the chosen tables (all by default), in descriptor order."""
    import gc

    resources = [package.resource(t) for t in tables] if tables else package.resources
    # Millions of small lists and no cycles: the cyclic collector only slows this down (~40%).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [format_table(r) for r in resources]
    finally:
        if enabled:
            gc.enable()


def write_formats(package: Package, results: list[TableFormat]) -> list[Any]:
    """Write the changed tables atomically, then bring `bytes`/`hash` in datapackage.json up
    to date (so `brcd fmt` leaves a package whose descriptor matches its files)."""

    for res in results:
        if res.changed:
            atomic_write_bytes(package.resource(res.resource).path, res.new)
    return update_hashes(package)
