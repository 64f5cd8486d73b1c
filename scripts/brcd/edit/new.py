"""Add one row to a table safely: the library behind `brcd new`.

- `field_problem` checks one answer at once (type and constraints of its field, and that the
  ids it names exist), so a prompt can ask again straight away;
- `propose_id` proposes the next free primary key from the field's pattern and the ids in use;
- `row_issues` checks the whole candidate row with the same rules as `brcd validate`: it
  validates a temporary copy of the package with the row inserted and keeps the issues on
  that row;
- `insert_row` writes the row where `brcd fmt` would put it (by primary key) without touching
  any other line, atomically, then brings `bytes`/`hash` in datapackage.json up to date;
- `NewRow` is one run of `brcd new`: the values given, the fields still to ask, the proposed
  id, every problem of the row at once (`problems`) and the write (`add`). The command only
  prompts and prints.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brcd.edit import hash as edit_hash
from brcd.edit.fmt import Record, read_records, render_row, sort_key, table_bytes
from brcd.errors import BrcdError
from brcd.fields import Field, field_of, resource_fields
from brcd.fsutil import atomic_write_bytes
from brcd.package import Package, Resource, load_package
from brcd.report import Issue
from brcd.validate import validate_package

def today() -> str:
    return dt.date.today().isoformat()


def defaults(resource: Resource) -> dict[str, str]:
    """Answers proposed at the prompt (never facts): today for `last_updated`, 1 for a new
    row's `row_version`."""
    out = {}
    if "last_updated" in resource.field_names:
        out["last_updated"] = today()
    if "row_version" in resource.field_names:
        out["row_version"] = "1"
    return out


def prompt_text(fld: dict[str, Any], resource: Resource | None = None) -> str:
    """One line about a field for the prompt: what it means and what it accepts."""
    parts = [fld.get("description") or fld.get("title") or ""]
    cons = fld.get("constraints", {})
    if "enum" in cons:
        parts.append("One of: " + " | ".join(map(str, cons["enum"])) + ".")
    elif fld.get("type", "string") != "string" or fld.get("format", "default") != "default":
        model = field_of(resource, fld["name"]) if resource is not None else Field.of(fld)
        parts.append(f"Expects {model.words}.")
    return " ".join(p for p in parts if p)


# How `field_problem` words each broken constraint of a typed answer.
PROBLEM_WORDS = {
    "enum": lambda raw, c, f: f"{raw!r} is not allowed: use one of {', '.join(map(str, c['enum']))}.",
    "pattern": lambda raw, c, f: f"{raw!r} does not have the expected form ({c['pattern']}).",
    "minimum": lambda raw, c, f: f"{raw!r} must be at least {c['minimum']}.",
    "maximum": lambda raw, c, f: f"{raw!r} must be at most {c['maximum']}.",
    "exclusiveMinimum": lambda raw, c, f: f"{raw!r} must be more than {c['exclusiveMinimum']}.",
    "exclusiveMaximum": lambda raw, c, f: f"{raw!r} must be less than {c['exclusiveMaximum']}.",
    "minLength": lambda raw, c, f: f"the text must be at least {c['minLength']} {f.length_unit} long (it has {len(raw)}).",
    "maxLength": lambda raw, c, f: f"the text must be at most {c['maxLength']} {f.length_unit} long (it has {len(raw)}).",
}


def field_problem(package: Package, resource: Resource, name: str, raw: str,
                  existing_keys: set[str] | None = None) -> str | None:
    """Why `raw` is not acceptable in field `name` (None when it is): its type, its
    constraints, and every id it names existing in the referenced table."""
    model = field_of(resource, name)
    if model.is_missing(raw):
        return "a value is required here." if model.required else None
    problems = model.problems(raw)
    if problems:
        tag, words = problems[0]
        if tag == "type":
            return words
        return PROBLEM_WORDS.get(tag, lambda r, c, f: f"{r!r} {words}")(raw, model.constraints, model)
    if existing_keys is not None and name in resource.primary_key and raw in existing_keys:
        return f"{raw} is already used in {resource.relpath}; pick a free id."
    return dangling_reference(package, resource, name, raw)


