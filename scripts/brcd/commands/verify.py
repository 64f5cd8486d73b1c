from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from brcd.options import ReportFormat, format_option


def register(app: typer.Typer) -> None:
    app.command("verify", short_help="Check a release zip: every checksum, then full validation.")(verify_command)


def verify_command(
    path: Path = typer.Argument(..., metavar="RELEASE",
                                help="A release zip (checked against SHA256SUMS beside it) or its unpacked folder."),
    fmt: ReportFormat = format_option(ReportFormat.text, "text, json or github (annotations)."),
    sums: Optional[Path] = typer.Option(None, "--sums", metavar="FILE", show_default="SHA256SUMS beside the zip",
                                        help="The release's checksum list, when it is not beside the zip."),
) -> None:
    """Check a release: checksums of every file, the descriptor's hashes, then full validation.

    Exits 1 and names the damaged file when any byte has changed, or when the data are invalid;
    exits 2 for a zip it will not unpack (not a zip, no SHA256SUMS, unsafe or oversized members).

    Example: brcd verify dist/brcd-0.2.0.zip
    """
    from brcd.release.verify import verify
    from brcd.report import Issue, Report, echo_report

    report = verify(path, sums=sums)
    for note in report.notes:  # said, not failures: a renamed zip, no DuckDB file beside it
        typer.echo(f"note: {note}", err=True)
    issues = [Issue("damaged-file", path=name, message=why) for name, why in report.damaged]
    if not issues and not report.valid:
        issues = [Issue("invalid-package", path=str(path),
                        message=f"checksums match but the package is invalid: {report.validation}")]
    tail = (f"{path}: {len(report.damaged)} file(s) damaged; the release is not intact." if report.damaged
            else f"{path}: the release is intact but its data are invalid.")
    raise typer.Exit(echo_report(Report.from_issues(issues), fmt.value, tail=tail,
                                 ok=f"{path}: {report.files_checked} files match their checksums; the package is valid."))
