"""The engine names no BRCD table or column: every rule reads its columns from the schemas'
declarations (`brcd:rules`), every type rule from the field's model. Checked on the source of
`scripts/brcd/validate/`: no text there (strings, docstrings, comments) names a table of the
package, and no string names one of its columns, beyond the words of the Table Schema and Data
Package vocabulary that BRCD's columns happen to share ("name", "title", "description", ...)."""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENGINE = REPO / "scripts" / "brcd" / "validate"
# Keys of Table Schema and Data Package descriptors, and the engine's own words for its own
# things (an issue's value, a rule's scope), which a BRCD column may share.
VOCABULARY = {"name", "title", "description", "path", "type", "format", "url", "value", "scope"}


def brcd_names() -> tuple[set[str], set[str]]:
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    tables = {r["name"] for r in descriptor["resources"]}
    columns = set()
    for path in (REPO / "schemas").glob("*.schema.json"):
        columns |= {f["name"] for f in json.loads(path.read_text(encoding="utf-8"))["fields"]}
    return tables, columns - VOCABULARY


def texts(path: Path) -> list[tuple[int, str, bool]]:
    """(line, text, is a docstring or comment) of every string and comment of a module."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    out = [(n.lineno, n.value, id(n) in docs) for n in ast.walk(tree)
           if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    out += [(tok.start[0], tok.string, True) for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT]
    return out


def findings(root: Path, tables: set[str], columns: set[str]) -> list[str]:
    found = []
    for path in sorted(root.glob("*.py")):
        for line, text, prose in texts(path):
            words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
            hits = words & tables if prose else (words & tables) | (words & columns)
            found += [f"{path.name}:{line} names {hit!r}" for hit in sorted(hits)]
    return sorted(found, key=lambda f: (f.split(':')[0], int(f.split(':')[1].split()[0])))


def test_no_module_of_the_engine_names_a_table_or_a_column():
    tables, columns = brcd_names()
    assert {"incidents", "districts"} <= tables and {"fatalities_best", "district_id"} <= columns
    assert findings(ENGINE, tables, columns) == []


def test_the_search_finds_a_name_written_in_the_engine(tmp_path):
    """The check above would pass on an empty search: a module naming a table in a comment
    and a column in a string is caught."""
    tables, columns = brcd_names()
    (tmp_path / "rule.py").write_text('"""A rule."""\n# read the districts first\nCOLUMN = "fatalities_best"\n')
    assert findings(tmp_path, tables, columns) == ["rule.py:2 names 'districts'", "rule.py:3 names 'fatalities_best'"]
