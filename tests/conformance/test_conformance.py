"""frictionless-py's own fixtures and expectations, run through `brcd validate` (see NOTICE
and cases.py). Every case must end as the Table Schema spec says (`spec`), where BRCD
deliberately differs from frictionless with a note saying why; none may crash (a traceback or
a `check-error`), and none the spec calls invalid may pass (no false accept). How many cases
agree with frictionless itself is printed by `python tests/conformance/test_conformance.py`
and held by `test_the_agreement_count_does_not_fall`.

Three kinds of case:
- cells (cells.json, from fields/__spec__): one field, one cell: a value, a missing value or
  a type-error; the cells of one field descriptor are the rows of one table;
- schemas (cells.json, from test_constraints.py): which constraints a type takes, accepted or
  refused when the package is loaded;
- tables (cases.py, from the resource, package and checks tests): a package, its report."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from brcd.errors import BrcdError  # noqa: E402
from brcd.fields import Field  # noqa: E402
from brcd.validate import validate_package  # noqa: E402
from cases import CASES, UPSTREAM_CODES, Case  # noqa: E402
from tablepkg import write_package  # noqa: E402

CELLS = json.loads((HERE / "cells.json").read_text(encoding="utf-8"))
# Where the spec sides with BRCD against frictionless, by (field descriptor, cell): why.
SPACES = "Table Schema's lexical forms have no spaces: BRCD reads a cell as written and does not trim it."
CELL_NOTES = {
    ('{"format": "default", "type": "integer"}', " 01 "): SPACES,
    ('{"format": "default", "type": "number"}', " 01 "): SPACES,
    ('{"itemType": "integer", "type": "list"}', "2  ,  3"): SPACES,
}
REFUSED_FORMATS = ("any", "invalid", "topojson", "wkt")
# The agreement found when the suite was written: a change that lowers it is a regression.
MIN_AGREEING = 380


def _key(descriptor: dict) -> str:
    return json.dumps(descriptor, sort_keys=True)


# --- cells -------------------------------------------------------------------------------

def run_cells(tmp: Path) -> list[tuple[dict, str]]:
    """(case, BRCD's answer) of every cell case: "value", "missing", "error", "refused" (the
    field is refused at load) or "crash"."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for case in CELLS["cells"]:
        groups[_key(case["field"])].append(case)
    answers = []
    for n, (key, cases) in enumerate(groups.items()):
        descriptor = {"name": "x", **json.loads(key)}
        try:
            Field.of(descriptor)
        except BrcdError:
            answers += [(c, "refused") for c in cases]
            continue
        schema = {"fields": [{"name": "id", "type": "integer"}, descriptor]}
        pkg = write_package(tmp / f"cells{n}", {"t": (schema, [[i + 1, c["cell"]] for i, c in enumerate(cases)])})
        try:
            report = validate_package(pkg, max_errors=None)
        except BrcdError:
            answers += [(c, "refused") for c in cases]
            continue
        if any(e.code == "check-error" for e in report.errors):
            answers += [(c, "crash") for c in cases]
            continue
        bad = {e.line for e in report.errors if e.code == "type-error"}
        answers += [(c, "error" if i + 2 in bad else "missing" if c["cell"] == "" else "value")
                    for i, c in enumerate(cases)]
    return answers


def cell_spec(case: dict) -> tuple[str, str]:
    """(what the spec says, the note when BRCD differs from frictionless)."""
    note = CELL_NOTES.get((_key(case["field"]), case["cell"]))
    if note:
        return ("error" if case["upstream"] == "value" else "value"), note
    if case["field"].get("format") in REFUSED_FORMATS:
        return "refused", ("a format Table Schema leaves to the implementation ('any', a guessed form) or does not "
                           "define (topojson, wkt, 'invalid') is refused at load, never guessed.")
    return case["upstream"], ""


@pytest.fixture(scope="module")
def cell_answers(tmp_path_factory):
    return run_cells(tmp_path_factory.mktemp("cells"))


