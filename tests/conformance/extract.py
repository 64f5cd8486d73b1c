"""Write `cells.json` from frictionless-py's own spec tests (MIT, see NOTICE): the cases of
`Field.read_cell` whose source is text (a CSV cell is text), each with frictionless' answer:
"value" (it reads a value), "missing" (a missing value) or "error" (not of the type), and the
constraint cases of `test_constraints.py` (which constraint a type takes, and cells read
against one). Run once against an installed frictionless 5 when updating the suite:

    python tests/conformance/extract.py [site-packages/frictionless]

Only facts are copied (a descriptor, a cell, an answer); the harness is BRCD's own."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
SPEC_FILES = ["any", "array", "boolean", "date", "datetime", "duration", "geojson", "geopoint", "integer", "list",
              "number", "object", "string", "time", "year", "yearmonth"]


def _literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ...  # an expression (a Decimal, a date): some value


def _parametrized(tree: ast.Module):
    """(test name, argument names, rows) of each @pytest.mark.parametrize."""
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for dec in fn.decorator_list:
            if isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize":
                names = [n.strip() for n in ast.literal_eval(dec.args[0]).split(",")]
                yield fn.name, names, dec.args[1].elts


def cell_cases(root: Path) -> list[dict]:
    out = []
    for kind in SPEC_FILES:
        path = root / "fields" / "__spec__" / f"test_{kind}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for test, names, rows in _parametrized(tree):
            if "source" not in names or "target" not in names:
                continue
            for row in rows:
                values = dict(zip(names, row.elts))
                source = _literal(values["source"])
                if not isinstance(source, str):
                    continue  # a Python object, not a cell of a CSV file
                target = _literal(values["target"])
                descriptor = {"type": kind}
                if "format" in values:
                    descriptor["format"] = _literal(values["format"])
                if "item_type" in values:
                    descriptor["itemType"] = _literal(values["item_type"])
                if "options" in values:
                    descriptor.update(_literal(values["options"]))
                answer = "missing" if source == "" else "error" if target is None else "value"
                out.append({"test": f"fields/__spec__/test_{kind}.py::{test}", "field": descriptor,
                            "cell": source, "upstream": answer})
    return out


def constraint_cases(root: Path) -> list[dict]:
    path = root / "schema" / "__spec__" / "field" / "test_constraints.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for test, names, rows in _parametrized(tree):
        if names != ["constraints", "type", "valid"]:
            continue
        for row in rows:
            constraints, ftype, valid = (ast.literal_eval(v) for v in row.elts)
            out.append({"test": f"schema/__spec__/field/test_constraints.py::{test}",
                        "field": {"type": ftype, "constraints": constraints}, "upstream": "accepted" if valid else "refused"})
    return out


if __name__ == "__main__":
    import importlib.util

    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(importlib.util.find_spec("frictionless").origin).parent
    data = {"source": "frictionless-py 5 (frictionlessdata/frictionless-py), MIT licence: see NOTICE",
            "cells": cell_cases(root), "schemas": constraint_cases(root)}
    (HERE / "cells.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(data['cells'])} cell cases, {len(data['schemas'])} schema cases")
