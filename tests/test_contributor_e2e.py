"""A contributor's pull request, end to end, in a temporary git repository: a copy of the
package pushed to a bare "origin", then three branches run through the very gate scripts of
`.github/workflows/validate.yml` (and the pre-commit hooks):

- a valid sourced row added with `brcd new`: every gate passes and the diff says MINOR;
- a row with an impossible date and a source that does not exist: annotations on that line;
- a dropped column: MAJOR, and the gate fails until the version and CHANGELOG are bumped.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from brcd.release.diff.semver import next_version
from test_workflows import run_step

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
GATES = ("fmt", "validate", "summary", "semver")
ANNOTATION = re.compile(r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+)(?:,col=(?P<col>\d+))?,title=(?P<code>[^:]+)::(?P<msg>.*)$")


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=GIT_ENV)
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout


GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "Contributor", "GIT_AUTHOR_EMAIL": "c@example.invalid",
           "GIT_COMMITTER_NAME": "Contributor", "GIT_COMMITTER_EMAIL": "c@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def brcd(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brcd", *args], cwd=cwd, capture_output=True, text=True)


def gate(clone: Path, step_id: str, summary: Path) -> subprocess.CompletedProcess:
    return run_step("validate.yml", step_id, clone,
                    {"BASE_REF": "main", "GITHUB_STEP_SUMMARY": str(summary),
                     "PR_NUMBER": "1"})


def required_bump(clone: Path) -> str:
    out = brcd(clone, "diff", "origin/main", "HEAD", "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["required_bump"]


def bumped(clone: Path, level: str) -> str:
    """The package's version raised by one `level` (the tests must not go stale at a release)."""
    return next_version(json.loads((clone / "datapackage.json").read_text(encoding="utf-8"))["version"], level)


def set_version(clone: Path, version: str) -> None:
    path = clone / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["version"] = version
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def add_changelog_section(clone: Path, version: str, text: str) -> None:
    path = clone / "CHANGELOG.md"
    head, sep, rest = path.read_text(encoding="utf-8").partition("\n## ")
    path.write_text(f"{head}\n## {version} - 2026-12-01\n\n- {text}\n{sep}{rest}", encoding="utf-8")


def commit_all(clone: Path, message: str) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", message)


@pytest.fixture(scope="module")
def origin_and_clone(tmp_path_factory) -> tuple[Path, Path]:
    """A bare origin holding the package on main, and a contributor's clone of it."""
    root = tmp_path_factory.mktemp("e2e")
    seed = root / "seed"
    seed.mkdir()
    for name in ("datapackage.json", "CHANGELOG.md", ".pre-commit-config.yaml"):
        shutil.copy2(REPO / name, seed / name)
    for folder in ("tables", "schemas", ".github"):
        shutil.copytree(REPO / folder, seed / folder)
    assert brcd(seed, "fmt").returncode == 0  # main starts canonical, with fresh hashes
    git(seed, "init", "-q", "-b", "main")
    commit_all(seed, "The package as published")
    origin = root / "origin.git"
    git(root, "init", "-q", "--bare", "-b", "main", str(origin))
    git(seed, "push", "-q", str(origin), "main")
    clone = root / "clone"
    git(root, "clone", "-q", str(origin), str(clone))
    return origin, clone


@pytest.fixture
def branch(origin_and_clone, request):
    _, clone = origin_and_clone
    git(clone, "switch", "-q", "-C", request.node.name[:40], "origin/main")
    git(clone, "clean", "-qfdx")
    return clone


def first_id(clone: Path, table: str, column: str, filled: tuple[str, ...] = ()) -> str:
    """The first row's `column` (of the rows whose `filled` columns are not empty)."""
    with (clone / "tables" / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if all(r[f] for f in filled))[column]


def incident_flags(clone: Path, **overrides: str) -> list[str]:
    values = {
        "is_parent": "false", "event_date": "2025-05-02", "date_start": "2025-05-02", "date_end": "2025-05-02",
        "date_precision": "1", "event_type": "Battles", "sub_event_type": "Armed clash",
        "actor1_id": first_id(clone, "organizations", "org_id"), "actor1_type": "Rebel group",
        "perpetrator_attribution": "unattributed", "location": "Test location",
        # a figure of 0 comes from a source that reports zero (issue 14: unknown is empty, never 0)
        "fatalities_best": "0", "fatalities_low": "0", "fatalities_high": "0", "fatalities_basis": "official",
        "description": "Synthetic row written by the end-to-end test; not an event.",
        # a source a row cites has a title, a publisher and a date (the cited-source-incomplete rule)
        "source_ids": first_id(clone, "sources", "source_id", ("title", "publisher", "published_at")),
    } | overrides
    return [x for k, v in values.items() for x in (f"--{k.replace('_', '-')}", v)]


