from __future__ import annotations

import sys
from typing import Optional

import typer

from brcd.options import DiffFormat, format_option


def register(app: typer.Typer) -> None:
    app.command("diff", short_help="Compare two versions and say which version bump they need.")(diff_command)


def diff_command(
    old: str = typer.Argument(..., metavar="OLD", help="A git ref, a package folder or a release zip."),
    new: str = typer.Argument(..., metavar="NEW", help="A git ref, a package folder or a release zip."),
    fmt: DiffFormat = format_option(DiffFormat.text, "text or markdown (rows listed up to --limit), "
                                    "or json (complete, with required_bump)."),
    check: bool = typer.Option(False, "--check", help="Exit 1 unless NEW's version is bumped enough and CHANGELOG.md has its section."),
    limit: Optional[int] = typer.Option(None, "--limit", min=0, metavar="N", show_default="20 for text and markdown, all for json",
                                        help="Rows listed per table and kind. Counts stay exact."),
) -> None:
    """Compare two versions: rows added, removed and changed per table, schema changes, and the semver bump they need.

    MAJOR: a table or column removed or renamed, a type narrowed or a constraint tightened, a
    rule added to brcd:rules, a row removed. MINOR: tables, columns or rows added. PATCH: values
    corrected.

    Example: brcd diff origin/main HEAD --check
    """
    from brcd.release.diff import diff_paths
    from brcd.release.diff.render import render_json, render_markdown, render_text
    from brcd.report import Issue, Report, echo_report

    if limit is None and fmt is not DiffFormat.json:
        limit = 20
    result = diff_paths(old, new, limit=limit)
    if check:
        result.run_check()
    render = {DiffFormat.text: render_text, DiffFormat.markdown: render_markdown, DiffFormat.json: render_json}[fmt]
    typer.echo(render(result), nl=False)
    if check and result.problems:
        if fmt is not DiffFormat.json:  # the JSON document already holds them under "check"
            issues = [Issue("semver-check", path="datapackage.json", message=p) for p in result.problems]
            echo_report(Report.from_issues(issues), "text", stream=sys.stderr,
                        tail=f"version gate: {len(issues)} problem(s).")
        raise typer.Exit(1)
