"""Fixtures shared by every test module. Area-specific fixtures live beside their tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


def copy_package(dest: Path) -> Path:
    """Copy the real package (descriptor, tables, schemas) to `dest`; return its descriptor."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "datapackage.json", dest / "datapackage.json")
    for folder in ("tables", "schemas"):
        shutil.copytree(REPO / folder, dest / folder)
    return dest / "datapackage.json"


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A writable copy of the real package; returns the path of its datapackage.json."""
    return copy_package(tmp_path / "pkg")
