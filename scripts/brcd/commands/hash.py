from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("hash")(hash_command)


def hash_command(
    package: Optional[Path] = typer.Argument(None, help="datapackage.json or its folder (default: current folder)."),
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 when any bytes/hash is stale."),
) -> None:
    """Rewrite each resource's `bytes` and `hash` in datapackage.json from its file.

    Example: brcd hash --check
    """
    from brcd.edit.hash import stale_resources, update_hashes
    from brcd.package import load_package

    pkg = load_package(package)
    if check:
        stale = stale_resources(pkg)
        for s in stale:
            typer.echo(s.describe(), err=True)
        if stale:
            typer.echo(f"{len(stale)} resource(s) stale. Fix: run `brcd hash`.", err=True)
            raise typer.Exit(1)
        typer.echo(f"all {len(pkg.resources)} resources up to date.")
        return
    stale = update_hashes(pkg)
    for s in stale:
        typer.echo(f"updated {s.path}: {s.actual_bytes} bytes, {s.actual_hash}")
    if not stale:
        typer.echo(f"all {len(pkg.resources)} resources already up to date.")
