"""Generated blocks in Markdown files: text that `brcd codebook` fills from the data, so that the
README cannot drift from the tables.

A block is an HTML comment pair, invisible once rendered:

    <!-- brcd:begin counts -->
    ... (rewritten by brcd codebook) ...
    <!-- brcd:end -->

The words after `brcd:begin` say what fills it, in the command line's own dialect:

- `counts`: a table of every table with its title, row count and description;
- `citation`: how to cite this version (from CITATION.cff and datapackage.json);
- `sql "SELECT ..." [--template TEXT] [--columns A,B] [--limit N]`: one SELECT over the tables
  (as `brcd query --sql`), rendered like a query block;
- `query NAME [-p KEY=VALUE]... [--where COLUMN=VALUE]... [--template TEXT] [--columns A,B] [--limit N]`:
  the named query `queries/NAME.sql` run with those parameters (as `brcd query NAME -p ...`),
  its rows kept where every `--where` column equals its value; then each row through
  `--template` (a Python format string over the row's columns, plus `{version}`), one line per
  row, or else a Markdown table of `--columns` (default all). A query block whose filters leave
  no row is an error, never an empty line. For example, the coverage line of issue 14:

      <!-- brcd:begin query coverage_by_year -p year=2024 --where publisher=PIPS --where measure=deaths
           --template "BRCD {version} records {brcd_value} of the {published_value} deaths that PIPS counts in Balochistan in 2024." -->
      <!-- brcd:end -->

A block on one line (`<!-- brcd:begin ... -->TEXT<!-- brcd:end -->`) is filled inline; a block
whose begin comment ends its line is filled with whole lines.
"""

from __future__ import annotations

import csv
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brcd.duck import connect
from brcd.errors import EXIT_DATA, BrcdError
from brcd.package import Package
from brcd.query.named import bind, check_references, engine_values, find_query, load_queries
from brcd.query.results import Result, cell_text, check_select, plain, render_markdown, run

# A comment quoted in code (`<!-- brcd:begin ... -->` in backticks) is text about blocks, not a block.
BLOCK = re.compile(r"(?<!`)<!-- brcd:begin (?P<spec>.*?) -->(?P<body>.*?)<!-- brcd:end(?: [a-z-]+)? -->", re.S)
BEGIN = re.compile(r"(?<!`)<!-- brcd:begin")
KINDS = ("counts", "citation", "query", "sql")


@dataclass
class QuerySpec:
    name: str                 # the named query, or the SELECT of an `sql` block
    sql: bool = False
    params: dict[str, str] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    columns: list[str] | None = None
    limit: int | None = None


@dataclass
class Block:
    kind: str
    args: list[str]
    spec: str
    start: int      # body start and end offsets in the text
    end: int
    line: int
    inline: bool


def find_blocks(text: str, path: Path | str) -> list[Block]:
    out = []
    for m in BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        try:
            words = shlex.split(m.group("spec"))
        except ValueError as exc:
            raise BrcdError("doc-block", f"cannot read the block's words: {exc}.", file=path, line=line,
                            hint="close every quote in the <!-- brcd:begin ... --> comment.") from None
        if not words or words[0] not in KINDS:
            raise BrcdError("doc-block", f"unknown block {m.group('spec')!r}.", file=path, line=line,
                            hint=f"begin a block with one of: {', '.join(KINDS)}.")
        body = m.group("body")
        out.append(Block(words[0], words[1:], m.group("spec"), m.start("body"), m.end("body"), line,
                         inline=not body.startswith("\n")))
    if len(BEGIN.findall(text)) != len(out):
        line = next(i for i, text_line in enumerate(text.splitlines(), 1) if BEGIN.search(text_line)
                    and not any(b.line == i for b in out))
        raise BrcdError("doc-block", "a block is not closed.", file=path, line=line,
                        hint="end every block with <!-- brcd:end -->.")
    return out


def parse_query_spec(block: Block, path: Path | str) -> QuerySpec:
    args = list(block.args)

    def fail(why: str) -> BrcdError:
        return BrcdError("doc-block", f"query block: {why}", file=path, line=block.line,
                         hint="write query NAME [-p KEY=VALUE]... [--where COLUMN=VALUE]... [--template TEXT] "
                              "[--columns A,B] [--limit N].")

    if not args or args[0].startswith("-"):
        raise fail("no query name." if block.kind == "query" else "no SELECT.")
    spec = QuerySpec(args.pop(0), sql=block.kind == "sql")
    while args:
        option = args.pop(0)
        if not args:
            raise fail(f"{option} needs a value.")
        value = args.pop(0)
        if option in ("-p", "--param") and spec.sql:
            raise fail("an sql block takes no parameters: write the values into the SELECT.")
        if option in ("-p", "--param", "--where"):
            key, sep, val = value.partition("=")
            if not sep or not key:
                raise fail(f"{option} {value!r} is not KEY=VALUE.")
            (spec.params if option != "--where" else spec.where)[key] = val
        elif option == "--template":
            spec.template = value
        elif option == "--columns":
            spec.columns = [c.strip() for c in value.split(",") if c.strip()]
        elif option == "--limit":
            if not value.isdigit():
                raise fail(f"--limit {value!r} is not a number.")
            spec.limit = int(value)
        else:
            raise fail(f"unknown option {option!r}.")
    return spec


