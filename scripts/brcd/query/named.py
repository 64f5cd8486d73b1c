"""Named queries: `queries/<name>.sql`, one question per file, for DuckDB and Datasette.

A file opens with a header of `-- key: value` comment lines, read strictly:

    -- title: Deaths by month and district
    -- description: Fatalities (low / best / high) per month and district ...
    --   a line that starts with `--` and two or more spaces continues the previous key
    -- params: since date = 1900-01-01, district_id string = '', radius_km number = 50
    -- params: site_id string
    -- refs: site_id = minerals.site_id
    -- engine: both

`params` lists `name type [= default]` items separated by commas (the key may repeat); types are
string, integer, number, date (YYYY-MM-DD) and boolean (true/false); a string default is quoted
SQL-style ('' is the empty string); a parameter without a default is required. The SQL uses
`:name` placeholders (SQLite's and Datasette's form; the DuckDB text gets `$name`), and every
placeholder must be declared and every declared parameter used.

`refs` says which table's ids a parameter names (`param = table.column`, separated by commas):
a value given for it that the column does not hold is an error that lists the ids it does hold
(`check_references`), rather than a query that silently returns no rows.

`engine: both` (the default) means one SQL text serves DuckDB and SQLite. `engine: duckdb` means
the text is DuckDB's own; the SQLite variant then sits beside it in `<name>.sqlite.sql`, whose only
header line is `-- engine: sqlite`. Without that file the query has no SQLite form and Datasette
does not publish it.

A malformed header, an unknown key, a bad parameter declaration or a placeholder mismatch is a
`BrcdError` naming the file and line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brcd.errors import BrcdError
from brcd.fields import quote_ident
from brcd.query import locked

QUERIES_DIR = "queries"
PARAM_TYPES = ("string", "integer", "number", "date", "boolean")
ENGINES = ("both", "duckdb")
SQLITE_SUFFIX = ".sqlite.sql"
HEADER_KEYS = ("title", "description", "params", "refs", "engine")

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_KEY_LINE = re.compile(r"--\s?([a-z_]+):(.*)\Z")
_CONTINUATION = re.compile(r"--\s{2,}(\S.*)\Z")
_PARAM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+([a-z]+)\s*(?:=\s*('(?:[^']|'')*'|[^,\s']+))?\s*(?:,|\Z)")
_REF = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\s*\Z")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One declared parameter. `default` is a typed value; None means the parameter is required."""

    name: str
    type: str
    default: Any = None

    @property
    def required(self) -> bool:
        return self.default is None

    def describe(self) -> str:
        if self.required:
            return f"{self.name} ({self.type}, required)"
        return f"{self.name} ({self.type}, default {format_value(self.default)})"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    duckdb_sql: str
    sqlite_sql: str | None
    path: Path
    engine: str = "both"
    refs: tuple[tuple[str, str, str], ...] = ()   # (parameter, table, column)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def parse_value(param_type: str, text: str) -> Any:
    """Text to a typed value; ValueError when the text is not a value of that type."""
    if param_type == "string":
        return text
    if param_type == "integer":
        return int(text.strip())
    if param_type == "number":
        value = float(text.strip())
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(text)
        return value
    if param_type == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError(text)
        return dt.date.fromisoformat(text.strip())
    if param_type == "boolean":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(text)
    raise ValueError(param_type)  # pragma: no cover - types are checked when parsed


TYPE_HINTS = {
    "string": "any text",
    "integer": "a whole number such as 25",
    "number": "a number such as 12.5",
    "date": "a date written YYYY-MM-DD",
    "boolean": "true or false",
}


# --- placeholders -----------------------------------------------------------------------------

def placeholders(sql: str) -> list[tuple[str, int, int]]:
    """`(name, start, end)` of each `:name` placeholder, skipping string literals, quoted
    identifiers, comments and `::` casts."""
    out = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == ":" and sql.startswith("::", i):
            i += 2
        elif c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            out.append((sql[i + 1:j], i, j))
            i = j
        else:
            i += 1
    return out


def to_duckdb_placeholders(sql: str) -> str:
    """`:name` to `$name`, DuckDB's named-parameter form."""
    parts, last = [], 0
    for name, start, end in placeholders(sql):
        parts.append(sql[last:start] + "$" + name)
        last = end
    return "".join(parts) + sql[last:]


# --- header -------------------------------------------------------------------------------------

def _split(text: str) -> tuple[list[tuple[int, str]], str, int]:
    """Header lines (line number, text), the SQL body and the body's first line number."""
    lines = text.split("\n")
    header = []
    i = 0
    while i < len(lines) and lines[i].startswith("--"):
        header.append((i + 1, lines[i].rstrip("\r").rstrip()))
        i += 1
    return header, "\n".join(lines[i:]), i + 1


