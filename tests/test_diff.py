"""`brcd diff`: each kind of change classified with its semver bump, the three kinds of
input (folder, git ref, release zip), `--check`, and bad input (exit 2)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from brcd.release.diff import diff_paths

FIXTURES = Path(__file__).parent / "fixtures" / "diff"

# (OLD fixture, NEW fixture, required bump, change kinds expected among the changes)
CASES = [
    ("base", "unchanged", "none", set()),
    ("base", "corrected-value", "patch", {"rows-changed"}),
    ("base", "description-changed", "patch", {"metadata-changed"}),
    ("base", "added-row", "minor", {"rows-added"}),
    ("base", "added-column", "minor", {"column-added"}),
    ("base", "widened-type", "minor", {"type-widened"}),
    ("base", "loosened-constraint", "minor", {"constraint-loosened"}),
    ("removed-table", "base", "minor", {"table-added"}),
    ("base", "removed-row", "major", {"rows-removed"}),
    ("base", "removed-column", "major", {"column-removed"}),
    ("base", "renamed-column", "major", {"column-renamed"}),
    ("base", "narrowed-type", "major", {"type-narrowed"}),
    ("base", "tightened-constraint", "major", {"constraint-tightened"}),
    ("base", "removed-table", "major", {"table-removed"}),
    ("base", "renamed-table", "major", {"table-renamed"}),
]


def brcd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brcd", *args], capture_output=True, text=True, cwd=cwd)


def diff_json(old: str | Path, new: str | Path, *extra: str, cwd: Path = FIXTURES) -> dict:
    proc = brcd("diff", str(old), str(new), "--format", "json", *extra, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("old,new,bump,kinds", CASES, ids=[c[1] if c[0] == "base" else f"{c[0]}-to-{c[1]}" for c in CASES])
def test_each_kind_of_change_gets_its_bump(old: str, new: str, bump: str, kinds: set[str]) -> None:
    result = diff_paths(str(FIXTURES / old), str(FIXTURES / new))
    assert result.required_bump == bump
    assert kinds <= {c.kind for c in result.changes}
    if not kinds:
        assert result.changes == []


def test_json_lists_rows_and_cells_by_primary_key() -> None:
    out = diff_json("base", "corrected-value")
    assert out["required_bump"] == "patch"
    events = out["tables"]["events"]
    assert events["counts"] == {"added": 0, "removed": 0, "changed": 1}
    assert events["changed"] == [{"key": "E1", "changes": {"deaths": ["3", "4"]}}]
    assert out["tables"]["places"]["status"] == "unchanged"


def test_removed_and_added_rows_are_listed_whole() -> None:
    removed = diff_json("base", "removed-row")["tables"]["events"]
    assert [r["event_id"] for r in removed["removed"]] == ["E2"]
    added = diff_json("base", "added-row")["tables"]["events"]
    assert added["added"] == [{"event_id": "E4", "place_id": "P1", "event_date": "2025-02-02", "deaths": "1",
                               "summary": "Shooting"}]


def test_renamed_column_is_one_rename_not_a_removal_and_an_addition() -> None:
    events = diff_json("base", "renamed-column")["tables"]["events"]
    assert events["columns_renamed"] == [{"from": "deaths", "to": "fatalities"}]
    assert events["columns_added"] == [] and events["columns_removed"] == []
    assert events["counts"]["changed"] == 0  # same values under the new name


def test_text_and_markdown_name_the_bump_and_the_rows() -> None:
    text = brcd("diff", "base", "removed-row", cwd=FIXTURES).stdout
    assert "required bump MAJOR" in text and "- E2" in text
    md = brcd("diff", "base", "corrected-value", "--format", "markdown", cwd=FIXTURES).stdout
    assert "**PATCH**" in md and "| `E1` | deaths | 3 | 4 |" in md


def test_limit_caps_listed_rows_but_not_counts(tmp_path: Path) -> None:
    new = tmp_path / "many"
    shutil.copytree(FIXTURES / "base", new)
    extra = "".join(f"N{i},P1,2025-03-01,0,x\n" for i in range(30))
    with (new / "tables" / "events.csv").open("a") as fh:
        fh.write(extra)
    out = diff_json(FIXTURES / "base", new, "--limit", "5")
    assert out["tables"]["events"]["counts"]["added"] == 30
    assert len(out["tables"]["events"]["added"]) == 5 and out["tables"]["events"]["truncated"] is True
    text = brcd("diff", str(FIXTURES / "base"), str(new), "--limit", "5").stdout
    assert "showing 5 of 30" in text


def test_check_needs_a_big_enough_version_bump_and_a_changelog_section(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(FIXTURES / "added-row", new)
    proc = brcd("diff", str(FIXTURES / "base"), str(new), "--check")
    assert proc.returncode == 1 and "MINOR" in proc.stderr and "1.1.0" in proc.stderr
    descriptor = json.loads((new / "datapackage.json").read_text())
    descriptor["version"] = "1.1.0"
    (new / "datapackage.json").write_text(json.dumps(descriptor))
    proc = brcd("diff", str(FIXTURES / "base"), str(new), "--check")
    assert proc.returncode == 1 and "CHANGELOG.md has no section for 1.1.0" in proc.stderr
    (new / "CHANGELOG.md").write_text("# Changelog\n\n## 1.1.0 - 2026-12-01\n\n- one incident added.\n")
    proc = brcd("diff", str(FIXTURES / "base"), str(new), "--check", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["check"] == {"ok": True, "problems": []}
    descriptor["version"] = "2.0.0"  # more than needed is fine
    (new / "datapackage.json").write_text(json.dumps(descriptor))
    (new / "CHANGELOG.md").write_text("## [2.0.0]\n")
    assert brcd("diff", str(FIXTURES / "base"), str(new), "--check").returncode == 0


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit is `base` and second `removed-row`."""
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "base", root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=root, check=True)
    shutil.copy(FIXTURES / "removed-row" / "tables" / "events.csv", root / "tables" / "events.csv")
    subprocess.run([*git, "commit", "-qam", "remove a row"], cwd=root, check=True)
    return root


