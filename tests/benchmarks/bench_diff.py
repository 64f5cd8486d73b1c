"""Benchmark `brcd diff` on two versions of a 1M-row incidents table.

NEW is OLD with 1,000 rows removed, 10,000 rows with a corrected fatality count and 1,000
rows added. Each measured step runs in its own process, which reports its own peak RSS (VmHWM). Targets (issue 4): diff <= 5 s, peak memory <= 1 GiB.

Usage: python tests/benchmarks/bench_diff.py [N_ROWS]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import write_package  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
CHILD = """
import json, sys, time
from brcd.release.diff import diff_paths
from brcd.release.diff.render import render_json, render_text
start = time.perf_counter()
result = diff_paths(sys.argv[1], sys.argv[2], limit=None if sys.argv[3] == "json" else 20)
out = render_json(result) if sys.argv[3] == "json" else render_text(result)
took = time.perf_counter() - start
counts = {t.name: [t.rows.added, t.rows.removed, t.rows.changed] for t in result.tables if t.rows}
# VmHWM: this process's own peak RSS (ru_maxrss would include the parent's pages copied at fork).
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": took, "bump": result.required_bump, "counts": counts["incidents"], "bytes": len(out),
                  "peak_mib": hwm / 1024}))
"""


def make_new(old: Path, new: Path) -> None:
    import duckdb

    from brcd.duck import read_csv_sql
    from brcd.package import load_package

    shutil.copytree(old, new)
    src, dest = old / "tables" / "incidents.csv", new / "tables" / "incidents.csv"
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM {read_csv_sql(load_package(old).resource('incidents'), all_varchar=True)}")
    con.execute("CREATE TABLE ids AS SELECT incident_id, row_number() OVER (ORDER BY incident_id) AS i FROM t")
    con.execute("DELETE FROM t WHERE incident_id IN (SELECT incident_id FROM ids WHERE i % 997 = 5 LIMIT 1000)")
    con.execute("UPDATE t SET fatalities_high = CAST(CAST(fatalities_high AS BIGINT) + 1 AS VARCHAR) "
                "WHERE incident_id IN (SELECT incident_id FROM ids WHERE i % 97 = 3 LIMIT 10000) AND parent_incident_id IS NULL")
    con.execute("INSERT INTO t SELECT * REPLACE ('BAL-INC-9999-' || lpad(CAST(row_number() OVER () AS VARCHAR), 4, '0') "
                "AS incident_id, NULL AS parent_incident_id) FROM t WHERE parent_incident_id IS NULL LIMIT 1000")
    con.execute(f"COPY (SELECT * FROM t ORDER BY incident_id) TO '{dest}' (HEADER, DELIMITER ',')")


def measure(old: Path, new: Path, fmt: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(old), str(new), fmt], capture_output=True, text=True)
    if proc.returncode:
        sys.exit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        old, new = Path(tmp) / "old", Path(tmp) / "new"
        start = time.perf_counter()
        write_package(old, N, seed=0)
        make_new(old, new)
        print(f"setup: two versions of {N:,} incidents rows in {time.perf_counter() - start:.1f} s")
        for fmt in ("text", "json"):
            r = measure(old, new, fmt)
            print(f"diff --format {fmt}: {r['seconds']:.2f} s (target <= 5 s, ratio {r['seconds'] / 5:.2f}), "
                  f"peak {r['peak_mib']:.0f} MiB (target <= 1024, ratio {r['peak_mib'] / 1024:.2f}); "
                  f"incidents added/removed/changed {r['counts']}, bump {r['bump']}, output {r['bytes']:,} bytes")


if __name__ == "__main__":
    main()