def _parse_header(path: Path, header: list[tuple[int, str]], allowed: tuple[str, ...]) -> dict[str, list[tuple[int, str]]]:
    fields: dict[str, list[tuple[int, str]]] = {}
    last: str | None = None
    for lineno, line in header:
        m = _KEY_LINE.match(line)
        if m:
            key, value = m.group(1), m.group(2).strip()
            if key not in allowed:
                raise BrcdError("query-header", f"unknown header key {key!r}.", file=path, line=lineno,
                                hint=f"use only: {', '.join(allowed)}.")
            if key in fields and key != "params":
                raise BrcdError("query-header", f"header key {key!r} appears twice.", file=path, line=lineno,
                                hint="write it once; continue a long value on lines starting with `--` and two spaces.")
            fields.setdefault(key, []).append((lineno, value))
            last = key
            continue
        c = _CONTINUATION.match(line)
        if c and last is not None:
            fields[last].append((lineno, c.group(1).strip()))
            continue
        raise BrcdError("query-header", f"header line is not `-- key: value`: {line!r}.", file=path, line=lineno,
                        hint="start each header line with `-- title:`, `-- description:`, `-- params:` or `-- engine:`, "
                             "or continue the previous one with `--` and two spaces; leave a blank line before comments in the SQL.")
    return fields


def _parse_params(path: Path, entries: list[tuple[int, str]]) -> tuple[Param, ...]:
    params: list[Param] = []
    for lineno, text in entries:
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _PARAM.match(text, pos)
            if not m or m.end() == pos:
                raise BrcdError("query-params", f"cannot read the parameter declaration at {text[pos:]!r}.", file=path,
                                line=lineno, hint="write `name type` or `name type = default`, separated by commas, "
                                                  f"with type one of {', '.join(PARAM_TYPES)}.")
            name, ptype, default_text = m.group(1), m.group(2), m.group(3)
            if ptype not in PARAM_TYPES:
                raise BrcdError("query-params", f"parameter {name!r} has unknown type {ptype!r}.", file=path,
                                line=lineno, hint=f"use one of: {', '.join(PARAM_TYPES)}.")
            if any(p.name == name for p in params):
                raise BrcdError("query-params", f"parameter {name!r} is declared twice.", file=path, line=lineno,
                                hint="declare each parameter once.")
            default = None
            if default_text is not None:
                quoted = default_text.startswith("'")
                if quoted != (ptype == "string"):
                    raise BrcdError("query-params", f"default of {name!r} ({ptype}) is {default_text}.", file=path,
                                    line=lineno, hint="quote string defaults ('' for empty) and only them.")
                try:
                    default = (default_text[1:-1].replace("''", "'") if quoted else parse_value(ptype, default_text))
                except ValueError:
                    raise BrcdError("query-params", f"default {default_text!r} of {name!r} is not a {ptype}.", file=path,
                                    line=lineno, hint=f"write {TYPE_HINTS[ptype]}.") from None
            params.append(Param(name, ptype, default))
            pos = m.end()
            if text[pos - 1:pos] == "," and pos >= len(text.rstrip()):
                raise BrcdError("query-params", "the parameter list ends with a comma.", file=path, line=lineno,
                                hint="remove the trailing comma.")
    return tuple(params)


def _body(path: Path, body: str, first_line: int) -> tuple[str, int]:
    """The SQL without surrounding blanks and trailing semicolons, and the line it starts on."""
    sql = body.strip()
    while sql.endswith(";"):
        sql = sql[:-1].rstrip()
    if not sql:
        raise BrcdError("query-empty", "the file has a header but no SQL.", file=path, line=first_line,
                        hint="write one SELECT statement after the header.")
    return sql, first_line + body[: len(body) - len(body.lstrip())].count("\n")


def _check_placeholders(path: Path, sql: str, params: tuple[Param, ...], sql_line: int) -> None:
    used = placeholders(sql)
    declared = {p.name for p in params}
    for name, start, _ in used:
        if name not in declared:
            raise BrcdError("query-params", f"placeholder :{name} is not declared in `-- params:`.", file=path,
                            line=sql_line + sql[:start].count("\n"),
                            hint=f"add `{name} <type>` to the params line, or fix the placeholder's spelling.")
    unused = declared - {u[0] for u in used}
    if unused:
        raise BrcdError("query-params", f"parameter(s) {', '.join(sorted(unused))} declared but never used.", file=path,
                        hint="use each declared parameter as :name in the SQL, or drop it from `-- params:`.")


