"""Benchmark: the BRCD site under load on a synthetic 1M-row incidents table.

    python tests/benchmarks/bench_serve.py [--rows 1000000] [--seconds 10] [--connections 8]
                                           [--index-plan] [--baseline] [--keep DIR]

Writes a synthetic package (tests/benchmarks/synth.py), starts `brcd serve` on it (which
builds the SQLite file), then for each scenario keeps `--connections` HTTP connections busy for
`--seconds` on loopback and prints the median, 95th percentile, requests per second and failed
requests. Targets (issues 5 and 18): filtered JSON median <= 25 ms, table page median <= 200 ms
and record page median <= 150 ms at 8 connections over 10 s, zero failures.

Scenarios (filter values rotate over the synthetic districts, event types and organizations):
- `filtered JSON`: /brcd/incidents.json?district_id=..&_shape=array (the API call);
- `filtered JSON + facets`: the same with Datasette's default shape (count and facets);
- `table page`: /brcd/incidents, the HTML page with its five facets and the map's script;
- `filtered table page`: /brcd/incidents?event_type=..;
- `row by id`: /brcd/incidents/<id>.json;
- `record page`: /brcd/incidents/<id>, the record card (fields, named ids, sources, related rows);
- `organization record`: /brcd/organizations/<id>, whose related rows are among the million.
- `filtered JSON, first visits` and `record page, first visits`: the same kinds of request, but
  no address is asked twice (a page size from 51 to 100 per district; thousands of ids), so
  none is answered from the site's cache of whole responses (`brcd.site.responses`): what a
  reader's first look at a page costs under the same load. The scenarios above rotate over a
  few dozen addresses, which that cache answers from memory after their first request.

`--cache-mb N` sets the site's query-result cache (`BRCD_SITE_CACHE_MB`, 0 = off) to measure
what the cache saves.

The `table page` repeats one URL; its facet counts come from the site plugin's cache after the
first request (the database is immutable). The first ("cold") request of each scenario is timed
separately and printed, so the uncached cost is visible too. `--baseline` also runs the table
page and filtered JSON against plain `datasette serve --immutable` with Datasette's defaults
(facet suggestions on, no metadata, no inspect file) for the ratio.

`--index-plan` adds the composite indexes `brcd.presentation.index_plan` recommends (each filter column
paired with the table's sort column) to the benchmark's own built database before serving, to
measure what they change; without it any such index left in a `--keep` folder is dropped, so the
database is exactly what `brcd build` wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGETS_MS = {"filtered JSON": 25.0, "table page": 200.0, "record page": 150.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 600.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/-/versions.json", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit("server did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str) -> int:
    """One keep-alive HTTP/1.1 GET on an open connection; returns the status. A minimal client
    (Content-Length or chunked bodies) so the load generator, which shares the machine's cores
    with the server, costs as little CPU per request as possible."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("latin-1"))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def load(base: str, paths: list[str], seconds: float, connections: int) -> dict:
    """Keep `connections` connections busy for `seconds`; each walks `paths` in turn."""
    from urllib.parse import urlparse

    url = urlparse(base)
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        i = offset
        try:
            while time.perf_counter() < deadline:
                path = paths[i % len(paths)]
                i += connections
                t0 = time.perf_counter()
                try:
                    status = await fetch(reader, writer, url.netloc, path)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    status = repr(exc)
                    writer.close()
                    reader, writer = await asyncio.open_connection(url.hostname, url.port)
                latencies.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    failures.append(f"{path}: {status}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies), "failures": failures, "rps": len(latencies) / elapsed,
        "median": statistics.median(latencies) if latencies else float("nan"),
        "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
    }


def wait_warm(base: str, timeout: float = 180.0) -> float:
    """Wait until the site's startup facet counts are done (each worker computes them once, see
    brcd.site.plugin.warm_facets): four answers in a row with every configured facet of incidents."""
    import httpx

    t0 = time.perf_counter()
    streak = 0
    while time.perf_counter() - t0 < timeout and streak < 4:
        data = httpx.get(base + "/brcd/incidents.json?_size=1", timeout=120).json()
        streak = streak + 1 if len(data.get("facet_results") or {}) >= 5 else 0
        time.sleep(0.1 if streak else 1.0)
    return time.perf_counter() - t0


def cold(base: str, path: str) -> float:
    import httpx

    t0 = time.perf_counter()
    r = httpx.get(base + path, timeout=120)
    assert r.status_code == 200, (path, r.status_code)
    return (time.perf_counter() - t0) * 1000


