"""Rows of a CSV file, in slices, with the physical line of every row.

Two readers give the same `Table`:
- `read_fast` (polars, vectorised), for a file without `\r`. It reads about `CHUNK_BYTES` at
  a time (a big file through one reused buffer, `FileSlices`, never whole). numpy finds the
  block's newlines and quote bytes: a line ends a record when the quotes seen so far are
  even, so a quoted cell holding newlines shifts later rows and the lines stay right. The
  block is cut after its last whole record and those records are parsed by polars as
  strict UTF-8; a slice that is not UTF-8 is searched for the bytes at fault
  (`encoding-error`, with line and field) and read with them replaced by U+FFFD. The cells of
  a record are counted without a second parse: a record of raw length L whose cells total
  C bytes has `L - C` commas, less its Q quote bytes plus the quotes its cells hold (a
  quoted cell has its quotes around it, and `""` for each `"`); only records with quotes
  out of place are searched for quotes inside cells.
- `read_exact` (Python's `csv` module): everything else, e.g. malformed quoting, or when
  polars and the line count disagree on a slice (`Fallback`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from brcd.report import Issue
from brcd.validate.collector import Collector

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from pathlib import Path

    from brcd.package import Resource

CHUNK_BYTES = 48 << 20
DECODE_CHUNK = 1 << 20
SCAN_CHUNK = 1 << 20


class Fallback(Exception):
    """The fast reader cannot vouch for a slice: read the table with the exact reader."""


def compact_fields(resource: "Resource") -> set[str]:
    """Fields kept for the key checks as polars Categoricals (a 4-byte code per row instead of
    a 16-byte string view, 100 MB less at a million rows): single-field foreign keys to another
    table, which repeat a few ids. Keys that must be unique stay strings."""
    unique = set(resource.primary_key) | {f["name"] for f in resource.fields
                                          if (f.get("constraints") or {}).get("unique")}
    return {fk["fields"][0] for fk in resource.foreign_keys
            if len(fk["fields"]) == 1 and fk["reference"]["resource"] != resource.name} - unique


def schema(resource: "Resource") -> dict:
    """Every cell is read as a string (null = empty); `cells.typed_frame` parses the types."""
    import polars as pl

    return {n: pl.Utf8 for n in resource.field_names}


@dataclass
class Slice:
    """What a reader gives for one slice of rows: the rows from row `offset` (cells as strings),
    per row its physical line, its cell count as written (0 an empty line, -1 unreadable) and
    whether it spans several lines (a quoted cell holds a newline); `empty` marks rows whose
    cells are all empty when the reader knows (else None); `issues` are the slice's
    `encoding-error`s, `found` their number (more than listed when the list was cut);
    `controls` is False when the reader knows no cell holds a control character."""

    offset: int
    frame: "pl.DataFrame"
    lines: np.ndarray
    cells: np.ndarray
    spans: np.ndarray
    empty: np.ndarray | None = None
    issues: list[Issue] = field(default_factory=list)
    found: int = 0
    controls: bool = True


@dataclass
class Table:
    """One table, read slice by slice (`chunks`): `frame` holds the rows of the slice being
    checked (from row `offset`), then, once all are checked (`finish`), the columns `keep` asked
    for, of every row. Per row read so far: its physical line (1-based), its cell count and
    whether its cells are checked (`row_ok`). Cells are strings (null = empty)."""

    resource: "Resource"
    source: Callable[[int | None], Iterator[Slice]] | None = None  # called with the report's limit
    exact_counts: bool = True  # False: a count above the header's only means "more"
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cells: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row_ok: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    multiline: bool = False    # some quoted cell holds a newline
    frame: "pl.DataFrame | None" = None
    offset: int = 0
    spans: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # of the rows in `frame`
    # kept column -> (rows spanning lines, newlines in the cells before the column), for
    # `line_of` once the slices are gone
    newlines_before: dict[str, Any] = field(default_factory=dict)
    fallback: Callable[[Collector], "Table"] | None = None  # the same file through `read_exact`
    ahead: "_Prefetch | None" = None  # slices being read already (`start`)

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def ok(self) -> np.ndarray:
        """row_ok of the rows in `frame`."""
        return self.row_ok[self.offset: self.offset + (self.frame.height if self.frame is not None else 0)]

    def chunks(self, out: Collector) -> Iterator["pl.DataFrame"]:
        """Each slice of rows in turn (in `frame`), after reporting its encoding errors and its
        blank and ragged rows."""
        width = len(self.resource.field_names)
        parts, self.ahead = self.ahead or _Prefetch(self.source(out.limit)), None
        for part in parts:
            self.frame, self.offset, self.spans = part.frame, part.offset, part.spans
            self.lines = np.concatenate([self.lines, part.lines])
            self.cells = np.concatenate([self.cells, part.cells])
            self.row_ok = np.concatenate([self.row_ok, part.cells == width])
            self.multiline |= bool(part.spans.any())
            if part.found:
                out.add_many(part.found, part.issues)
            report_rows(self, out, part.empty)
            if part.controls:
                report_controls(self, out)
            yield part.frame

    def start(self, limit: int | None) -> None:
        """Begin reading the first slice in a thread now (for `chunks` later, in a report
        limited to `limit` issues per check)."""
        if self.ahead is None:
            self.ahead = _Prefetch(self.source(limit))

    def keep(self, names: list[str], kept: list["pl.DataFrame"]) -> None:
        """Remember columns of the current slice (and, for rows whose cells hold newlines, how
        many come before each kept column, for `line_of` once the slice is gone)."""
        import polars as pl

        compact = compact_fields(self.resource)
        kept.append(self.frame.select(pl.col(n).cast(pl.Categorical) if n in compact else pl.col(n) for n in names))
        rows = np.flatnonzero(self.spans)
        if not len(rows):
            return
        every = self.resource.field_names
        part = self.frame[rows]
        counts = part.select(_newlines(part, n).alias(n) for n in every)
        for name in names:
            before = every[: every.index(name)]
            value = counts.select(pl.sum_horizontal(before) if before else pl.lit(0)).to_series().to_numpy()
            self.newlines_before.setdefault(name, []).append((self.offset + rows, value))

    def finish(self, kept: list["pl.DataFrame"]) -> None:
        import polars as pl

        self.frame = pl.concat(kept, rechunk=False) if kept else None
        self.offset = 0
        self.newlines_before = {name: (np.concatenate([r for r, _ in parts]), np.concatenate([v for _, v in parts]))
                                for name, parts in self.newlines_before.items()}

    def line_of(self, row: int, column: int | None = None) -> int:
        """Physical line of a row of `frame`, or of one of its cells (0-based column)."""
        line = int(self.lines[self.offset + row])
        if self.multiline and column:
            name = self.resource.field_names[column]
            if self.frame is not None and self.frame.width < len(self.resource.field_names):
                rows, values = self.newlines_before.get(name, (None, None))
                if isinstance(rows, np.ndarray) and len(rows):
                    i = int(np.searchsorted(rows, self.offset + row))
                    if i < len(rows) and rows[i] == self.offset + row:
                        return line + int(values[i])
                return line
            for value in self.frame.row(row)[:column]:
                if isinstance(value, str):
                    line += value.count("\n")
        return line

    def issue(self, code: str, row: int, field: str | None, message: str, value: Any = None) -> Issue:
        """An issue at row `row` of `frame`."""
        names = self.resource.field_names
        col = names.index(field) if field in names else None
        return Issue(code, self.name, self.resource.relpath, line=self.line_of(row, col), row=self.offset + row + 1,
                     field=field, column=None if col is None else col + 1,
                     value=None if value is None else str(value), message=message)


class _Prefetch:
    """The items of `items`, the next one made in a thread while the caller works on the
    current one (polars parses without the GIL: the checks of a slice use the other core).
    The first item is begun at once. An exception of `items` is raised where its item would
    have come."""

    _DONE = object()

    def __init__(self, items: Iterator[Any]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.items = items
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brcd-parse")
        self.ahead = self.pool.submit(next, items, self._DONE)

    def __iter__(self) -> Iterator[Any]:
        try:
            while True:
                item = self.ahead.result()
                if item is self._DONE:
                    return
                self.ahead = self.pool.submit(next, self.items, self._DONE)
                yield item
        finally:
            self.pool.shutdown(wait=True)


def _newlines(frame: "pl.DataFrame", name: str) -> "pl.Expr":
    import polars as pl

    return pl.col(name).str.count_matches("\n", literal=True).fill_null(0).cast(pl.Int64)


class FileSlices:
    """A file too big to hold whole, read a slice at a time into one reused buffer (fresh
    memory for every slice would cost a page fault per 4 KiB: a third of a second of system
    time for 300 MB read three ways)."""

    def __init__(self, path: "Path", size: int) -> None:
        self.path, self.size = path, size

    def __len__(self) -> int:
        return self.size

    @contextmanager
    def reader(self) -> Iterator[Callable[[int, int], memoryview]]:
        """`read(pos, n)`: a view of bytes pos..pos+n, valid until the next read. A carriage
        return in them raises `Fallback` (the exact reader reports line endings)."""
        buf = bytearray()
        with open(self.path, "rb", buffering=0) as f:
            def read(pos: int, n: int) -> memoryview:
                n = max(0, min(n, self.size - pos))
                if len(buf) < n:
                    buf.extend(bytes(n - len(buf)))
                f.seek(pos)
                got = f.readinto(memoryview(buf)[:n])
                if buf.find(b"\r", 0, got) >= 0:
                    raise Fallback("a carriage return")
                return memoryview(buf)[:got]

            yield read


@contextmanager
def _reader(raw: "bytes | FileSlices") -> Iterator[Callable[[int, int], memoryview]]:
    if isinstance(raw, FileSlices):
        with raw.reader() as read:
            yield read
    else:
        view = memoryview(raw)
        yield lambda pos, n: view[pos: pos + n]


def scan_utf8(raw: bytes, first_line: int, resource: "Resource",
              limit: int | None) -> tuple[int, list[Issue], list[tuple[int, int, int]]]:
    """Each byte sequence of `raw` that is not UTF-8 (the decoder resumes on the next line):
    (how many, the first `limit` as `encoding-error`s with their line and, from the bytes
    before it, their field, and per line of `raw` that holds one: its 0-based number and
    the offsets of its first byte and of its end, before the newline). `first_line`: the
    file's line number of the first line of `raw`."""
    view = memoryview(raw)
    pos, line, counted_to = 0, 0, 0
    found, shown, bad_lines = 0, [], []
    while pos < len(raw):
        # decode about a megabyte at a time, cut after a newline (never inside a character):
        # a decoding error copies the bytes it was given
        nl = raw.find(b"\n", pos + DECODE_CHUNK)
        end = len(raw) if nl < 0 else nl + 1
        try:
            codecs.utf_8_decode(view[pos:end], "strict", True)
            pos = end
            continue
        except UnicodeDecodeError as exc:
            bad = pos + exc.start
        line += raw.count(b"\n", counted_to, bad)
        counted_to = bad
        start = raw.rfind(b"\n", 0, bad) + 1
        nl = raw.find(b"\n", bad)
        bad_lines.append((line, start, len(raw) if nl < 0 else nl))
        found += 1
        if limit is None or len(shown) < limit:
            at = first_line + line
            issue = Issue("encoding-error", resource.name, resource.relpath, line=at,
                          message=f"byte 0x{raw[bad]:02x} at byte {bad - start + 1} of line {at} is not UTF-8.")
            _field_of(raw[start:bad], resource, issue)
            shown.append(issue)
        if nl < 0:
            break
        pos = nl + 1
    return found, shown, bad_lines


