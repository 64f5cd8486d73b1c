"""Benchmark each platform-specific speed-up of the toolkit on and off, at 1M rows.

    python tests/benchmarks/bench_oscalls.py [--rows 1000000] [--pairs 5] [--only validate,serve]
                                             [--workdir DIR] [--seconds 5]

For each optimisation the same command runs with it (A) and with its call made unavailable
(B, exactly as tests/test_oscalls.py does: tests/unavailable.py), in turn A B A B ..., and the
ratio B/A is taken pair by pair, so a machine whose speed drifts still gives a fair ratio.
Printed: the median of the wall-time ratios (above 1.00: the optimisation saves time), the
median of the CPU-time ratios, the median wall and CPU seconds of each side, and every pair's
wall ratio (their spread shows the noise).

- `brcd validate` (1M incidents rows): glibc mallopt, the import hook that keeps pandas out of
  pandera's import thread;
- `brcd serve` (1M rows, built once): TCP_NODELAY on each connection; both servers run side by
  side and are loaded in turn for `--seconds` each (8 keep-alive connections, filtered JSON and
  row-by-id requests); the figure is the ratio of median latencies.

The machine is shared (2 cores, other jobs running): quote the medians of the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from unavailable import command  # noqa: E402

CASES = {
    "validate": ("mallopt", "pandas-hook"),
    "serve": ("nodelay",),
}


def timed(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, the child's own) and exit code of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, proc.returncode


def paired(label: str, args: list[str], off: str, pairs: int, cwd: Path) -> None:
    on_runs, off_runs, ratios = [], [], []
    timed(command(args), cwd)  # warm the page cache
    for _ in range(pairs):
        a = timed(command(args), cwd)
        b = timed(command(args, (off,)), cwd)
        if a[2] or b[2]:
            sys.exit(f"{label}: exit codes {a[2]} (on) and {b[2]} (off)")
        on_runs.append(a)
        off_runs.append(b)
        ratios.append(b[0] / a[0])
    med = statistics.median

    def side(runs: list) -> str:
        return f"wall {med(r[0] for r in runs):6.2f} s, CPU {med(r[1] for r in runs):6.2f} s"

    cpu = [b[1] / a[1] for a, b in zip(on_runs, off_runs)]
    print(f"{label:<34} off/on wall ratio {med(ratios):.3f}, CPU ratio {med(cpu):.3f}  "
          f"(on: {side(on_runs)}; off: {side(off_runs)})")
    print(f"{'':<34} wall pairs: {' '.join(f'{r:.3f}' for r in ratios)}")


def serve_pairs(pkg: Path, pairs: int, seconds: float, cwd: Path) -> None:
    from bench_serve import free_port, load, sample_values, scenarios, stop, wait_ready

    servers = {}
    try:
        for name, off in (("on", ()), ("off", ("nodelay",))):
            port = free_port()
            proc = subprocess.Popen(command(["serve", str(pkg), "--port", str(port)], off), cwd=cwd,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_ready(f"http://127.0.0.1:{port}", proc)
            servers[name] = (proc, f"http://127.0.0.1:{port}")
        values = sample_values(pkg / "tables" / "incidents.csv")
        paths = scenarios(values)["filtered JSON"] + scenarios(values)["row by id"]
        medians: dict[str, list[float]] = {"on": [], "off": []}
        rps: dict[str, list[float]] = {"on": [], "off": []}
        for name in ("on", "off"):  # warm both
            asyncio.run(load(servers[name][1], paths, 1.0, 8))
        for _ in range(pairs):
            for name in ("on", "off"):
                res = asyncio.run(load(servers[name][1], paths, seconds, 8))
                if res["failures"]:
                    sys.exit(f"serve ({name}): {res['failures'][:3]}")
                medians[name].append(res["median"])
                rps[name].append(res["rps"])
        ratios = [b / a for a, b in zip(medians["on"], medians["off"])]
        med = statistics.median
        print(f"{'serve: TCP_NODELAY':<34} off/on latency ratio {med(ratios):.3f}  "
              f"(on: median {med(medians['on']):.1f} ms, {med(rps['on']):.0f} req/s; "
              f"off: median {med(medians['off']):.1f} ms, {med(rps['off']):.0f} req/s)")
        print(f"{'':<34} pairs: {' '.join(f'{r:.3f}' for r in ratios)}")
    finally:
        for proc, _ in servers.values():
            stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--only", default="validate,serve")
    ap.add_argument("--workdir", type=Path, default=None, help="reuse/keep the synthetic package here")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-oscalls-"))
    pkg = work / "pkg"
    if not (pkg / "datapackage.json").exists():
        from synth import write_package

        write_package(pkg, args.rows, seed=0)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared); "
          f"{args.rows:,} incidents rows; {args.pairs} pairs")
    only = args.only.split(",")
    if "validate" in only:
        for off in CASES["validate"]:
            paired(f"validate: {off}", ["validate", str(pkg), "--format", "json"], off, args.pairs, work)
    if "serve" in only:
        subprocess.run(command(["build", str(pkg), "--out", str(pkg / "dist")]), check=True, cwd=work,
                       stdout=subprocess.DEVNULL)
        serve_pairs(pkg, args.pairs, args.seconds, work)


if __name__ == "__main__":
    main()
