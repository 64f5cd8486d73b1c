"""Benchmark `brcd validate` against upstream `frictionless validate` on the same files.

Generates N synthetic incidents rows (tests/benchmarks/synth.py), once valid and once with
injected errors, and prints in one run:
- wall time (median of --runs), CPU time and peak memory of `brcd validate` on both packages,
- whether every injected error was reported at its line,
- a plain all-string polars read of the same incidents file (start-up included, as brcd's) and
  the ratio brcd / polars (target: within 4x),
- one run of `frictionless validate` on the valid package and the ratio frictionless / brcd
  (target: at least 30x),
- `brcd validate` on the real package and `brcd --help`, start-up included.

Usage: python tests/benchmarks/bench_validate.py [--rows 1000000] [--runs 3] [--no-frictionless]
The machine is shared: read the CPU time beside the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synth import write_package  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# The floor: polars reading the file with every column a string, nothing checked.
POLARS_READ = ("import sys, polars as pl; "
               "print(pl.read_csv(sys.argv[1], infer_schema=False).height)")
BRCD = [sys.executable, "-m", "brcd"]


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int, bytes, int]:
    """Wall seconds, CPU seconds (user+sys), peak RSS in MiB, stdout, exit code of one run
    (GNU time measures the command's own peak: a forked Python child would report ours)."""
    with tempfile.NamedTemporaryFile("r") as stats, tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", stats.name, *cmd], stdout=out,
                              stderr=subprocess.DEVNULL, cwd=cwd)
        wall = time.perf_counter() - start
        rss_kb, user, sys_ = stats.read().split()[-3:]
        out.seek(0)
        return wall, float(user) + float(sys_), int(rss_kb) // 1024, out.read(), proc.returncode


def measure(label: str, cmd: list[str], runs: int, cwd: Path | None = None) -> tuple[float, bytes, float]:
    """Median wall seconds, the last run's stdout, median CPU seconds."""
    results = [run(cmd, cwd) for _ in range(runs)]
    walls = [r[0] for r in results]
    cpu = statistics.median(r[1] for r in results)
    rss = max(r[2] for r in results)
    med = statistics.median(walls)
    print(f"{label:<44} median {med:6.2f} s  (runs {' '.join(f'{w:.2f}' for w in walls)}; "
          f"CPU {cpu:.2f} s; peak {rss} MiB; exit {results[-1][4]})")
    return med, results[-1][3], cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-frictionless", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared)")
        t = time.perf_counter()
        valid, _ = write_package(work / "valid", args.rows, seed=0)
        broken, injected = write_package(work / "broken", args.rows, seed=1, inject_errors=True)
        size = (work / "valid" / "tables" / "incidents.csv").stat().st_size / 2**20
        print(f"generated 2 x {args.rows:,} incidents rows ({size:.0f} MiB each) in {time.perf_counter() - t:.1f} s")

        ours, _, ours_cpu = measure(f"brcd validate, {args.rows:,} valid rows",
                                    BRCD + ["validate", str(valid), "--format", "json"], args.runs)
        _, out, _ = measure(f"brcd validate, {args.rows:,} rows + errors",
                         BRCD + ["validate", str(broken), "--format", "json", "--max-errors", "0"], args.runs)
        report = json.loads(out)
        found = {(e["code"], e["line"], e["field"]) for e in report["errors"]}
        want = {(e["code"], e["line"], e["field"]) for e in injected}
        missed, extra = want - found, found - want
        print(f"injected errors found at their line: {len(want - missed)}/{len(want)}"
              f"{'' if not missed else f' MISSED {sorted(missed)[:5]}'}; other errors reported: {len(extra)}")

        table = valid.parent / "tables" / "incidents.csv"
        polars_read, _, polars_cpu = measure("polars read_csv, all columns as strings",
                                             [sys.executable, "-c", POLARS_READ, str(table)], args.runs)
        print(f"brcd validate / plain polars read: {ours / polars_read:.2f}x wall, {ours_cpu / polars_cpu:.2f}x CPU"
              " (target: at most 4x)")

        if not args.no_frictionless:
            upstream, up_cpu, up_rss, up_out, _ = run(["frictionless", "validate", "--json", str(valid)], cwd=valid.parent)
            up_valid = json.loads(up_out).get("valid") if up_out else None
            print(f"{'frictionless validate, same valid package':<44} {upstream:6.2f} s (one run; CPU {up_cpu:.2f} s;"
                  f" peak {up_rss} MiB; valid={up_valid})")
            print(f"speed-up over frictionless: {upstream / ours:.1f}x wall, {up_cpu / ours_cpu:.1f}x CPU"
                  " (target: at least 30x; brcd's wall gains from its second core, lost when other work holds it)")

        measure("brcd validate, real package (start-up incl.)", BRCD + ["validate", str(REPO)], max(args.runs, 5))
        measure("brcd --help", BRCD + ["--help"], max(args.runs, 5))
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
