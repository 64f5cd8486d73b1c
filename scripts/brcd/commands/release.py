from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from brcd.options import out_option, package_argument


def register(app: typer.Typer) -> None:
    app.command("release", short_help="Write the versioned release zip, DuckDB file and SHA256SUMS.")(release_command)


def release_command(
    package: Optional[Path] = package_argument(),
    out: Path = out_option("Folder for brcd-<version>.zip, brcd-<version>.duckdb and SHA256SUMS."),
) -> None:
    """Write DIR/brcd-<version>.zip (tables, schemas, SQLite, Parquet, codebook, README for data users, checksums), DIR/brcd-<version>.duckdb and DIR/SHA256SUMS.

    Two releases of the same inputs give byte-identical zips (the DuckDB file is outside that
    promise: DuckDB does not write the same bytes twice). Refuses an invalid package (exit 1).

    Example: brcd release --out dist
    """
    from brcd.release.archive import release

    result = release(package, out)
    typer.echo(f"wrote {result.zip_path} ({len(result.files)} files), {result.duckdb_path} and {result.sums_path}.")
