"""`brcd query --sql` reads the package's tables and nothing else: DuckDB installs and loads
no extension (it would write to ~/.duckdb), reaches no URL or other file, and what it prints to
a terminal cannot drive the terminal (control characters are escaped in the table; csv and
json keep every byte)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from brcd.query import locked
from brcd.query.results import Result, render_csv, render_json, render_markdown, render_table

REPO = Path(__file__).resolve().parents[1]


def query(tmp_path: Path, sql: str, *extra: str) -> subprocess.CompletedProcess:
    """`brcd query --sql SQL` on the real package's CSVs, with HOME a fresh empty folder and the
    working folder another one."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir(exist_ok=True)
    cwd.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "XDG_CONFIG_HOME": str(home / ".config")}
    return subprocess.run([sys.executable, "-m", "brcd", "query", "--package", str(REPO), "--csv-only", "--sql", sql,
                           *extra], capture_output=True, cwd=cwd, env=env)


HOSTILE = {
    "parquet over https": ("SELECT * FROM read_parquet('https://example.invalid/x.parquet')", "sql-external"),
    "csv on s3": ("SELECT * FROM read_csv('s3://brcd-invalid/x.csv')", "sql-external"),
    "json over http, inside query()": ("SELECT * FROM query('SELECT * FROM read_json(''http://example.invalid/a.json'')')",
                                       "sql-external"),
    "fts pragma (an extension, at parse time)": ("PRAGMA create_fts_index('incidents', 'incident_id', 'description')",
                                                 "sql-syntax"),
    "install": ("INSTALL httpfs", "sql-writes"),
    "load": ("LOAD httpfs", "sql-writes"),
    "list extensions": ("SELECT * FROM duckdb_extensions()", "sql-external"),
    "a file outside the package": ("SELECT * FROM read_csv('/etc/hostname')", "sql-external"),
    "a glob of home": ("SELECT * FROM glob('~/*')", "sql-external"),
    "copy to home": ("COPY (SELECT 1) TO '~/x.csv'", "sql-writes"),
    "a persistent secret": ("CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", "sql-writes"),
    "attach": ("ATTACH '~/x.duckdb'", "sql-writes"),
    "a setting": ("SET autoinstall_known_extensions = true", "sql-writes"),
}


def run_sql(sql: str) -> None:
    """What `brcd query --sql` does, in this process: connect, refuse all but a SELECT, run."""
    from brcd.package import load_package
    from brcd.query.results import check_select, open_duckdb, run

    con, _ = open_duckdb(load_package(REPO), use_built=False)
    run(con, check_select(con, sql), origin="the SQL")


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_sql_cannot_make_a_file_appear_under_home(tmp_path: Path, monkeypatch, case: str) -> None:
    from brcd.errors import BrcdError

    sql, code = HOSTILE[case]
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # DuckDB reads it for ~ and ~/.duckdb on every use
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BrcdError) as info:
        run_sql(sql)
    assert info.value.code == code and info.value.exit_code == 2, info.value
    assert list(tmp_path.rglob("*")) == [home] and list(home.rglob("*")) == []


@pytest.mark.parametrize("case", ["parquet over https", "fts pragma (an extension, at parse time)",
                                  "list extensions"])
def test_the_command_line_writes_nothing_under_home_either(tmp_path: Path, case: str) -> None:
    sql, code = HOSTILE[case]
    proc = query(tmp_path, sql)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert f"error[{code}]" in err, err
    assert list((tmp_path / "home").rglob("*")) == []
    assert list((tmp_path / "cwd").rglob("*")) == []


def test_a_select_of_the_tables_still_works_under_that_home(tmp_path: Path) -> None:
    proc = query(tmp_path, "SELECT count(*) AS n FROM sources", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["n"] > 0
    assert list((tmp_path / "home").rglob("*")) == []


def test_the_lock_holds_on_a_built_database_file_too(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "brcd.duckdb"
    duckdb.connect(str(db)).execute("CREATE TABLE t AS SELECT 1 AS a").close()
    (tmp_path / "other.csv").write_text("a\n1\n")
    con = locked.connect(str(db), read_only=True)
    assert con.execute("SELECT a FROM t").fetchall() == [(1,)]
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"SELECT * FROM read_csv('{tmp_path / 'other.csv'}')")
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")


# --- what reaches the terminal -----------------------------------------------------------------

NASTY = "red\x1b[31m!\x07 \x1b]0;title\x07tab\there \u202eevil\x9b"


def test_table_and_markdown_escape_control_characters_in_cells_and_headers() -> None:
    result = Result(columns=["x\x1b[2J", "n"], rows=[(NASTY, 1)])
    for render in (render_table, render_markdown):
        text = render(result)
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e\t"), repr(text)
        assert "red\\x1b[31m!\\x07 \\x1b]0;title\\x07tab\\there \\u202eevil\\x9b" in text
        assert "x\\x1b[2J" in text


def test_csv_and_json_keep_every_byte(tmp_path: Path) -> None:
    result = Result(columns=["x"], rows=[(NASTY,)])
    assert render_csv(result).splitlines()[1] == NASTY
    assert json.loads(render_json(result)) == [{"x": NASTY}]
    # through the command line too (click strips escape sequences from output that is not a terminal)
    sql = "SELECT 'red' || chr(27) || '[31m!' || chr(7) AS x"
    assert query(tmp_path, sql, "--format", "csv").stdout == b"x\nred\x1b[31m!\x07\n"
    assert json.loads(query(tmp_path, sql, "--format", "json").stdout) == [{"x": "red\x1b[31m!\x07"}]
    table = query(tmp_path, sql).stdout
    assert b"\x1b" not in table and b"red\\x1b[31m!\\x07" in table
