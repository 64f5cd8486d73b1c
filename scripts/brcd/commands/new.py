from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True}


def register(app: typer.Typer) -> None:
    app.command("new", context_settings=EXTRA_ARGS)(new_command)


def new_command(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="The table to add a row to (incidents, sources, statements, ...)."),
    package: Optional[Path] = typer.Option(None, "--package", "-p", help="datapackage.json or its folder (default: current folder)."),
    no_input: bool = typer.Option(False, "--no-input", help="Never prompt: take values from the field flags, the proposed id and the defaults; exit 1 if the row is not valid."),
    all_fields: bool = typer.Option(False, "--all", help="Also prompt for the optional fields (Enter leaves one empty)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the row and print it; write nothing."),
    list_fields: bool = typer.Option(False, "--list-fields", help="List the table's fields (each is also a flag) and exit."),
) -> None:
    """Add one row to TABLE: prompt for the required fields, propose the next free id, check
    the row with the same rules as `brcd validate`, then insert it without touching any
    other line (and update bytes/hash in datapackage.json). A bad answer is asked again.

    Every field is also a flag: --FIELD VALUE (dashes or underscores), e.g.

    Example: brcd new sources --title "Dawn, 27 August 2024" --source-type news_report --reliability established_media
    """
    from brcd.edit.new import describe_fields, parse_field_flags
    from brcd.package import load_package

    pkg = load_package(package)
    res = pkg.resource(table)
    if list_fields:
        typer.echo(describe_fields(res))
        return
    given = parse_field_flags(res, list(ctx.args))
    session = _Session(pkg, res, interactive=not no_input)
    values = session.collect(given, all_fields)
    session.check_until_valid(values)
    _write(pkg, res, values, dry_run)


class _Session:
    """The prompts of one `brcd new` run."""

    def __init__(self, pkg, res, *, interactive: bool) -> None:
        from brcd.edit.new import column_values

        self.pkg, self.res, self.interactive = pkg, res, interactive
        self.key = res.primary_key[0] if len(res.primary_key) == 1 else None
        self.used = column_values(res, self.key) if self.key else set()

    def problem(self, name: str, value: str) -> Optional[str]:
        from brcd.edit.new import field_problem

        return field_problem(self.pkg, self.res, name, value, self.used)

    def ask(self, name: str, default: Optional[str] = None) -> str:
        from brcd.edit.new import prompt_text

        def check(value: str) -> str:
            value = value.strip()
            problem = self.problem(name, value)
            if problem:
                raise typer.BadParameter(problem)  # the prompt prints it and asks again
            return value

        typer.secho(f"  {prompt_text(self.res.field(name), self.res)}", dim=True, err=True)
        return typer.prompt(name, default=default, value_proc=check, show_default=bool(default), err=True)

    def field_name(self, value: str) -> str:
        if value.strip() not in self.res.field_names:
            raise typer.BadParameter(f"{self.res.name} has no field {value.strip()!r}.")
        return value.strip()

    def collect(self, given: dict[str, str], all_fields: bool) -> dict[str, str]:
        from brcd.errors import BrcdError
        from brcd.edit.new import defaults, propose_id

        values: dict[str, str] = {}
        bad = []
        for name, value in given.items():
            problem = self.problem(name, value)
            if problem:
                bad.append(f"{name}: {problem}")
                if self.interactive:
                    typer.echo(f"Error: --{name.replace('_', '-')}: {problem}", err=True)
                    continue
            values[name] = value
        if bad and not self.interactive:
            raise BrcdError("invalid-row", "the row is not valid: " + " ".join(bad),
                            hint="correct the flags, or drop --no-input to be asked.", exit_code=1)
        proposed = defaults(self.res)
        todo = [f["name"] for f in self.res.fields if f["name"] != self.key and f["name"] not in values
                and (all_fields or f.get("constraints", {}).get("required"))]
        if not self.interactive:
            values.update({n: proposed[n] for n in todo if n in proposed})
        else:
            for name in todo:
                required = self.res.field(name).get("constraints", {}).get("required")
                values[name] = self.ask(name, proposed.get(name, None if required else ""))
        if self.key and self.key not in values:
            proposal = propose_id(self.res, values)
            if self.interactive:
                values[self.key] = self.ask(self.key, proposal)
            elif proposal:
                values[self.key] = proposal
        missing = [f["name"] for f in self.res.fields
                   if f.get("constraints", {}).get("required") and not values.get(f["name"])]
        if missing:
            raise BrcdError("missing-value", f"no value for required field(s): {', '.join(missing)}.",
                            hint="pass each as --FIELD VALUE, or drop --no-input to be asked.")
        return values

    def check_until_valid(self, values: dict[str, str]) -> None:
        """Validate the row as `brcd validate` would; ask again for the fields it flags."""
        from brcd.edit.new import row_issues

        while True:
            issues, _ = row_issues(self.pkg, self.res.name, values)
            if not issues:
                return
            for e in issues:
                typer.echo(f"Error: {e.field or 'row'}: [{e.code}] {e.message}", err=True)
            if not self.interactive:
                raise typer.Exit(1)
            names = list(dict.fromkeys(e.field for e in issues if e.field in self.res.field_names))
            if not names:
                names = [typer.prompt("Which field do you want to change?", err=True, value_proc=self.field_name)]
            for name in names:
                values[name] = self.ask(name)


def _write(pkg, res, values: dict[str, str], dry_run: bool) -> None:
    from brcd.edit.new import insert_row, render_new_row

    key = ",".join(values.get(k, "") for k in res.primary_key)
    if dry_run:
        typer.echo(render_new_row(res, values), nl=False)
        typer.echo(f"valid: {key} would be added to {res.relpath} (--dry-run: nothing written).", err=True)
        return
    placement = insert_row(pkg, res.name, values)
    typer.echo(f"added {key} to {res.relpath} at line {placement.line}; bytes/hash updated in datapackage.json.")
