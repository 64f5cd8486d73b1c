"""One error model for the toolkit.

`BrcdError` is for input the toolkit cannot work with (a missing file, malformed JSON, a
broken schema, a bad option value). Problems in the *data* are not exceptions: they are
issues in a validation report (see `brcd.report`). Every error has a stable kebab-case
code, names the file (and line/column when known) and says how to fix it.

Every command exits with one of three codes:

- 0 (`EXIT_OK`): done, and the data are fine;
- 1 (`EXIT_DATA`): the toolkit worked but found a problem in the data (invalid rows, a stale
  hash, a table not in canonical form, a damaged release, a version not bumped enough);
- 2 (`EXIT_INPUT`): the input is unusable (a missing file, malformed JSON, an unknown option,
  query or id).

Both kinds of problem print the same way, through `problem_line`:
`PLACE: error[CODE]: MESSAGE Fix: HINT` (see `brcd.report` for lists, GitHub annotations and JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_DATA = 1
EXIT_INPUT = 2


def place(file: str | Path | None, line: int | None = None, column: int | None = None) -> str:
    """`file:line:column`, as far as it is known ("" when no file is known)."""
    if file is None or str(file) == "":
        return ""
    text = str(file)
    if line is not None:
        text += f":{line}"
        if column is not None:
            text += f":{column}"
    return text


def problem_line(code: str, message: str, *, where: str = "", field: str | None = None,
                 hint: str | None = None) -> str:
    """One problem on one line: `PLACE: error[CODE]: FIELD: MESSAGE Fix: HINT` (the parts that
    apply); whitespace inside the message is folded so the line stays one line."""
    text = f"{where}: " if where else ""
    text += f"error[{code}]: "
    if field:
        text += f"{field}: "
    text += message
    if hint:
        text += f" Fix: {hint}"
    return " ".join(text.split())


@dataclass
class BrcdError(Exception):
    code: str
    message: str
    file: str | Path | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    exit_code: int = EXIT_INPUT

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def location(self) -> str:
        return place(self.file, self.line, self.column)

    def one_line(self) -> str:
        """`file:line:col: error[code]: message Fix: hint` on one line."""
        return problem_line(self.code, self.message, where=self.location(), hint=self.hint)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.one_line()