# --- what fills each kind ----------------------------------------------------------------------

def row_counts(package: Package) -> dict[str, int]:
    """Data rows per table (records, so a quoted line break does not count twice)."""
    out = {}
    for res in package.resources:
        with res.path.open(newline="", encoding="utf-8") as fh:
            out[res.name] = max(sum(1 for row in csv.reader(fh) if row) - 1, 0)
    return out


def render_counts(package: Package) -> str:
    counts = row_counts(package)
    lines = ["| table | rows | one row is |", "|---|---:|---|"]
    for res in package.resources:
        desc = " ".join(str(res.descriptor.get("description") or res.descriptor.get("title") or "").split())
        lines.append(f"| `{res.name}` | {counts[res.name]:,} | {desc.replace('|', '/')} |")
    return "\n".join(lines)


def citation_text(package: Package, citation: dict[str, str]) -> str:
    """`AUTHORS (YEAR). TITLE, version X.Y.Z.`, from CITATION.cff's fields."""
    year = (citation.get("date-released") or "")[:4]
    authors = citation.get("authors") or "BRCD maintainers"
    title = citation.get("title") or package.descriptor.get("title") or package.name
    return f"{authors} ({year}). *{title}*, version {package.version}."


def run_query_block(package: Package, spec: QuerySpec, path: Path | str, line: int, con=None) -> Result:
    con = con or connect(package)
    if spec.sql:
        result = run(con, check_select(con, spec.name), origin=f"the SELECT of the block at {path}:{line}")
    else:
        query = find_query(load_queries(package.root), spec.name)
        typed = bind(query, spec.params)
        check_references(con, query, typed)
        result = run(con, query.duckdb_sql, engine_values(typed, "duckdb"), origin=f"query {query.name!r}")
    unknown = [c for c in list(spec.where) + (spec.columns or []) if c not in result.columns]
    if unknown:
        raise BrcdError("doc-block", f"query {spec.name!r} has no column(s) {', '.join(unknown)}.", file=path, line=line,
                        hint=f"its columns: {', '.join(result.columns)}.")
    rows = [r for r in result.rows
            if all(_text(dict(zip(result.columns, r))[k]) == v for k, v in spec.where.items())]
    if spec.limit is not None:
        rows = rows[: spec.limit]
    if not rows:
        raise BrcdError("doc-block-empty", f"query {spec.name!r} with {spec.params or 'no parameters'} and "
                        f"{spec.where or 'no filter'} returns no row, so the block would be empty.",
                        file=path, line=line, exit_code=EXIT_DATA,
                        hint="check the block's parameters and filters against `brcd query "
                             f"{spec.name}`'s output, or the data the query reads.")
    return Result(result.columns, rows)


def _text(value: Any) -> str:
    """A value as `--where` compares it: as the CSV output writes it, whole numbers without `.0`."""
    return cell_text(_plain_number(plain(value)))


def render_query(package: Package, spec: QuerySpec, path: Path | str, line: int, con=None) -> list[str]:
    result = run_query_block(package, spec, path, line, con)
    if spec.template is not None:
        out = []
        for row in result.rows:
            values = {k: _plain_number(plain(v)) for k, v in zip(result.columns, row)}
            try:
                out.append(spec.template.format(version=package.version, **values))
            except (KeyError, IndexError, ValueError) as exc:
                raise BrcdError("doc-block", f"the template cannot be filled: {exc!r}.", file=path, line=line,
                                hint=f"name only the query's columns in braces: {', '.join(result.columns)}, or {{version}}.") from None
        return out
    columns = spec.columns or result.columns
    index = [result.columns.index(c) for c in columns]
    return render_markdown(Result(columns, [tuple(r[i] for i in index) for r in result.rows])).splitlines()


def _plain_number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def fill_blocks(text: str, package: Package, path: Path | str, citation: dict[str, str] | None = None) -> str:
    """The text with every block filled from the package."""
    blocks = find_blocks(text, path)
    if not blocks:
        return text
    con = connect(package) if any(b.kind in ("query", "sql") for b in blocks) else None
    out, last = [], 0
    for b in blocks:
        if b.kind == "counts":
            lines = render_counts(package).splitlines()
        elif b.kind == "citation":
            lines = [citation_text(package, citation or {})]
        else:
            lines = render_query(package, parse_query_spec(b, path), path, b.line, con)
        if b.inline and lines and lines[0].startswith("|"):
            raise BrcdError("doc-block", "a one-line block cannot hold a table.", file=path, line=b.line,
                            hint="give the block a --template, or put its begin and end comments on their own lines.")
        body = " ".join(lines) if b.inline else "\n" + "\n".join(lines) + "\n"
        out += [text[last:b.start], body]
        last = b.end
    out.append(text[last:])
    return "".join(out)
