"""Fixtures shared by every test module. Area-specific fixtures live beside their tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkgcopy import copy_package

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A writable copy of the real package; returns the path of its datapackage.json."""
    return copy_package(tmp_path / "pkg")
