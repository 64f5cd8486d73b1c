from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("fmt")(fmt_command)


def fmt_command(
    package: Optional[Path] = typer.Argument(None, help="datapackage.json or its folder (default: current folder)."),
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 when any table is not in canonical form."),
    table: Optional[List[str]] = typer.Option(None, "--table", "-t", help="Only this table (repeatable)."),
    output_format: str = typer.Option("text", "--format", help="How --check reports: text, or github (::error annotations)."),
) -> None:
    """Rewrite the tables in canonical CSV form: rows sorted by primary key, LF line endings,
    minimal quoting, fixed number formats. Values never change. Then update each
    resource's `bytes` and `hash` in datapackage.json (no separate `brcd hash` needed).

    Example: brcd fmt --check
    """
    from brcd.errors import BrcdError
    from brcd.edit.fmt import format_package, write_formats
    from brcd.package import load_package

    if output_format not in ("text", "github"):
        raise BrcdError("bad-option", f"unknown --format {output_format!r}.", hint="use text or github.")
    pkg = load_package(package)
    results = format_package(pkg, table)
    changed = [r for r in results if r.changed]
    if check:
        for r in changed:
            if output_format == "github":
                typer.echo(f"::error file={r.path},line={r.first_difference_line()}::{r.describe()} Run `brcd fmt`.")
            else:
                typer.echo(f"{r.describe()} First difference at line {r.first_difference_line()}.", err=True)
        if changed:
            typer.echo(f"{len(changed)} of {len(results)} table(s) would be reformatted. Fix: run `brcd fmt`.", err=True)
            raise typer.Exit(1)
        typer.echo(f"all {len(results)} table(s) in canonical form.")
        return
    stale = write_formats(pkg, results)
    for r in changed:
        typer.echo(f"reformatted {r.path}: {r.describe().split('(', 1)[1].rstrip(').')}")
    for s in stale:
        typer.echo(f"updated {s.path} in datapackage.json: {s.actual_bytes} bytes, {s.actual_hash}")
    if not changed:
        typer.echo(f"all {len(results)} table(s) already in canonical form.")
