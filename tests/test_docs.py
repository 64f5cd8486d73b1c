"""The README stays true: two set-up commands, the CI runs the same test command, and
every command and table is documented."""

from __future__ import annotations

import re

import pytest
import typer.main

from brcd.cli import app
from brcd.package import load_package


def setup_commands(readme: str) -> list[str]:
    block = re.search(r"## Set-up on a fresh machine\s+```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_readme_opens_with_exactly_two_setup_commands(repo_root):
    readme = (repo_root / "README.md").read_text()
    commands = setup_commands(readme)
    assert len(commands) == 2, commands
    assert readme.index("## Set-up on a fresh machine") < readme.index("## What it covers")
    main, tests = commands
    assert "pip install" in main and "brcd validate" in main and "brcd serve" in main
    assert "pip install" in tests and "pytest" in tests and "chromium" in tests


def test_ci_runs_the_readme_test_command(repo_root):
    readme_test = setup_commands((repo_root / "README.md").read_text())[1]
    pytest_cmd = readme_test.split("&&")[-1].strip()
    ci = (repo_root / ".ci" / "run").read_text()
    ci_lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert ci_lines[-1] == pytest_cmd
    assert "pip install" in ci and "'.[test]'" in ci and "chromium" in ci


COMMANDS = sorted(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(repo_root, command):
    assert f"brcd {command}" in (repo_root / "README.md").read_text()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    assert typer.main.get_command(app).commands[command].help


def test_every_table_has_a_readme_row(repo_root):
    readme = (repo_root / "README.md").read_text()
    for name in load_package(repo_root).resource_names:
        assert f"| `{name}` |" in readme, name
