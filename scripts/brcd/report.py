"""Problems and how every command prints them: one `Issue` per problem, a `Report` of them.

Problems in the data are never exceptions: `brcd.validate.validate_package` returns a
`Report`. A `BrcdError` (unusable input) becomes an `Issue` too (`Issue.from_error`), so every
command prints problems one way, in three formats:

- text: one line per problem, `PLACE: error[CODE]: FIELD: MESSAGE`, then each code's fix once
  under "How to fix:", then a one-line summary; a single problem is one line with its fix;
- github: one `::error file=,line=,col=,title=CODE::` workflow command per problem;
- json: one shape for every command, `Report.to_dict`:

    {"ok": bool, "exit_code": 0|1|2, "valid": bool, "error_count": int, "truncated": bool,
     "errors": [{"code", "resource", "path", "line", "row", "field", "column", "value", "message", "hint"}]}

`line` is the physical line in the CSV file (the header is line 1), `row` the data row
number (the first row after the header is 1), `column` the 1-based field position; fields
that do not apply are null. Codes reuse Frictionless' names where one exists
(`frictionless/errors/*.py`); the others are BRCD's own, kebab-case. Every code has one fix
hint, in `HINTS`.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field

from brcd.errors import EXIT_DATA, EXIT_INPUT, EXIT_OK, BrcdError, place, problem_line

# One fix hint per error code. A code missing here falls back to `DEFAULT_HINT`.
HINTS: dict[str, str] = {
    # package and files
    "package-error": "make datapackage.json match the Data Package profile (see the message for the key).",
    "resource-error": "fix the resource entry in datapackage.json.",
    "schema-error": "fix the Table Schema so it matches the Table Schema profile.",
    "file-missing": "restore the file or fix the resource's `path` in datapackage.json.",
    "file-unreadable": "check the file's permissions.",
    "hash-count": "run `brcd hash` to record the file's current sha256 in datapackage.json.",
    "byte-count": "run `brcd hash` to record the file's current size in datapackage.json.",
    "row-count": "correct `rows` in datapackage.json to the number of rows the file has, or remove it.",
    "encoding-error": "save the file as UTF-8 (in a spreadsheet: CSV UTF-8).",
    "bom": "save the file as UTF-8 without a byte-order mark.",
    "line-ending": "convert the file to LF line endings (`sed -i 's/\\r$//' FILE`; `git config core.autocrlf input`).",
    # header
    "missing-label": "add the missing column to the header, in the order of the schema.",
    "extra-label": "remove the column or add it to the table's schema.",
    "incorrect-label": "rename or reorder the header so it matches the schema's field names, in order.",
    "duplicate-label": "give every column a unique name.",
    "blank-header": "the first line must be the header row with the schema's field names.",
    # rows
    "blank-row": "delete the empty line.",
    "csv-error": "close the quoted cell: a quote inside a quoted cell is written twice (\"\"), and a closing quote is followed by a comma or the line end.",
    "extra-cell": "the row has more cells than the header: quote cells that contain a comma.",
    "missing-cell": "the row has fewer cells than the header: add the missing (possibly empty) cells.",
    "primary-key": "give the row an id no other row uses.",
    "foreign-key": "use an id that exists in the referenced table, or add that row there first.",
    # cells
    "type-error": "write the value in the field's type and format (dates as YYYY-MM-DD, numbers with a dot, booleans as true/false).",
    "constraint-error": "change the value to satisfy the field's constraint in the schema (required, enum, pattern, range, length).",
    "unique-error": "the field must be unique: change one of the repeated values.",
    "formula-injection": "a spreadsheet would run this cell as a formula: reword it so it does not start with =, +, - or @.",
    "whitespace": "remove the spaces at the start or end of the cell.",
    "control-character": "delete the invisible control character (NUL, ESC, a C1 control or a bidirectional override such as U+202E; retype the text if unsure): only tab and newline belong in text.",
    "check-error": "this is a bug in brcd validate: please report it with the file that triggers it.",
    "unsupported-feature": "remove the feature from the schema or descriptor, or write it in a form brcd reads.",
    "rule-error": "fix the rule's declaration under \"brcd:rules\" in the table's schema.",
    # domain rules: their hints sit beside their checks, in the rule registry
    # (`brcd.validate.checks.RULES`), which adds them here through `register_hints`
    # other commands' findings (brcd fmt, verify, diff, release, codebook)
    "not-canonical": "run `brcd fmt` to rewrite the table in canonical form (values do not change).",
    "damaged-file": "download the release again (the file's bytes differ from the published checksums).",
    "invalid-package": "run `brcd validate` and fix the errors it lists.",
    "semver-check": "raise `version` in datapackage.json as the message says and add its `## X.Y.Z - YYYY-MM-DD` section to CHANGELOG.md.",
    "stale-docs": "run `brcd codebook` to regenerate the file from the schemas and tables, then commit it.",
    "usage-error": "see the command's --help.",
}
DEFAULT_HINT = "see the message."


def register_hints(hints: dict[str, str]) -> None:
    """Add the fix hints of codes defined elsewhere (the domain rules' registry)."""
    HINTS.update(hints)


def hint_for(code: str) -> str:
    return HINTS.get(code, DEFAULT_HINT)


@dataclass
class Issue:
    """One problem; fields that do not apply are None. `fix` overrides the code's hint when the
    fix depends on the case (an error raised with its own hint)."""

    code: str
    resource: str | None = None
    path: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    column: int | None = None
    value: str | None = None
    message: str = ""
    fix: str | None = None

    @property
    def hint(self) -> str:
        return self.fix or hint_for(self.code)

    @classmethod
    def from_error(cls, exc: BrcdError) -> "Issue":
        return cls(exc.code, path=str(exc.file) if exc.file is not None else None, line=exc.line,
                   column=exc.column, message=exc.message, fix=exc.hint or None)

    def place(self) -> str:
        return place(self.path, self.line, self.column)

    def line_text(self, *, with_fix: bool = True) -> str:
        """`PLACE: error[CODE]: FIELD: MESSAGE [Fix: HINT]` on one line."""
        return problem_line(self.code, self.message, where=self.place(), field=self.field,
                            hint=self.hint if with_fix else None)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in KEYS}


