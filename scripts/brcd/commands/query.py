from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from brcd.errors import BrcdError
from brcd.options import ResultFormat, format_option, package_argument

if TYPE_CHECKING:  # pragma: no cover
    from brcd.package import Package
    from brcd.query.named import NamedQuery


def register(app: typer.Typer) -> None:
    app.command("query", short_help="Run a named query (queries/*.sql) or one SELECT over the tables.")(query_command)


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
        refs = {name: f"{table}.{column}" for name, table, column in q.refs}
        params = ", ".join(p.describe() + (f" -> {refs[p.name]}" if p.name in refs else "") for p in q.params) or "no parameters"
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
    name: Optional[str] = typer.Argument(None, metavar="NAME", help="Named query to run (a file queries/NAME.sql); "
                                         "with --sql or --list, leave it out."),
    package: Optional[Path] = package_argument(),
    param: List[str] = typer.Option([], "-p", "--param", metavar="KEY=VALUE", show_default="the query's own defaults",
                                    help="A parameter of the named query; repeat for several (brcd query --list shows them)."),
    fmt: ResultFormat = format_option(ResultFormat.table, "table, csv, json or markdown."),
    sql: Optional[str] = typer.Option(None, "--sql", metavar="SELECT", show_default="none: run NAME",
                                      help="Run this SELECT instead of a named query (statements that write are refused)."),
    list_: bool = typer.Option(False, "--list", help="List the named queries with their parameters and exit."),
    queries_dir: Optional[Path] = typer.Option(None, "--queries", metavar="DIR", show_default="queries/ beside datapackage.json",
                                               help="Folder of named queries."),
    csv_only: bool = typer.Option(False, "--csv-only", help="Read the CSVs even when dist/brcd.duckdb is fresh."),
    package_option: Optional[Path] = typer.Option(None, "--package", hidden=True),
) -> None:
    """Answer a question with a named query (queries/*.sql) or your own SELECT, in DuckDB over the
    CSVs with the schema's types (or over dist/brcd.duckdb when it is fresh).

    An id given to a parameter that names rows of a table (such as site_id) must exist there:
    an unknown one exits 2 and lists the ids that do.

    Example: brcd query site_timeline -p site_id=BAL-MIN-REKODIQ --format markdown
    """
    from brcd.package import load_package
    from brcd.query.named import bind, check_references, engine_values, find_query
    from brcd.query.results import RENDERERS, check_select, run, with_labels

    if (list_ or sql is not None) and name is not None and package is None:
        name, package = None, Path(name)  # `brcd query --list PACKAGE`: the only positional is the package
    pkg = load_package(package or package_option)
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
        check_references(con, query, typed)
        result = run(con, query.duckdb_sql, engine_values(typed, "duckdb"), origin=f"query {query.name!r} ({query.path})")
    # color=True: click would strip escape sequences from the csv and json (table escapes them itself)
    typer.echo(RENDERERS[fmt.value](with_labels(result, pkg)), nl=False, color=True)