def dangling_reference(package: Package, resource: Resource, name: str, raw: str) -> str | None:
    """The first id in `raw` that the referenced table does not hold, as a message."""
    targets = [(fk["reference"]["resource"], fk["reference"]["fields"][0], [raw])
               for fk in resource.foreign_keys if fk["fields"] == [name]]
    targets += [(lr["resource"], lr["resource_field"], raw.split(lr["delimiter"]))
                for lr in resource.list_references() if lr["field"] == name]
    for table, key, ids in targets:
        ref = package.resource(table)
        model = field_of(ref, key)  # ids compared as logical values: 01 finds 1 in an integer key
        known = {model.key_of(v) for v in column_values(ref, key)}
        for value in ids:
            if model.key_of(value) not in known:
                return (f"{value} is not a {key} in {ref.relpath}: add that row there first "
                        f"(`brcd new {table}`), or use an id it holds.")
    return None


def column_values(resource: Resource, name: str) -> set[str]:
    header, records, _ = read_records(resource.path)
    if name not in header:
        return set()
    i = header.index(name)
    return {r.cells[i] for r in records if i < len(r.cells)}


# --- the next free id -------------------------------------------------------------------

TOKEN = re.compile(r"\[0-9\]\{(\d+)\}|\[A-Z0-9-\]\+|\[A-Z\]\+|\\(.)|([A-Za-z0-9_-])")


def pattern_tokens(pattern: str) -> list[tuple[str, Any]] | None:
    """A simple id pattern as tokens: ("lit", text), ("digits", width), ("slug", None).
    None for patterns with alternation, groups or other regex features."""
    body = pattern.removeprefix("^").removesuffix("$")
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(body):
        m = TOKEN.match(body, pos)
        if not m:
            return None
        if m.group(1):
            tokens.append(("digits", int(m.group(1))))
        elif m.group(0).startswith("[A-Z"):
            tokens.append(("slug", None))
        else:
            lit = m.group(2) or m.group(3)
            if tokens and tokens[-1][0] == "lit":
                tokens[-1] = ("lit", tokens[-1][1] + lit)
            else:
                tokens.append(("lit", lit))
        pos = m.end()
    return tokens


def slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")


def propose_id(resource: Resource, row: dict[str, str]) -> str | None:
    """The next free primary key, or None when it cannot be derived (official codes such as
    district P-codes are never made up: the contributor types them).

    Numbered ids (`SRC-0069`) take the highest number in use plus one; when the id also holds a
    year (`BAL-INC-2025-0007`) the year comes from the row's first date and numbering restarts
    each year. Name ids (`ORG-...`, `BAL-MIN-...`) are built from the row's name. A proposal
    always matches the field's pattern (None when it could not); when the highest number of the
    pattern is taken, `id-space-full` says so (ids are cited: a retired one is never reused)."""
    if len(resource.primary_key) != 1:
        return None
    key = resource.primary_key[0]
    pattern = resource.field(key).get("constraints", {}).get("pattern")
    tokens = pattern_tokens(pattern) if pattern else None
    if not tokens:
        return None
    used = column_values(resource, key)
    kinds = [k for k, _ in tokens]
    if "slug" in kinds:
        return _fits(_propose_slug(resource, tokens, row, used), pattern)
    if "digits" not in kinds:
        return None
    regex = re.compile("^" + "".join(re.escape(v) if k == "lit" else f"([0-9]{{{v}}})" for k, v in tokens) + "$")
    groups = [tuple(int(g) for g in m.groups()) for m in map(regex.match, used) if m]
    widths = [v for k, v in tokens if k == "digits"]
    head = _leading_groups(resource, row, widths, groups)
    seq = max((g[-1] for g in groups if g[:-1] == head), default=0) + 1
    numbers = list(head) + [seq]
    if any(n >= 10 ** w for n, w in zip(numbers, widths)):
        def spell(last: str) -> str:
            values = iter([*(f"{n:0{w}d}" for n, w in zip(head, widths)), last * widths[-1]])
            return "".join(v if k == "lit" else next(values) for k, v in tokens)

        raise BrcdError("id-space-full", f"the {key} after {spell('9')} would break the pattern {pattern}: "
                        f"the ids of the form {spell('N')} are used up.", file=resource.schema_path, exit_code=1,
                        hint=f"give the id yourself (--{key.replace('_', '-')}), or widen the pattern in the "
                             "schema (a major version: every id already cited must still match it).")
    numbers_iter = iter(numbers)
    candidate = "".join(v if k == "lit" else f"{next(numbers_iter):0{v}d}" for k, v in tokens)
    return _fits(candidate, pattern)


def _fits(candidate: str | None, pattern: str) -> str | None:
    """The candidate when it matches the id field's pattern, else None (the contributor types it)."""
    return candidate if candidate is not None and re.fullmatch(pattern, candidate) else None


def _leading_groups(resource: Resource, row: dict[str, str], widths: list[int], groups: list[tuple]) -> tuple:
    """Values of the digit groups before the sequence number: a 4-digit group is the year of
    the row's first date when there is one; otherwise the groups of the highest id in use."""
    if len(widths) == 1:
        return ()
    year = next((row[f["name"]][:4] for f in resource.fields
                 if f.get("type") == "date" and re.match(r"^\d{4}-", row.get(f["name"], ""))), None)
    if len(widths) == 2 and widths[0] == 4 and year:
        return (int(year),)
    if groups:
        return max(groups)[:-1]
    return (int(year),) if year and len(widths) == 2 else tuple(1 for _ in widths[:-1])


def _propose_slug(resource: Resource, tokens, row: dict[str, str], used: set[str]) -> str | None:
    name_field = next((f["name"] for f in resource.fields
                       if f["name"] not in resource.primary_key and f["name"].endswith("name") and row.get(f["name"])), None)
    if name_field is None or [k for k, _ in tokens].count("slug") != 1:
        return None
    base = "".join(v if k == "lit" else slug(row[name_field]) for k, v in tokens)
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# --- checking the whole row with validate ------------------------------------------------

@dataclass
class Placement:
    """Where a new row goes: the physical line it will start on and its data row number."""

    line: int
    row: int


def row_issues(package: Package, table: str, row: dict[str, str]) -> tuple[list[Any], Placement]:
    """Issues `brcd validate` reports on this row once inserted (checked in a temporary copy
    of the package; the real files are not touched)."""

    with tempfile.TemporaryDirectory(prefix="brcd-new-") as tmp:
        copy = copy_package(package, Path(tmp))
        placement = insert_row(copy, table, row, update_hashes=True)
        report = validate_package(copy, max_errors=None)
    res_path = package.resource(table).relpath
    mine = [e for e in report.errors
            if (e.resource == table or e.path == res_path) and (e.line == placement.line or e.row == placement.row)]
    return mine, placement


