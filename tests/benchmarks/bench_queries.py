"""Benchmark: every named query on a synthetic package with 1M incidents rows.

    python tests/benchmarks/bench_queries.py [--rows 1000000] [--repeat 3] [--keep DIR]

Writes the package with tests/benchmarks/synth.py, builds dist/ with `brcd.release.build.build` (no
validation: the rows are valid by construction) and times each query
  - on dist/brcd.duckdb, the path `brcd query` takes when the build is fresh: median and worst
    of --repeat runs, each on a new read-only connection; the target is <= 1 s per query;
  - straight over the CSVs (`brcd query --csv-only`, no build): one cold run, parsing included;
  - on dist/brcd.sqlite, the file Datasette serves (its default time limit is 1 s): one run.
Prints one line per query, the ratios, and exits 1 when a query misses the 1 s target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_S = 1.0


def params_for(query, first_site: str) -> dict[str, str]:
    values = {"site_timeline": {"site_id": first_site}, "incidents_near_sites": {"radius_km": "300"}}
    return values.get(query.name, {})


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="write the package here and keep it (default: a temporary folder)")
    args = ap.parse_args()

    import sqlite3

    import duckdb

    from brcd.release.build import build
    from brcd.duck import connect
    from brcd.package import load_package
    from brcd.query.named import bind, engine_values, load_queries
    from synth import write_package

    queries = load_queries(REPO)
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as tmp:
        root = args.keep or Path(tmp) / "pkg"
        t_synth, (descriptor, _) = timed(lambda: write_package(root, args.rows))
        pkg = load_package(descriptor)
        t_build, built = timed(lambda: build(pkg, root / "dist", validate=False, force=True))
        size_mb = pkg.resource("incidents").path.stat().st_size / 1e6
        print(f"synthetic package: {args.rows:,} incidents rows ({size_mb:.0f} MB CSV) in {t_synth:.1f} s; "
              f"build {t_build:.1f} s; {len(queries)} queries; DuckDB {duckdb.__version__}, SQLite {sqlite3.sqlite_version}")
        site = sqlite3.connect(built.sqlite).execute("SELECT site_id FROM minerals ORDER BY site_id LIMIT 1").fetchone()[0]

        print(f"{'query':34s} {'rows':>7s} {'built median':>12s} {'built max':>9s} {'CSVs cold':>9s} "
              f"{'SQLite':>8s} {'CSVs/built':>10s} {'SQLite/built':>12s}")
        worst, totals = 0.0, {"built": 0.0, "csv": 0.0, "sqlite": 0.0}
        lite = sqlite3.connect(built.sqlite)
        for q in queries:
            typed = bind(q, params_for(q, site))
            runs = []
            for _ in range(args.repeat):
                con = duckdb.connect(str(built.duckdb), read_only=True)
                seconds, rows = timed(lambda: con.execute(q.duckdb_sql, engine_values(typed, "duckdb")).fetchall())
                con.close()
                runs.append(seconds)
            median = statistics.median(runs)
            csv_con = connect(pkg)
            t_csv, csv_rows = timed(lambda: csv_con.execute(q.duckdb_sql, engine_values(typed, "duckdb")).fetchall())
            t_lite, lite_rows = timed(lambda: lite.execute(q.sqlite_sql, engine_values(typed, "sqlite")).fetchall())
            assert len(csv_rows) == len(rows) == len(lite_rows), q.name
            worst = max(worst, max(runs))
            totals["built"] += median
            totals["csv"] += t_csv
            totals["sqlite"] += t_lite
            flag = "" if max(runs) <= TARGET_S else "  <-- over 1 s"
            print(f"{q.name:34s} {len(rows):7d} {median:11.3f}s {max(runs):8.3f}s {t_csv:8.2f}s {t_lite:7.2f}s "
                  f"{t_csv / median:9.1f}x {t_lite / median:11.1f}x{flag}")
        print(f"{'all queries':34s} {'':7s} {totals['built']:11.3f}s {'':9s} {totals['csv']:8.2f}s {totals['sqlite']:7.2f}s "
              f"{totals['csv'] / totals['built']:9.1f}x {totals['sqlite'] / totals['built']:11.1f}x")
        verdict = "PASS" if worst <= TARGET_S else "FAIL"
        print(f"{verdict}: slowest named query on the built DuckDB file {worst:.3f} s (target <= {TARGET_S:.0f} s "
              f"on {args.rows:,} incidents rows)")
        return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
