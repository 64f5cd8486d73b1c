"""`brcd codebook`: the codebook generated from the schemas (every table and field, types, units,
rules, allowed values with their labels), the README's generated blocks filled from the data,
and `--check`, which fails when any generated document is stale."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from brcd.cli import run
from brcd.docs.blocks import find_blocks, fill_blocks
from brcd.docs.codebook import READING, build_codebook, check_prose, field_values, render_markdown
from brcd.docs.generate import stale_documents, write_documents
from brcd.errors import BrcdError
from brcd.fields import Field
from brcd.package import load_package

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def pkg_dir(package_copy: Path) -> Path:
    """A copy of the real package with its README, CITATION.cff, CHANGELOG.md and generated docs."""
    root = package_copy.parent
    for name in ("README.md", "CITATION.cff", "CHANGELOG.md"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "docs", root / "docs")
    shutil.copytree(REPO / "queries", root / "queries")
    return root


def test_every_table_and_field_is_in_the_codebook():
    pkg = load_package(REPO)
    text = render_markdown(build_codebook(pkg))
    for res in pkg.resources:
        section = text.split(f"\n## {res.name}\n", 1)[1].split("\n## ", 1)[0]
        for fld in res.fields:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{fld['name']}` |"))
            shown = Field.of(fld, res.schema).words  # the Field model's wording of the type
            assert f"| {shown}" in row or (fld.get("listReference") and "| list of ids |" in row), row
            if fld.get("unit"):
                assert row.split(" | ")[2].strip(), f"{res.name}.{fld['name']}: unit missing"
            if fld.get("constraints", {}).get("required"):
                assert " | yes | " in row
            for value in fld.get("constraints", {}).get("enum", []):
                assert f"`{value}`" in section, (res.name, fld["name"], value)


def test_labels_come_from_categories_then_enum_then_coded_integers():
    assert [(v.code, v.label) for v in field_values(
        {"name": "x", "type": "string", "categories": [{"value": "a", "label": "Alpha"}, "b"],
         "constraints": {"enum": ["a", "b"]}})] == [("a", "Alpha"), ("b", None)]
    assert [(v.code, v.label) for v in field_values({"name": "x", "type": "string", "constraints": {"enum": ["a"]}})] == [("a", None)]
    coded = field_values({"name": "p", "type": "integer", "constraints": {"minimum": 1, "maximum": 3},
                          "description": "Some code: 1 exact day; 2 known week; 3 known year."})
    assert [(v.code, v.label) for v in coded] == [(1, "exact day"), (2, "known week"), (3, "known year")]
    # a range whose codes the description does not list one by one is not a code list
    assert field_values({"name": "n", "type": "integer", "constraints": {"minimum": 1, "maximum": 3},
                         "description": "Between 1 and 3 of them."}) == []


def test_category_labels_reach_the_markdown(pkg_dir):
    schema_path = pkg_dir / "schemas" / "incidents.schema.json"
    schema = json.loads(schema_path.read_text())
    event_type = next(f for f in schema["fields"] if f["name"] == "event_type")
    event_type["categories"] = [{"value": v, "label": f"label of {v}"} for v in event_type["constraints"]["enum"]]
    schema_path.write_text(json.dumps(schema, indent=2))
    text = render_markdown(build_codebook(load_package(pkg_dir)))
    assert "`Battles`: label of Battles" in text


def test_the_precision_codes_and_conventions_are_listed():
    book = build_codebook(load_package(REPO))
    families = {family: users for family, users, _ in book.precision}
    assert any("date_prec" in f and "incidents.date_precision" in users for f, users in families.items())
    assert any("where_prec" in f and "incidents.geo_precision" in users for f, users in families.items())
    names = {conv.key for conv, _users, _url in book.conventions}
    assert {"ACLED", "UCDP", "GTD", "AidData", "MRDS"} <= names


def test_the_guide_names_only_fields_that_exist():
    book = build_codebook(load_package(REPO))
    assert check_prose(book) == []
    assert all(names or title == "Files and cells" for title, names, _ in READING)


def test_check_fails_on_a_changed_schema_and_passes_once_regenerated(pkg_dir, capsys):
    assert run(["codebook", str(pkg_dir), "--check"]) == 0
    schema_path = pkg_dir / "schemas" / "minerals.schema.json"
    schema = json.loads(schema_path.read_text())
    schema["fields"][1]["description"] = "A new description of the site's name."
    schema_path.write_text(json.dumps(schema, indent=2))
    capsys.readouterr()
    assert run(["codebook", str(pkg_dir), "--check"]) == 1
    out = capsys.readouterr().out
    assert "docs/CODEBOOK.md:" in out and "error[stale-docs]" in out and "brcd codebook" in out
    assert run(["codebook", str(pkg_dir)]) == 0
    assert "A new description of the site's name." in (pkg_dir / "docs" / "CODEBOOK.md").read_text()
    assert run(["codebook", str(pkg_dir), "--check"]) == 0


def test_a_new_row_makes_the_readme_counts_stale(pkg_dir):
    table = pkg_dir / "tables" / "organizations.csv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    table.write_text("".join(lines + [lines[-1].replace("ORG-", "ORG-ZZ-TEST-", 1)]), encoding="utf-8")
    stale = {i.path for i in stale_documents(load_package(pkg_dir))}
    assert stale == {"README.md", "docs/DATA-README.md"}
    write_documents(load_package(pkg_dir))
    readme = (pkg_dir / "README.md").read_text()
    assert f"| `organizations` | {len(lines)} |" in readme  # header + rows before, plus one row
    assert stale_documents(load_package(pkg_dir)) == []


def test_a_new_version_renames_the_release_files_and_updates_the_citation(pkg_dir):
    descriptor = json.loads((pkg_dir / "datapackage.json").read_text())
    descriptor["version"] = "9.8.7"
    (pkg_dir / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n")
    changelog = pkg_dir / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## 0.", "## 9.8.7 - 2031-02-03\n\nA test.\n\n## 0.", 1))
    write_documents(load_package(pkg_dir))
    readme = (pkg_dir / "README.md").read_text()
    assert "unzip brcd-9.8.7.zip && cd brcd-9.8.7" in readme and "brcd-0.1.0" not in readme
    assert "version 9.8.7." in readme
    cff = (pkg_dir / "CITATION.cff").read_text()
    assert 'version: "9.8.7"' in cff and 'date-released: "2031-02-03"' in cff


QUERY = """-- title: Organizations by type
-- description: How many organizations of each type.
-- params: kind string = ''
SELECT org_type, count(*) AS n FROM organizations WHERE :kind = '' OR org_type = :kind GROUP BY org_type ORDER BY org_type
"""


def test_query_blocks_fill_from_a_named_query_filtered_and_templated(pkg_dir):
    (pkg_dir / "queries" / "orgs_by_type.sql").write_text(QUERY)
    pkg = load_package(pkg_dir)
    with (pkg_dir / "tables" / "organizations.csv").open(newline="", encoding="utf-8") as fh:
        org_types = sorted({row["org_type"] for row in csv.DictReader(fh)})
    kind = org_types[0]
    text = (f"Before.\n<!-- brcd:begin query orgs_by_type --where org_type={kind} "
            f"--template \"BRCD {{version}} holds {{n}} organizations of type {{org_type}}.\" -->STALE<!-- brcd:end -->\n"
            "<!-- brcd:begin query orgs_by_type -p kind=" + kind + " --columns n -->\nSTALE\n<!-- brcd:end -->\n"
            "`<!-- brcd:begin quoted -->` is text about blocks.\n")
    out = fill_blocks(text, pkg, "README.md")
    assert f"BRCD {pkg.version} holds " in out and f"of type {kind}.<!-- brcd:end -->" in out
    assert "\n| n |\n|---|\n| " in out and "STALE" not in out


@pytest.mark.parametrize("text, code", [
    ("<!-- brcd:begin query orgs_by_type --where org_type=NO-SUCH-TYPE --template \"{n}\" -->x<!-- brcd:end -->",
     "doc-block-empty"),
    ("<!-- brcd:begin query orgs_by_type --where colour=red -->x<!-- brcd:end -->", "doc-block"),
    ("<!-- brcd:begin query orgs_by_type --template \"{nope}\" -->x<!-- brcd:end -->", "doc-block"),
    ("<!-- brcd:begin counts -->\nnever closed\n", "doc-block"),
    ("<!-- brcd:begin weather -->x<!-- brcd:end -->", "doc-block"),
    ("<!-- brcd:begin query no_such_query -->x<!-- brcd:end -->", "unknown-query"),
])
def test_a_broken_block_is_an_error_with_its_line(pkg_dir, text, code):
    (pkg_dir / "queries" / "orgs_by_type.sql").write_text(QUERY)
    with pytest.raises(BrcdError) as err:
        fill_blocks("Intro.\n\n" + text, load_package(pkg_dir), "README.md")
    assert err.value.code == code
    if code.startswith("doc-block"):
        assert err.value.line == 3


def test_blocks_in_the_repository_readme_are_all_known():
    kinds = [b.kind for b in find_blocks((REPO / "README.md").read_text(), "README.md")]
    assert "counts" in kinds and "citation" in kinds