KEYS = ("code", "resource", "path", "line", "row", "field", "column", "value", "message", "hint")


@dataclass
class Report:
    """Problems found by one command. `exit_code` is 0 when there is none, else 1 (a problem in
    the data) unless given (2 for unusable input)."""

    valid: bool
    error_count: int
    truncated: bool
    errors: list[Issue] = field(default_factory=list)
    exit_code: int | None = None
    rows: dict[str, int] = field(default_factory=dict)  # data rows read per table (kept out of the JSON)

    def __post_init__(self) -> None:
        if self.exit_code is None:
            self.exit_code = EXIT_OK if self.valid else EXIT_DATA

    @classmethod
    def from_issues(cls, issues: list[Issue], *, error_count: int | None = None,
                    max_errors: int | None = None, exit_code: int | None = None) -> "Report":
        """Build a report; `error_count` is the total found (it may exceed `len(issues)` when a
        check counted more failures than it listed); `max_errors` caps the list."""
        total = len(issues) if error_count is None else max(error_count, len(issues))
        shown = issues if max_errors is None else issues[:max_errors]
        return cls(valid=total == 0, error_count=total, truncated=len(shown) < total, errors=list(shown),
                   exit_code=exit_code if total else None)

    @classmethod
    def from_error(cls, exc: BrcdError) -> "Report":
        return cls.from_issues([Issue.from_error(exc)], exit_code=exc.exit_code)

    def to_dict(self) -> dict:
        return {"ok": self.exit_code == EXIT_OK, "exit_code": self.exit_code,
                "valid": self.valid, "error_count": self.error_count, "truncated": self.truncated,
                "errors": [e.to_dict() for e in self.errors]}

    def summary(self) -> str:
        """A few lines: valid, or N errors by table and code."""
        if self.valid:
            return "valid: no errors."
        lines = [f"invalid: {self.error_count} error(s)" + (f", {len(self.errors)} shown (truncated)" if self.truncated else "") + "."]
        by = Counter((e.resource or "(package)", e.code) for e in self.errors)
        for (res, code), n in sorted(by.items()):
            lines.append(f"  {res}: {n} x {code}")
        return "\n".join(lines)