def test_a_valid_sourced_row_passes_every_gate_and_is_minor(branch: Path, tmp_path: Path) -> None:
    added = brcd(branch, "new", "incidents", "--no-input", *incident_flags(branch))
    assert added.returncode == 0, added.stderr
    commit_all(branch, "Add a sourced incident")
    assert required_bump(branch) == "minor"

    summary = tmp_path / "summary.md"
    assert gate(branch, "semver", summary).returncode == 1  # not bumped yet
    minor = bumped(branch, "minor")
    set_version(branch, minor)
    add_changelog_section(branch, minor, "One incident added.")
    commit_all(branch, f"Bump to {minor}")

    for step_id in GATES:
        out = gate(branch, step_id, summary)
        assert out.returncode == 0, f"{step_id}: {out.stdout}{out.stderr}"
    assert "MINOR" in summary.read_text(encoding="utf-8").upper()
    assert (branch / "pr" / "diff.md").read_text(encoding="utf-8") == summary.read_text(encoding="utf-8")

    hooks = subprocess.run(["pre-commit", "run", "--all-files"], cwd=branch, capture_output=True, text=True,
                           env={**GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")})
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    assert "brcd fmt --check" in hooks.stdout and "Passed" in hooks.stdout


def test_a_bad_date_and_a_dangling_source_are_annotated_on_their_line(branch: Path, tmp_path: Path) -> None:
    table = branch / "tables" / "incidents.csv"
    header = table.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    good = subprocess.run([sys.executable, "-m", "brcd", "new", "incidents", "--no-input", "--dry-run",
                           *incident_flags(branch)], cwd=branch, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    row = next(csv.reader(io.StringIO(good.stdout)))
    row[header.index("event_date")] = "2025-02-30"
    row[header.index("source_ids")] = "SRC-9999"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    # as the browser editor does: one line appended at the end, nothing else touched
    with table.open("a", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
    line = table.read_text(encoding="utf-8").count("\n")
    commit_all(branch, "Add an incident with two mistakes")

    out = gate(branch, "validate", tmp_path / "summary.md")
    assert out.returncode == 1
    annotations = [m.groupdict() for m in map(ANNOTATION.match, out.stdout.splitlines()) if m]
    on_row = {(a["code"], int(a["col"])) for a in annotations
              if a["file"] == "tables/incidents.csv" and a["line"] == str(line) and a["col"]}
    assert ("type-error", header.index("event_date") + 1) in on_row, out.stdout
    assert ("foreign-key", header.index("source_ids") + 1) in on_row, out.stdout
    assert all(int(a["line"]) == line for a in annotations if a["file"] == "tables/incidents.csv" and a["col"])
    # CONTRIBUTING.md shows this very output as its sample: it must stay what the tool prints.
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for a in annotations:
        if a["col"]:
            assert f"col={a['col']},title={a['code']}::{a['msg']}" in guide, a


def test_dropping_a_column_is_major_and_gated_until_bumped(branch: Path, tmp_path: Path) -> None:
    schema_path = branch / "schemas" / "statements.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "notes"]
    schema_path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    table = branch / "tables" / "statements.csv"
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
    drop = rows[0].index("notes")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([r[:drop] + r[drop + 1:] for r in rows])
    table.write_text(buf.getvalue(), encoding="utf-8")
    assert brcd(branch, "fmt").returncode == 0
    commit_all(branch, "Drop statements.notes")

    summary = tmp_path / "summary.md"
    assert required_bump(branch) == "major"
    assert gate(branch, "validate", summary).returncode == 0  # the data are fine...
    assert gate(branch, "semver", summary).returncode == 1    # ...but the version is not

    minor, major = bumped(branch, "minor"), bumped(branch, "major")
    set_version(branch, minor)                                # a MINOR bump is not enough
    commit_all(branch, f"Bump to {minor}")
    assert gate(branch, "semver", summary).returncode == 1

    set_version(branch, major)                                # MAJOR, but no CHANGELOG section yet
    commit_all(branch, f"Bump to {major}")
    out = gate(branch, "semver", summary)
    assert out.returncode == 1 and "CHANGELOG" in out.stdout + out.stderr

    add_changelog_section(branch, major, "statements.notes removed.")
    commit_all(branch, f"CHANGELOG for {major}")
    out = gate(branch, "semver", summary)
    assert out.returncode == 0, out.stdout + out.stderr