def _check_select(path: Path, sql: str, first_line: int) -> None:
    """The DuckDB text must be exactly one SELECT statement (parsed, not pattern-matched)."""
    import duckdb

    try:
        statements = locked.connect().extract_statements(to_duckdb_placeholders(sql))
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        m = re.search(r"LINE (\d+):", str(exc))
        line = first_line + int(m.group(1)) - 1 if m else first_line
        raise BrcdError("query-syntax", f"DuckDB cannot parse the query: {first}", file=path, line=line,
                        hint="fix the SQL; `brcd query --sql` shows the same error interactively.") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise BrcdError("query-not-select", "a named query must be exactly one SELECT statement.", file=path,
                        line=first_line, hint="keep one SELECT (WITH ... SELECT is fine) per file.")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BrcdError("encoding-error", f"query file is not UTF-8 (byte {exc.start}).", file=path,
                        hint="save the file as UTF-8.") from None


def parse_query(path: Path, text: str | None = None) -> NamedQuery:
    """Parse one `queries/<name>.sql` file (and its `.sqlite.sql` variant when it declares
    `engine: duckdb`)."""
    name = path.name[: -len(".sql")]
    if not _NAME.match(name):
        raise BrcdError("query-name", f"query file name {path.name!r} is not snake_case.", file=path,
                        hint="name query files like deaths_by_month.sql (lower case, digits, underscores).")
    text = read_text(path) if text is None else text
    header, body, first_line = _split(text)
    fields = _parse_header(path, header, HEADER_KEYS)
    for key in ("title", "description"):
        if key not in fields or not " ".join(v for _, v in fields[key]).strip():
            raise BrcdError("query-header", f"the header has no `-- {key}:`.", file=path, line=1,
                            hint="every query needs a one-line title and a description of the question it answers.")
    title = " ".join(v for _, v in fields["title"]).strip()
    description = " ".join(v for _, v in fields["description"]).strip()
    engine = fields.get("engine", [(1, "both")])[0][1]
    if engine not in ENGINES:
        raise BrcdError("query-header", f"engine {engine!r} is not one of {', '.join(ENGINES)}.", file=path,
                        line=fields["engine"][0][0],
                        hint="write `-- engine: both`, or `-- engine: duckdb` with the SQLite text in <name>.sqlite.sql.")
    params = _parse_params(path, fields.get("params", []))
    refs = _parse_refs(path, fields.get("refs", []), params)
    sql, sql_line = _body(path, body, first_line)
    _check_placeholders(path, sql, params, sql_line)
    _check_select(path, sql, sql_line)
    sqlite_sql: str | None = sql if engine == "both" else None
    variant = path.with_name(name + SQLITE_SUFFIX)
    if variant.exists():
        if engine == "both":
            raise BrcdError("query-variant", f"{variant.name} exists but {path.name} serves both engines.", file=variant,
                            hint=f"declare `-- engine: duckdb` in {path.name}, or delete {variant.name}.")
        sqlite_sql = _parse_variant(variant, params)
    return NamedQuery(name, title, description, params, to_duckdb_placeholders(sql), sqlite_sql, path, engine, refs)


def _parse_refs(path: Path, entries: list[tuple[int, str]], params: tuple[Param, ...]) -> tuple[tuple[str, str, str], ...]:
    """`-- refs: param = table.column, ...` as (param, table, column) triples of declared parameters."""
    out: list[tuple[str, str, str]] = []
    for lineno, text in entries:
        for item in filter(str.strip, text.split(",")):
            m = _REF.match(item)
            if not m:
                raise BrcdError("query-refs", f"cannot read the reference {item.strip()!r}.", file=path, line=lineno,
                                hint="write `param = table.column`, separated by commas.")
            if not any(p.name == m.group(1) for p in params):
                raise BrcdError("query-refs", f"reference to undeclared parameter {m.group(1)!r}.", file=path,
                                line=lineno, hint="declare it in `-- params:` first, or fix its spelling.")
            out.append(m.groups())
    return tuple(out)


def _parse_variant(path: Path, params: tuple[Param, ...]) -> str:
    header, body, first_line = _split(read_text(path))
    fields = _parse_header(path, header, ("engine",))
    if fields.get("engine", [(1, "")])[0][1] != "sqlite":
        raise BrcdError("query-variant", "a .sqlite.sql variant must open with `-- engine: sqlite`.", file=path, line=1,
                        hint="put `-- engine: sqlite` on the first line; title, description and params stay in the main file.")
    sql, sql_line = _body(path, body, first_line)
    _check_placeholders(path, sql, params, sql_line)
    return sql


