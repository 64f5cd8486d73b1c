"""One command-line dialect (brcd.options) and one way of printing problems (brcd.report): help
that lists every choice and default, the package as the first argument, one meaning per short
option, usage errors and unusable input as one `error[CODE]` line with exit 2 (or the one JSON
shape with --format json), and an unknown id in a query parameter answered with the ids that exist."""

from __future__ import annotations

import json
import subprocess
import sys
from enum import Enum
from pathlib import Path

import pytest
import typer.main

from brcd.cli import app, run
from brcd.errors import BrcdError
from brcd.query.named import parse_query
from brcd.report import KEYS, Issue, Report, render_github, render_text

REPO = Path(__file__).resolve().parents[1]
CLICK = typer.main.get_command(app)
COMMANDS = sorted(CLICK.commands)
READS_A_PACKAGE = {"build", "codebook", "fmt", "hash", "query", "release", "serve", "validate"}


def help_text(command: str) -> str:
    ctx = CLICK.make_context("brcd", [command, "--help"], resilient_parsing=True)
    sub = CLICK.commands[command]
    return sub.get_help(sub.make_context(command, [], parent=ctx, resilient_parsing=True))


def visible_options(command: str):
    return [p for p in CLICK.commands[command].params
            if p.param_type_name == "option" and not p.hidden and not p.is_flag]


def test_root_help_lists_every_command_and_the_exit_codes(capsys):
    assert run(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for command in COMMANDS:
        assert f" {command} " in out
    assert "Exit codes: 0 ok; 1 a problem in the data; 2 unusable input" in out


def option_entries(help: str) -> dict[str, str]:
    """Each option's entry in a help text (its lines, joined), by its long name."""
    entries: dict[str, str] = {}
    current = None
    for line in help.split("Options:", 1)[1].splitlines():
        stripped = line.strip()
        if line.startswith("  -"):
            current = next(w.rstrip(",") for w in stripped.split() if w.startswith("--"))
            entries[current] = stripped
        elif current and stripped:
            entries[current] += " " + stripped
    return entries


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_every_choice_and_default(command):
    entries = option_entries(help_text(command))
    for opt in visible_options(command):
        name = next(o for o in opt.opts if o.startswith("--"))
        entry = entries[name]
        assert "[default:" in entry or "[required]" in entry, f"{command} {name}: no default in help: {entry}"
        if name == "--format":
            assert isinstance(opt.default, Enum), f"{command} --format is a free string, not a choice list"
        if isinstance(opt.default, Enum):
            assert "<" + "|".join(c.value for c in type(opt.default)) + ">" in entry, f"{command} {name}: choices"


@pytest.mark.parametrize("command", sorted(READS_A_PACKAGE))
def test_the_package_is_a_positional_argument(command):
    arguments = [p.name for p in CLICK.commands[command].params if p.param_type_name == "argument"]
    assert "package" in arguments
    assert not any(o in p.opts for p in CLICK.commands[command].params if not p.hidden for o in ("--package", "-p")
                   if p.name != "param")


def test_no_short_option_means_two_things():
    meaning: dict[str, set[str]] = {}
    for command in COMMANDS:
        for p in CLICK.commands[command].params:
            for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", []):
                if opt.startswith("-") and not opt.startswith("--"):
                    meaning.setdefault(opt, set()).add(next(o for o in p.opts if o.startswith("--")))
    assert meaning == {"-p": {"--param"}}


@pytest.mark.parametrize("args, words", [
    (["validate", "--fromat", "json"], ["No such option", "--fromat", "brcd validate --help"]),
    (["validate", "--format", "xml"], ["xml", "text", "json", "github"]),
    (["query", "--format", "yaml"], ["yaml", "markdown"]),
    (["diff"], ["Missing argument", "OLD"]),
    (["frobnicate"], ["No such command"]),
])
def test_usage_errors_are_one_line_and_exit_2(capsys, args, words):
    assert run(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error[usage-error]" in err and "Fix:" in err and "Traceback" not in err
    for word in words:
        assert word in err


@pytest.mark.parametrize("command", ["validate", "fmt", "hash", "codebook", "query"])
def test_unusable_input_with_format_json_is_the_one_json_shape(command, tmp_path, capsys):
    args = [command, str(tmp_path / "nowhere"), "--format", "json"]
    if command == "query":
        args = [command, "wave_breakdown", str(tmp_path / "nowhere"), "--format", "json"]
    assert run(args) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["exit_code"] == 2 and data["error_count"] == 1
    (error,) = data["errors"]
    assert tuple(error) == KEYS and error["code"] == "file-missing" and error["hint"]


def test_unusable_input_as_a_github_annotation(tmp_path, capsys):
    assert run(["validate", str(tmp_path / "nowhere"), "--format", "github"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("::error file=") and "title=file-missing::[file-missing]" in out


def test_every_problem_prints_place_code_message_and_fix():
    issue = Issue("foreign-key", "incidents", "tables/incidents.csv", line=18, row=17, field="source_ids", column=42,
                  message="id 'SRC-9999' in the list is not found in sources.source_id.")
    assert issue.line_text() == ("tables/incidents.csv:18:42: error[foreign-key]: source_ids: id 'SRC-9999' in the "
                                 "list is not found in sources.source_id. Fix: use an id that exists in the "
                                 "referenced table, or add that row there first.")
    error = BrcdError("json-error", "datapackage.json is not valid JSON: Expecting ','.", file="datapackage.json",
                      line=3, column=7, hint="fix the JSON syntax.")
    assert Issue.from_error(error).line_text() == error.one_line()
    two = Report.from_issues([issue, Issue.from_error(error)], exit_code=2)
    text = render_text(two)
    assert "How to fix:\n  foreign-key: use an id" in text and "  json-error: fix the JSON syntax." in text
    assert two.to_dict()["exit_code"] == 2 and two.to_dict()["ok"] is False
    assert render_github(two).splitlines()[1].startswith("::error file=datapackage.json,line=3,col=7,title=json-error::")


def test_an_unknown_id_in_a_query_parameter_lists_the_ids_that_exist(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert run(["query", "site_timeline", "-p", "site_id=REKODIQ", "--csv-only"]) == 2
    err = capsys.readouterr().err
    assert "error[unknown-id]: 'REKODIQ' is not a site_id in minerals" in err
    assert "did you mean BAL-MIN-REKODIQ?" in err and "BAL-MIN-SAINDAK" in err


def test_an_empty_id_is_every_row_and_a_known_id_runs(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert run(["query", "financing_by_financier", "-p", "site_id=", "--format", "json", "--csv-only"]) == 0
    assert json.loads(capsys.readouterr().out)


def test_refs_must_name_a_declared_parameter(tmp_path):
    query = tmp_path / "bad_refs.sql"
    query.write_text("-- title: t\n-- description: d\n-- params: site_id string\n-- refs: site = minerals.site_id\n"
                     "SELECT * FROM minerals WHERE site_id = :site_id\n")
    with pytest.raises(BrcdError) as err:
        parse_query(query)
    assert err.value.code == "query-refs" and err.value.line == 4


def test_the_package_may_follow_the_name_or_stand_alone(tmp_path, capsys):
    assert run(["query", "--list", str(REPO)]) == 0
    assert "site_timeline" in capsys.readouterr().out
    assert run(["query", "--sql", "SELECT count(*) AS n FROM minerals", str(REPO), "--format", "csv", "--csv-only"]) == 0
    assert capsys.readouterr().out.startswith("n\n")


def test_brcd_help_does_not_load_the_heavy_libraries():
    code = ("import sys; from brcd.cli import run; run(['--help']); "
            "print(sorted(m for m in ('polars', 'duckdb', 'datasette', 'pandera', 'frictionless') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
