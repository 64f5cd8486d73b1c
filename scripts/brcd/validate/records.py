"""Rows of a CSV file, in chunks, with the physical line of every row.

Two readers give the same `Table`:
- `read_fast` (polars, vectorised): when the file has no `\\r` and a byte free to use as a
  separator. A first pass reads the physical lines (in 16 MiB slices) for their length and
  number of quotes: a line ends a record when the quotes seen so far are even, so a quoted
  cell holding newlines shifts later rows and `Table.lines` stays right. The rows are then
  parsed in slices of about `CHUNK_BYTES`, cut at record starts, so memory holds one slice of
  full rows at a time. The cells of a record are counted without a second parse: a record
  of raw length L whose cells total C bytes has `L - C` commas, less its Q quote bytes plus
  the quotes its cells hold (a quoted cell has its quotes around it, and `""` for each `"`).
  A big file is read through a memory map (see `structure.open_bytes`) whose pages are let
  go once each slice is parsed.
- `read_exact` (Python's `csv` module): everything else, e.g. malformed quoting, or when
  polars and the line pass disagree on a slice (`Fallback`).
"""

from __future__ import annotations

import csv
import io
import mmap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from brcd.report import Issue
from brcd.validate.collector import Collector

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from brcd.package import Resource

SEPARATORS = ("\x1f", "\x1e", "\x1d", "\x1c", "\x01")
LINE_CHUNK = 16 << 20
CHUNK_BYTES = 48 << 20


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
class Table:
    """One table: per row its line, cell count and whether its cells are checked; `frame` holds
    the rows of the slice being checked (from row `offset`), then, once all are checked, the
    columns `keep` asked for, of every row. Cells are strings (null = empty)."""

    resource: "Resource"
    lines: np.ndarray          # physical line (1-based) where each row starts
    cells: np.ndarray          # cells in each row as written (0 an empty line, -1 unreadable)
    multiline: bool            # some quoted cell holds a newline
    exact_counts: bool = True  # False: a count above the header's only means "more"
    source: Callable[[], Iterator[tuple[int, "pl.DataFrame", np.ndarray, np.ndarray | None]]] | None = None
    frame: "pl.DataFrame | None" = None
    offset: int = 0
    row_ok: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    newlines_before: dict[str, np.ndarray] = field(default_factory=dict)
    fallback: Callable[[Collector], "Table"] | None = None  # the same file through `read_exact`

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def ok(self) -> np.ndarray:
        """row_ok of the rows in `frame`."""
        return self.row_ok[self.offset: self.offset + (self.frame.height if self.frame is not None else 0)]

    def chunks(self, out: Collector) -> Iterator["pl.DataFrame"]:
        """Each slice of rows in turn (in `frame`), after reporting its blank and ragged rows."""
        width = len(self.resource.field_names)
        self.row_ok = np.zeros(len(self.lines), dtype=bool)
        for offset, frame, cells, empty in _prefetch(self.source()):
            self.frame, self.offset = frame, offset
            self.cells[offset: offset + len(cells)] = cells
            self.row_ok[offset: offset + len(cells)] = cells == width
            report_rows(self, out, empty)
            yield frame

    def keep(self, names: list[str], kept: list["pl.DataFrame"]) -> None:
        """Remember columns of the current slice (and, when cells hold newlines, how many come
        before each, for `line_of` once the slice is gone)."""
        import polars as pl

        compact = compact_fields(self.resource)
        kept.append(self.frame.select(pl.col(n).cast(pl.Categorical) if n in compact else pl.col(n) for n in names))
        if self.multiline:
            every = self.resource.field_names
            for name in names:
                self.newlines_before.setdefault(name, np.zeros(len(self.lines), dtype=np.int64))
            # only a record that spans lines has a cell holding a newline: count those rows alone
            # (the table's last row may end without its line end: always counted)
            lo, hi = self.offset, self.offset + self.frame.height
            span = np.diff(self.lines[lo: hi + 1]) > 1
            rows = np.flatnonzero(np.concatenate([span, np.ones(hi - lo - len(span), dtype=bool)]))
            if not len(rows):
                return
            part = self.frame[rows]
            counts = part.select(_newlines(part, n).alias(n) for n in every)
            for name in names:
                before = every[: every.index(name)]
                value = counts.select(pl.sum_horizontal(before) if before else pl.lit(0)).to_series().to_numpy()
                self.newlines_before[name][lo + rows] = value

    def finish(self, kept: list["pl.DataFrame"]) -> None:
        import polars as pl

        self.frame = pl.concat(kept, rechunk=False) if kept else None
        self.offset = 0

    def line_of(self, row: int, column: int | None = None) -> int:
        """Physical line of a row of `frame`, or of one of its cells (0-based column)."""
        line = int(self.lines[self.offset + row])
        if self.multiline and column:
            name = self.resource.field_names[column]
            if name in self.newlines_before and self.frame is not None and self.frame.width < len(self.resource.field_names):
                return line + int(self.newlines_before[name][self.offset + row])
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


