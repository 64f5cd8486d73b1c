from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from brcd.options import ReportFormat, format_option, package_argument


def register(app: typer.Typer) -> None:
    app.command("validate", short_help="Check the package: files, cells, keys, domain rules.")(validate_command)


def validate_command(
    package: Optional[Path] = package_argument(),
    fmt: ReportFormat = format_option(ReportFormat.text, "text: one line per error, then how to fix each kind; "
                                      "json: one object; github: pull-request annotations."),
    max_errors: int = typer.Option(1000, "--max-errors", min=0, metavar="N",
                                   help="List at most N errors (0: no limit); the total is always counted and a cut list says so."),
) -> None:
    """Check files, cells, keys between tables and domain rules of the package.

    Exit 0 valid, 1 invalid (every error listed with its file, line, column and fix), 2 unreadable.

    Example: brcd validate --format github
    """
    from brcd.oscalls import keep_freed_memory
    from brcd.report import echo_report
    from brcd.validate import validate_package

    keep_freed_memory()  # one-shot: the freed 48 MiB slices are reused (docs/performance.md)
    report = validate_package(package, max_errors=max_errors or None)
    raise typer.Exit(echo_report(report, fmt.value))

