"""How long `brcd fmt` and `brcd new`'s checks take as incidents grow.

For each size: the time to compute the canonical form of the whole package (`fmt --check`),
to rewrite it after the incidents were shuffled (`fmt`), and for `brcd new` to check one row
(validate a temporary copy with the row inserted) and insert it. Prints one line per size and
the ratios between sizes (linear growth gives a ratio near the size ratio).

Usage: python tests/benchmarks/bench_fmt.py [N ...]   (default: 10000 100000)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import write_package  # noqa: E402

from brcd.edit.fmt import format_package, write_formats  # noqa: E402
from brcd.edit.new import insert_row, propose_id, row_issues  # noqa: E402
from brcd.package import load_package  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def shuffle_incidents(path: Path, seed: int) -> None:
    header, *rows = path.read_text(encoding="utf-8").split("\n")
    # whole records only: synthetic descriptions may hold a quoted newline, so keep line pairs
    # together by shuffling blocks that start with an id
    blocks, current = [], []
    for line in rows:
        if line.startswith("BAL-INC-") and current:
            blocks.append(current)
            current = []
        if line:
            current.append(line)
    if current:
        blocks.append(current)
    random.Random(seed).shuffle(blocks)
    path.write_text("\n".join([header] + [line for b in blocks for line in b]) + "\n", encoding="utf-8")


def one_row(pkg) -> dict[str, str]:
    orgs = pkg.resource("organizations")
    sources = pkg.resource("sources")
    from brcd.edit.new import column_values

    row = {
        "is_parent": "false", "event_date": "2025-05-02", "date_start": "2025-05-02", "date_end": "2025-05-02",
        "date_precision": "1", "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1_id": sorted(column_values(orgs, "org_id"))[0], "actor1_type": "Rebel group",
        "perpetrator_attribution": "unattributed", "location": "Benchmark", "fatalities_best": "0",
        "fatalities_low": "0", "fatalities_high": "0", "fatalities_basis": "none_reported",
        "description": "Synthetic benchmark row.", "source_ids": sorted(column_values(sources, "source_id"))[0],
        "last_updated": "2026-11-23", "row_version": "1",
    }
    row["incident_id"] = propose_id(pkg.resource("incidents"), row)
    return row


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        descriptor, _ = write_package(Path(tmp) / "pkg", n)
        pkg = load_package(descriptor)
        shuffle_incidents(pkg.resource("incidents").path, seed=n)
        check_s, results = timed(lambda: format_package(pkg))
        write_s, _ = timed(lambda: write_formats(pkg, results))
        pkg = load_package(descriptor)
        row = one_row(pkg)
        issues_s, (issues, _) = timed(lambda: row_issues(pkg, "incidents", row))
        insert_s, _ = timed(lambda: insert_row(pkg, "incidents", row))
        size = pkg.resource("incidents").path.stat().st_size
    return {"n": n, "mb": size / 1e6, "check": check_s, "write": write_s, "new_check": issues_s,
            "new_insert": insert_s, "issues": len(issues)}


def main(sizes: list[int]) -> None:
    rows = [measure(n) for n in sizes]
    for r in rows:
        print(f"n={r['n']:>8} ({r['mb']:.1f} MB incidents.csv): fmt --check {r['check']:.2f}s, "
              f"fmt write+rehash {r['write']:.2f}s, new: check row {r['new_check']:.2f}s "
              f"({r['issues']} issue(s)), insert+rehash {r['new_insert']:.2f}s")
    for a, b in zip(rows, rows[1:]):
        ratio = b["n"] / a["n"]
        print(f"x{ratio:g} rows: fmt --check x{b['check'] / a['check']:.1f}, new check x{b['new_check'] / a['new_check']:.1f}, "
              f"insert x{b['new_insert'] / a['new_insert']:.1f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10000, 100000])