def _prefetch(items: Iterator[Any]) -> Iterator[Any]:
    """The items of `items`, the next one made in a thread while the caller works on the
    current one (polars parses without the GIL: the checks of a slice use the other core).
    An exception of `items` is raised where its item would have come."""
    from concurrent.futures import ThreadPoolExecutor

    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="brcd-parse") as pool:
        ahead = pool.submit(next, items, done)
        while True:
            item = ahead.result()
            if item is done:
                return
            ahead = pool.submit(next, items, done)
            yield item


def _newlines(frame: "pl.DataFrame", name: str) -> "pl.Expr":
    import polars as pl

    return pl.col(name).str.count_matches("\n", literal=True).fill_null(0).cast(pl.Int64)


def release(raw: "bytes | mmap.mmap", start: int, stop: int) -> None:
    """Let the kernel drop the pages of a mapped file's bytes start..stop once read (the file
    stays in the page cache: a later read maps it again), so a big table's file does not stay
    in the process's memory while its rows are checked."""
    if isinstance(raw, mmap.mmap):
        start -= start % mmap.PAGESIZE
        if stop > start:
            raw.madvise(mmap.MADV_DONTNEED, start, min(stop, len(raw)) - start)


def _line_stats(raw: bytes, sep: str, encoding: str, clean: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per physical line: length (as decoded), number of quotes, and byte offset of its start."""
    import polars as pl

    lengths, quotes, starts = [], [], []
    pos = 0
    while pos < len(raw):
        nl = raw.find(b"\n", pos + LINE_CHUNK)
        end = len(raw) if nl < 0 else nl + 1
        lines = pl.read_csv(raw[pos:end], has_header=False, separator=sep, quote_char=None, schema={"l": pl.Utf8},
                            empty_string_is_null=False, encoding=encoding)["l"]
        length = lines.str.len_bytes().cast(pl.Int64).to_numpy()
        q = np.zeros(len(lines), dtype=np.int64)
        qidx = np.flatnonzero(lines.str.contains('"', literal=True).to_numpy())
        q[qidx] = lines.gather(qidx).str.count_matches('"', literal=True).to_numpy()
        if clean:
            start = pos + np.concatenate([[0], np.cumsum(length + 1)[:-1]])
        else:  # decoded lengths differ from bytes where a byte is not UTF-8: find the newlines
            block = np.frombuffer(raw, dtype=np.uint8, count=end - pos, offset=pos)
            start = pos + np.concatenate([[0], np.flatnonzero(block == 10)[: len(lines) - 1] + 1])
        release(raw, pos, end)
        lengths.append(length)
        quotes.append(q)
        starts.append(start)
        pos = end
    if not lengths:
        return (np.zeros(0, dtype=np.int64),) * 3
    return np.concatenate(lengths), np.concatenate(quotes), np.concatenate(starts)


def read_fast(raw: bytes, resource: "Resource", encoding: str, clean: bool) -> Table | None:
    import polars as pl

    if raw.find(b"\r") >= 0:
        return None
    sep = next((s for s in SEPARATORS if raw.find(s.encode()) < 0), None)
    if sep is None:
        return None
    try:
        length, q, line_start = _line_stats(raw, sep, encoding, clean)
    except Exception:  # noqa: BLE001
        return None
    n = len(length)
    if n < 2:
        return None
    multiline = bool((q % 2).any())
    if multiline:
        ends = np.cumsum(q) % 2 == 0
        rec = np.concatenate([[0], np.cumsum(ends)[:-1]])
        first = np.flatnonzero(np.diff(rec, prepend=-1))
        per = np.diff(np.append(first, n))
        rec_len = np.bincount(rec, weights=length).astype(np.int64) + per - 1
        rec_q = np.bincount(rec, weights=q).astype(np.int64)
    else:
        first, rec_len, rec_q = np.arange(n), length, q
    rec_start = line_start[first]
    names = resource.field_names
    width = len(names)
    dtypes = schema(resource)
    rows = len(first) - 1

    def source() -> Iterator[tuple[int, "pl.DataFrame", np.ndarray, np.ndarray]]:
        cuts = np.unique(np.searchsorted(rec_start, np.arange(1, len(raw) + CHUNK_BYTES, CHUNK_BYTES)))
        cuts = cuts[(cuts > 1) & (cuts < len(first))]
        bounds = [1, *cuts.tolist(), len(first)]
        for a, b in zip(bounds, bounds[1:]):
            stop = rec_start[b] if b < len(first) else len(raw)
            try:
                frame = pl.read_csv(raw[rec_start[a]: stop], has_header=False, schema=dtypes, missing_columns="insert",
                                    extra_columns="ignore", truncate_ragged_lines=True, encoding=encoding)
            except Exception as exc:  # noqa: BLE001 - polars refuses malformed quoting
                raise Fallback(str(exc)) from None
            if frame.height != b - a:
                raise Fallback(f"{frame.height} rows where the lines make {b - a}")
            content = frame.select(pl.sum_horizontal(
                pl.col(c).str.len_bytes().fill_null(0) for c in names)).to_series().cast(pl.Int64).to_numpy()
            cells = rec_len[a:b] - content + 1  # records without quotes: every other byte is a comma
            quoted = np.flatnonzero(rec_q[a:b])
            if len(quoted):  # a quoted cell has its quotes around it, doubled inside, counted once
                inner = frame[quoted].select(pl.sum_horizontal(
                    pl.col(c).str.count_matches('"', literal=True).fill_null(0) for c in names)).to_series()
                cells[quoted] -= rec_q[a:b][quoted] - inner.cast(pl.Int64).to_numpy()
            cells[rec_len[a:b] == 0] = 0
            # extra cells were cut off by polars, their text counted as commas: only "more" is known
            cells[cells > width] = width + 1
            release(raw, rec_start[a], stop)
            yield a - 1, frame, cells, content == 0

    return Table(resource, (first[1:] + 1).astype(np.int64), np.zeros(rows, dtype=np.int64), multiline,
                 exact_counts=False, source=source)


def read_exact(raw: bytes, resource: "Resource", out: Collector) -> Table:
    import polars as pl

    names = resource.field_names
    # lines are counted at "\n"; a lone "\r" (reported with the line endings) must not end a
    # record for the csv module either, so it stands in a cell as U+FFFD
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\ufffd")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    cells: list[int] = []
    start = 1
    bad_quotes, shown = 0, []
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad_quotes += 1
            if out.limit is None or len(shown) < out.limit:
                shown.append(Issue("csv-error", resource.name, resource.relpath, line=start, row=len(rows),
                                   message=f"the row cannot be read as CSV ({exc}); a quoted cell must end with a"
                                           " quote followed by a comma or the line end."))
            rec = None
        rows.append(rec or [])
        lines.append(start)
        cells.append(-1 if rec is None else len(rec))
        start = reader.line_num + 1
    out.add_many(bad_quotes, shown)
    width = len(names)
    padded = [(r + [""] * width)[:width] for r in rows[1:]]
    cols = list(zip(*padded)) if padded else [() for _ in names]
    frame = pl.DataFrame({n: pl.Series(n, list(c), dtype=pl.Utf8) for n, c in zip(names, cols)}) \
        .with_columns(pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in names) \
        .cast(schema(resource))
    counts = np.asarray(cells[1:], dtype=np.int64)
    multiline = any(b - a > 1 for a, b in zip(lines, lines[1:]))
    return Table(resource, np.asarray(lines[1:], dtype=np.int64), counts.copy(), multiline,
                 source=lambda: iter([(0, frame, counts, None)]))


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
