"""The `brcd` command line: thin commands over library functions.

Each command lives in `brcd/commands/<name>.py` and registers itself with `register(app)`;
modules there import only light libraries at the top, so `brcd --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

import brcd.commands
from brcd import __version__
from brcd.errors import BrcdError

app = typer.Typer(
    name="brcd",
    help="Validate, build, query, serve and release the Balochistan Resources and Conflict Dataset.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"brcd {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Show the toolkit version and exit.",
                                 callback=_version, is_eager=True),
) -> None:
    """Validate, build, query, serve and release the Balochistan Resources and Conflict Dataset."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(brcd.commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"brcd.commands.{info.name}")
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point. Typer's standalone mode handles usage errors (exit 2), `typer.Exit` codes and
    Ctrl-C; a BrcdError raised by a command becomes one line on stderr and its exit code."""
    try:
        app()
    except BrcdError as exc:
        typer.echo(exc.one_line(), err=True)
        sys.exit(exc.exit_code)
