"""Fuzz `brcd validate` with mutated packages and count what must never happen.

Each case is a seeded two-table package (places, and events pointing at them: a primary key,
a foreign key, unique, enum, pattern, ranges, lengths, every common type; free text holding
quotes, commas, newlines and non-ASCII) damaged one to three times: its CSV bytes (stray
quotes, lost commas and newlines, CRs, BOMs, bytes that are not UTF-8, cuts: tests/fuzzcsv.py),
its cells (wrong types, `""`, control characters, repeated and dangling keys, spaces), its
rows and columns, or its descriptor (a value replaced by another JSON value, a key deleted,
a path out of the package). Every case is validated twice, with the fast reader (as usual)
and with the exact reader alone, and, when BRCD calls it valid, by upstream frictionless.

Counted, all must be zero:
- tracebacks: an exception other than BrcdError (one line, exit 2), or a `check-error` issue;
- reader disagreements: the two runs differ in validity or in any issue's code, table, line,
  row, field or column;
- false accepts: BRCD calls the package valid, frictionless calls it invalid (BRCD's
  deliberate differences, where the Table Schema spec sides with BRCD, are listed by
  `DELIBERATE` and counted apart).

Usage: python tests/benchmarks/bench_fuzz.py [--cases 10000] [--seed 0] [--workers 2] [--show 5]
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fuzzcsv import cell as text_cell, mutate  # noqa: E402

PLACES = [
    {"name": "place_id", "type": "string",
     "constraints": {"required": True, "unique": True, "pattern": "^P[0-9]{3}$"}},
    {"name": "name", "type": "string", "constraints": {"required": True, "minLength": 2, "maxLength": 40}},
    {"name": "kind", "type": "string", "constraints": {"enum": ["town", "mine", "port"]}},
    {"name": "area", "type": "number", "constraints": {"minimum": 0}},
    {"name": "lat", "type": "number", "constraints": {"minimum": -90, "maximum": 90}},
    {"name": "founded", "type": "date"},
    {"name": "active", "type": "boolean"},
    {"name": "pop", "type": "integer", "constraints": {"minimum": 0}},
]
EVENTS = [
    {"name": "event_id", "type": "integer", "constraints": {"required": True, "unique": True}},
    {"name": "place_id", "type": "string"},
    {"name": "day", "type": "date", "constraints": {"required": True}},
    {"name": "deaths", "type": "integer", "constraints": {"minimum": 0, "maximum": 10000}},
    {"name": "note", "type": "string"},
]
NAMES = ["Quetta", "Gwadar", "Turbat", "Saindak", "Reko Diq", "Dalbandin", "Khuzdar", "Sibi", "Zhob", "Panjgur",
         "Chagai", "Ormara"]
TRICKY = ["", '""', "x", "abc", "1.5", "-1", "01", "1e3", "NaN", "INF", "-INF", "2021-02-30", "2021-2-3",
          "2021-02-03T00:00:00", "true", "TRUE", "yes", "0", " 5", "5 ", "5,5", "1,000", "\x00", "\x1bx", "a\u202eb",
          "\u0085", "x" * 50, "P001", "P999", "=1+1", "+5", "99999999999999999999", "-0", ".5", "5.", "1_000",
          "\t", "a\nb", '"', "'", "é", "\ufeffx", "null", "None", "-", "2024-12-31", "1947-08-14", "0x1A"]
DESCRIPTOR_VALUES = [None, 0, 5, -1, "x", "", "../x.csv", "/etc/passwd", [], ["x"], {}, {"a": 1}, True, False,
                     "sha256:00", "string", "integer", "date", "number", 1.5]
# BRCD's house rules, stricter than frictionless; and where frictionless is lenient and the
# Table Schema spec sides with BRCD. A frictionless error that only these explain is no false accept.
DELIBERATE = {
}


def write_csv(path: Path, fields: list[dict], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([f["name"] for f in fields])
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def base_package(rng: random.Random, dest: Path) -> None:
    """A valid package: places and events, a few rows each."""
    (dest / "tables").mkdir(parents=True)
    places = []
    for i, name in enumerate(rng.sample(NAMES, rng.randint(1, 8))):
        places.append([f"P{i + 1:03d}", name, rng.choice(["town", "mine", "port", ""]),
                       rng.choice(["", "12.5", "3501", "0"]), rng.choice(["", "30.18", "-25.1", "0"]),
                       rng.choice(["", "1890-01-01", "2004-12-31"]), rng.choice(["", "true", "false"]),
                       rng.choice(["", "0", "1200", "40000"])])
    events = []
    for i in range(rng.randint(0, 10)):
        note = text_cell(rng)
        if note.strip() != note or note[:1] in "=+-@" or any(c in note for c in "\x00\x1b\u202e\u0085\x7f\r"):
            note = ""  # a valid package: BRCD's text rules (no control characters, no stray spaces)
        events.append([str(i + 1), rng.choice([p[0] for p in places] + [""]),
                       rng.choice(["2021-05-01", "2024-08-26", "2019-01-31"]),
                       rng.choice(["", "0", "3", "10000"]), note])
    write_csv(dest / "tables" / "places.csv", PLACES, places)
    write_csv(dest / "tables" / "events.csv", EVENTS, events)
    descriptor = {
        "name": "fuzz", "profile": "tabular-data-package",
        "resources": [
            {"name": "places", "path": "tables/places.csv", "profile": "tabular-data-resource", "format": "csv",
             "encoding": "utf-8",
             "schema": {"fields": copy.deepcopy(PLACES), "primaryKey": ["place_id"], "missingValues": [""]}},
            {"name": "events", "path": "tables/events.csv", "profile": "tabular-data-resource", "format": "csv",
             "encoding": "utf-8",
             "schema": {"fields": copy.deepcopy(EVENTS), "primaryKey": ["event_id"], "missingValues": [""],
                        "foreignKeys": [{"fields": ["place_id"],
                                         "reference": {"resource": "places", "fields": ["place_id"]}}]}},
        ],
    }
    (dest / "datapackage.json").write_text(json.dumps(descriptor, indent=2))


def _rows(path: Path) -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        return None


def _descriptor_paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _descriptor_paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _descriptor_paths(v, path + (i,))


def damage(rng: random.Random, pkg: Path) -> list[str]:
    """Damage the package 1-3 times; returns what was done."""
    done = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["bytes", "bytes", "cell", "cell", "cell", "row", "column", "descriptor"])
        table = pkg / "tables" / rng.choice(["places.csv", "events.csv"])
        if kind == "bytes":
            table.write_bytes(mutate(rng, table.read_bytes(), times=rng.randint(1, 2)))
        elif kind in ("cell", "row", "column"):
            rows = _rows(table)
            if not rows or len(rows) < 2:
                continue
            r = rng.randrange(1, len(rows))
            if not rows[r] or not rows[0]:
                continue
            if kind == "cell":
                c = rng.randrange(len(rows[r]))
                rows[r][c] = rng.choice(TRICKY)
            elif kind == "row":
                if rng.random() < 0.5:
                    rows.insert(rng.randrange(1, len(rows) + 1), list(rows[r]))
                else:
                    del rows[r]
            else:
                c = rng.randrange(len(rows[0]))
                for row in rows:
                    if c < len(row):
                        del row[c]
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            table.write_bytes(buf.getvalue().encode("utf-8"))
        else:
            desc = json.loads((pkg / "datapackage.json").read_text())
            paths = [p for p in _descriptor_paths(desc) if p]
            where = rng.choice(paths)
            node = desc
            for key in where[:-1]:
                node = node[key]
            if rng.random() < 0.3 and isinstance(node, dict):
                del node[where[-1]]
            else:
                node[where[-1]] = copy.deepcopy(rng.choice(DESCRIPTOR_VALUES))
            (pkg / "datapackage.json").write_text(json.dumps(desc, indent=2))
        done.append(kind)
    return done


def _brcd(pkg: Path, exact: bool):
    """("refused", one line) | ("report", valid, issues) | ("traceback", text)."""
    from brcd.errors import BrcdError
    from brcd.validate import validate_package

    try:
        report = validate_package(pkg, max_errors=None, exact_reader=exact)
    except BrcdError as exc:
        return ("refused", exc.code)
    except Exception:  # noqa: BLE001 - what this benchmark counts
        return ("traceback", traceback.format_exc(limit=-4))
    issues = sorted(((e.code, e.resource, e.line, e.row, e.field, e.column) for e in report.errors),
                    key=lambda t: [(v is not None, v) for v in t])
    if any(e.code == "check-error" for e in report.errors):
        return ("traceback", "\n".join(e.message for e in report.errors if e.code == "check-error"))
    return ("report", report.valid, issues)


def _frictionless(pkg: Path) -> tuple[bool, list[str]]:
    import frictionless

    try:
        report = frictionless.validate(str(pkg / "datapackage.json"))
    except Exception as exc:  # noqa: BLE001 - frictionless refusing the package: invalid
        return False, [f"exception: {type(exc).__name__}"]
    errors = [f"{err.type}: {err.note}" for task in report.tasks for err in task.errors] + \
             [f"{err.type}: {err.note}" for err in report.errors]
    return report.valid, errors


def run_case(seed: int) -> dict:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="brcd-fuzz-"))
    try:
        pkg = work / "pkg"
        base_package(rng, pkg)
        done = damage(rng, pkg)
        fast = _brcd(pkg, exact=False)
        exact = _brcd(pkg, exact=True)
        out = {"seed": seed, "done": done, "fast": fast[0], "valid": fast[0] == "report" and fast[1]}
        if "traceback" in (fast[0], exact[0]):
            out["traceback"] = fast[1] if fast[0] == "traceback" else exact[1]
        elif fast != exact:
            out["disagree"] = (fast, exact)
        if out["valid"]:
            up_valid, up_errors = _frictionless(pkg)
            out["upstream_valid"] = up_valid
            if not up_valid:
                out["upstream_errors"] = up_errors
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def deliberate(errors: list[str]) -> str | None:
    for name, test in DELIBERATE.items():
        if errors and all(test(e) for e in errors):
            return name
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--show", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared)")
    start = time.perf_counter()
    seeds = range(args.seed, args.seed + args.cases)
    results = []
    with Pool(args.workers) as pool:
        for result in pool.imap_unordered(run_case, seeds, chunksize=20):
            results.append(result)
            if len(results) % 1000 == 0:
                print(f"  {len(results):,} cases, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    took = time.perf_counter() - start
    outcomes = Counter(r["fast"] if not r["valid"] else "valid" for r in results)
    tracebacks = [r for r in results if "traceback" in r]
    disagree = [r for r in results if "disagree" in r]
    checked = [r for r in results if "upstream_valid" in r]
    upstream_invalid = [r for r in checked if not r["upstream_valid"]]
    explained = Counter(deliberate(r["upstream_errors"]) for r in upstream_invalid)
    false_accepts = [r for r in upstream_invalid if deliberate(r["upstream_errors"]) is None]
    print(f"{len(results):,} mutated packages in {took:.0f} s ({args.workers} workers), seeds {args.seed}.."
          f"{args.seed + args.cases - 1}")
    print(f"BRCD: {outcomes['valid']:,} valid, {outcomes['report']:,} invalid (report), "
          f"{outcomes['refused']:,} refused at load (one line, exit 2)")
    print(f"tracebacks (incl. check-error): {len(tracebacks)}")
    print(f"reader disagreements (fast vs exact): {len(disagree)}")
    print(f"checked by frictionless (BRCD valid): {len(checked):,}; frictionless invalid: {len(upstream_invalid)}"
          + "".join(f"; deliberate difference '{k}': {n}" for k, n in explained.items() if k))
    print(f"false accepts (frictionless invalid, BRCD valid): {len(false_accepts)}")
    for label, items, key in (("traceback", tracebacks, "traceback"), ("disagreement", disagree, "disagree"),
                              ("false accept", false_accepts, "upstream_errors")):
        for r in sorted(items, key=lambda r: r["seed"])[: args.show]:
            print(f"--- {label}, seed {r['seed']} ({', '.join(r['done'])}):\n{r[key]}")
    sys.exit(1 if tracebacks or disagree or false_accepts else 0)


if __name__ == "__main__":
    main()
