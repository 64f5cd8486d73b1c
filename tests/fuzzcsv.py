"""Seeded fuzzing of CSV tables for the differential tests of `brcd validate`'s two readers
(importable by name, like pkgcopy; used by tests/test_readers_differential.py and
tests/benchmarks/bench_fuzz.py).

`table_bytes(rng)` writes a small table the way people and spreadsheets do (quoted cells with
commas, quotes and newlines, empty and quoted-empty cells, non-ASCII text, control
characters), then `mutate(rng, raw)` damages it the way hands and tools do: a stray or missing
quote, a lost or doubled comma or newline, a CR, a BOM, bytes that are not UTF-8, a cut.
`read_both(raw, resource)` reads the bytes as `brcd validate` does (file checks, then the fast
reader, falling back to the exact one when it declines) and with the exact reader alone, and
returns what each saw in a form that can be compared: rows (cells as strings, None for empty),
physical lines, cell counts, and the issues of reading (code, line, row, field, column, value).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from brcd.package import Resource
from brcd.validate.collector import Collector
from brcd.validate.records import Fallback
from brcd.validate.structure import read_table

NAMES = ["id", "name", "amount", "notes"]
WORDS = ["Quetta", "Gwadar", "Reko Diq", "Saindak", "Turbat", "12", "-3.5", "2021-05-01", "true",
         "ADB", "CPEC", "گوادر", "Ωmega", "naïve", "x"]
ODD = ['"', ",", "\n", '""', "a,b", 'say "hi"', "line\nbreak", " lead", "trail ", "\t", "\x00", "\x1b",
       "\u202e", "\u0085", "\x7f", "=SUM(A1)", "é", "\r"]
MUTATIONS = ("quote", "quote", "quote", "comma", "newline", "delete", "duplicate", "cr", "bom", "latin1",
             "truncate", "swap", "none")


def resource(names: list[str] | None = None, root: Path = Path(".")) -> Resource:
    """A table of string fields (every reader's output is strings: types come later)."""
    names = names or NAMES
    return Resource("t", {"path": "t.csv"}, root, {"fields": [{"name": n, "type": "string"} for n in names]}, None)


def cell(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.12:
        return ""
    if roll < 0.35:
        return rng.choice(ODD) + rng.choice(WORDS)
    if roll < 0.45:
        return rng.choice(WORDS) + rng.choice(ODD)
    return rng.choice(WORDS)


def table_bytes(rng: random.Random, names: list[str] | None = None, rows: int | None = None) -> bytes:
    """A well-formed table (header + rows, csv module quoting, sometimes every cell quoted,
    sometimes `""` written for an empty cell, sometimes no final newline)."""
    names = names or NAMES
    n = rng.randint(0, 12) if rows is None else rows
    buf = io.StringIO()
    quoting = csv.QUOTE_ALL if rng.random() < 0.15 else csv.QUOTE_MINIMAL
    writer = csv.writer(buf, lineterminator="\n", quoting=quoting)
    writer.writerow(names)
    for _ in range(n):
        writer.writerow([cell(rng) for _ in names])
    text = buf.getvalue()
    if rng.random() < 0.2:
        text = text.replace(",,", ',"",', 1)
    if rng.random() < 0.1:
        text = text.rstrip("\n")
    return text.encode("utf-8")


def mutate(rng: random.Random, raw: bytes, times: int | None = None) -> bytes:
    """`raw` damaged 0-3 times (a seeded choice of `MUTATIONS`); the header line is hit too."""
    data = bytearray(raw)
    for _ in range(rng.randint(0, 3) if times is None else times):
        kind = rng.choice(MUTATIONS)
        at = rng.randint(0, len(data)) if data else 0
        if kind == "quote":
            data[at:at] = b'"'
        elif kind == "comma":
            data[at:at] = b","
        elif kind == "newline":
            data[at:at] = b"\n"
        elif kind == "delete" and data:
            del data[min(at, len(data) - 1)]
        elif kind == "duplicate" and data:
            i = min(at, len(data) - 1)
            data[i:i] = data[i:i + 1]
        elif kind == "cr":
            data[at:at] = b"\r"
        elif kind == "bom":  # at the start, or where a file was pasted after another
            i = 0 if rng.random() < 0.5 else (data.find(b"\n", at) + 1 if data.find(b"\n", at) >= 0 else 0)
            data[i:i] = b"\xef\xbb\xbf"
        elif kind == "latin1":
            data[at:at] = rng.choice([b"\xe9", b"\xff", b"\xc3", b"\xe2\x82"])
        elif kind == "truncate":
            del data[at:]
        elif kind == "swap" and len(data) > 1:
            i = min(at, len(data) - 2)
            data[i], data[i + 1] = data[i + 1], data[i]
    return bytes(data)


def _seen(table, out: Collector) -> dict:
    import polars as pl

    frames = list(table.chunks(out))
    frame = pl.concat(frames) if frames else None
    width = len(table.resource.field_names)
    return {
        "rows": frame.rows() if frame is not None else [],
        "lines": table.lines.tolist(),
        # the fast reader counts cells beyond the header's only as "more"
        "cells": [min(int(c), width + 1) for c in table.cells],
    }


def _read(res: Resource, exact: bool) -> tuple[dict, bool]:
    """What `brcd validate` reads of the file (the file checks of `structure`, then the rows),
    with the exact reader only or as usual; and whether the fast reader declined the file
    (`Fallback`: the exact reader read it then)."""
    out, rows = Collector(), Collector()
    table = read_table(res, out, exact=exact)
    seen, declined = {}, False
    if table is not None:
        try:
            seen = _seen(table, rows)
        except Fallback:
            rows, declined = Collector(), True
            seen = _seen(table.fallback(rows), rows)
    seen["issues"] = sorted(((e.code, e.line, e.row, e.field, e.column, e.value) for e in out.issues + rows.issues),
                            key=lambda issue: [(v is not None, v) for v in issue])
    return seen, declined


def read_both(raw: bytes, res: Resource) -> tuple[dict, dict, bool]:
    """Write `raw` as the table of `res` and read it both ways: (what the usual path read,
    what the exact reader read, whether the usual path fell back to the exact reader)."""
    res.path.write_bytes(raw)
    fast, declined = _read(res, exact=False)
    exact, _ = _read(res, exact=True)
    return fast, exact, declined