def render_text(report: Report, *, ok: str = "valid: no errors.", tail: str | None = None) -> str:
    """One line per problem, then how to fix each kind once, then `tail` (default: the count).
    A report of a single problem is one line with its fix (and the tail)."""
    if report.valid:
        return ok + "\n"
    out: list[str] = []
    if len(report.errors) == 1 and not report.truncated:
        out.append(report.errors[0].line_text())
    else:
        out += [e.line_text(with_fix=False) for e in report.errors]
        fixes = dict.fromkeys((e.code, e.hint) for e in report.errors)
        out += ["", "How to fix:"] + [f"  {code}: {hint}" for code, hint in sorted(fixes)] + [""]
    out.append(tail or _tail(report))
    return "\n".join(out) + "\n"


def _tail(report: Report) -> str:
    if report.truncated:
        return (f"{report.error_count} errors found; only the first {len(report.errors)} are shown "
                f"(raise --max-errors, or 0 for no limit, to see them all).")
    return f"{report.error_count} error{'s' if report.error_count != 1 else ''} found."


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report: Report, *, ok: str = "valid: no errors.", tail: str | None = None) -> str:
    """GitHub Actions workflow commands: one `::error file=,line=,col=::` per problem."""
    out = []
    for e in report.errors:
        props = [f"file={_gh_escape(e.path, prop=True)}"] if e.path else []
        if e.path and e.line is not None:
            props.append(f"line={e.line}")
            if e.column is not None:
                props.append(f"col={e.column}")
        props.append(f"title={_gh_escape(e.code, prop=True)}")
        field_text = f"{e.field}: " if e.field else ""
        msg = f"[{e.code}] {field_text}{e.message} Fix: {e.hint}"
        out.append(f"::error {','.join(props)}::{_gh_escape(msg)}")
    if report.truncated:
        out.append(f"::warning title=brcd::{_gh_escape(_tail(report))}")
    out.append(ok if report.valid else (tail or _tail(report)))
    return "\n".join(out) + "\n"


def render_json(report: Report, **_ignored) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "github": render_github}


def echo_report(report: Report, fmt: str = "text", *, ok: str = "valid: no errors.", tail: str | None = None,
                stream=None) -> int:
    """Print a report the one way every command does, and return its exit code. A report is the
    command's output: it goes to stdout (unless `stream` says otherwise, when stdout carries
    another document); errors of unusable input go to stderr (`echo_error`)."""
    text = RENDERERS[fmt](report, ok=ok, tail=tail)
    stream = stream or sys.stdout
    stream.write(text)
    stream.flush()
    return report.exit_code


def echo_error(exc: BrcdError, fmt: str = "text") -> int:
    """Print an error of unusable input (exit 2 unless it says otherwise) in the chosen format."""
    if fmt == "text":
        sys.stderr.write(exc.one_line() + "\n")
        sys.stderr.flush()
        return exc.exit_code
    return echo_report(Report.from_error(exc), fmt)


def usage_problem(message: str, command: str) -> BrcdError:
    """A command-line usage error (unknown option, bad value, missing argument) as a BrcdError."""
    message = message.replace("Value error, ", "")  # pydantic's prefix, in recent typers
    return BrcdError("usage-error", message.rstrip(".") + ".", hint=f"see `{command} --help`.", exit_code=EXIT_INPUT)
