"""Rule 1, files: read one table's CSV into a frame of strings and report what is wrong with
the file itself (encoding, BOM, line endings, header, ragged and blank rows), with the
physical line of every row.

Two readers give the same `Table`:
- `_read_fast` (polars, vectorised): used when the file has no `\\r`, a free separator byte
  and when polars' row count agrees with our own count of records. The number of cells of
  each record is derived without a second parse: a record without quotes of raw length L
  whose cells total C bytes has `L - C` commas; a record with quotes has as many commas as
  remain once its quoted parts (`"[^"]*"`, which also covers doubled quotes) are removed.
- `_read_exact` (Python's `csv` module, `line_num`): everything else, e.g. malformed quoting.
Record lines: a physical line ends a record when the number of quote bytes seen so far is
even, so a quoted cell holding newlines shifts later rows and `Table.lines` stays right.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from brcd.report import Issue
from brcd.validate.collector import Collector

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from brcd.package import Resource

BOM = codecs.BOM_UTF8
CHUNK = 1 << 20
LONE_CR = re.compile(rb"\r(?!\n)")
EMPTY = re.compile(rb"[\r\n]*\Z")
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brcd-hash")


def _digest(raw: bytes) -> tuple[int, str]:
    return len(raw), "sha256:" + hashlib.sha256(raw).hexdigest()


SEPARATORS = ("\x1f", "\x1e", "\x1d", "\x1c", "\x01")


def compact_fields(resource: "Resource") -> set[str]:
    """Fields read as polars Categoricals (a 4-byte code per cell instead of a 16-byte string
    view): those with few distinct values, i.e. enums, booleans, dates and numbers of people,
    and ids pointing at another table. Keys that must be unique stay strings."""
    other_fks = {fk["fields"][0] for fk in resource.foreign_keys
                 if len(fk["fields"]) == 1 and fk["reference"]["resource"] != resource.name}
    out = set()
    for f in resource.fields:
        cons = f.get("constraints") or {}
        if cons.get("unique") or f["name"] in resource.primary_key:
            continue
        if "enum" in cons or f.get("type") in ("boolean", "date", "integer", "year") or f["name"] in other_fks:
            out.add(f["name"])
    return out


def _schema(resource: "Resource") -> dict:
    import polars as pl

    compact = compact_fields(resource)
    return {n: pl.Categorical if n in compact else pl.Utf8 for n in resource.field_names}


@dataclass
class Table:
    """One table's rows as written (null = empty cell), one column per schema field: strings, or
    Categoricals for the `compact_fields`."""

    resource: "Resource"
    frame: "pl.DataFrame"
    lines: np.ndarray          # physical line (1-based) where each row starts
    row_ok: np.ndarray         # False for ragged and blank rows: their cells are not checked
    multiline: bool            # some quoted cell holds a newline
    cells: np.ndarray          # number of cells in each row as written (0 for an empty line, -1 unreadable)
    exact_counts: bool = True  # False: a count above the header's only means "more"

    @property
    def name(self) -> str:
        return self.resource.name

    def line_of(self, row: int, column: int | None = None) -> int:
        """Physical line of a row, or of one of its cells (0-based column) when cells hold newlines."""
        line = int(self.lines[row])
        if self.multiline and column:
            for value in self.frame.row(row)[:column]:
                if value:
                    line += value.count("\n")
        return line

    def issue(self, code: str, row: int, field: str | None, message: str, value: Any = None) -> Issue:
        col = self.resource.field_names.index(field) if field in self.resource.field_names else None
        return Issue(code, self.name, self.resource.relpath, line=self.line_of(row, col), row=row + 1,
                     field=field, column=None if col is None else col + 1,
                     value=None if value is None else str(value), message=message)


def read_table(resource: "Resource", out: Collector, digests: dict | None = None) -> Table | None:
    """Check the file and return its rows, or None when the file cannot be read or its header
    does not match the schema (then its cells are not checked: the columns would be misread).
    `digests` receives resource name -> future of (size, "sha256:<hex>"), hashed in a thread."""
    rel = resource.relpath
    try:
        raw = resource.path.read_bytes()
    except FileNotFoundError:
        out.add(Issue("file-missing", resource.name, rel, message=f"{rel} does not exist."))
        return None
    except OSError as exc:
        out.add(Issue("file-unreadable", resource.name, rel, message=f"{rel} cannot be read: {exc.strerror}."))
        return None
    if digests is not None:
        digests[resource.name] = _HASHER.submit(_digest, raw)
    if raw.startswith(BOM):
        out.add(Issue("bom", resource.name, rel, line=1, column=1,
                      message="the file starts with a UTF-8 byte-order mark (BOM)."))
        raw = raw[len(BOM):]
    clean = _check_encoding(raw, resource, out)
    if b"\r" in raw:
        _check_line_endings(raw, resource, out)
    if EMPTY.match(raw):
        out.add(Issue("blank-header", resource.name, rel, line=1, message=f"{rel} is empty: it has no header row."))
        return None
    if not _check_header(raw, resource, out):
        return None
    table = _read_fast(raw, resource, "utf8" if clean else "utf8-lossy")
    if table is None:
        table = _read_exact(raw, resource, out)
    _report_rows(table, out)
    return table


def _check_encoding(raw: bytes, resource: "Resource", out: Collector) -> bool:
    """One `encoding-error` per byte sequence that is not UTF-8 (then the decoder resumes on
    the next line), with its line and, from the bytes before it, its field. True when clean."""
    view = memoryview(raw)
    pos, line, counted_to = 0, 1, 0
    found, shown = 0, []
    while pos < len(raw):
        # decode about a megabyte at a time, cut after a newline (never inside a character):
        # a decoding error copies the bytes it was given
        nl = raw.find(b"\n", pos + CHUNK)
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
        found += 1
        if out.limit is None or len(shown) < out.limit:
            issue = Issue("encoding-error", resource.name, resource.relpath, line=line,
                          message=f"byte 0x{raw[bad]:02x} at byte {bad - start + 1} of line {line} is not UTF-8.")
            _field_of(raw[start:bad], resource, issue)
            shown.append(issue)
        nl = raw.find(b"\n", bad)
        if nl < 0:
            break
        pos = nl + 1
    out.add_many(found, shown)
    return not found


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


def _check_line_endings(raw: bytes, resource: "Resource", out: Collector) -> None:
    crlf = raw.count(b"\r\n")
    lone = raw.count(b"\r") - crlf
    for count, what, first in ((crlf, "end with CRLF (Windows line endings)", raw.find(b"\r\n")),
                               (lone, "hold a carriage return (\\r) that is not part of a line ending",
                                LONE_CR.search(raw).start() if lone else -1)):
        if not count:
            continue
        line = raw.count(b"\n", 0, first) + 1
        out.add(Issue("line-ending", resource.name, resource.relpath, line=line,
                      message=f"{count} line(s) {what}, the first at line {line}; BRCD files use LF only."))


def _first_record(raw: bytes) -> list[str]:
    text = raw[: 1 << 16].decode("utf-8", errors="replace")
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return text.split("\n", 1)[0].split(",")


def _check_header(raw: bytes, resource: "Resource", out: Collector) -> bool:
    header = _first_record(raw)
    want = resource.field_names
    if header == want:
        return True
    rel, name = resource.relpath, resource.name
    for i in range(max(len(header), len(want))):
        got = header[i] if i < len(header) else None
        exp = want[i] if i < len(want) else None
        if got == exp:
            continue
        if got is None:
            out.add(Issue("missing-label", name, rel, line=1, column=i + 1, field=exp,
                          message=f"the header has no column {i + 1}; the schema expects {exp!r}."))
        elif exp is None:
            out.add(Issue("extra-label", name, rel, line=1, column=i + 1, value=got,
                          message=f"column {i + 1} {got!r} is not in the schema."))
        elif header.count(got) > 1:
            out.add(Issue("duplicate-label", name, rel, line=1, column=i + 1, field=exp, value=got,
                          message=f"column {i + 1} {got!r} appears more than once in the header."))
        else:
            moved = f" ({got!r} is column {want.index(got) + 1} in the schema)" if got in want else ""
            out.add(Issue("incorrect-label", name, rel, line=1, column=i + 1, field=exp, value=got,
                          message=f"column {i + 1} is {got!r}, the schema expects {exp!r}{moved}."))
    out.add(Issue("incorrect-label", name, rel, line=1,
                  message="the rows of this table were not checked because the header does not match the schema."))
    return False


def _read_fast(raw: bytes, resource: "Resource", encoding: str = "utf8-lossy") -> Table | None:
    import polars as pl

    if b"\r" in raw:
        return None
    sep = next((s for s in SEPARATORS if s.encode() not in raw), None)
    if sep is None:
        return None
    names = resource.field_names
    width = len(names)
    try:
        lines = pl.read_csv(raw, has_header=False, separator=sep, quote_char=None, schema={"l": pl.Utf8},
                            empty_string_is_null=False, encoding=encoding)["l"]
    except Exception:  # noqa: BLE001
        return None
    n = len(lines)
    length = lines.str.len_bytes().cast(pl.Int64).to_numpy()
    qidx = np.flatnonzero(lines.str.contains('"', literal=True).to_numpy())
    quoted_lines = lines.gather(qidx)
    q = np.zeros(n, dtype=np.int64)
    q[qidx] = quoted_lines.str.count_matches('"', literal=True).to_numpy()
    multiline = bool((q[qidx] % 2).any())
    if multiline:
        ends = np.cumsum(q) % 2 == 0
        rec = np.concatenate([[0], np.cumsum(ends)[:-1]]) if n else np.zeros(0, dtype=np.int64)
        starts = np.flatnonzero(np.diff(rec, prepend=-1))
        per = np.diff(np.append(starts, n))
        rec_len = np.bincount(rec, weights=length).astype(np.int64) + per - 1
        rec_q = np.bincount(rec, weights=q).astype(np.int64)
        qrec = np.flatnonzero(rec_q)
        texts = pl.DataFrame({"rec": rec[qidx], "l": quoted_lines}).group_by("rec", maintain_order=True) \
            .agg(pl.col("l").str.join("\n"))
        texts = texts.filter(pl.col("rec").is_in(qrec))["l"]
        line_no = starts + 1
    else:
        qrec, texts, rec_len, line_no = qidx, quoted_lines, length, np.arange(1, n + 1)
    del lines, quoted_lines
    try:  # read after the lines are freed: the two would not fit in memory together
        frame = pl.read_csv(raw, has_header=False, schema=_schema(resource), missing_columns="insert",
                            truncate_ragged_lines=True, encoding=encoding)
    except Exception:  # noqa: BLE001 - polars refuses malformed quoting: the exact reader reports it
        return None
    if len(line_no) != frame.height or frame.height == 0:
        return None
    body = frame.slice(1)
    content = body.select(pl.sum_horizontal(
        (pl.col(c).cat.len_bytes() if body.schema[c] == pl.Categorical else pl.col(c).str.len_bytes()).fill_null(0)
        for c in names)).to_series().cast(pl.Int64).to_numpy()
    cells = rec_len[1:] - content + 1  # unquoted records: every other byte is a comma
    quoted = qrec[qrec > 0]
    if len(quoted):
        text = texts.gather(np.flatnonzero(qrec > 0))
        cells[quoted - 1] = text.str.replace_all('"[^"]*"', "").str.count_matches(",", literal=True).to_numpy() + 1
    cells[rec_len[1:] == 0] = 0
    return Table(resource, body, line_no[1:].astype(np.int64), cells == width, multiline, cells)


def _read_exact(raw: bytes, resource: "Resource", out: Collector) -> Table:
    import polars as pl

    names = resource.field_names
    # lines are counted at "\n"; a lone "\r" (reported by _check_line_endings) must not end a
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
                                   message=f"the row cannot be read as CSV ({exc}); a quoted cell must end with a quote followed by a comma or the line end."))
            rows.append([])
            lines.append(start)
            cells.append(-1)
            start = reader.line_num + 1
            continue
        rows.append(rec)
        lines.append(start)
        cells.append(len(rec))
        start = reader.line_num + 1
    out.add_many(bad_quotes, shown)
    body_rows = rows[1:]
    width = len(names)
    padded = [(r + [""] * width)[:width] for r in body_rows]
    cols = list(zip(*padded)) if padded else [() for _ in names]
    frame = pl.DataFrame({n: pl.Series(n, list(c), dtype=pl.Utf8) for n, c in zip(names, cols)}) \
        .with_columns(pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in names) \
        .cast(_schema(resource))
    cell_counts = np.asarray(cells[1:], dtype=np.int64)
    multiline = any(b - a > 1 for a, b in zip(lines, lines[1:]))
    return Table(resource, frame, np.asarray(lines[1:], dtype=np.int64), cell_counts == width, multiline,
                 cell_counts)


def _report_rows(table: Table, out: Collector) -> None:
    """Blank rows, rows with too few or too many cells."""
    import polars as pl

    cells = table.cells
    width = len(table.resource.field_names)
    all_null = np.zeros(len(cells), dtype=bool)
    if table.frame.height:
        all_null = table.frame.select(pl.all_horizontal(pl.all().is_null())).to_series().to_numpy()
    blank = (cells == 0) | ((cells == width) & all_null)
    table.row_ok &= ~blank
    rows = np.flatnonzero(blank)
    out.add_rows(len(rows), rows, lambda r: table.issue("blank-row", r, None, "the row is empty."))
    for code, mask in (("missing-cell", (cells > 0) & (cells < width)), ("extra-cell", cells > width)):
        rows = np.flatnonzero(mask)

        def make(r: int, code: str = code) -> Issue:
            n = int(cells[r])
            if code == "missing-cell":
                field = table.resource.field_names[n]
                msg = f"the row has {n} cells, the header {width}: {field!r} and the columns after it are missing."
                return table.issue(code, r, field, msg)
            msg = (f"the row has {n} cells, the header {width}." if table.exact_counts
                   else f"the row has more cells than the header ({width}).")
            issue = table.issue(code, r, None, msg)
            issue.column = width + 1
            return issue

        out.add_rows(len(rows), rows, make)
