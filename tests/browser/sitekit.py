"""Helpers for the site's API and browser tests: the served package and the live server.

The served package is a copy of the real one with these changes, named after what they test:
- `<script>` and an `<img onerror>` injected into one incident's description, the incidents
  resource description, a column description, a column title and a code's label; a
  `javascript:` address as the package's homepage and as a located incident's place name, which
  becomes its map popup's title (`XSS_MARK` must never be set in a page, no link may run script);
- a unique word (`SEARCH_TOKEN`) in that incident's description, for full-text search;
- `queries/` holding the repository's stored queries plus `tests/fixtures/site/queries/`.

The server is `brcd serve` itself, bound to 127.0.0.1 on a free port and stopped by its own pid
(SIGINT, as Ctrl-C).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "site"
XSS_MARK = "__brcdXss"
SEARCH_TOKEN = "zqxjvortle"


# ---- the served package ------------------------------------------------------------------------

def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def make_site_package(dest: Path) -> dict:
    """Copy the real package to `dest` with the injections above; return facts the tests need."""
    dest.mkdir(parents=True)
    shutil.copy2(REPO / "datapackage.json", dest / "datapackage.json")
    for folder in ("tables", "schemas"):
        shutil.copytree(REPO / folder, dest / folder)
    (dest / "queries").mkdir()
    for src in [*sorted((REPO / "queries").glob("*.sql")), *sorted((FIXTURES / "queries").glob("*.sql"))]:
        shutil.copy2(src, dest / "queries" / src.name)

    incidents = read_rows(dest / "tables" / "incidents.csv")
    target = incidents[-1]
    if not any(r["latitude"] for r in incidents):
        # The map needs a point to draw. When no incident has a published point, this test copy
        # (never the real table) places one incident at its district's representative point.
        points = {r["district_id"]: (r["latitude"], r["longitude"])
                  for r in read_rows(dest / "tables" / "districts.csv") if r["latitude"]}
        located = next(r for r in incidents if r["district_id"] in points)
        located["latitude"], located["longitude"] = points[located["district_id"]]
    script = f'<script>window.{XSS_MARK}=1</script><img src="nonexistent.png" onerror="window.{XSS_MARK}=2">'
    target["description"] = f"{target['description']} {SEARCH_TOKEN} {script}"[:2000]
    located = next((r for r in incidents if r["latitude"] and r["longitude"] and r is not target), None)
    if located is not None:
        located["location"] = f"javascript:window.{XSS_MARK}=7 <b>{located['location']}</b>"
    write_rows(dest / "tables" / "incidents.csv", incidents)

    descriptor = json.loads((dest / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["homepage"] = f"javascript:window.{XSS_MARK}=6"
    for res in descriptor["resources"]:
        if res["name"] == "incidents":
            res["description"] += f" <script>window.{XSS_MARK}=3</script>"
    (dest / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    schema_path = dest / "schemas" / "incidents.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    for fld in schema["fields"]:
        if fld["name"] == "notes":
            fld["description"] += f" <script>window.{XSS_MARK}=4</script>"
        if fld["name"] == "admin3":
            fld["title"] += f" <script>window.{XSS_MARK}=8</script>"
        for cat in fld.get("categories") or []:
            if cat["value"] == "self_claimed":
                cat["label"] += f" <script>window.{XSS_MARK}=5</script>"
    schema_path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    from brcd.edit.hash import update_hashes
    from brcd.package import load_package

    update_hashes(load_package(dest))

    # A published release as `brcd release` leaves it (contents stand-in), plus a stray file
    # the site must not serve because SHA256SUMS does not list it.
    import hashlib

    from brcd.release.archive import format_sums

    release_dir = dest / "dist"
    release_dir.mkdir()
    release_name = "brcd-0.1.0.zip"
    release_bytes = b"PK\x05\x06" + b"\x00" * 18
    (release_dir / release_name).write_bytes(release_bytes)
    (release_dir / "SHA256SUMS").write_text(format_sums({release_name: hashlib.sha256(release_bytes).hexdigest()}))
    (release_dir / "unlisted.txt").write_text("not part of a release\n")
    return {"script_incident_id": target["incident_id"], "script_text": script,
            "javascript_incident_id": located["incident_id"] if located is not None else None,
            "release_name": release_name, "release_bytes": release_bytes}


# ---- the live server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`brcd serve PACKAGE --port N` as a child process, stopped by its own pid."""

    def __init__(self, package: Path, port: int):
        self.package, self.port = package, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = package.parent / f"serve-{port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> "LiveServer":
        import httpx

        self._log_fh = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "brcd", "serve", str(self.package), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log_fh, stderr=subprocess.STDOUT, cwd=self.package, env=dict(os.environ),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"brcd serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/-/versions.json", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"brcd serve did not answer within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        if not self._log_fh.closed:
            self._log_fh.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int | None:
        """Send `sig` to the server's own pid and wait; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_fh.close()
        return self.proc.returncode
