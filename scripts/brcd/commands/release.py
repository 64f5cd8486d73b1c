from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("release")(release_command)


def release_command(
    package: Optional[Path] = typer.Argument(None, help="datapackage.json or its folder (default: current folder)."),
    out: Path = typer.Option(Path("dist"), "--out", help="Folder for brcd-<version>.zip and SHA256SUMS."),
) -> None:
    """Write DIR/brcd-<version>.zip (tables, schemas, SQLite, Parquet, docs, checksums), DIR/brcd-<version>.duckdb and DIR/SHA256SUMS.

    Two releases of the same inputs give byte-identical zips (the DuckDB file is outside that
    promise: DuckDB does not write the same bytes twice). Refuses an invalid package (exit 1).

    Example: brcd release --out dist
    """
    from brcd.release.archive import release

    result = release(package, out)
    typer.echo(f"wrote {result.zip_path} ({len(result.files)} files), {result.duckdb_path} and {result.sums_path}.")
