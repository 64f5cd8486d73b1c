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
output (each cell reads back as the same typed value) before anything is written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from brcd.edit.hash import update_hashes
from brcd.errors import BrcdError
from brcd.fsutil import atomic_write_bytes, read_regular
from brcd.package import Package, Resource

TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
INTEGER_RE = re.compile(r"^[+-]?[0-9]+$")
NUMBER_RE = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
NUMBER_SPECIALS = {"NaN", "INF", "-INF"}
# Beyond this exponent plain notation would be absurdly long: such a cell is kept as written.
MAX_PLAIN_EXPONENT = 60
NEEDS_QUOTES = re.compile(r'[,"\r\n]')


class _Unparsed:
    """Marker for a cell that does not parse as its field's type (kept verbatim)."""


UNPARSED = _Unparsed()


def missing_values(resource: Resource) -> list[str]:
    values = resource.schema.get("missingValues", [""])
    return [v for v in values if isinstance(v, str)] or [""]


def typed_value(fld: dict[str, Any], raw: str, missing: list[str]) -> Any:
    """The value a cell holds for its field: None when missing, UNPARSED when it does not
    parse as the type, else int / Decimal / bool / the string itself."""
    if raw in missing:
        return None
    ftype = fld.get("type", "string")
    if ftype == "integer":
        return int(raw) if INTEGER_RE.match(raw) else UNPARSED
    if ftype == "number":
        if raw in NUMBER_SPECIALS:
            return raw
        if not NUMBER_RE.match(raw):
            return UNPARSED
        try:
            return Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
            return UNPARSED
    if ftype == "boolean":
        if raw in fld.get("trueValues", TRUE_VALUES):
            return True
        if raw in fld.get("falseValues", FALSE_VALUES):
            return False
        return UNPARSED
    return raw


def format_number(value: Decimal) -> str | None:
    """Plain decimal notation without trailing zeros; None when the exponent is extreme."""
    if value == 0:
        return "0"
    if abs(value.adjusted()) > MAX_PLAIN_EXPONENT:
        return None
    text = format(value.normalize(), "f")
    return text


def canonical_cell(fld: dict[str, Any], raw: str, missing: list[str]) -> str:
    value = typed_value(fld, raw, missing)
    if value is None:
        return "" if "" in missing else missing[0]
    if value is UNPARSED:
        return raw
    ftype = fld.get("type", "string")
    if ftype == "integer":
        return str(value)
    if ftype == "number":
        if isinstance(value, str):  # NaN, INF, -INF
            return value
        return format_number(value) or raw
    if ftype == "boolean":
        return (fld.get("trueValues", TRUE_VALUES) if value else fld.get("falseValues", FALSE_VALUES))[0]
    return raw


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


def sort_key(resource: Resource, header: list[str], missing: list[str]):
    """Order by the typed primary key: missing first, then values, then unparsable cells."""
    idx = [(header.index(name), resource.field(name)) for name in resource.primary_key]

    def key(record: Record) -> tuple:
        out = []
        for i, fld in idx:
            value = typed_value(fld, record.cells[i], missing)
            if value is None:
                out.append((0, ""))
            elif value is UNPARSED or isinstance(value, str) and fld.get("type") == "number":
                out.append((2, record.cells[i]))
            else:
                out.append((1, value))
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
    missing = missing_values(resource)
    fields = resource.fields
    ordered = sorted(records, key=sort_key(resource, header, missing)) if resource.primary_key else list(records)
    position = {id(r): i for i, r in enumerate(records)}
    moved = rows_out_of_order([position[id(r)] for r in ordered])
    out = [render_row(header)]
    canonical: list[list[str]] = []
    rewritten = 0
    # Only typed fields (and other missing-value spellings) can change: skip the rest.
    typed_cols = [i for i, f in enumerate(fields)
                  if f.get("type", "string") in ("integer", "number", "boolean") or missing != [""]]
    for rec in ordered:
        cells = list(rec.cells)
        for i in typed_cols:
            cells[i] = canonical_cell(fields[i], cells[i], missing)
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
    same typed value as the cell it replaces."""
    header, after, _ = read_records(resource.path, new)
    missing = missing_values(resource)
    same = header == resource.field_names and [r.cells for r in after] == canonical
    for rec, cells in zip(ordered, canonical) if same else ():
        for fld, raw, cell in zip(resource.fields, rec.cells, cells):
            if raw != cell and _comparable(typed_value(fld, raw, missing), raw) != _comparable(
                    typed_value(fld, cell, missing), cell):
                same = False
    if not same:  # pragma: no cover - a bug guard, never reached by valid code
        raise BrcdError("fmt-not-lossless", "formatting would change a value; nothing was written.",
                        file=resource.path, hint="report this as a bug in brcd fmt, with the table attached.")


def _comparable(value: Any, raw: str) -> Any:
    if value is UNPARSED:
        return ("unparsed", raw)
    if isinstance(value, Decimal):
        return ("number", value.normalize() if value != 0 else Decimal(0))
    return (type(value).__name__, value)


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
