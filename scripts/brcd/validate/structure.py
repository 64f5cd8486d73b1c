"""Rule 1, files: what is wrong with a table's file itself (missing, not UTF-8, a BOM, CRLF or
lone CR line endings, a header that is not the schema's fields in order), before its rows are
read by `records` (which reports blank and ragged rows, with the physical line of each).
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from brcd.digest import bytes_digest, file_digest
from brcd.fsutil import open_regular
from brcd.report import Issue
from brcd.validate.collector import Collector
from brcd.validate.records import Fallback, FileSlices, Table, exact_lines, read_exact, read_fast, scan_utf8

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from brcd.package import Resource

BOM = codecs.BOM_UTF8
HEAD = 1 << 20  # a header longer than this cannot be read (csv-error)
STREAM_BYTES = 32 << 20
EMPTY = re.compile(rb"[\r\n]*\Z")
LONE_CR = re.compile(rb"\r(?!\n)")
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brcd-hash")


def _digest(raw: "bytes | FileSlices") -> tuple[int, str]:
    return bytes_digest(raw) if isinstance(raw, bytes) else file_digest(raw.path)


def read_table(resource: "Resource", out: Collector, digests: dict | None = None, *,
               exact: bool = False) -> Table | None:
    """Check the file and return its `Table` (rows come from `Table.chunks`), or None when the
    file cannot be read or its header does not match the schema (its cells are not checked
    then: the columns would be misread).
    `digests` receives resource name -> future of (size, "sha256:<hex>"), hashed in a thread.
    `exact`: read the rows with the exact reader only (the fast one is tested against it).

    A file of `STREAM_BYTES` or more is not held whole: its head is checked here and its rows
    are read a slice at a time, each slice checked for carriage returns and bytes that are
    not UTF-8 as it is read (a carriage return sends the whole file to the exact reader,
    which reports the line endings then)."""
    rel = resource.relpath
    try:
        raw = open_bytes(resource.path)
    except FileNotFoundError:
        out.add(Issue("file-missing", resource.name, rel, message=f"{rel} does not exist."))
        return None
    except OSError as exc:
        out.add(Issue("file-unreadable", resource.name, rel, message=f"{rel} cannot be read: {exc.strerror}."))
        return None
    if digests is not None:
        digests[resource.name] = _HASHER.submit(_digest, raw)
    if isinstance(raw, FileSlices):
        with open(raw.path, "rb") as f:
            head = f.read(HEAD)
        if head[: len(BOM)] == BOM or EMPTY.match(head):  # rare: read whole, the checks below work on bytes
            raw = _whole(raw)
    if isinstance(raw, FileSlices):
        if not _check_header(head, resource, out):
            _check_encoding(_whole(raw), resource, out)
            return None
        if exact:
            return _exact(_whole(raw), resource, out, line_endings=True)
        table = read_fast(raw, resource)
        table.fallback = lambda out: _exact(_whole(raw), resource, out, line_endings=True)
        return table
    if raw[: len(BOM)] == BOM:
        out.add(Issue("bom", resource.name, rel, line=1, column=1,
                      message="the file starts with a UTF-8 byte-order mark (BOM)."))
        raw = raw[len(BOM):]
    if raw.find(b"\r") >= 0:
        _check_line_endings(raw, resource, out)
    if EMPTY.match(raw):
        out.add(Issue("blank-header", resource.name, rel, line=1, message=f"{rel} is empty: it has no header row."))
        return None
    if not _check_header(raw, resource, out):
        _check_encoding(raw, resource, out)
        return None
    table = None if exact else read_fast(raw, resource)  # reports bytes that are not UTF-8 itself, slice by slice
    if table is None:
        return _exact(raw, resource, out)
    table.fallback = lambda out: _exact(raw, resource, out)
    return table


def _exact(raw: bytes, resource: "Resource", out: Collector, line_endings: bool = False) -> Table:
    """The exact reader, with the file checks that the fast one makes as it reads."""
    if line_endings and raw.find(b"\r") >= 0:
        _check_line_endings(raw, resource, out)
    _check_encoding(raw, resource, out)
    return read_exact(raw, resource)


def open_bytes(path: "Path") -> "bytes | FileSlices":
    """The file's bytes, or, for a file of `STREAM_BYTES` or more, a `FileSlices` that reads
    it a slice at a time."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size < STREAM_BYTES or not size:
            return f.read()
    return FileSlices(path, size)


def _whole(raw: "bytes | FileSlices") -> bytes:
    if isinstance(raw, bytes):
        return raw
    with open(raw.path, "rb") as f:
        return f.read()


def _check_encoding(raw: bytes, resource: "Resource", out: Collector) -> None:
    """One `encoding-error` per byte sequence that is not UTF-8 (see `records.scan_utf8`)."""
    found, shown, _ = scan_utf8(raw, 1, resource, out.limit)
    out.add_many(found, shown)


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


def _first_record(raw: bytes) -> tuple[list[str], str | None]:
    """The header as the exact reader reads the rows (strict quoting, `records.exact_lines`),
    from the file's first `HEAD` bytes: its cells, or why it cannot be read. (A lenient
    read would take `""deal_id` for `deal_id`, and DuckDB would then read the rest of the
    file as one quoted cell.)"""
    try:
        return next(csv.reader(exact_lines(raw[:HEAD]), strict=True), []), None
    except csv.Error as exc:
        return [], str(exc)


def _check_header(raw: bytes, resource: "Resource", out: Collector) -> bool:
    header, broken = _first_record(raw)
    want = resource.field_names
    rel, name = resource.relpath, resource.name
    if broken:
        out.add(Issue("csv-error", name, rel, line=1,
                      message=f"the header cannot be read as CSV ({broken}); the rows of this table were not checked."))
        return False
    if header == want:
        return True
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


def count_rows(resource: "Resource") -> int | None:
    """The data rows of a table as `brcd validate` reads them (blank ones included), or None
    when its file or header cannot be read. For a build that skips validation."""
    out = Collector()
    table = read_table(resource, out)
    if table is None:
        return None
    try:
        for _ in table.chunks(out):
            pass
    except Fallback:
        table = table.fallback(Collector())
        for _ in table.chunks(out):
            pass
    return len(table.lines)
