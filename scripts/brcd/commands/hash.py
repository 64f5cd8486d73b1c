from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from brcd.options import ReportFormat, check_option, format_option, package_argument


def register(app: typer.Typer) -> None:
    app.command("hash", short_help="Record each table's size and sha256 in datapackage.json.")(hash_command)


def hash_command(
    package: Optional[Path] = package_argument(),
    check: bool = check_option("Change nothing; exit 1 when any bytes/hash is stale."),
    fmt: ReportFormat = format_option(ReportFormat.text, "How --check reports: text, json or github (annotations)."),
) -> None:
    """Rewrite each resource's `bytes` and `hash` in datapackage.json from its file.

    Example: brcd hash --check
    """
    from brcd.edit.hash import stale_resources, update_hashes
    from brcd.package import load_package
    from brcd.report import Issue, Report, echo_report

    pkg = load_package(package)
    if check:
        issues = [Issue("hash-count", s.resource, s.path, message=s.describe().removeprefix(f"{s.path}: "))
                  for s in stale_resources(pkg)]
        raise typer.Exit(echo_report(Report.from_issues(issues), fmt.value,
                                     ok=f"all {len(pkg.resources)} resources up to date.",
                                     tail=f"{len(issues)} resource(s) stale."))
    stale = update_hashes(pkg)
    for s in stale:
        typer.echo(f"updated {s.path}: {s.actual_bytes} bytes, {s.actual_hash}")
    if not stale:
        typer.echo(f"all {len(pkg.resources)} resources already up to date.")