def sample_values(csv_path: Path, n: int = 6000) -> dict[str, list[str]]:
    values: dict[str, set] = {"district_id": set(), "event_type": set(), "actor1_id": set()}
    ids = []
    with csv_path.open(newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i >= n:
                break
            ids.append(row["incident_id"])
            if i >= 2000:
                continue
            for k in values:
                if row[k]:
                    values[k].add(row[k])
    return {**{k: sorted(v) for k, v in values.items()}, "incident_id": ids[:200], "fresh_id": ids[200:]}


def scenarios(v: dict[str, list[str]]) -> dict[str, list[str]]:
    from urllib.parse import quote, urlencode

    return {
        "filtered JSON": [f"/brcd/incidents.json?{urlencode({'district_id': d, '_shape': 'array'})}"
                          for d in v["district_id"]],
        "filtered JSON + facets": [f"/brcd/incidents.json?{urlencode({'district_id': d})}" for d in v["district_id"]],
        "table page": ["/brcd/incidents"],
        "filtered table page": [f"/brcd/incidents?{urlencode({'event_type': e})}" for e in v["event_type"]],
        "row by id": [f"/brcd/incidents/{quote(i)}.json" for i in v["incident_id"]],
        "record page": [f"/brcd/incidents/{quote(i)}" for i in v["incident_id"]],
        "organization record": [f"/brcd/organizations/{quote(o)}" for o in v["actor1_id"]],
        "filtered JSON, first visits": [f"/brcd/incidents.json?{urlencode({'district_id': d, '_shape': 'array', '_size': size})}"
                                        for size in range(100, 50, -1) for d in v["district_id"]],
        "record page, first visits": [f"/brcd/incidents/{quote(i)}" for i in v["fresh_id"]],
    }


def run_server(cmd: list[str], cwd: Path, port: int, log: Path, env: dict | None = None) -> tuple[subprocess.Popen, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    wait_ready(f"http://127.0.0.1:{port}", proc)
    return proc, time.perf_counter() - t0


PLAN_PREFIX = "bench_plan_"


def apply_index_plan(sqlite: Path, package_path: Path, on: bool) -> float:
    """Create (or drop) the index plan's composite indexes in the benchmark's database."""
    import sqlite3

    from brcd.package import load_package
    from brcd.presentation import index_plan
    from brcd.fields import quote_ident as q

    t0 = time.perf_counter()
    con = sqlite3.connect(sqlite)
    for (name,) in con.execute("select name from sqlite_master where type = 'index' and name like ?",
                               (PLAN_PREFIX + "%",)).fetchall():
        con.execute(f"drop index {q(name)}")
    if on:
        for table, indexes in index_plan(load_package(package_path)).items():
            for cols in indexes:
                if len(cols) > 1:
                    con.execute(f"create index {q(PLAN_PREFIX + table + '_' + '_'.join(cols))} "
                                f"on {q(table)} ({', '.join(q(c) for c in cols)})")
    con.commit()
    con.close()
    return time.perf_counter() - t0


def report(name: str, cold_ms: float, res: dict) -> None:
    target = TARGETS_MS.get(name)
    verdict = ""
    if target:
        verdict = f"  target {target:.0f} ms: {'PASS' if res['median'] <= target and not res['failures'] else 'FAIL'}" \
                  f" (median/target {res['median'] / target:.2f})"
    print(f"  {name:28s} cold {cold_ms:8.1f} ms | median {res['median']:7.1f} ms  p95 {res['p95']:7.1f} ms"
          f"  {res['rps']:7.1f} req/s  {res['requests']:6d} requests  {len(res['failures'])} failed{verdict}")
    for f in res["failures"][:5]:
        print(f"      failure: {f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--baseline", action="store_true", help="also measure plain Datasette with its defaults")
    ap.add_argument("--index-plan", action="store_true", help="add brcd.presentation.index_plan's composite indexes first")
    ap.add_argument("--keep", type=Path, help="reuse/keep the synthetic package in this folder")
    ap.add_argument("--cache-mb", type=float, help="the site's query-result cache in MB (0 = off)")
    args = ap.parse_args()

    from synth import write_package

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-serve-"))
    pkg = work / "pkg"
    if not (pkg / "datapackage.json").exists():
        t0 = time.perf_counter()
        write_package(pkg, args.rows)
        print(f"synthetic package: {args.rows:,} incidents in {time.perf_counter() - t0:.1f} s ({pkg})")
    from brcd.release.build import build

    t0 = time.perf_counter()
    built = build(pkg, out_dir=pkg / "dist")
    print(f"brcd build: {time.perf_counter() - t0:.1f} s{' (skipped: inputs unchanged)' if built.skipped else ''}")
    seconds = apply_index_plan(built.sqlite, pkg, args.index_plan)
    if args.index_plan:
        print(f"index plan: composite indexes added in {seconds:.1f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"BRCD_SITE_CACHE_MB": str(args.cache_mb)} if args.cache_mb is not None else {}
    proc, startup = run_server([sys.executable, "-m", "brcd", "serve", str(pkg), "--port", str(port)], work, port,
                               work / "serve.log", env)
    sqlite = pkg / "dist" / "brcd.sqlite"
    print(f"brcd serve ready in {startup:.1f} s (metadata + inspect data + Datasette start); "
          f"database {sqlite.stat().st_size / 2**20:.0f} MiB")
    print(f"startup facet counts ready after {wait_warm(base):.1f} s more")
    values = sample_values(pkg / "tables" / "incidents.csv")
    print(f"load: {args.connections} connections x {args.seconds:.0f} s per scenario, loopback, {os.cpu_count()} CPUs; "
          f"machine load average before: {os.getloadavg()[0]:.1f} (other processes share these cores)")
    results = {}
    try:
        for name, paths in scenarios(values).items():
            cold_ms = cold(base, paths[0])
            results[name] = asyncio.run(load(base, paths, args.seconds, args.connections))
            report(name, cold_ms, results[name])
    finally:
        stop(proc)

    if args.baseline:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc, _ = run_server([sys.executable, "-m", "datasette", "serve", "--immutable", str(sqlite), "--port", str(port)],
                             work, port, work / "baseline.log")
        print("baseline: plain `datasette serve --immutable` with Datasette's defaults")
        try:
            for name in ("filtered JSON + facets", "table page"):
                paths = scenarios(values)[name]
                cold_ms = cold(base, paths[0])
                res = asyncio.run(load(base, paths, args.seconds, args.connections))
                report(name, cold_ms, res)
                print(f"      speed-up of the BRCD site: {res['median'] / results[name]['median']:.0f}x (median)")
        finally:
            stop(proc)
    failed = [n for n, t in TARGETS_MS.items() if results[n]["median"] > t or results[n]["failures"]]
    print("targets:", "all met" if not failed else "NOT met: " + ", ".join(failed))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
