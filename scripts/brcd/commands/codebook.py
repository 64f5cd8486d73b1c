from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from brcd.options import ReportFormat, check_option, format_option, package_argument


def register(app: typer.Typer) -> None:
    app.command("codebook", short_help="Regenerate docs/CODEBOOK.md and the README's generated parts.")(codebook_command)


def codebook_command(
    package: Optional[Path] = package_argument(),
    check: bool = check_option("Change nothing; exit 1 when a generated document is stale."),
    fmt: ReportFormat = format_option(ReportFormat.text, "How --check reports: text, json or github (annotations)."),
) -> None:
    """Write docs/CODEBOOK.md from the schemas (every table and field, its type, unit, rules and
    allowed values), fill the README's generated blocks from the data (row counts, the citation,
    lines made by named queries), and write docs/DATA-README.md (the README of a release) and
    CITATION.cff's version.

    Example: brcd codebook --check
    """
    from brcd.docs.generate import stale_documents, write_documents
    from brcd.package import load_package
    from brcd.report import Report, echo_report

    pkg = load_package(package)
    if check:
        issues = stale_documents(pkg)
        raise typer.Exit(echo_report(Report.from_issues(issues), fmt.value, ok="generated documents up to date.",
                                     tail=f"{len(issues)} generated document(s) stale."))
    written = write_documents(pkg)
    for doc in written:
        typer.echo(f"wrote {doc.relpath}")
    if not written:
        typer.echo("generated documents already up to date.")
