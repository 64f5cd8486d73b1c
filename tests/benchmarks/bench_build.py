"""Benchmark `brcd build` on a package with a 1M-row incidents table.

Prints the time of each step (hash, validate, DuckDB file, Parquet, SQLite) and the peak RSS
of the build process (VmHWM, measured in its own process), once with validation and once
without (the build's own steps), the output sizes, and the time of a second, skipped build. Targets (issue 4): SQLite <= 3 s, peak memory <= 1 GiB.
(sqlite-utils needs 61 s for the same rows on this kind of machine.)

Usage: python tests/benchmarks/bench_build.py [N_ROWS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
SETUP = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
from pathlib import Path
from synth import write_package
write_package(Path(sys.argv[1]), int(sys.argv[2]), seed=0)
"""
CHILD = """
import json, sys, time
from pathlib import Path
from brcd.release.build import build
start = time.perf_counter()
first = build(Path(sys.argv[1]), Path(sys.argv[2]), force=True, validate=sys.argv[3] == "validate")
total = time.perf_counter() - start
start = time.perf_counter()
again = build(Path(sys.argv[1]), Path(sys.argv[2]))
skip = time.perf_counter() - start
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
sizes = {"sqlite": first.sqlite.stat().st_size, "duckdb": first.duckdb.stat().st_size,
         "parquet": sum(p.stat().st_size for p in first.parquet_dir.glob("*.parquet"))}
print(json.dumps({"total": total, "steps": first.seconds, "skip": skip, "skipped": again.skipped,
                  "peak_mib": hwm / 1024, "sizes": sizes}))
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        pkg, out = Path(tmp) / "pkg", Path(tmp) / "dist"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", SETUP, str(pkg), str(N)], check=True, stdout=subprocess.DEVNULL)
        csv_mb = (pkg / "tables" / "incidents.csv").stat().st_size / 2**20
        print(f"setup: {N:,} incidents rows ({csv_mb:.0f} MiB CSV) in {time.perf_counter() - start:.1f} s")
        for mode in ("validate", "no-validate"):
            proc = subprocess.run([sys.executable, "-c", CHILD, str(pkg / "datapackage.json"), str(out / mode), mode],
                                  capture_output=True, text=True)
            if proc.returncode:
                sys.exit(proc.stderr)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in r["steps"].items() if ":" not in k)
            phases = ", ".join(f"{k.split(':')[1]} {v:.2f} s" for k, v in r["steps"].items() if k.startswith("sqlite:"))
            sqlite_s, load_s = r["steps"]["sqlite"], r["steps"]["sqlite:tables"]
            print(f"[{mode}] build: {r['total']:.2f} s in all ({steps})")
            print(f"[{mode}] sqlite step: {sqlite_s:.2f} s (target <= 3 s, ratio {sqlite_s / 3:.2f}; "
                  f"sqlite-utils 61 s, ratio {sqlite_s / 61:.2f}): {phases}")
            print(f"[{mode}] rows of the largest table into typed SQLite (what sqlite-utils insert does; the "
                  f"other tables load beside it, in a second thread): {load_s:.2f} s "
                  f"(target <= 3 s, ratio {load_s / 3:.2f}; sqlite-utils ratio {load_s / 61:.2f})")
            print(f"[{mode}] peak memory: {r['peak_mib']:.0f} MiB (target <= 1024, ratio {r['peak_mib'] / 1024:.2f})")
        print("sizes: " + ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in r["sizes"].items()))
        print(f"second build with unchanged inputs: {r['skip']:.2f} s (skipped: {r['skipped']})")


if __name__ == "__main__":
    main()
