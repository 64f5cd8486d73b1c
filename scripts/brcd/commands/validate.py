from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)


def validate_command(
    package: Optional[Path] = typer.Argument(None, help="datapackage.json or its folder (default: current folder)."),
    fmt: Format = typer.Option(Format.text, "--format", help="text (grouped by file, with fix hints), json, or github (PR annotations)."),
    max_errors: int = typer.Option(1000, "--max-errors", min=0, help="List at most N errors (0: no limit); the total is always counted and a cut list says so."),
) -> None:
    """Check files, cells, keys between tables and domain rules of the package; exit 0 valid, 1 invalid, 2 unreadable.

    Example: brcd validate --format github
    """
    from brcd.oscalls import keep_freed_memory
    from brcd.report import RENDERERS
    from brcd.validate import validate_package

    keep_freed_memory()  # one-shot: the freed 48 MiB slices are reused (docs/performance.md)
    report = validate_package(package, max_errors=max_errors or None)
    typer.echo(RENDERERS[fmt.value](report), nl=False)
    raise typer.Exit(0 if report.valid else 1)