def _field_of(prefix: bytes, resource: "Resource", issue: Issue) -> None:
    """Name the field of an encoding error from the line's bytes before it (quotes respected)."""
    commas, quoted = 0, False
    for b in prefix:
        if b == 0x22:
            quoted = not quoted
        elif b == 0x2C and not quoted:
            commas += 1
    if commas < len(resource.field_names):
        issue.field = resource.field_names[commas]
        issue.column = commas + 1


def _lines(block: memoryview, last: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per complete line of `block` (the final line without its newline counts only when the
    block ends the file): the byte offset of its start, its length without the newline, its
    number of quote bytes, how many of those are not where quoting puts them (`block`
    starts a record, so its odd quotes open a cell, right after a comma or a line end, and
    its even ones close it, right before one), and how many of those are not a doubled
    quote inside a quoted cell either (`""`, a close and an open side by side): a quote
    the csv module may read otherwise (literally, in a cell not quoted) or refuse (a
    `csv-error`). A line whose quotes are all in place has no quote inside a cell. Scanned
    a megabyte at a time, so the comparisons stay in cache and need no fresh memory."""
    a = np.frombuffer(block, dtype=np.uint8)
    ends, quotes = [], []
    for pos in range(0, len(a), SCAN_CHUNK):
        part = a[pos: pos + SCAN_CHUNK]
        # one search for both bytes: b | 0x28 == 0x2A holds for \n and " (and for 0x02 and
        # "*", told apart next)
        hits = np.flatnonzero((part | 0x28) == 0x2A)
        found = part[hits]
        ends.append(hits[found == 10] + pos)
        quotes.append(hits[found == 34] + pos)
    ends = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    quotes = np.concatenate(quotes) if quotes else np.zeros(0, dtype=np.int64)
    if last and len(a) and (not len(ends) or ends[-1] != len(a) - 1):
        ends = np.append(ends, len(a))
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64) if len(ends) else np.zeros(0, dtype=np.int64)
    n = len(ends)
    q = np.zeros(n, dtype=np.int64)
    astray = np.zeros(n, dtype=np.int64)
    suspect = astray
    if len(quotes):
        at = np.searchsorted(ends, quotes)
        q = np.bincount(at, minlength=n + 1)[:n].astype(np.int64)
        before = a[np.maximum(quotes - 1, 0)]
        after = a[np.minimum(quotes + 1, len(a) - 1)]
        opens = (quotes == 0) | (before == 44) | (before == 10)
        closes = (after == 44) | (after == 10) | ((quotes == len(a) - 1) & last)
        odd = np.arange(len(quotes)) % 2 == 1
        wrong = np.where(odd, ~closes, ~opens)
        if wrong.any():
            astray = np.bincount(at[wrong], minlength=n + 1)[:n].astype(np.int64)
            # a doubled quote: a close (odd index) with the next quote right after it
            pair = odd[:-1] & (np.diff(quotes) == 1)
            doubled = np.zeros(len(quotes), dtype=bool)
            doubled[:-1] |= pair
            doubled[1:] |= pair
            odd_ones = np.flatnonzero(wrong & ~doubled)
            suspect = np.bincount(at[odd_ones], minlength=n + 1)[:n].astype(np.int64) if len(odd_ones) else \
                np.zeros(n, dtype=np.int64)
    return starts, (ends - starts).astype(np.int64), q, astray, suspect


def read_fast(raw: "bytes | FileSlices", resource: "Resource") -> Table | None:
    """The vectorised reader (see the module's text), or None when the file holds a `\r`
    (the exact reader handles line endings). A big file (`FileSlices`) is checked for `\r` a
    slice at a time: one found raises `Fallback`."""
    if isinstance(raw, bytes) and raw.find(b"\r") >= 0:
        return None

    def source(limit: int | None) -> Iterator[Slice]:
        pos, line, offset = 0, 1, 0
        with _reader(raw) as read:
            while pos < len(raw):
                block, last, found_lines = _block(read, pos, len(raw))
                part = _slice(block, last, found_lines, line, offset, header=not pos, resource=resource, limit=limit)
                block = None  # the reader's buffer may grow on the next read: no view of it may be held
                if part is None:  # the file ended before its size said (cut short meanwhile)
                    break
                stop, lines, part = part
                if part is not None:
                    yield part
                    offset += part.frame.height
                line += lines
                pos += stop
        if not offset:  # a header and no rows: one empty slice, as the exact reader gives
            import polars as pl

            none = np.zeros(0, dtype=np.int64)
            yield Slice(0, pl.DataFrame(schema=schema(resource)), none, none, none.astype(bool), none.astype(bool))

    return Table(resource, source=source, exact_counts=False)


def _block(read: Callable[[int, int], memoryview], pos: int, size: int) -> tuple[memoryview, bool, tuple]:
    """About `CHUNK_BYTES` from `pos`, more when that holds no whole record; whether it ends
    the file; its `_lines`. A record longer than the block with a quote out of place (a
    stray quote would make the rest of the file one record) is left to the exact reader
    (`Fallback`), not read into memory to the end of the file."""
    want = CHUNK_BYTES
    while True:
        block = read(pos, want)
        last = len(block) < want or pos + len(block) >= size  # (a file cut short meanwhile ends here)
        found = _lines(block, last)
        if last or (np.cumsum(found[2]) % 2 == 0).any():
            return block, last, found
        block = None  # the reader's buffer may have to grow: no view of it may be held
        if found[4].any():
            raise Fallback("a quote out of place opens a record longer than a slice")
        want *= 2


def _slice(block: memoryview, last: bool, found_lines: tuple, line: int, offset: int, *, header: bool,
           resource: "Resource", limit: int | None) -> "tuple[int, int, Slice | None] | None":
    """The whole records of `block` (the first one the header when `header`), parsed: (bytes
    and lines they take, their `Slice`, None when only the header was there), or None when
    `block` is empty. `found_lines`: its `_lines`; `line`: the file's line at the start of
    `block`; `offset`: the row there."""
    starts, length, q, astray, suspect = found_lines
    if not len(starts):
        return None
    ends = np.cumsum(q) % 2 == 0
    if last and not ends[-1]:
        raise Fallback("a quoted cell is still open where the file ends")  # a csv-error
    take = len(starts) if last else int(np.flatnonzero(ends)[-1]) + 1  # lines of whole records
    starts, length, q, astray, suspect, ends = \
        starts[:take], length[:take], q[:take], astray[:take], suspect[:take], ends[:take]
    stop = min(len(block), int(starts[-1] + length[-1]) + 1)
    rec = np.concatenate([[0], np.cumsum(ends)[:-1]])  # record of each line
    first = np.flatnonzero(np.diff(rec, prepend=-1))  # first line of each record
    per = np.diff(np.append(first, take))  # lines of each record
    begin = 1 if header else 0
    rows = len(first) - begin
    rec_suspect = np.bincount(rec, weights=suspect).astype(np.int64)
    if header and rec_suspect[0]:
        raise Fallback("a quote out of place in the header")
    if not rows:
        return stop, take, None
    data = bytes(block[int(starts[first[begin]]): stop])
    first_line = line + int(first[begin])
    lines, spans = line + first[begin:].astype(np.int64), per[begin:] > 1
    # a quote out of place, or a BOM at the slice's start (which polars would drop): the slice
    # is read by the csv module
    if rec_suspect[begin:].any() or data.startswith(codecs.BOM_UTF8):
        found, issues, _ = scan_utf8(data, first_line, resource, limit) if not data.isascii() else (0, [], [])
        frame, cells = _csv_slice(data, resource.field_names, per[begin:])
        return stop, take, Slice(offset, frame, lines, cells, spans, None, issues, found)
    frame, found, issues, bad = _parse_slice(data, first_line, resource, limit)
    if found:  # the lines holding bytes that are not UTF-8 were read with them replaced
        length = length.copy()
        length[np.asarray([at for at, _ in bad], dtype=np.int64) + int(first[begin])] = [n for _, n in bad]
    if frame.height != rows:
        raise Fallback(f"{frame.height} rows where the lines make {rows}")
    rec_len = (np.bincount(rec, weights=length).astype(np.int64) + per - 1)[begin:]
    rec_q = np.bincount(rec, weights=q).astype(np.int64)[begin:]
    rec_astray = np.bincount(rec, weights=astray).astype(np.int64)[begin:]
    cells, empty = _cell_counts(frame, resource.field_names, rec_len, rec_q, rec_astray)
    return stop, take, Slice(offset, frame, lines, cells, spans, empty, issues, found,
                             controls=_may_hold_controls(data))


def _csv_slice(data: bytes, names: list[str], per: np.ndarray) -> tuple["pl.DataFrame", np.ndarray]:
    """The records of `data` read by the csv module, as the exact reader reads them (a quote
    out of place may be read literally, in a cell not quoted, where polars may read it
    otherwise): (frame, cell counts). Unless the csv module finds the same records, each
    taking the lines in `per`, the file is the exact reader's (`Fallback`: a stray quote
    joins or splits records otherwise, or is a `csv-error`)."""
    reader = csv.reader(exact_lines(data), strict=True)
    rows, ends = [], []
    try:
        for rec in reader:
            rows.append(rec)
            ends.append(reader.line_num)
    except csv.Error:
        raise Fallback("quoting the csv module refuses") from None
    if ends != np.cumsum(per).tolist():
        raise Fallback("a stray quote: the csv module reads other records")
    cells = np.minimum(np.asarray([len(r) for r in rows], dtype=np.int64), len(names) + 1)
    return string_frame(rows, names), cells


# Control characters in text: C0 but tab and newline (a CR is a line-ending issue), DEL, C1,
# and the bidirectional embeddings, overrides and isolates that reorder what a reader sees
# ("Trojan Source"). The bytes of the slice are looked at first (most slices hold none).
CONTROL_RE = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "backspace", 0x0B: "vertical tab", 0x0C: "form feed", 0x1B: "ESC",
                 0x7F: "DEL"}
_LEADS = bytes(range(0, 9)) + bytes(range(11, 32)) + b"\x7f\xc2\xe2"  # C0, DEL; C1 and bidi start \xc2, \xe2
_NOT_LEADS = bytes(sorted(set(range(256)) - set(_LEADS)))
_C1_OR_BIDI = re.compile(rb"\xc2[\x80-\x9f]|\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")


def _may_hold_controls(data: bytes) -> bool:
    leads = data.translate(None, _NOT_LEADS)
    if not leads:
        return False
    return bool(leads.translate(None, b"\xc2\xe2")) or _C1_OR_BIDI.search(data) is not None


def describe_control(text: str) -> str:
    """The first control character of `text` (`CONTROL_RE`), named, with its position."""
    m = re.search(CONTROL_RE, text)
    if m is None:  # pragma: no cover - called for cells that hold one
        return "a control character"
    ch = m.group()
    name = CONTROL_NAMES.get(ord(ch)) or unicodedata.name(ch, "") or "a control character"
    return f"U+{ord(ch):04X} ({name}) at character {m.start() + 1}"


def report_controls(table: Table, out: Collector) -> None:
    """`control-character`: text cells of the current slice holding a control character
    (`CONTROL_RE`; tab and newline are text). Cells of other types fail their type."""
    import polars as pl

    frame = table.frame
    names = [f["name"] for f in table.resource.fields if f.get("type", "string") in ("string", "any")]
    if not names or not frame.height:
        return
    hits = frame.select(pl.col(n).str.contains(CONTROL_RE).fill_null(False) for n in names)
    for name in names:
        rows = np.flatnonzero(hits[name].to_numpy())
        out.add_rows(len(rows), rows, lambda r, name=name: table.issue(
            "control-character", r, name,
            f"{frame[name][r]!r} holds {describe_control(frame[name][r])}, a control character"
            " that is invisible or changes how the text around it is shown.", frame[name][r]))


def _parse_slice(data: bytes, first_line: int, resource: "Resource",
                 limit: int | None) -> tuple["pl.DataFrame", int, list[Issue], list[tuple[int, int]]]:
    """The records of `data` as strings: (frame, how many byte sequences are not UTF-8, their
    first `limit` `encoding-error`s, and per line of `data` that holds one, its 0-based number
    and its length once they are replaced). ASCII is UTF-8; other text is searched for bytes
    that are not (a tenth of a second per 300 MB) before polars reads it."""
    found, issues, bad = 0, [], []
    if not data.isascii():
        found, issues, spans = scan_utf8(data, first_line, resource, limit)
        if spans:
            data, lengths = _replaced(data, spans)
            bad = [(at, n) for (at, _, _), n in zip(spans, lengths)]
    try:
        frame = _parse(data, schema(resource))
    except Exception as exc:  # noqa: BLE001 - quoting polars refuses
        raise Fallback(f"polars cannot read the slice: {exc}") from None
    return frame, found, issues, bad


def _replaced(data: bytes, spans: list[tuple[int, int, int]]) -> tuple[bytes, list[int]]:
    """`data` with each byte sequence that is not UTF-8, in the lines at `spans` (number,
    start, end), replaced by U+FFFD (Python's "replace" and polars' "utf8-lossy" both follow
    Unicode's maximal subparts: one per sequence), and the new length of each of those lines.
    Cheaper than a lossy parse, which decodes the whole slice again."""
    view = memoryview(data)
    parts, lengths, pos = [], [], 0
    for _, start, end in spans:
        line = codecs.utf_8_decode(view[start:end], "replace", True)[0].encode()
        parts += [view[pos:start], line]
        lengths.append(len(line))
        pos = end
    parts.append(view[pos:])
    return b"".join(parts), lengths


def _parse(data: bytes, dtypes: dict) -> "pl.DataFrame":
    import polars as pl

    frame = pl.read_csv(data, has_header=False, schema=dtypes, missing_columns="insert", extra_columns="ignore",
                        truncate_ragged_lines=True)
    # a quoted empty cell (`""`) is read as "": it is an empty cell (null), as the csv module
    # reads it (cheaper than polars' null_values, which compares every cell as it parses)
    quoted = frame.select((pl.col(n).str.len_bytes() == 0).any() for n in frame.columns).row(0)
    empty = [n for n, any_empty in zip(frame.columns, quoted) if any_empty]
    return frame.with_columns(pl.when(pl.col(n) != "").then(pl.col(n)).alias(n) for n in empty) if empty else frame


def _cell_counts(frame: "pl.DataFrame", names: list[str], rec_len: np.ndarray, rec_q: np.ndarray,
                 rec_astray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells of each record as written, from its raw length and quote bytes (see the module's
    text), and whether all its cells are empty. Only a record with quotes out of place
    (`_lines`) can hold a quote inside a cell: only its cells are searched for one."""
    import polars as pl

    width = len(names)
    content = frame.select(pl.sum_horizontal(
        pl.col(c).str.len_bytes().fill_null(0) for c in names)).to_series().cast(pl.Int64).to_numpy()
    cells = rec_len - content + 1  # records without quotes: every other byte is a comma
    cells -= rec_q  # a quoted cell has its quotes around it and doubled inside...
    inside = np.flatnonzero(rec_astray)
    if len(inside):  # ...and each quote inside it counts once as content
        inner = frame[inside].select(pl.sum_horizontal(
            pl.col(c).str.count_matches('"', literal=True).fill_null(0) for c in names)).to_series()
        cells[inside] += inner.cast(pl.Int64).to_numpy()
    cells[rec_len == 0] = 0
    # extra cells were cut off by polars, their text counted as commas: only "more" is known
    cells[cells > width] = width + 1
    return cells, content == 0


def exact_lines(raw: bytes) -> Iterator[str]:
    """The lines the exact reader parses, one at a time (the csv module asks for more while a
    quoted cell is open): bytes that are not UTF-8 replaced (U+FFFD), CRLF read as LF. Lines
    are counted at "\n"; a lone "\r" (reported with the line endings) must not end a record
    for the csv module either, so it stands in a cell as U+FFFD."""
    for line in io.BytesIO(raw):
        text = line.decode("utf-8", errors="replace")
        yield text.replace("\r\n", "\n").replace("\r", "\ufffd") if "\r" in text else text


def string_frame(rows: list[list[str]], names: list[str]) -> "pl.DataFrame":
    """Records read by the csv module as a frame of strings: cut or padded to the header's
    width, an empty cell null."""
    import polars as pl

    width = len(names)
    padded = [(r + [""] * width)[:width] for r in rows]
    cols = list(zip(*padded)) if padded else [() for _ in names]
    return pl.DataFrame({n: pl.Series(n, list(c), dtype=pl.Utf8) for n, c in zip(names, cols)}) \
        .with_columns(pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in names)


EXACT_ROWS = 100_000  # rows per slice of the exact reader


def read_exact(raw: bytes, resource: "Resource") -> Table:
    """The exact reader: Python's csv module, strict quoting, a slice of `EXACT_ROWS` rows at
    a time (a big file with a stray quote is read without a Python string per cell of the
    whole table); a record it cannot read is a `csv-error` at its first line."""
    names = resource.field_names

    def source(limit: int | None) -> Iterator[Slice]:
        reader = csv.reader(exact_lines(raw), strict=True)
        start, offset, header = 1, 0, True
        rows: list[list[str]] = []
        lines: list[int] = []
        cells: list[int] = []
        bad, shown = 0, []

        def part(end: int) -> Slice:
            starts = np.asarray(lines + [end], dtype=np.int64)
            return Slice(offset, string_frame(rows, names), starts[:-1], np.asarray(cells, dtype=np.int64),
                         np.diff(starts) > 1, None, shown, bad)

        while True:
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                bad += 1
                if limit is None or len(shown) < limit:
                    shown.append(Issue("csv-error", resource.name, resource.relpath, line=start,
                                       row=offset + len(rows) + (0 if header else 1),
                                       message=f"the row cannot be read as CSV ({exc}); a quoted cell must end with"
                                               " a quote followed by a comma or the line end."))
                rec = None
            if header:  # checked already (`structure`)
                header = False
            else:
                rows.append(rec or [])
                lines.append(start)
                cells.append(-1 if rec is None else len(rec))
            start = reader.line_num + 1
            if len(rows) == EXACT_ROWS:
                yield part(start)
                offset += len(rows)
                rows, lines, cells, bad, shown = [], [], [], 0, []
        if rows or not offset:
            yield part(start)

    return Table(resource, source=source)


def report_rows(table: Table, out: Collector, empty: np.ndarray | None = None) -> None:
    """Blank rows, rows with too few or too many cells, in the current slice. `empty`: rows
    whose cells are all empty, when the reader knows (else found here)."""
    import polars as pl

    frame, lo = table.frame, table.offset
    cells = table.cells[lo: lo + frame.height]
    width = len(table.resource.field_names)
    if empty is None:
        empty = frame.select(pl.all_horizontal(pl.all().is_null())).to_series().to_numpy() if frame.height \
            else np.zeros(0, dtype=bool)
    blank = (cells == 0) | ((cells == width) & empty)
    table.row_ok[lo: lo + frame.height] &= ~blank
    rows = np.flatnonzero(blank)
    out.add_rows(len(rows), rows, lambda r: table.issue("blank-row", r, None, "the row is empty."))
    for code, mask in (("missing-cell", (cells > 0) & (cells < width)), ("extra-cell", cells > width)):
        rows = np.flatnonzero(mask)

        def make(r: int, code: str = code) -> Issue:
            n = int(cells[r])
            if code == "missing-cell":
                name = table.resource.field_names[n]
                msg = f"the row has {n} cells, the header {width}: {name!r} and the columns after it are missing."
                return table.issue(code, r, name, msg)
            msg = (f"the row has {n} cells, the header {width}." if table.exact_counts
                   else f"the row has more cells than the header ({width}).")
            issue = table.issue(code, r, None, msg)
            issue.column = width + 1
            return issue

        out.add_rows(len(rows), rows, make)