def load_queries(root: Path | str) -> list[NamedQuery]:
    """Every named query in `root/queries/` (or in `root` when it is a folder named `queries`), by name."""
    root = Path(root)
    return read_folder(root if root.name == QUERIES_DIR else root / QUERIES_DIR)


def read_folder(folder: Path | str) -> list[NamedQuery]:
    """Every named query in `folder` (`*.sql`, with `*.sqlite.sql` variants beside their main file)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BrcdError("file-missing", "no queries folder.", file=folder,
                        hint="run from the package folder, or pass --queries DIR; named queries live in queries/*.sql.")
    mains = sorted(p for p in folder.glob("*.sql") if not p.name.endswith(SQLITE_SUFFIX))
    for variant in sorted(folder.glob("*" + SQLITE_SUFFIX)):
        if not variant.with_name(variant.name[: -len(SQLITE_SUFFIX)] + ".sql").exists():
            raise BrcdError("query-variant", f"{variant.name} has no main file beside it.", file=variant,
                            hint="a SQLite variant needs <name>.sql with the header and the DuckDB text.")
    return [parse_query(p) for p in mains]


def find_query(queries: list[NamedQuery], name: str) -> NamedQuery:
    for q in queries:
        if q.name == name:
            return q
    known = ", ".join(q.name for q in queries) or "(none)"
    raise BrcdError("unknown-query", f"no named query {name!r}.", hint=f"use one of: {known} (brcd query --list).")


# --- parameter values ---------------------------------------------------------------------------

def bind(query: NamedQuery, values: dict[str, str]) -> dict[str, Any]:
    """Check the given text values against the declaration: unknown, missing and ill-typed
    parameters are BrcdErrors naming the parameter and its type. Returns typed values."""
    out: dict[str, Any] = {}
    declared = {p.name for p in query.params}
    for key in values:
        if key not in declared:
            known = ", ".join(p.describe() for p in query.params) or "none"
            raise BrcdError("unknown-parameter", f"query {query.name!r} has no parameter {key!r}.",
                            hint=f"its parameters: {known}.")
    for p in query.params:
        if p.name not in values:
            if p.required:
                raise BrcdError("missing-parameter", f"query {query.name!r} needs parameter {p.name!r} ({p.type}).",
                                hint=f"pass -p {p.name}=<{p.type}>, {TYPE_HINTS[p.type]}.")
            out[p.name] = p.default
            continue
        try:
            out[p.name] = parse_value(p.type, values[p.name])
        except ValueError:
            raise BrcdError("bad-parameter", f"parameter {p.name!r} must be a {p.type}; got {values[p.name]!r}.",
                            hint=f"pass -p {p.name}=<{p.type}>, {TYPE_HINTS[p.type]}.") from None
    return out


def engine_values(values: dict[str, Any], engine: str) -> dict[str, Any]:
    """Typed values as bound to each engine: dates as ISO text for both (the SQL compares them with
    the date columns and tests `:since = ''` for "no limit", as Datasette passes text); booleans as
    0/1 for SQLite, its convention."""
    out = {}
    for key, value in values.items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, bool) and engine == "sqlite":
            value = int(value)
        out[key] = value
    return out


def check_references(con, query: NamedQuery, values: dict[str, Any], *, shown: int = 30) -> None:
    """Every id given to a parameter with a `refs` entry must be in its column (DuckDB connection
    `con`); an unknown one is a BrcdError (exit 2) that lists the ids the column holds, closest
    first. An empty value is left alone (the queries read it as "every row")."""
    for name, table, column in query.refs:
        value = values.get(name)
        if value is None or value == "":
            continue
        sql = f"SELECT DISTINCT CAST({quote_ident(column)} AS VARCHAR) FROM {quote_ident(table)} WHERE {quote_ident(column)} IS NOT NULL"
        known = sorted(str(r[0]) for r in con.execute(sql).fetchall())
        if str(value) in known:
            continue
        close = [k for k in known if str(value).lower() in k.lower()]
        close += [k for k in difflib.get_close_matches(str(value), known, n=3, cutoff=0.5) if k not in close]
        listed = close + [k for k in known if k not in close]
        more = f" and {len(listed) - shown} more" if len(listed) > shown else ""
        guess = f"did you mean {close[0]}? " if close else ""
        raise BrcdError("unknown-id", f"{value!r} is not a {column} in {table} (parameter {name!r} of query {query.name!r}).",
                        hint=f"{guess}The ids {table} holds: {', '.join(listed[:shown])}{more}."
                             if known else f"{table} holds no {column} yet.")
