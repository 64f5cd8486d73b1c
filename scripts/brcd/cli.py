"""The `brcd` command line: thin commands over library functions.

Each command lives in `brcd/commands/<name>.py` and registers itself with `register(app)`;
modules there import only light libraries at the top (typer, `brcd.options`, `brcd.errors`),
so `brcd --help` stays fast. The shared options and the exit codes are in `brcd.options`; every
error, whichever command raises it, is printed here by `brcd.report` (one line on stderr, or
the JSON shape / a GitHub annotation when `--format json` / `github` was asked for).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

import brcd.commands
from brcd import __version__
from brcd.errors import EXIT_INPUT, BrcdError
from brcd.options import EXIT_CODES, error_format, reset_format
from brcd.report import echo_error, usage_problem

app = typer.Typer(
    name="brcd",
    help="Validate, build, query, serve and release the Balochistan Resources and Conflict Dataset.",
    epilog=f"A command that reads the package takes it (datapackage.json or its folder) as the argument PACKAGE, "
           f"by default the current folder; `brcd COMMAND --help` lists its options with their choices and "
           f"defaults. {EXIT_CODES}",
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

# The parser's exceptions, from the click that typer uses (recent typers vendor their own copy).
_click_errors = sys.modules[typer.BadParameter.__module__]
_UsageError = _click_errors.UsageError
_ClickException = _click_errors.ClickException
_NoArgsIsHelp = getattr(_click_errors, "NoArgsIsHelpError", ())


def run(args: list[str] | None = None) -> int:
    """Run one command line and return its exit code; every error is printed by `brcd.report`:
    a `BrcdError` from a command, and a usage error (unknown option, bad choice, missing
    argument) from the parser, both as `PLACE: error[CODE]: MESSAGE Fix: HINT`."""
    reset_format()
    try:
        code = app(args=args, prog_name="brcd", standalone_mode=False)
    except BrcdError as exc:
        return echo_error(exc, error_format())
    except _NoArgsIsHelp as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return EXIT_INPUT
    except _UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "brcd"
        return echo_error(usage_problem(exc.format_message(), command))
    except _ClickException as exc:  # pragma: no cover - the parser raises usage errors above
        return echo_error(BrcdError("usage-error", exc.format_message()))
    except typer.Abort:
        typer.echo("Stopped.", err=True)
        return 130
    return code if isinstance(code, int) else 0


def main() -> None:
    """Entry point of the `brcd` script."""
    sys.exit(run())
