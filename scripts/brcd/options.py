"""The command-line dialect every `brcd` command speaks, defined once.

- The package is the first positional argument, PACKAGE (datapackage.json or its folder,
  default the current folder), in every command that reads one.
- `--format` is always a choice list that `--help` shows, with its default: problem reports
  take `text|json|github`, query results `table|csv|json|markdown`, diffs `text|markdown|json`.
  Whatever the command, `--format json` also turns an error into the one JSON shape of
  `brcd.report.Report.to_dict`, and `--format github` into an annotation.
- `--check` changes nothing and exits 1 when something is stale; `--out DIR` names an output
  folder.
- One letter means one thing: `-p` is `--param` (of `brcd query`); no other short options.
- Exit codes: 0 ok, 1 a problem in the data, 2 unusable input (`brcd.errors`).

Light on purpose: `brcd --help` imports this module and typer only.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

import typer

PACKAGE_HELP = "datapackage.json or the folder that holds it."
EXIT_CODES = "Exit codes: 0 ok; 1 a problem in the data; 2 unusable input (missing file, bad option, unknown name)."


class ReportFormat(str, Enum):
    """How problems are printed."""

    text = "text"
    json = "json"
    github = "github"


class ResultFormat(str, Enum):
    """How a query's rows are printed."""

    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


class DiffFormat(str, Enum):
    """How a comparison of two versions is printed."""

    text = "text"
    markdown = "markdown"
    json = "json"


# The format asked for on the command line, so that `brcd.cli.main` prints an error the same way.
_chosen = {"format": "text"}


def remember_format(value: Any) -> Any:
    """Option callback: note the chosen `--format` (errors are then printed in it)."""
    if value is not None:
        _chosen["format"] = value.value if isinstance(value, Enum) else str(value)
    return value


def error_format() -> str:
    """The format errors are printed in: json or github when asked for, else text."""
    return _chosen["format"] if _chosen["format"] in ("json", "github") else "text"


def reset_format() -> None:
    _chosen["format"] = "text"


def package_argument() -> Any:
    return typer.Argument(None, help=PACKAGE_HELP, show_default="current folder", metavar="PACKAGE")


def format_option(default: Enum, help: str) -> Any:
    return typer.Option(default, "--format", help=help, callback=remember_format, case_sensitive=False)


def check_option(help: str) -> Any:
    return typer.Option(False, "--check", help=help)


def out_option(help: str) -> Any:
    return typer.Option(Path("dist"), "--out", help=help, metavar="DIR")
