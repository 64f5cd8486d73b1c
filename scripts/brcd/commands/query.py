from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from brcd.errors import BrcdError

if TYPE_CHECKING:  # pragma: no cover
    from brcd.package import Package
    from brcd.query.named import NamedQuery


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


def register(app: typer.Typer) -> None:
    app.command("query")(query_command)


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """`key=value` strings to a dict; a pair without `=` or a repeated key is a usage error."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BrcdError("bad-parameter", f"-p {pair!r} is not key=value.", hint="write -p radius_km=25.")
        if key in out:
            raise BrcdError("bad-parameter", f"parameter {key!r} is given twice.", hint="pass each -p key once.")
        out[key] = value
    return out


def named_queries(pkg: "Package", folder: Path | None) -> list["NamedQuery"]:
    from brcd.query.named import load_queries, read_folder

    return read_folder(folder) if folder is not None else load_queries(pkg.root)


def list_queries(queries: list["NamedQuery"]) -> None:
    for q in queries:
        params = ", ".join(p.describe() for p in q.params) or "no parameters"
        engines = "DuckDB and SQLite" if q.sqlite_sql is not None else "DuckDB only"
        typer.echo(f"{q.name}: {q.title}\n    {params}; {engines}")


def connect(pkg: "Package", csv_only: bool):
    """DuckDB over the fresh built file, else over the CSVs (saying so when a stale build exists)."""
    from brcd.query.results import BUILT_DUCKDB, open_duckdb

    con, origin = open_duckdb(pkg, use_built=not csv_only)
    if origin == "the CSVs" and not csv_only and (pkg.root / BUILT_DUCKDB).is_file():
        typer.echo(f"note: {BUILT_DUCKDB} is not fresh (the package changed since it was built); "
                   "reading the CSVs. Run `brcd build` to refresh it.", err=True)
    return con


def query_command(
    name: Optional[str] = typer.Argument(None, help="Named query to run (a file queries/NAME.sql)."),
    param: List[str] = typer.Option([], "-p", "--param", help="A parameter as key=value; repeat for several."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, csv, json or markdown."),
    sql: Optional[str] = typer.Option(None, "--sql", help="Run this SELECT instead of a named query (statements that write are refused)."),
    list_: bool = typer.Option(False, "--list", help="List the named queries with their parameters and exit."),
    package: Optional[Path] = typer.Option(None, "--package", help="datapackage.json or its folder (default: current folder)."),
    queries_dir: Optional[Path] = typer.Option(None, "--queries", help="Folder of named queries (default: queries/ beside datapackage.json)."),
    csv_only: bool = typer.Option(False, "--csv-only", help="Read the CSVs even when dist/brcd.duckdb is fresh."),
) -> None:
    """Answer a question with a named query (queries/*.sql) or your own SELECT, in DuckDB over the
    CSVs with the schema's types (or over dist/brcd.duckdb when it is fresh).

    Example: brcd query incidents_near_sites -p radius_km=25 --format markdown
    """
    from brcd.package import load_package
    from brcd.query.named import bind, engine_values, find_query
    from brcd.query.results import RENDERERS, check_select, run

    pkg = load_package(package)
    if list_:
        if name or sql:
            raise BrcdError("bad-usage", "--list takes no query name or --sql.", hint="run brcd query --list alone.")
        list_queries(named_queries(pkg, queries_dir))
        return
    if (name is None) == (sql is None):
        raise BrcdError("bad-usage", "give a query name or --sql, not both and not neither.",
                        hint="brcd query --list shows the names; brcd query --sql \"SELECT ...\" runs your own.")
    values = parse_pairs(param)
    if sql is not None:
        if values:
            raise BrcdError("bad-usage", "-p applies to named queries only.", hint="write the values into the --sql text.")
        con = connect(pkg, csv_only)
        result = run(con, check_select(con, sql), origin="the SQL")
    else:
        query = find_query(named_queries(pkg, queries_dir), name)
        typed = bind(query, values)
        con = connect(pkg, csv_only)
        result = run(con, query.duckdb_sql, engine_values(typed, "duckdb"), origin=f"query {query.name!r} ({query.path})")
    # color=True: click would strip escape sequences from the csv and json (table escapes them itself)
    typer.echo(RENDERERS[fmt.value](result), nl=False, color=True)
