"""Rule 1, files: what is wrong with a table's file itself (missing, not UTF-8, a BOM, CRLF or
lone CR line endings, a header that is not the schema's fields in order), before its rows are
read by `records` (which reports blank and ragged rows, with the physical line of each).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import mmap
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from brcd.report import Issue
from brcd.validate.collector import Collector
from brcd.validate.records import Table, read_exact, read_fast, release

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from brcd.package import Resource

BOM = codecs.BOM_UTF8
CHUNK = 1 << 20
HASH_CHUNK = 16 << 20
MAP_BYTES = 32 << 20
LONE_CR = re.compile(rb"\r(?!\n)")
EMPTY = re.compile(rb"[\r\n]*\Z")
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brcd-hash")


def _digest(raw: "bytes | mmap.mmap") -> tuple[int, str]:
    digest = hashlib.sha256()
    with memoryview(raw) as view:
        for pos in range(0, len(raw), HASH_CHUNK):
            digest.update(view[pos: pos + HASH_CHUNK])
            release(raw, pos, pos + HASH_CHUNK)
    return len(raw), "sha256:" + digest.hexdigest()


def read_table(resource: "Resource", out: Collector, digests: dict | None = None) -> Table | None:
    """Check the file and return its `Table` (rows come from `Table.chunks`), or None when the
    file cannot be read or its header does not match the schema (its cells are not checked
    then: the columns would be misread).
    `digests` receives resource name -> future of (size, "sha256:<hex>"), hashed in a thread."""
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
    if isinstance(raw, mmap.mmap) and (raw[: len(BOM)] == BOM or raw.find(b"\r") >= 0):
        raw = raw[:]  # the checks of a file with a BOM or CR line endings work on bytes
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
        _check_encoding(raw[:], resource, out)
        return None
    # the fast reader reads strict UTF-8: when it reads the file, the file is UTF-8 (and the
    # byte-by-byte search for what is not, a tenth of a second per 300 MB, is skipped)
    table = read_fast(raw, resource, "utf8", True)
    if table is None and not _check_encoding(raw, resource, out):
        table = read_fast(raw, resource, "utf8-lossy", False)
    if table is None:
        raw = raw[:]  # bytes from here on (a copy of a mapped file)
        table = read_exact(raw, resource, out)
    table.fallback = lambda out: read_exact(raw[:], resource, out)
    return table


def open_bytes(path: "Path") -> "bytes | mmap.mmap":
    """The file's bytes; a file of `MAP_BYTES` or more is memory-mapped instead of read, so
    that its pages can leave memory once read (`records.release`)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < MAP_BYTES or not size:
            return f.read()
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


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
            release(raw, pos, end)
            pos = end
            continue
        except UnicodeDecodeError as exc:
            bad = pos + exc.start
        line += raw[counted_to:bad].count(b"\n")  # (a mapped file has no count())
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
