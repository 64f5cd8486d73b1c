"""What `brcd validate` imports: pandera's polars API without pandas or hypothesis (0.35 s
of CPU a run), and nothing that breaks another thread's use of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_validate_imports_neither_pandas_nor_hypothesis():
    code = ("import sys; from brcd.validate import validate_package;"
            "r = validate_package('tests/fixtures/validate/base');"
            "print(r.valid, 'pandas' in sys.modules, 'hypothesis' in sys.modules, 'pandera.polars' in sys.modules)")
    assert run(code) == "True False False True"


def test_another_thread_still_gets_pandas():
    """Only the importing thread is told pandas is missing; the main thread imports it and
    uses it meanwhile, and pandera still validates."""
    code = ("from brcd.validate import _import_soon, _imported, _first_pandera_validation;"
            "_import_soon('pandera.polars', without=('pandas', 'hypothesis'), then=_first_pandera_validation);"
            "import pandas as pd; print(int(pd.Series([1, 2]).sum()));"
            "_imported('pandera.polars'); _first_pandera_validation(); print('ok')")
    assert run(code).split() == ["3", "ok"]


def test_small_tables_are_checked_first(tmp_path):
    """Smallest file first (checked while a big table's first slice is parsed): the rules
    that read another table run once every table is read, whatever the order."""
    from brcd.package import load_package
    from brcd.validate import _check_order

    import shutil

    shutil.copytree(REPO / "tests" / "fixtures" / "validate" / "base", tmp_path / "pkg")
    pkg = load_package(tmp_path / "pkg")
    sizes = {"districts": 9_000, "incidents": 10, "statements": 5, "sources": 700, "organizations": 50}
    for res in pkg.resources:
        res.path.write_bytes(b"x" * sizes.get(res.name, 100))
    names = [r.name for r in _check_order(pkg.resources)]
    assert [sizes.get(n, 100) for n in names] == sorted(sizes.get(n, 100) for n in names)