def copy_package(package: Package, dest: Path) -> Package:
    """Copy the descriptor, schemas and tables (nothing else) to `dest` and load the copy."""
    files = {package.descriptor_path}
    for res in package.resources:
        files.add(res.path)
        if res.schema_path is not None:
            files.add(res.schema_path)
    for src in files:
        target = dest / src.relative_to(package.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.exists():
            shutil.copy2(src, target)
    return load_package(dest / package.descriptor_path.name)


# --- writing -----------------------------------------------------------------------------

def render_new_row(resource: Resource, row: dict[str, str]) -> str:
    """The row as one canonical CSV record (cells in schema order, LF-terminated)."""
    return render_row([f.canonical(row.get(f.name, "")) for f in resource_fields(resource)])


def insert_row(package: Package, table: str, row: dict[str, str], *, update_hashes: bool = True) -> Placement:
    """Insert the row after the last row whose key sorts before it (at the end when the table
    is not sorted), leaving every other line byte-identical; atomic; then update hashes."""
    resource = package.resource(table)
    data = table_bytes(resource.path)
    header, records, text = read_records(resource.path, data)
    if header != resource.field_names:
        raise BrcdError("header-mismatch", "the header does not list the schema's fields in order.",
                        file=resource.path, line=1, hint="run `brcd validate` and fix the header first.")
    lines = list(io.StringIO(text, newline=""))
    ending = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    new_line = render_new_row(resource, row).removesuffix("\n") + ending
    key = sort_key(resource, header) if resource.primary_key else None
    new_record = Record(0, [row.get(n, "") for n in resource.field_names])
    index = len(records)
    if key is not None and [key(r) for r in records] == sorted(key(r) for r in records):
        new_key = key(new_record)
        index = next((i for i, r in enumerate(records) if key(r) > new_key), len(records))
    if index < len(records):
        at = records[index].line - 1
    else:
        at = len(lines)
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += ending
    lines.insert(at, new_line)
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    atomic_write_bytes(resource.path, bom + "".join(lines).encode("utf-8"))
    if update_hashes:
        edit_hash.update_hashes(package)
    return Placement(line=at + 1, row=index + 1)


def split_arguments(args: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The words after TABLE: bare words (the PACKAGE) and `--flag VALUE` / `--flag=VALUE` pairs,
    in order. A flag without a value is a usage error."""
    words: list[str] = []
    flags: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        word = args[i]
        if not word.startswith("--"):
            words.append(word)
            i += 1
            continue
        flag, eq, value = word[2:].partition("=")
        if not eq:
            if i + 1 >= len(args):
                raise BrcdError("bad-option", f"--{flag} needs a value.", hint=f"write --{flag} VALUE.")
            i += 1
            value = args[i]
        flags.append((flag, value))
        i += 1
    return words, flags


def parse_field_flags(resource: Resource, args: list[str] | list[tuple[str, str]]) -> dict[str, str]:
    """Field values from `--field-name VALUE` / `--field_name=VALUE` (the extra command-line
    words, or pairs already split by `split_arguments`), as a dict by field name."""
    if args and isinstance(args[0], str):
        words, pairs = split_arguments(list(args))  # type: ignore[arg-type]
        if words:
            raise BrcdError("bad-option", f"unexpected argument {words[0]!r}.",
                            hint="give field values as --FIELD VALUE (see `brcd new TABLE --list-fields`).")
    else:
        pairs = list(args)  # type: ignore[arg-type]
    out: dict[str, str] = {}
    names = {n.replace("_", "-"): n for n in resource.field_names}
    for flag, value in pairs:
        name = names.get(flag.replace("_", "-"))
        if name is None:
            raise BrcdError("unknown-field", f"{resource.name} has no field {flag!r}.",
                            hint=f"use one of: {', '.join(resource.field_names)}.")
        out[name] = value
    return out


def describe_fields(resource: Resource) -> str:
    """`brcd new TABLE --list-fields`: one line per field, required ones marked."""
    out = []
    for f in resource.fields:
        req = "required" if f.get("constraints", {}).get("required") else "optional"
        out.append(f"--{f['name'].replace('_', '-'):<28} {f.get('type', 'string'):<8} {req:<8} {prompt_text(f, resource)}")
    return "\n".join(out)


# --- one run of `brcd new` -----------------------------------------------------------------

def required(fld: dict[str, Any]) -> bool:
    return bool(fld.get("constraints", {}).get("required"))


@dataclass
class NewRow:
    """A row being added to one table: what the contributor gave, what is still to ask, and
    every problem `brcd validate` would report on it, all at once."""

    package: Package
    resource: Resource
    values: dict[str, str]

    @classmethod
    def start(cls, package: Package, table: str, given: dict[str, str] | None = None) -> "NewRow":
        return cls(package, package.resource(table), dict(given or {}))

    @property
    def key(self) -> str | None:
        """The single-field primary key, or None (composite or no key)."""
        pk = self.resource.primary_key
        return pk[0] if len(pk) == 1 else None

    def used_keys(self) -> set[str]:
        return column_values(self.resource, self.key) if self.key else set()

    def answer_problem(self, name: str, value: str, used: set[str] | None = None) -> str | None:
        """Why one answer is not acceptable (None when it is): for a prompt that asks again."""
        return field_problem(self.package, self.resource, name, value,
                             self.used_keys() if used is None else used)

    def to_ask(self, all_fields: bool = False) -> list[str]:
        """Fields without a value yet, other than the key: the required ones (every one with
        `all_fields`), in schema order."""
        return [f["name"] for f in self.resource.fields if f["name"] != self.key and f["name"] not in self.values
                and (all_fields or required(f))]

    def default(self, name: str) -> str | None:
        """What a prompt proposes (never a fact): today, 1, or empty for an optional field."""
        proposed = defaults(self.resource).get(name)
        if proposed is not None:
            return proposed
        return None if required(self.resource.field(name)) else ""

    def fill_defaults(self, names: list[str]) -> None:
        """Without prompts: take the proposed answers (today, 1) where there are some."""
        proposed = defaults(self.resource)
        self.values.update({n: proposed[n] for n in names if n in proposed})

    def proposed_key(self) -> str | None:
        return propose_id(self.resource, self.values) if self.key else None

    def problems(self) -> list[Issue]:
        """Every problem of the row at once, as `brcd validate` reports them (types, allowed
        values, required fields, ids in other tables, domain rules across fields), placed on
        the table's file and field (the row is not written yet, so it has no line)."""
        issues, _ = row_issues(self.package, self.resource.name, self.values)
        out = []
        for e in issues:
            out.append(Issue(e.code, e.resource, self.resource.relpath, field=e.field, value=e.value,
                             message=e.message, fix=e.fix))
        return out

    def flagged_fields(self, problems: list[Issue]) -> list[str]:
        """The fields the problems name, in order, each once."""
        return list(dict.fromkeys(e.field for e in problems if e.field in self.resource.field_names))

    def key_text(self) -> str:
        return ",".join(self.values.get(k, "") for k in self.resource.primary_key)

    def render(self) -> str:
        return render_new_row(self.resource, self.values)

    def add(self) -> Placement:
        """Write the row (see `insert_row`)."""
        return insert_row(self.package, self.resource.name, self.values)
