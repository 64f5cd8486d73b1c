"""The CSV readers behind `brcd validate`: the vectorised reader and the exact one (Python's
`csv` module) agree on rows, cells and physical lines; random malformed bytes give a report,
never a traceback."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brcd.package import load_package
from brcd.report import HINTS
from brcd.validate import validate_package
from brcd.validate.collector import Collector
from brcd.validate.records import Fallback, read_exact, read_fast

BASE = Path(__file__).parent / "fixtures" / "validate" / "base"
HEADER = BASE.joinpath("tables", "incidents.csv").read_bytes().split(b"\n", 1)[0]


@pytest.fixture(scope="module")
def incidents():
    return load_package(BASE).resource("incidents")


def rows_of(table):
    """Read every slice; the table keeps its lines and cell counts, `frame` becomes all rows."""
    import polars as pl

    if table is None:
        return None
    try:
        frames = list(table.chunks(Collector()))
    except Fallback:  # the fast reader declined this file: the exact reader is used then
        return None
    table.frame, table.offset = pl.concat(frames) if frames else None, 0
    return table


def both(raw: bytes, resource):
    fast = rows_of(read_fast(raw, resource))
    exact = rows_of(read_exact(raw, resource))
    return fast, exact


CASES = {
    "plain": b"a,b\n",
    "quoted comma": b'"a,b",c\n',
    "quoted newline": b'"line one\nline two",x\nnext,row\n',
    "doubled quotes": b'"say ""hi"", twice",x\n',
    "doubled quotes at the cell's ends": b'"""hi"", she said, ""bye""",x\n',
    "quotes inside an unquoted cell": b'a"b"c,x\n',
    "a quote that ends an unquoted cell": b'x,a"b"\n',
    "empty quoted": b'"",x\n',
    "missing cells": b"only,two\n",
    "blank line": b"\n\n",
    "no final newline": b"a,b",
    # the scan finds newlines and quotes as the bytes b with b | 0x28 == 0x2A: so are these
    "asterisks and byte 0x02 beside quotes and newlines": b'*a*,"*\n\x02*",\x02\n*\n',
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_and_exact_readers_agree(incidents, case):
    width = len(incidents.field_names)
    good = b",".join([b"v"] * width)
    raw = HEADER + b"\n" + good + b"\n" + CASES[case] + good + b"\n" + CASES[case] + good
    fast, exact = both(raw, incidents)
    assert fast is not None, "the fast reader gave up on valid CSV"
    assert fast.lines.tolist() == exact.lines.tolist()
    ragged = exact.cells != width
    assert (fast.cells[ragged] != width).all() and (fast.cells[~ragged] == width).all()
    assert np.array_equal(fast.cells[exact.cells < width], exact.cells[exact.cells < width])
    ok = exact.row_ok
    assert fast.frame.filter(ok).rows() == exact.frame.filter(ok).rows()


@pytest.mark.parametrize("size", [16, 50, 90])
@pytest.mark.parametrize("source", ["bytes", "file"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_small_slices_read_the_same(incidents, case, source, size, tmp_path, monkeypatch):
    """A slice is cut after its last whole record (never inside a quoted cell that holds a
    newline); a record longer than a slice makes the slice grow. Read from bytes or from the
    file (one reused buffer), in slices of a few bytes, every row, line and cell count must
    be what the exact reader finds."""
    import brcd.validate.records as records

    width = len(incidents.field_names)
    good = b",".join([b"v"] * width)
    raw = HEADER + b"\n" + good + b"\n" + CASES[case] + good + b"\n" + CASES[case] + good
    monkeypatch.setattr(records, "CHUNK_BYTES", size)
    if source == "file":
        path = tmp_path / "incidents.csv"
        path.write_bytes(raw)
        fast = rows_of(read_fast(records.FileSlices(path, len(raw)), incidents))
    else:
        fast = rows_of(read_fast(raw, incidents))
    exact = rows_of(read_exact(raw, incidents))
    assert fast is not None, "the fast reader gave up on valid CSV"
    assert fast.lines.tolist() == exact.lines.tolist()
    assert ((fast.cells == width) == (exact.cells == width)).all()
    assert fast.frame.filter(exact.row_ok).rows() == exact.frame.filter(exact.row_ok).rows()


def test_a_file_cut_short_while_read_is_read_to_its_end(incidents, tmp_path, monkeypatch):
    """The size is taken before the rows are read; a file that has become shorter meanwhile
    is read to where it ends (its hash then tells it changed), never waited on forever."""
    import brcd.validate.records as records

    width = len(incidents.field_names)
    raw = HEADER + b"\n" + b"".join(b",".join([b"v"] * width) + b"\n" for _ in range(30))
    path = tmp_path / "incidents.csv"
    path.write_bytes(raw)
    monkeypatch.setattr(records, "CHUNK_BYTES", 100)
    table = rows_of(read_fast(records.FileSlices(path, len(raw) + 5000), incidents))
    assert table.lines.tolist() == list(range(2, 32)) and (table.cells == width).all()


def test_bytes_not_utf8_are_found_in_every_slice(incidents, tmp_path, monkeypatch):
    """Each slice that is not ASCII is searched for bytes that are not UTF-8 before it is
    parsed; the report names every bad byte's line and field, slice after slice, and the
    rows around them are read as usual."""
    import brcd.validate.records as records

    width = len(incidents.field_names)
    rows = [[b"v"] * width for _ in range(40)]
    for i in (3, 17, 18, 35):
        rows[i][2] = b"caf\xe9"
    rows[10][4] = "caf\u00e9".encode()  # UTF-8 that is not ASCII: no error
    raw = HEADER + b"\n" + b"\n".join(b",".join(r) for r in rows) + b"\n"
    path = tmp_path / "incidents.csv"
    path.write_bytes(raw)
    monkeypatch.setattr(records, "CHUNK_BYTES", 500)
    out = Collector()
    table = read_fast(records.FileSlices(path, len(raw)), incidents)
    frames = list(table.chunks(out))
    assert len(frames) > 4
    assert [(e.code, e.line, e.field) for e in out.issues] == \
        [("encoding-error", i + 2, incidents.field_names[2]) for i in (3, 17, 18, 35)]
    assert (table.cells == width).all() and table.lines.tolist() == list(range(2, 42))


INVALID_UTF8 = [b"\xff", b"\xe2\x82", b"\xf0\x80\x80", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80",
                b"a\x80b", b"\xe2\x82\xac\xe2", b"\xf0\x9f\x98", b"\xfe\xfe", b"\xc3"]


def test_bytes_not_utf8_are_replaced_as_polars_would_replace_them(incidents):
    """A line holding bytes that are not UTF-8 is read with each bad sequence replaced by one
    U+FFFD per maximal subpart, as polars' "utf8-lossy" reads it, also inside a quoted cell
    that spans lines; the cells and lines after it stay right (a replacement has another
    length than the bytes it replaces, and cells are counted from lengths)."""
    import polars as pl

    width = len(incidents.field_names)
    rows = []
    for i, bad in enumerate(INVALID_UTF8):
        row = [b"v%d" % i] * width
        row[2] = b"x" + bad + b"y"
        row[5] = b'"two' + bad + b'\nlines, ' + bad + b'"'
        rows.append(row)
    rows.append([b"short"] * (width - 1))  # ragged after them: still found
    raw = HEADER + b"\n" + b"\n".join(b",".join(r) for r in rows) + b"\n"
    out = Collector()
    table = read_fast(raw, incidents)
    frame = pl.concat(list(table.chunks(out)))
    lossy = pl.read_csv(raw, schema={n: pl.Utf8 for n in incidents.field_names}, encoding="utf8-lossy",
                        truncate_ragged_lines=True, missing_columns="insert")
    assert frame.equals(lossy)
    assert table.cells.tolist() == [width] * len(INVALID_UTF8) + [width - 1]
    assert table.lines.tolist() == list(range(2, 2 + 2 * len(INVALID_UTF8), 2)) + [2 + 2 * len(INVALID_UTF8)]
    assert len([e for e in out.issues if e.code == "encoding-error"]) == 2 * len(INVALID_UTF8)


def test_lines_follow_quoted_newlines(incidents):
    width = len(incidents.field_names)
    rows = [["x"] * width for _ in range(4)]
    rows[1][3] = "two\nlines"
    rows[2][5] = "three\nmore\nlines"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([incidents.field_names] + rows)
    fast, exact = both(buf.getvalue().encode(), incidents)
    assert fast.lines.tolist() == exact.lines.tolist() == [2, 3, 5, 8]
    assert fast.multiline and fast.line_of(2, 5) == 5 and fast.line_of(2, 6) == 7


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400), keep_header=st.booleans())
def test_random_bytes_give_a_report_never_a_traceback(tmp_path_factory, body, keep_header):
    pkg = tmp_path_factory.mktemp("fuzz") / "pkg"
    shutil.copytree(BASE, pkg)
    raw = (HEADER + b"\n" + body) if keep_header else body
    (pkg / "tables" / "incidents.csv").write_bytes(raw)
    report = validate_package(pkg)
    n_lines = raw.count(b"\n") + 1
    for e in report.errors:
        assert e.code in HINTS and e.message
        if e.resource == "incidents" and e.line is not None:
            assert 1 <= e.line <= n_lines


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.lists(st.text(alphabet='ab,"\n =é', max_size=6), min_size=1, max_size=4), max_size=6))
def test_readers_agree_on_random_well_formed_csv(rows):
    from brcd.package import Resource

    names = ["c1", "c2", "c3"]
    resource = Resource("t", {"path": "t.csv"}, Path("."), {"fields": [{"name": n} for n in names]}, None)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([names] + rows)
    fast, exact = both(buf.getvalue().encode(), resource)
    if fast is None:  # the fast reader may decline (then the exact one is used): never wrong
        return
    assert fast.lines.tolist() == exact.lines.tolist()
    assert ((fast.cells == 3) == (exact.cells == 3)).all()
    assert fast.frame.filter(exact.row_ok).rows() == exact.frame.filter(exact.row_ok).rows()


def test_the_exact_reader_reads_in_slices_of_rows(incidents, monkeypatch):
    """The exact reader gives its rows a slice of `EXACT_ROWS` at a time (a big file that falls
    back to it is not held as one Python string per cell); rows, lines, cell counts and
    csv-errors (with their row numbers) are those of one slice."""
    import brcd.validate.records as records

    width = len(incidents.field_names)
    good = b",".join([b"v"] * width)
    body = [good, b'"two\nlines",' + b",".join([b"w"] * (width - 1)), b'"ab"c,x', b"", good, b"short"] * 4
    raw = HEADER + b"\r\n" + b"\r\n".join(body) + b"\r\n"

    def read(rows_per_slice: int):
        monkeypatch.setattr(records, "EXACT_ROWS", rows_per_slice)
        out = Collector()
        table = read_exact(raw, incidents)
        frames = list(table.chunks(out))
        return (len(frames), [r for f in frames for r in f.rows()], table.lines.tolist(), table.cells.tolist(),
                sorted((e.code, e.line, e.row) for e in out.issues))

    whole, sliced = read(1000), read(4)
    assert whole[0] == 1 and sliced[0] == 6
    assert whole[1:] == sliced[1:]
    assert ("csv-error", 5, 3) in whole[4] and len([e for e in whole[4] if e[0] == "csv-error"]) == 4


@pytest.mark.parametrize("reader", ["fast", "exact"])
def test_control_characters_in_text_are_reported_but_tab_and_newline_are_text(incidents, reader):
    """`control-character`: C0 controls but tab and newline, DEL, C1 controls and the
    bidirectional overrides, embeddings and isolates, named in the message; Urdu, accents,
    no-break spaces, emoji and joiners are text."""
    names = incidents.field_names
    col = names.index("notes")
    bad = ["a\x00b", "\x1b[31mred", "x\u202ey", "\u0085", "d\x7f", "\u2066iso\u2069", "\x0bv", "\x9f"]
    fine = ["tab\there", "two\nlines", "گوادر", "naïve", "no\u00a0break", "👍🏽", "a\u200db", "“quoted”"]
    rows = []
    for text in bad + fine:
        row = ["v"] * len(names)
        row[col] = text
        rows.append(row)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([names] + rows)
    raw = buf.getvalue().encode()
    table = read_fast(raw, incidents) if reader == "fast" else read_exact(raw, incidents)
    out = Collector()
    list(table.chunks(out))
    found = [(e.row, e.field) for e in out.issues if e.code == "control-character"]
    assert found == [(i + 1, "notes") for i in range(len(bad))]
    messages = [e.message for e in out.issues if e.code == "control-character"]
    assert "U+0000 (NUL) at character 2" in messages[0] and "U+202E (RIGHT-TO-LEFT OVERRIDE)" in messages[2]
    assert "control-character" in HINTS
