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
    from brcd.report import echo_report
    from brcd.validate import validate_package

    _reuse_freed_memory()
    report = validate_package(package, max_errors=max_errors or None)
    raise typer.Exit(echo_report(report, fmt.value))


def _reuse_freed_memory() -> None:
    """glibc gives each allocation above 32 MiB its own mapping and unmaps it when freed, so a
    big table's 48 MiB slices would come back as fresh pages every time (12,000 page faults a
    slice). A one-shot command can keep freed memory for the next slice: raise the mapping
    threshold and never trim the heap. Elsewhere (not glibc) nothing changes."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 512 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass
