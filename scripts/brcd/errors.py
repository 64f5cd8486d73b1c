"""One error model for the toolkit.

`BrcdError` is for input the toolkit cannot work with (a missing file, malformed JSON, a
broken schema, a bad option value). Problems in the *data* are not exceptions: they are
issues in a validation report (see `brcd.report`). Every error has a stable kebab-case
code, names the file (and line/column when known) and says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class BrcdError(Exception):
    code: str
    message: str
    file: str | Path | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    exit_code: int = 2

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def location(self) -> str:
        if self.file is None:
            return ""
        place = str(self.file)
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return place

    def one_line(self) -> str:
        """`file:line:col: error[code]: message. Fix: hint` on one line."""
        where = self.location()
        text = f"{where}: " if where else ""
        text += f"error[{self.code}]: {self.message}"
        if self.hint:
            text += f" Fix: {self.hint}"
        return " ".join(text.split())

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.one_line()
