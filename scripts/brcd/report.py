"""The validation report: one `Issue` per problem found, and how to print it.

Problems in the data are never exceptions: `brcd.validate.validate_package` returns a
`Report`. Its JSON shape (`Report.to_dict`) is the contract of `brcd validate --format json`:

    {"valid": bool, "error_count": int, "truncated": bool,
     "errors": [{"code", "resource", "path", "line", "row", "field", "column", "value", "message"}]}

`line` is the physical line in the CSV file (the header is line 1), `row` the data row
number (the first row after the header is 1), `column` the 1-based field position; fields
that do not apply are null. Codes reuse Frictionless' names where one exists
(`frictionless/errors/*.py`); the others are BRCD's own, kebab-case. Every code has one fix
hint, in `HINTS`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

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
    # domain rules
    "fatalities-order": "make fatalities_low <= fatalities_best <= fatalities_high.",
    "fatalities-parts": "the deaths by side must not add up to more than the total: fix the parts or the total.",
    "date-order": "the start date must be on or before the end date (and the event date between them).",
    "date-in-future": "a date cannot be after today: check the year.",
    "date-before-1947": "dates before 1947 are outside BRCD's scope: check the year.",
    "coordinates-incomplete": "give both latitude and longitude, or neither.",
    "point-outside-province": "the point is not inside Balochistan: check the sign and order of latitude/longitude.",
    "point-far-from-district": "the point is far from the district it names: fix the coordinates or the district_id.",
    "currency-code": "use an ISO 4217 currency code (USD, PKR, CNY, ...).",
    "usd-amount-mismatch": "when the currency is USD, amount_usd_nominal must equal amount_original.",
    "statement-before-incident": "a statement about an incident cannot predate it: check both dates or the related_incident_id.",
}
DEFAULT_HINT = "see the message."


def hint_for(code: str) -> str:
    return HINTS.get(code, DEFAULT_HINT)


@dataclass
class Issue:
    """One error; fields that do not apply are None."""

    code: str
    resource: str | None = None
    path: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    column: int | None = None
    value: str | None = None
    message: str = ""

    @property
    def hint(self) -> str:
        return hint_for(self.code)

    def to_dict(self) -> dict:
        return asdict(self)


KEYS = ("code", "resource", "path", "line", "row", "field", "column", "value", "message")


@dataclass
class Report:
    valid: bool
    error_count: int
    truncated: bool
    errors: list[Issue] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # data rows read per table (kept out of the JSON)

    @classmethod
    def from_issues(cls, issues: list[Issue], *, error_count: int | None = None,
                    max_errors: int | None = None) -> "Report":
        """Build a report; `error_count` is the total found (it may exceed `len(issues)` when a
        check counted more failures than it listed); `max_errors` caps the list."""
        total = len(issues) if error_count is None else max(error_count, len(issues))
        shown = issues if max_errors is None else issues[:max_errors]
        return cls(valid=total == 0, error_count=total, truncated=len(shown) < total, errors=list(shown))

    def to_dict(self) -> dict:
        return {"valid": self.valid, "error_count": self.error_count, "truncated": self.truncated,
                "errors": [{k: getattr(e, k) for k in KEYS} for e in self.errors]}

    def summary(self) -> str:
        """A few lines: valid, or N errors by table and code."""
        if self.valid:
            return "valid: no errors."
        lines = [f"invalid: {self.error_count} error(s)" + (f", {len(self.errors)} shown (truncated)" if self.truncated else "") + "."]
        by = Counter((e.resource or "(package)", e.code) for e in self.errors)
        for (res, code), n in sorted(by.items()):
            lines.append(f"  {res}: {n} x {code}")
        return "\n".join(lines)


def _place(e: Issue) -> str:
    parts = [e.path or "datapackage.json"]
    if e.line is not None:
        parts.append(str(e.line))
        if e.column is not None:
            parts.append(str(e.column))
    return ":".join(parts)


def render_text(report: Report) -> str:
    """Grouped by file, one line per error, then the fix hint of each code seen."""
    if report.valid:
        return "valid: no errors.\n"
    out: list[str] = []
    groups: dict[str, list[Issue]] = {}
    for e in report.errors:
        groups.setdefault(e.path or "datapackage.json", []).append(e)
    for path, errs in groups.items():
        out.append(f"{path} ({len(errs)} error{'s' if len(errs) != 1 else ''})")
        for e in errs:
            where = f"line {e.line}" if e.line is not None else "file"
            if e.field:
                where += f", {e.field}"
            out.append(f"  {where}: [{e.code}] {e.message}")
    out.append("")
    out.append("How to fix:")
    for code in sorted({e.code for e in report.errors}):
        out.append(f"  {code}: {hint_for(code)}")
    out.append("")
    out.append(_tail(report))
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


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: one `::error file=,line=,col=::` per error."""
    out = []
    for e in report.errors:
        props = [f"file={_gh_escape(e.path or 'datapackage.json', prop=True)}"]
        if e.line is not None:
            props.append(f"line={e.line}")
            if e.column is not None:
                props.append(f"col={e.column}")
        props.append(f"title={_gh_escape(e.code, prop=True)}")
        msg = f"[{e.code}] {e.message}" + (f" Fix: {e.hint}" if e.hint else "")
        out.append(f"::error {','.join(props)}::{_gh_escape(msg)}")
    if report.truncated:
        out.append(f"::warning title=brcd validate::{_gh_escape(_tail(report))}")
    out.append("valid: no errors." if report.valid else _tail(report))
    return "\n".join(out) + "\n"


def render_json(report: Report) -> str:
    import json

    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "github": render_github}