def test_git_refs_are_compared_from_their_commits(repo: Path) -> None:
    shutil.copy(FIXTURES / "added-row" / "tables" / "events.csv", repo / "tables" / "events.csv")  # uncommitted
    out = diff_json("HEAD~1", "HEAD", cwd=repo)
    assert out["required_bump"] == "major"
    assert out["tables"]["events"]["counts"] == {"added": 0, "removed": 1, "changed": 0}
    assert out["old"]["source"].startswith("HEAD~1 (")
    work = diff_json("HEAD", ".", cwd=repo)  # a folder: the working tree
    assert work["tables"]["events"]["counts"]["added"] == 2


def test_git_refs_work_on_a_python_without_tar_extraction_filters(repo: Path, tmp_path: Path, monkeypatch) -> None:
    """Debian 12's own python3 (3.11.2) has no `filter=` in TarFile.extractall: the checkout
    still works, and a member that would land outside the folder is not written."""
    import io
    import tarfile

    from brcd.release.diff.sides import extract_tree

    original = tarfile.TarFile.extractall

    def old_extractall(self, path=".", members=None, *, numeric_owner=False, **kwargs):
        if kwargs:
            raise TypeError(f"extractall() got an unexpected keyword argument {next(iter(kwargs))!r}")
        return original(self, path, members, numeric_owner=numeric_owner)

    monkeypatch.setattr(tarfile.TarFile, "extractall", old_extractall)
    result = diff_paths("HEAD~1", "HEAD", cwd=repo)
    assert result.required_bump == "major"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in ("inside.txt", "../outside.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"x\n"))
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tar:
        extract_tree(tar, tmp_path / "dest")
    assert (tmp_path / "dest" / "inside.txt").is_file() and not (tmp_path / "outside.txt").exists()


def test_release_zips_are_compared_like_folders(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(FIXTURES / "base", pkg)
    for name in ("README.md", "CITATION.cff", "LICENSE"):
        (pkg / name).write_text(f"{name}\n")
    proc = brcd("release", str(pkg), "--out", str(tmp_path / "dist"))
    assert proc.returncode == 0, proc.stderr
    out = diff_json(tmp_path / "dist" / "mini-1.0.0.zip", FIXTURES / "removed-row")
    assert out["tables"]["events"]["counts"] == {"added": 0, "removed": 1, "changed": 0}


@pytest.mark.parametrize("old,new,code", [
    ("no-such-ref", "base", "unknown-ref"),
    ("base", "different-tables", "incomparable-packages"),
])
def test_bad_input_is_one_clear_line_and_exit_2(old: str, new: str, code: str, repo: Path) -> None:
    shutil.copytree(FIXTURES / "base", repo / "base")
    shutil.copytree(FIXTURES / "different-tables", repo / "different-tables")
    proc = brcd("diff", old, new, cwd=repo)
    assert proc.returncode == 2
    assert f"error[{code}]" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_corrupt_zip_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "brcd-1.0.0.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    proc = brcd("diff", str(bad), str(FIXTURES / "base"))
    assert proc.returncode == 2 and "error[corrupt-zip]" in proc.stderr and "Traceback" not in proc.stderr


def test_outside_a_repository_a_ref_is_exit_2(tmp_path: Path) -> None:
    proc = brcd("diff", "main", str(FIXTURES / "base"), cwd=tmp_path)
    assert proc.returncode == 2 and "error[unknown-ref]" in proc.stderr


def test_an_unknown_format_is_exit_2() -> None:
    proc = brcd("diff", "base", "unchanged", "--format", "yaml", cwd=FIXTURES)
    assert proc.returncode == 2 and "error[usage-error]" in proc.stderr and "yaml" in proc.stderr


@pytest.mark.parametrize("old,new,verdict", [
    (r"^(PK2[0-9]{2}|DIV-[A-Z]+)$", r"^(PK2[0-9]{2}|DIV-[A-Z]+|DIST-[A-Z]+(-[A-Z]+)*)$", "loosened"),  # an id form added
    (r"^A-[0-9]+$", r"^(A-[0-9]+|B-[0-9]+)$", "loosened"),
    (r"^(A|B)$", r"^(A)$", "tightened"),                      # an alternative dropped
    (r"^(a|b)c$", r"^(a|b|d)c$", "tightened"),                # not a top-level alternation: no proof of inclusion
    (r"^[a|b]$", r"^([a|b]|c)$", "loosened"),                 # a bar inside a class does not split
    (r"^[0-9]{4}$", r"^[0-9]{5}$", "tightened"),
])
def test_a_pattern_that_only_gains_alternatives_is_loosened(old: str, new: str, verdict: str) -> None:
    from brcd.release.diff.schema import constraint_changes

    assert constraint_changes({"pattern": old}, {"pattern": new}) == [("pattern", verdict)]


def _with_rules(base: Path, dest: Path, rules: list | None) -> Path:
    """A copy of the fixture `base` whose events schema declares `rules` (none when None)."""
    shutil.copytree(base, dest)
    path = dest / "schemas" / "events.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    if rules is not None:
        schema["brcd:rules"] = rules
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    return dest


FUTURE = {"rule": "date-in-future", "fields": {"dates": ["event_date"]}}
FLOOR = {"rule": "date-before-1947", "fields": {"dates": ["event_date"]}, "floor": "1947-01-01"}


@pytest.mark.parametrize("old_rules,new_rules,bump,kind", [
    ([FUTURE], [FUTURE, FLOOR], "major", "rule-added"),             # rows that passed may now fail
    ([FUTURE, FLOOR], [FUTURE], "minor", "rule-removed"),
    ([FLOOR], [{**FLOOR, "floor": "1947-08-14"}], "major", "rule-changed"),
    (None, [FUTURE, FLOOR], "patch", "rules-declared"),             # nothing declared before: not compared
], ids=["added", "removed", "parameter-changed", "first-declared"])
def test_declared_rules_are_compared_with_their_bump(tmp_path: Path, old_rules, new_rules, bump, kind) -> None:
    old = _with_rules(FIXTURES / "base", tmp_path / "old", old_rules)
    new = _with_rules(FIXTURES / "base", tmp_path / "new", new_rules)
    result = diff_paths(str(old), str(new))
    assert [c.kind for c in result.changes] == [kind]
    assert result.required_bump == bump
    assert "date-" in result.changes[0].detail and result.changes[0].table == "events"


def test_a_rule_follows_its_renamed_column(tmp_path: Path) -> None:
    """A rule on a column that was renamed (deaths -> fatalities in the fixture) is the same
    rule, not one dropped and one added."""
    def rule(col: str) -> dict:
        return {"rule": "fatalities-order", "fields": {"low": col, "best": col, "high": col}}

    old = _with_rules(FIXTURES / "base", tmp_path / "old", [rule("deaths")])
    new = tmp_path / "new"
    shutil.copytree(FIXTURES / "renamed-column", new)
    path = new / "schemas" / "events.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["brcd:rules"] = [rule("fatalities")]
    path.write_text(json.dumps(schema), encoding="utf-8")
    kinds = {c.kind for c in diff_paths(str(old), str(new)).changes}
    assert "column-renamed" in kinds and not {k for k in kinds if k.startswith("rule")}
    schema["brcd:rules"] = [rule("summary")]
    path.write_text(json.dumps(schema), encoding="utf-8")
    kinds = {c.kind for c in diff_paths(str(old), str(new)).changes}
    assert {"rule-added", "rule-removed"} <= kinds
