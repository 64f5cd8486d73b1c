"""Run read-only SQL on DuckDB and render the result as a table, CSV, JSON or Markdown.

DuckDB reads the CSVs straight through `brcd.duck` (schema types, no build step), or the built
`dist/brcd.duckdb` when its recorded inputs digest equals the package's (it is fresh). SQL from
the command line is parsed by DuckDB and refused unless it is one SELECT statement.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from brcd.duck import register_tables
from brcd.errors import BrcdError
from brcd.package import Package
from brcd.presentation import column_labels
from brcd.query import locked
from brcd.release.build import inputs_digest
from brcd.release.duckdb_db import read_metadata

if TYPE_CHECKING:  # pragma: no cover
    import duckdb


BUILT_DUCKDB = Path("dist") / "brcd.duckdb"
FORMATS = ("table", "csv", "json", "markdown")


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    # column -> {code: label} from the schemas' `categories`, shown by the `table` format only
    # (csv, json and markdown keep the codes): see `with_labels`.
    labels: dict[str, dict[Any, str]] = field(default_factory=dict)


def with_labels(result: Result, package: "Package") -> Result:
    """The result with the labels of its columns named like a labelled field of the package."""
    result.labels = column_labels(package, result.columns)
    return result


# --- which database -------------------------------------------------------------------------------

def built_digest(db_path: Path) -> str | None:
    """The `inputs_digest` recorded in a built DuckDB file, or None when it has none or cannot be read."""

    return read_metadata(db_path).get("inputs_digest")


def fresh_database(package: "Package", digest: Callable[["Package"], str] | None = None) -> Path | None:
    """`dist/brcd.duckdb` when it exists and was built from exactly these inputs, else None.
    `digest` defaults to `brcd.release.build.inputs_digest`."""
    db_path = package.root / BUILT_DUCKDB
    if not db_path.is_file():
        return None
    digest = digest or inputs_digest
    recorded = built_digest(db_path)
    return db_path if recorded is not None and recorded == digest(package) else None


def open_duckdb(package: "Package", *, use_built: bool = True) -> tuple["duckdb.DuckDBPyConnection", str]:
    """A connection and a short description of what it reads (the built file or the CSVs),
    locked to those files (`brcd.query.locked`)."""
    built = fresh_database(package) if use_built else None
    if built is not None:
        return locked.connect(str(built), read_only=True), str(built)
    con = locked.connect(readable=[res.path for res in package.resources])
    register_tables(con, package)
    return con, "the CSVs"


# --- read-only guard ------------------------------------------------------------------------------

def check_select(con: "duckdb.DuckDBPyConnection", sql: str) -> str:
    """Return the single SELECT statement in `sql`; anything else is refused (exit 2)."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise BrcdError("sql-syntax", f"DuckDB cannot parse the SQL: {first_line(exc)}",
                        hint="fix the SQL; only one SELECT statement is accepted.") from None
    if len(statements) != 1:
        raise BrcdError("sql-not-select", f"{len(statements)} statements given; exactly one SELECT is accepted.",
                        hint="run one SELECT at a time.")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise BrcdError("sql-writes", f"refused the {kind.name} statement: `brcd query --sql` only reads.",
                        hint="write a SELECT (WITH ... SELECT is fine); change data by editing tables/*.csv in a pull request.")
    return sql


def first_line(exc: BaseException) -> str:
    """The first line of DuckDB's message (which may quote the SQL), with control characters escaped."""
    lines = str(exc).strip().splitlines()
    return printable(lines[0]) if lines else type(exc).__name__


def run(con: "duckdb.DuckDBPyConnection", sql: str, params: dict[str, Any] | None = None, *,
        origin: str = "the query") -> Result:
    """Execute one statement; DuckDB's errors become BrcdErrors (the CSVs may hold invalid cells)."""
    import duckdb

    try:
        cur = con.execute(sql, params or None)
        columns = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    except duckdb.PermissionException as exc:
        raise BrcdError("sql-external", f"{origin} reaches outside the package: {first_line(exc)}",
                        hint="query the package's tables only; URLs, other files and extensions are off.") from None
    except duckdb.ConversionException as exc:
        raise BrcdError("sql-data", f"{origin} met a value DuckDB cannot convert: {first_line(exc)}",
                        hint="check the -p values; if they are right, run `brcd validate` and fix the reported cells.") from None
    except duckdb.Error as exc:
        raise BrcdError("sql-error", f"{origin} failed: {first_line(exc)}",
                        hint="check table and column names against schemas/*.schema.json.") from None
    return Result(columns, rows)


# --- rendering ------------------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A JSON-ready value: dates as ISO text, decimals as floats."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def cell_text(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(cell_text(v) for v in value)
    return str(value)


def render_csv(result: Result) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([cell_text(v) for v in row])
    return buf.getvalue()


def render_json(result: Result) -> str:
    records = [dict(zip(result.columns, (plain(v) for v in row))) for row in result.rows]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


# Characters a terminal acts on instead of showing: C0 and C1 controls and DEL (ESC starts the
# sequences that move the cursor, recolour, retitle the window or write to the clipboard), and
# the bidirectional overrides that display text in another order than it is stored.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t"}


def printable(text: str) -> str:
    """`text` with every character a terminal would act on written as an escape (`\\x1b`,
    `\\u202e`, `\\t`) and line breaks as spaces, for the table and markdown renderers; csv and
    json keep every character as it is."""
    return _UNPRINTABLE.sub(_escape, text.replace("\r", " ").replace("\n", " "))


def _escape(match: re.Match) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def _one_line(text: str) -> str:
    return printable(text)


def render_markdown(result: Result) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(_one_line(c).replace("|", "\\|") for c in cells) + " |"

    out = [line(result.columns), "|" + "|".join("---" for _ in result.columns) + "|"]
    out += [line([cell_text(v) for v in row]) for row in result.rows]
    return "\n".join(out) + "\n"


def render_table(result: Result) -> str:
    """Aligned columns, every row and every character (nothing is cut), numbers right-aligned;
    codes shown by their labels (`Result.labels`)."""
    cells = [[_one_line(cell_text(result.labels.get(c, {}).get(v, v))) for c, v in zip(result.columns, row)]
             for row in result.rows]
    columns = [_one_line(c) for c in result.columns]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [bool(result.rows) and all(isinstance(r[i], (int, float, decimal.Decimal)) and not isinstance(r[i], bool)
                                         for r in result.rows if r[i] is not None) for i in range(len(result.columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    n = len(result.rows)
    out.append(f"({n} row{'' if n == 1 else 's'})")
    return "\n".join(out) + "\n"


RENDERERS = {"table": render_table, "csv": render_csv, "json": render_json, "markdown": render_markdown}
