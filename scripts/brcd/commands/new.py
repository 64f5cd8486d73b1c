from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from brcd.errors import BrcdError

EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}


def register(app: typer.Typer) -> None:
    app.command("new", context_settings=EXTRA_ARGS,
                short_help="Add one row to a table: asks, proposes the id, checks, inserts.")(new_command)


def new_command(
    ctx: typer.Context,
    table: str = typer.Argument(..., metavar="TABLE", help="The table to add a row to (incidents, sources, statements, ...)."),
    no_input: bool = typer.Option(False, "--no-input", help="Never prompt: take values from the field flags, the proposed id and the defaults; exit 1 if the row is not valid."),
    all_fields: bool = typer.Option(False, "--all", help="Also prompt for the optional fields (Enter leaves one empty)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the row and print it; write nothing."),
    list_fields: bool = typer.Option(False, "--list-fields", help="List the table's fields (each is also a flag) and exit."),
    package_option: Optional[Path] = typer.Option(None, "--package", hidden=True),
) -> None:
    """Add one row to TABLE: prompt for the required fields, propose the next free id, check
    the row with the same rules as `brcd validate`, then insert it without touching any
    other line (and update bytes/hash in datapackage.json).

    brcd new TABLE [PACKAGE] [--FIELD VALUE]... [OPTIONS]

    PACKAGE (datapackage.json or its folder; default: the current folder) may follow TABLE.
    Every field is also a flag, --FIELD VALUE (dashes or underscores). Every problem of the row
    is reported at once; with prompts, the fields they name are asked again; with --no-input,
    the command exits 1 and writes nothing.

    Example: brcd new sources --title "Dawn, 27 August 2024" --source-type news_report --reliability established_media
    """
    from brcd.edit.new import NewRow, describe_fields, parse_field_flags, split_arguments
    from brcd.package import load_package
    from brcd.report import Report, echo_report

    words, flags = split_arguments(list(ctx.args))
    if len(words) > 1 or (words and package_option is not None):
        raise BrcdError("bad-option", f"unexpected argument {words[-1]!r}.",
                        hint="write brcd new TABLE [PACKAGE] --FIELD VALUE ... (see `brcd new TABLE --list-fields`).")
    pkg = load_package(Path(words[0]) if words else package_option)
    row = NewRow.start(pkg, table)
    if list_fields:
        typer.echo(describe_fields(row.resource))
        return
    row.values.update(parse_field_flags(row.resource, flags))
    if no_input:
        row.fill_defaults(row.to_ask(all_fields))
        if row.key and row.key not in row.values and (proposal := row.proposed_key()):
            row.values[row.key] = proposal
        problems = row.problems()
        if problems:
            echo_report(Report.from_issues(problems), tail=f"the row is not valid: nothing written to {row.resource.relpath}.")
            raise typer.Exit(1)
    else:
        _Prompts(row).complete(all_fields)
    if dry_run:
        typer.echo(row.render(), nl=False)
        typer.echo(f"valid: {row.key_text()} would be added to {row.resource.relpath} (--dry-run: nothing written).", err=True)
        return
    placement = row.add()
    typer.echo(f"added {row.key_text()} to {row.resource.relpath} at line {placement.line}; bytes/hash updated in datapackage.json.")


class _Prompts:
    """The questions of one interactive `brcd new` run (the row's logic is in brcd.edit.new)."""

    def __init__(self, row) -> None:
        self.row = row
        self.used = row.used_keys()

    def ask(self, name: str, default: Optional[str] = None) -> str:
        from brcd.edit.new import prompt_text

        def check(value: str) -> str:
            value = value.strip()
            problem = self.row.answer_problem(name, value, self.used)
            if problem:
                raise typer.BadParameter(problem)  # the prompt prints it and asks again
            return value

        typer.secho(f"  {prompt_text(self.row.resource.field(name), self.row.resource)}", dim=True, err=True)
        return typer.prompt(name, default=default, value_proc=check, show_default=bool(default), err=True)

    def field_name(self, value: str) -> str:
        if value.strip() not in self.row.resource.field_names:
            raise typer.BadParameter(f"{self.row.resource.name} has no field {value.strip()!r}.")
        return value.strip()

    def complete(self, all_fields: bool) -> None:
        """Ask for what is missing, then check the whole row; print every problem at once and ask
        again for the fields they name, until the row is valid."""
        from brcd.report import Report, echo_report

        row = self.row
        for name in row.to_ask(all_fields):
            row.values[name] = self.ask(name, row.default(name))
        if row.key and row.key not in row.values:
            row.values[row.key] = self.ask(row.key, row.proposed_key())
        while problems := row.problems():
            echo_report(Report.from_issues(problems), stream=_stderr(),
                        tail="the row is not valid yet: answer the fields above again.")
            names = row.flagged_fields(problems) or [
                typer.prompt("Which field do you want to change?", err=True, value_proc=self.field_name)]
            for name in names:
                row.values[name] = self.ask(name)


def _stderr():
    import sys

    return sys.stderr
