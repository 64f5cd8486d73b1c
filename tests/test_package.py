"""The data package itself: upstream validity, sourcing, keys, hashes, citation metadata,
and `brcd hash` on bad input."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from brcd.edit.hash import stale_resources
from brcd.package import load_package

TABLES = ["sources", "organizations", "districts", "minerals", "financing", "incidents", "statements", "published_totals"]


def brcd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brcd", *args], capture_output=True, text=True, cwd=cwd)


def read_rows(descriptor: Path, table: str) -> list[dict[str, str]]:
    with (descriptor.parent / "tables" / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(descriptor: Path, table: str, rows: list[dict[str, str]]) -> None:
    path = descriptor.parent / "tables" / f"{table}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def source_problems(descriptor: Path) -> list[str]:
    """Rows that cite no source or a source id missing from sources.csv (an oracle written
    independently of `brcd validate`)."""
    known = {r["source_id"] for r in read_rows(descriptor, "sources")}
    problems = []
    for table in TABLES:
        if table == "sources":
            continue
        for i, row in enumerate(read_rows(descriptor, table), start=2):
            ids = [x for x in (row.get("source_ids") or "").split(";") if x]
            if not ids:
                problems.append(f"{table}:{i}: no source")
            problems += [f"{table}:{i}: unknown source {x}" for x in ids if x not in known]
    return problems


def upstream_validate(descriptor: Path) -> dict:
    out = subprocess.run(["frictionless", "validate", "--json", str(descriptor)], capture_output=True, text=True,
                         cwd=descriptor.parent)
    return json.loads(out.stdout)


def test_upstream_frictionless_reports_the_package_valid(repo_root):
    report = upstream_validate(repo_root / "datapackage.json")
    errors = [e.get("type") for task in report["tasks"] for e in task["errors"]] + [e.get("type") for e in report["errors"]]
    assert report["valid"], errors
    assert sorted(t["name"] for t in report["tasks"]) == sorted(TABLES)


def test_upstream_frictionless_catches_a_dangling_parent_incident(package_copy):
    rows = read_rows(package_copy, "incidents")
    child = next(r for r in rows if r["parent_incident_id"])
    child["parent_incident_id"] = "BAL-INC-1999-0001"
    write_rows(package_copy, "incidents", rows)
    report = upstream_validate(package_copy)
    types = {e["type"] for task in report["tasks"] for e in task["errors"]}
    assert not report["valid"] and "foreign-key" in types


def test_every_row_cites_an_existing_source(repo_root):
    assert source_problems(repo_root / "datapackage.json") == []


@pytest.mark.parametrize("table", ["incidents", "financing", "organizations"])
def test_a_row_without_a_source_is_caught(package_copy, table):
    rows = read_rows(package_copy, table)
    rows[0]["source_ids"] = ""
    write_rows(package_copy, table, rows)
    assert source_problems(package_copy) == [f"{table}:2: no source"]


def test_a_row_citing_a_missing_source_is_caught(package_copy):
    rows = read_rows(package_copy, "statements")
    rows[1]["source_ids"] += ";SRC-9999"
    write_rows(package_copy, "statements", rows)
    assert source_problems(package_copy) == ["statements:3: unknown source SRC-9999"]


def test_ids_and_urls_follow_the_honesty_rules(repo_root):
    urls = [r["url"] for r in read_rows(repo_root / "datapackage.json", "sources") if r["url"]]
    assert all(re.fullmatch(r"https?://\S+", u) and "…" not in u and "..." not in u for u in urls), urls


def test_hashes_are_current(repo_root):
    assert stale_resources(load_package(repo_root)) == []


def test_hash_check_fails_when_a_table_changes(package_copy):
    path = package_copy.parent / "tables" / "minerals.csv"
    path.write_bytes(path.read_bytes().replace(b"Duddar", b"Dudar", 1))
    result = brcd("hash", "--check", str(package_copy))
    assert result.returncode == 1
    assert "tables/minerals.csv: error[hash-count]:" in result.stdout and "stale" in result.stdout
    assert brcd("hash", str(package_copy)).returncode == 0
    assert brcd("hash", "--check", str(package_copy)).returncode == 0


def test_hash_check_explains_crlf_line_endings(package_copy):
    path = package_copy.parent / "tables" / "districts.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    result = brcd("hash", "--check", str(package_copy))
    assert result.returncode == 1
    assert "line endings" in result.stdout and "CRLF" in result.stdout


def test_hash_with_a_missing_table_is_one_line_exit_2_and_changes_nothing(package_copy):
    before = package_copy.read_bytes()
    (package_copy.parent / "tables" / "incidents.csv").unlink()
    result = brcd("hash", str(package_copy))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "tables/incidents.csv" in lines[0] and "Traceback" not in result.stderr
    assert package_copy.read_bytes() == before


def test_hash_with_malformed_json_names_file_line_and_column(package_copy):
    text = package_copy.read_text()
    broken = re.sub(r'("version": "[^"]+"),', r"\1", text, count=1)  # a comma dropped
    assert broken != text
    package_copy.write_text(broken)
    result = brcd("hash", str(package_copy))
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert re.search(r"datapackage\.json:\d+:\d+: error\[json-error\]", line), line
    assert package_copy.read_text() == broken


def test_citation_version_matches_the_package(repo_root):
    cff = (repo_root / "CITATION.cff").read_text()
    version = re.search(r'^version:\s*"?([^"\n]+)"?$', cff, re.M).group(1)
    assert version == load_package(repo_root).version


def test_changelog_has_a_section_for_the_package_version(repo_root):
    version = load_package(repo_root).version
    assert re.search(rf"^## {re.escape(version)}\b", (repo_root / "CHANGELOG.md").read_text(), re.M)


def test_every_field_is_documented(repo_root):
    for res in load_package(repo_root).resources:
        for field in res.fields:
            assert field.get("title") and field.get("description"), (res.name, field["name"])
        assert res.descriptor.get("description"), res.name


def test_cli_help_and_version():
    assert brcd("--version").stdout.strip().startswith("brcd ")
    result = brcd("--help")
    assert result.returncode == 0 and "hash" in result.stdout
