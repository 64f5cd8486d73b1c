"""The README stays true: two set-up commands that .ci/run reads and runs as written, every
command and table documented, the generated parts up to date, and every example run against the
real tables: each `brcd query` line of the README and the codebook returns rows, and each snippet
for data users (pandas, R, DuckDB, a spreadsheet, Datasette, the checksums) runs on a release
built from the real package and prints rows."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
import typer.main

from brcd.cli import app, run
from brcd.docs.generate import stale_documents
from brcd.package import load_package
from brcd.release.archive import release

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
CODEBOOK = (REPO / "docs" / "CODEBOOK.md").read_text(encoding="utf-8")
YEAR = re.compile(r"\b20[0-9]{2}\b")


def setup_commands(readme: str) -> list[str]:
    block = re.search(r"## Set-up on a fresh machine\s.*?```bash\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def data_part(readme: str) -> str:
    return readme.split("<!-- data-readme:start -->", 1)[1].split("<!-- data-readme:end -->", 1)[0]


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


# --- the two set-up commands and .ci/run ------------------------------------------------------

def test_readme_opens_with_exactly_two_setup_commands():
    commands = setup_commands(README)
    assert len(commands) == 2, commands
    assert README.index("## Set-up on a fresh machine") < README.index("## What it covers")
    main, tests = commands
    for command in commands:  # a virtual environment, with python3-venv installed by apt-get when missing
        assert "python3 -m venv .venv" in command and "apt-get install" in command and "python3-venv" in command
        assert "sudo" in command  # as root, or through sudo
    assert ".venv/bin/pip install -e ." in main and "brcd validate" in main and "brcd build" in main
    assert main.rstrip().endswith("brcd serve --host 127.0.0.1 --port 8001") and "Ctrl-C" in main
    assert ".venv/bin/pip install -e '.[test]'" in tests and "pytest" in tests and "chromium" in tests
    # the tests run the environment's own scripts (frictionless, actionlint, pre-commit): it must be on PATH
    assert ". .venv/bin/activate && python -m pytest" in tests


def test_ci_reads_the_two_commands_from_the_readme_and_copies_neither():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = setup_commands(README)
    for command in commands:
        assert command not in ci and "brcd serve --host" not in ci
    shown = subprocess.run(["bash", str(REPO / ".ci" / "run")], capture_output=True, text=True, cwd=REPO,
                           env={**os.environ, "BRCD_CI_PRINT_COMMANDS": "1"}, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == commands
    assert "brcd codebook --check" in ci and re.search(r"cffconvert\S* --validate", ci, re.I)


COMMANDS = sorted(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command):
    assert f"`brcd {command}`" in README


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    assert typer.main.get_command(app).commands[command].help


def test_every_table_has_a_readme_row():
    for name in load_package(REPO).resource_names:
        assert f"| `{name}` |" in README, name


def test_generated_documents_are_up_to_date():
    """What `brcd codebook --check` (in .ci/run) checks: the codebook, the README's blocks, the
    release's README and CITATION.cff's version are what the schemas and tables give."""
    assert [issue.line_text() for issue in stale_documents(load_package(REPO))] == []


# --- every `brcd query` example returns rows -----------------------------------------------------

def query_examples() -> list[tuple[str, str]]:
    out = []
    for origin, text in (("README.md", README), ("docs/CODEBOOK.md", CODEBOOK)):
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("brcd query ") and "--list" not in line:
                out.append((origin, line))
    return out


def count_rows(output: str, fmt: str) -> int:
    if fmt == "json":
        return len(json.loads(output))
    if fmt == "csv":
        return len(list(csv.reader(io.StringIO(output)))) - 1
    if fmt == "markdown":
        return len(output.strip().splitlines()) - 2
    return int(re.search(r"^\((\d+) rows?\)$", output, re.M).group(1))


def test_there_are_query_examples_in_both_documents():
    origins = {origin for origin, _ in query_examples()}
    assert origins == {"README.md", "docs/CODEBOOK.md"}
    assert len([o for o, _ in query_examples() if o == "docs/CODEBOOK.md"]) > len(load_package(REPO).resources)


@pytest.mark.parametrize("origin,example", query_examples(), ids=[f"{o}:{e[11:60]}" for o, e in query_examples()])
def test_every_query_example_returns_rows(origin, example, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    args = shlex.split(example, comments=True)[1:]
    fmt = args[args.index("--format") + 1] if "--format" in args else "table"
    code = run(args)
    out = capsys.readouterr()
    assert code == 0, out.err
    assert count_rows(out.out, fmt) > 0, f"{origin}: `{example}` returns no rows"


def test_query_list_example_lists_the_queries(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert "brcd query --list" in README
    assert run(["query", "--list"]) == 0
    listed = capsys.readouterr().out
    assert {p.stem for p in (REPO / "queries").glob("*.sql") if not p.name.endswith(".sqlite.sql")} <= \
        {line.split(":")[0] for line in listed.splitlines() if not line.startswith(" ")}


# --- the data users' snippets, on a release of the real package ----------------------------------

@pytest.fixture(scope="module")
def released(tmp_path_factory) -> tuple[Path, Path]:
    """(the folder holding the zip, the DuckDB file and SHA256SUMS; the unpacked release)."""
    src = tmp_path_factory.mktemp("pkg")
    for name in ("datapackage.json", "README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA.md"):
        shutil.copy2(REPO / name, src / name)
    for folder in ("tables", "schemas", "docs"):
        shutil.copytree(REPO / folder, src / folder)
    dist = tmp_path_factory.mktemp("dist")
    result = release(src / "datapackage.json", dist)
    with zipfile.ZipFile(result.zip_path) as zf:
        zf.extractall(dist)
    return dist, dist / result.zip_path.stem


def test_the_release_carries_the_codebook_and_the_readme_for_data_users(released):
    _dist, root = released
    assert (root / "CODEBOOK.md").read_bytes() == (REPO / "docs" / "CODEBOOK.md").read_bytes()
    assert (root / "README.md").read_bytes() == (REPO / "docs" / "DATA-README.md").read_bytes()
    data_readme = (root / "README.md").read_text(encoding="utf-8")
    assert "## Use it" in data_readme and "## Set-up on a fresh machine" not in data_readme


def test_the_readme_names_the_release_files_of_this_version(released):
    dist, root = released
    version = load_package(REPO).version
    named = set(re.findall(r"brcd-\d+\.\d+\.\d+(?:\.zip|\.duckdb)?", data_part(README)))
    assert named == {f"brcd-{version}", f"brcd-{version}.zip", f"brcd-{version}.duckdb"}
    assert f"unzip brcd-{version}.zip && cd brcd-{version}" in README and root.name == f"brcd-{version}"
    assert (dist / f"brcd-{version}.duckdb").is_file()


def test_the_checksum_and_verify_commands_pass(released):
    dist, _root = released
    lines = [line.split("#")[0].strip() for line in fenced(data_part(README), "bash")[0].splitlines()]
    sums, verify = next(x for x in lines if x.startswith("sha256sum")), next(x for x in lines if x.startswith("brcd verify"))
    if shutil.which("sha256sum"):
        assert subprocess.run(shlex.split(sums), cwd=dist, capture_output=True).returncode == 0
    proc = subprocess.run([sys.executable, "-m", "brcd", *shlex.split(verify)[1:]], cwd=dist, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def python_snippets() -> list[str]:
    return fenced(data_part(README), "python")


@pytest.mark.parametrize("snippet", python_snippets(), ids=["pandas", "duckdb"])
def test_python_snippets_print_rows(released, snippet):
    _dist, root = released
    proc = subprocess.run([sys.executable, "-c", snippet], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert YEAR.search(proc.stdout) and "Empty DataFrame" not in proc.stdout, proc.stdout


def test_the_r_snippet_prints_rows(released):
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed (.ci/run installs Debian's r-base-core to run this test)")
    _dist, root = released
    (snippet,) = fenced(data_part(README), "r")
    proc = subprocess.run(["Rscript", "-e", snippet], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len([line for line in proc.stdout.splitlines() if YEAR.search(line)]) >= 1, proc.stdout


def test_the_spreadsheet_advice_holds_for_every_csv(released):
    """UTF-8 without a byte-order mark, comma-separated, a header row of the schema's fields,
    and no cell a spreadsheet would run as a formula."""
    _dist, root = released
    pkg = load_package(root)
    for res in pkg.resources:
        raw = res.path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        assert rows[0] == res.field_names and len(rows) > 1, res.name
        for row in rows[1:]:
            assert len(row) == len(rows[0])
            assert not any(re.match(r"[=+\-@][A-Za-z(]", cell) for cell in row), (res.name, row)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_datasette_command_serves_the_rows(released):
    _dist, root = released
    line = next(x for x in fenced(data_part(README), "bash")[1].splitlines() if x.startswith("datasette "))
    args = shlex.split(line, comments=True)
    port = free_port()
    args[args.index("--port") + 1] = str(port)
    datasette = shutil.which("datasette") or str(Path(sys.executable).with_name("datasette"))
    proc = subprocess.Popen([datasette, *args[1:], "--host", "127.0.0.1"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        rows = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/brcd/incidents.json?_shape=array", timeout=5) as r:
                    rows = json.loads(r.read())
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.5)
        assert rows, "datasette did not serve the incidents"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
