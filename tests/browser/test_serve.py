"""`brcd serve` end to end (no browser): it builds when stale, writes its generated files where
git ignores them, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM."""

from __future__ import annotations

import json
import signal

import httpx
import pytest

from sitekit import LiveServer, free_port, read_rows, write_rows


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_cleanly(package_copy, sig):
    server = LiveServer(package_copy.parent, free_port()).start()
    assert httpx.get(server.url + "/brcd.json").status_code == 200
    code = server.stop(sig)
    output = server.output()
    assert code == 0, output
    assert "Traceback" not in output and output.rstrip().endswith("Stopped.")
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/", timeout=2)


def test_prepare_builds_when_stale_and_writes_generated_files(package_copy):
    from brcd.edit.hash import update_hashes
    from brcd.package import load_package
    from brcd.site.serve import prepare

    files = prepare(load_package(package_copy))
    root = package_copy.parent
    assert files.sqlite == root / "dist" / "brcd.sqlite"
    assert files.metadata.parent == root / "dist" / "site"
    meta = json.loads(files.metadata.read_text())
    assert meta["databases"]["brcd"]["tables"]["incidents"]["facets"]
    inspect = json.loads(files.inspect.read_text())["brcd"]
    incidents = read_rows(root / "tables" / "incidents.csv")
    assert inspect["tables"]["incidents"]["count"] == len(incidents)

    # Unchanged inputs: the inspect file is reused as it is.
    stamp = files.inspect.stat().st_mtime_ns
    assert prepare(load_package(package_copy)).inspect.stat().st_mtime_ns == stamp

    # One row fewer: the database is rebuilt and the counts follow. The row removed is one no
    # other row refers to, so the package stays valid.
    statements = read_rows(root / "tables" / "statements.csv")
    referenced = {r["parent_incident_id"] for r in incidents} | {r["related_incident_id"] for r in statements}
    victim = next(r for r in reversed(incidents) if r["incident_id"] not in referenced)
    write_rows(root / "tables" / "incidents.csv", [r for r in incidents if r is not victim])
    update_hashes(load_package(package_copy))
    files = prepare(load_package(package_copy))
    assert json.loads(files.inspect.read_text())["brcd"]["tables"]["incidents"]["count"] == len(incidents) - 1


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (uvicorn's workers), from /proc."""
    import os

    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total


LARGE_ROWS_SQL = ("select {n} as n, printf('%.*c', 10000, 'x') as big from "
                  "(with recursive c(k) as (select 1 union all select k + 1 from c where k < 1000) select k from c)")


def test_memory_stays_bounded_under_distinct_large_queries(package_copy):
    """50 distinct queries of 1,000 rows x 10 KB (10 MB each): a cache that kept them (as the
    one before did, up to 512 results) would grow by 500 MB; the bounded one keeps none of them."""
    server = LiveServer(package_copy.parent, free_port()).start()
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            def run(n: int) -> None:
                r = client.get("/brcd.json", params={"sql": LARGE_ROWS_SQL.format(n=n), "_shape": "array"})
                assert r.status_code == 200, r.text[:300]
                assert len(r.json()) == 1000

            for n in range(4):  # warm up: each worker allocates its buffers once
                run(-n - 1)
            start = tree_rss_bytes(server.proc.pid)
            for n in range(50):
                run(n)
            grown = tree_rss_bytes(server.proc.pid) - start
    finally:
        server.stop()
    assert grown < 200 * 2**20, f"resident memory grew by {grown / 2**20:.0f} MB over 50 queries"
