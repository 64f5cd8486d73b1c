"""Copy the real package for tests that change it (importable by name, unlike conftest)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def copy_package(dest: Path) -> Path:
    """Copy the real package (descriptor, tables, schemas) to `dest`; return its descriptor."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "datapackage.json", dest / "datapackage.json")
    for folder in ("tables", "schemas"):
        shutil.copytree(REPO / folder, dest / folder)
    return dest / "datapackage.json"
