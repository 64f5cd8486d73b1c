from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from brcd.options import ReportFormat, check_option, format_option, package_argument


def register(app: typer.Typer) -> None:
    app.command("fmt", short_help="Put the tables in canonical form; --check only reports.")(fmt_command)


def fmt_command(
    package: Optional[Path] = package_argument(),
    check: bool = check_option("Change nothing; exit 1 when any table is not in canonical form."),
    table: Optional[List[str]] = typer.Option(None, "--table", metavar="TABLE", show_default="every table",
                                              help="Only this table (repeatable)."),
    fmt: ReportFormat = format_option(ReportFormat.text, "How --check reports: text, json or github (annotations)."),
) -> None:
    """Rewrite the tables in canonical CSV form: rows sorted by primary key, LF line endings,
    minimal quoting, fixed number formats. Values never change. Then update each
    resource's `bytes` and `hash` in datapackage.json (no separate `brcd hash` needed).

    Example: brcd fmt --check
    """
    from brcd.edit.fmt import format_package, write_formats
    from brcd.package import load_package
    from brcd.report import Issue, Report, echo_report

    pkg = load_package(package)
    results = format_package(pkg, table)
    changed = [r for r in results if r.changed]
    if check:
        issues = [Issue("not-canonical", r.resource, r.path, line=r.first_difference_line(),
                        message=r.describe().removeprefix(f"{r.path}: ")) for r in changed]
        raise typer.Exit(echo_report(Report.from_issues(issues), fmt.value,
                                     ok=f"all {len(results)} table(s) in canonical form.",
                                     tail=f"{len(changed)} of {len(results)} table(s) would be reformatted."))
    stale = write_formats(pkg, results)
    for r in changed:
        typer.echo(f"reformatted {r.path}: {r.describe().split('(', 1)[1].rstrip(').')}")
    for s in stale:
        typer.echo(f"updated {s.path} in datapackage.json: {s.actual_bytes} bytes, {s.actual_hash}")
    if not changed:
        typer.echo(f"all {len(results)} table(s) already in canonical form.")
