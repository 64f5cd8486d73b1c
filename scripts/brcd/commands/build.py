"""One module per `brcd` command; each defines `register(app)`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from brcd.options import out_option, package_argument


def register(app: typer.Typer) -> None:
    app.command("build", short_help="Build SQLite, DuckDB and Parquet files from a valid package.")(build_command)


def build_command(
    package: Optional[Path] = package_argument(),
    out: Path = out_option("Folder for brcd.sqlite, brcd.duckdb and parquet/."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the inputs are unchanged."),
) -> None:
    """Build the SQLite (for Datasette), DuckDB and Parquet files from a valid package.

    Refuses an invalid package (exit 1, with the validation summary). Skips the work when the
    descriptor, schemas and tables are unchanged since the last build.

    Example: brcd build --out dist
    """
    import time

    from brcd.release.build import build

    start = time.perf_counter()
    result = build(package, out, force=force)
    if result.skipped:
        typer.echo(f"{out}/ is up to date: the inputs have not changed since the last build (use --force to rebuild).")
        return
    typer.echo(f"built {result.sqlite}, {result.duckdb} and {result.parquet_dir}/ in {time.perf_counter() - start:.1f} s.")
