"""Differential test of `brcd validate`'s two CSV readers: on seeded fuzzed tables (written the
way people and spreadsheets write them, then damaged: stray and missing quotes, lost commas
and newlines, CRs, BOMs, bytes that are not UTF-8, cuts), the usual path (the fast reader,
falling back to the exact one when it declines) must read exactly what the exact reader reads:
the same rows and cells, physical lines, cell counts, and issues with their lines and columns.
See tests/fuzzcsv.py; tests/benchmarks/bench_fuzz.py runs the same over whole packages."""

from __future__ import annotations

import random

import pytest

from fuzzcsv import mutate, read_both, resource, table_bytes

CASES = 2400
BATCHES = 8


@pytest.mark.parametrize("batch", range(BATCHES))
def test_fast_and_exact_readers_agree_on_fuzzed_tables(batch, tmp_path):
    res = resource(root=tmp_path)
    differ, declined = [], 0
    for seed in range(batch, CASES, BATCHES):
        rng = random.Random(seed)
        raw = mutate(rng, table_bytes(rng))
        fast, exact, fell_back = read_both(raw, res)
        declined += fell_back
        if fast != exact:
            differ.append((seed, raw, {k: (fast.get(k), exact.get(k)) for k in exact if fast.get(k) != exact.get(k)}))
    assert not differ, differ[:3]
    # the fast reader must do the work: it declines only damaged files (CRs, quoting it cannot vouch for)
    assert declined < 0.25 * (CASES // BATCHES)


def test_the_fuzzer_makes_the_cases_it_is_meant_to():
    """The seeded cases hold what they are meant to test (so a broken generator cannot make
    the differential test pass on easy input)."""
    raws = []
    for seed in range(CASES):
        rng = random.Random(seed)
        raws.append(mutate(rng, table_bytes(rng)))
    assert len(set(raws)) > 0.95 * CASES
    has = lambda needle: sum(needle in r for r in raws)  # noqa: E731
    for needle in (b'""', b'"\n', b"\r", b"\xef\xbb\xbf", b"\x00", b"\x1b", "\u202e".encode(), b"\xff"):
        assert has(needle) > 20, needle
    odd_quotes = sum(r.count(b'"') % 2 for r in raws)
    assert odd_quotes > 0.1 * CASES
