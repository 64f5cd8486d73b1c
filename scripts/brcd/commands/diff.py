from __future__ import annotations

from typing import Optional

import typer

FORMATS = ("text", "markdown", "json")


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_command)


def diff_command(
    old: str = typer.Argument(..., help="OLD version: a git ref, a package folder or a release zip."),
    new: str = typer.Argument(..., help="NEW version: a git ref, a package folder or a release zip."),
    fmt: str = typer.Option("text", "--format", help="text, markdown or json (json is complete and has required_bump)."),
    check: bool = typer.Option(False, "--check", help="Exit 1 unless NEW's version is bumped enough and CHANGELOG.md has its section."),
    limit: Optional[int] = typer.Option(None, "--limit", min=0,
                                        help="Rows listed per table and kind (default: 20 for text/markdown, all for json). Counts stay exact."),
) -> None:
    """Compare two versions: rows added, removed and changed per table, schema changes, and the semver bump they need.

    MAJOR: a table or column removed or renamed, a type narrowed, a row removed. MINOR: tables,
    columns or rows added. PATCH: values corrected.

    Example: brcd diff origin/main HEAD --check
    """
    from brcd.release.diff import diff_paths
    from brcd.release.diff.render import render_json, render_markdown, render_text
    from brcd.errors import BrcdError

    if fmt not in FORMATS:
        raise BrcdError("bad-option", f"--format {fmt!r} is not one of {', '.join(FORMATS)}.",
                        hint="use --format text, markdown or json.")
    if limit is None and fmt != "json":
        limit = 20
    result = diff_paths(old, new, limit=limit)
    if check:
        result.run_check()
    render = {"text": render_text, "markdown": render_markdown, "json": render_json}[fmt]
    typer.echo(render(result), nl=False)
    if check and result.problems:
        for problem in result.problems:
            typer.echo(f"error[semver-check]: {problem}", err=True)
        raise typer.Exit(1)
