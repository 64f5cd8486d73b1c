from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_command)


def verify_command(
    path: Path = typer.Argument(..., help="A release zip (checked against SHA256SUMS beside it) or its unpacked folder."),
    sums: Optional[Path] = typer.Option(None, "--sums", help="The release's SHA256SUMS, when it is not beside the zip."),
) -> None:
    """Check a release: checksums of every file, the descriptor's hashes, then full validation.

    Exits 1 and names the damaged file when any byte has changed, or when the data are invalid;
    exits 2 for a zip it will not unpack (not a zip, no SHA256SUMS, unsafe or oversized members).

    Example: brcd verify dist/brcd-0.1.0.zip
    """
    from brcd.release.verify import verify

    report = verify(path, sums=sums)
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    for name, why in report.damaged:
        typer.echo(f"damaged: {name}: {why}", err=True)
    if report.damaged:
        typer.echo(f"{path}: {len(report.damaged)} problem(s); the release is not intact.", err=True)
        raise typer.Exit(1)
    if not report.valid:
        typer.echo(f"{path}: checksums match but the package is invalid: {report.validation}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{path}: {report.files_checked} files match their checksums; the package is valid.")
