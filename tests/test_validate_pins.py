"""What the validator takes from pandera beyond its public API, held by tests, so that a
pandera release that changes it fails here (and pyproject.toml's upper bound on pandera is
raised only once these pass on it). `models.evaluate` runs each check through pandera's polars
check backend on a lazy frame, as `validate` does inside, without `validate`'s per-check
collect and failure-case frames (about 25 ms a 150k-row slice)."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]


def test_the_internals_evaluate_uses_are_there_and_answer_row_by_row():
    import pandera.backends.polars.builtin_checks  # noqa: F401 - registers the polars code of the built-in checks
    import pandera.polars as pa
    from pandera.api.polars.types import PolarsData
    from pandera.backends.polars.checks import PolarsCheckBackend
    from pandera.constants import CHECK_OUTPUT_KEY

    assert PolarsData._fields == ("lazyframe", "key")
    frame = pl.LazyFrame({"n": [1, -2, None]})
    check = pa.Check.ge(0)
    name = getattr(check._check_fn, "__name__", None)
    assert name and check.is_builtin_check(name) and callable(check.get_builtin_check_fn(name))
    assert isinstance(check.ignore_na, bool)
    out = PolarsCheckBackend(check).apply(PolarsData(frame, "n"))
    assert isinstance(out, pl.LazyFrame)
    assert out.collect()[CHECK_OUTPUT_KEY].to_list() == [True, False, None]
    custom = pa.Check(lambda data: data.lazyframe.select(pl.col(data.key) < 0))
    assert PolarsCheckBackend(custom).apply(PolarsData(frame, "n")).collect()[CHECK_OUTPUT_KEY].to_list() == \
        [False, True, None]


def test_the_pin_admits_the_installed_pandera():
    """The upper bound in pyproject.toml is the first release not yet checked here."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    low, high = re.search(r'"pandera\[polars\]>=([0-9.]+),<([0-9.]+)"', text).groups()
    installed = tuple(int(p) for p in version("pandera").split(".")[:2])
    assert tuple(int(p) for p in low.split(".")) <= installed < tuple(int(p) for p in high.split(".")), \
        f"pandera {version('pandera')} is outside >={low},<{high}"
