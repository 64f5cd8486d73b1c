"""CITATION.cff is complete, valid and honest: `cffconvert --validate` passes (cffconvert pins
jsonschema<4, which frictionless cannot share, so .ci/run installs it in its own environment and
names it in BRCD_CFFCONVERT); its fields agree with the package and the changelog; and it holds
no address or identifier that the project does not already publish somewhere real."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from brcd.package import load_package

REPO = Path(__file__).resolve().parents[1]
CFF = REPO / "CITATION.cff"


def cffconvert() -> str:
    exe = os.environ.get("BRCD_CFFCONVERT") or shutil.which("cffconvert")
    if not exe:
        pytest.skip("cffconvert is not installed here (.ci/run installs it in its own environment)")
    return exe


def test_cffconvert_validates_the_citation():
    proc = subprocess.run([cffconvert(), "--validate", "-i", str(CFF)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cffconvert_refuses_a_broken_citation(tmp_path):
    """The check above can fail: a date that is not a date is refused."""
    broken = tmp_path / "CITATION.cff"
    broken.write_text(re.sub(r"^date-released:.*$", 'date-released: "23 November 2026"', CFF.read_text(), flags=re.M))
    proc = subprocess.run([cffconvert(), "--validate", "-i", str(broken)], capture_output=True, text=True)
    assert proc.returncode != 0


def test_the_citation_is_complete_and_agrees_with_the_package():
    cff = yaml.safe_load(CFF.read_text(encoding="utf-8"))
    pkg = load_package(REPO)
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["message"] and cff["abstract"] and cff["keywords"] and len(set(cff["keywords"])) == len(cff["keywords"])
    assert [a["name"] for a in cff["authors"]] == [c["title"] for c in pkg.descriptor["contributors"] if c.get("role") == "author"]
    assert pkg.descriptor["title"] in cff["title"]
    assert cff["version"] == pkg.version
    assert cff["license"] == pkg.descriptor["licenses"][0]["name"]
    released = str(cff["date-released"])
    dt.date.fromisoformat(released)
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(pkg.version)} - {released}$", changelog, re.M), "date-released is the changelog's date"


def test_no_invented_address_or_identifier():
    """A DOI, URL or repository address is cited only once the project publishes it elsewhere
    (README, CONTRIBUTING, datapackage.json): none is made up here."""
    text = CFF.read_text(encoding="utf-8")
    cff = yaml.safe_load(text)
    elsewhere = "".join((REPO / name).read_text(encoding="utf-8")
                        for name in ("README.md", "CONTRIBUTING.md", "datapackage.json"))
    for key in ("doi", "url", "repository", "repository-code", "repository-artifact", "identifiers"):
        value = cff.get(key)
        if value is not None:
            values = [i["value"] for i in value] if key == "identifiers" else [value]
            for v in values:
                assert str(v) in elsewhere, f"{key}: {v} is not published anywhere else in the project"
    for address in re.findall(r"https?://\S+", text):
        assert address in elsewhere, address