def test_every_cell_case_is_read_as_the_spec_says(cell_answers):
    wrong = [(c["test"], c["field"], c["cell"], answer, cell_spec(c)[0]) for c, answer in cell_answers
             if answer != cell_spec(c)[0]]
    assert wrong == []
    assert len(cell_answers) == len(CELLS["cells"]) > 250


def test_no_cell_the_spec_calls_an_error_passes(cell_answers):
    assert [c for c, answer in cell_answers if cell_spec(c)[0] == "error" and answer in ("value", "missing")] == []
    assert [c for c, answer in cell_answers if answer == "crash"] == []


# --- schemas -----------------------------------------------------------------------------

def schema_answer(case: dict) -> str:
    try:
        Field.of({"name": "x", **case["field"]})
        return "accepted"
    except BrcdError:
        return "refused"


@pytest.mark.parametrize("case", CELLS["schemas"], ids=lambda c: f"{c['field']['type']}-{list(c['field']['constraints'])[0]}")
def test_a_constraint_is_taken_by_the_types_the_spec_gives_it(case):
    assert schema_answer(case) == case["upstream"]


# --- tables ------------------------------------------------------------------------------

def materialise(case: Case) -> dict:
    out = {}
    for name, (schema, source) in case.tables.items():
        data = (HERE / "fixtures" / source[len("fixture:"):]).read_bytes() if isinstance(source, str) and \
            source.startswith("fixture:") else source
        out[name] = (schema, data.decode("utf-8") if isinstance(data, bytes) else data)
    return out


def run_table(case: Case, tmp: Path) -> object:
    """BRCD's result: "valid", "refused", "crash" or the set of (table, line, code)."""
    # no `$schema`: Table Schema v1, as upstream's descriptors (a case using v2 declares it)
    pkg = write_package(tmp, materialise(case), {"$schema": None, **case.descriptor}, **case.resources)
    try:
        report = validate_package(pkg, max_errors=None)
    except BrcdError:
        return "refused"
    except Exception:  # noqa: BLE001 - a traceback is what this suite must never see
        return "crash"
    if any(e.code == "check-error" for e in report.errors):
        return "crash"
    found = {(e.resource, e.line, e.code) for e in report.errors}
    return found or "valid"


def upstream_in_brcd_codes(case: Case) -> object:
    if isinstance(case.upstream, str):
        return case.upstream
    return {(t, line, UPSTREAM_CODES.get(code, code)) for t, line, code in case.upstream}


@pytest.mark.parametrize("case", CASES, ids=[c.id.split("::")[-1] for c in CASES])
def test_every_table_case_ends_as_the_spec_says(case, tmp_path):
    result = run_table(case, tmp_path / "pkg")
    assert result != "crash"
    if case.spec not in ("valid", "refused"):
        assert result != "valid", "a false accept"
    assert result == case.spec, case.note
    if result != upstream_in_brcd_codes(case):
        assert case.note, "BRCD differs from frictionless here: the case must say why"


# --- the count ----------------------------------------------------------------------------

def agreement(tmp: Path) -> dict[str, tuple[int, int]]:
    """Per kind of case: (cases that end as frictionless ends them, cases)."""
    cells = run_cells(tmp / "cells")
    tables = [(case, run_table(case, tmp / f"t{i}")) for i, case in enumerate(CASES)]
    return {
        "cells": (sum(answer == c["upstream"] for c, answer in cells), len(cells)),
        "schemas": (sum(schema_answer(c) == c["upstream"] for c in CELLS["schemas"]), len(CELLS["schemas"])),
        "tables": (sum(result == upstream_in_brcd_codes(case) for case, result in tables), len(tables)),
    }


def test_the_agreement_count_does_not_fall(tmp_path):
    counts = agreement(tmp_path)
    agree = sum(a for a, _ in counts.values())
    assert agree >= MIN_AGREEING, counts


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        counts = agreement(Path(tmp))
    for kind, (agree, total) in counts.items():
        print(f"{kind:8} {agree:4} of {total:4} cases end as frictionless ends them")
    print(f"{'all':8} {sum(a for a, _ in counts.values()):4} of {sum(t for _, t in counts.values()):4}")
