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
