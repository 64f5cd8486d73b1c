"""Load `datapackage.json` and the Table Schemas it points at.

This is the single reader of the package descriptor: every command goes through
`load_package`, so a missing file, malformed JSON or a broken schema is reported the same
way everywhere (a `BrcdError` naming the file, exit 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brcd.errors import BrcdError
from brcd.fields import KINDS, read_missing_values

DESCRIPTOR = "datapackage.json"
LIST_DELIMITER = ";"


def read_json(path: Path, what: str) -> Any:
    """Read a JSON file; a missing or malformed file is a BrcdError with line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BrcdError("file-missing", f"{what} not found.", file=path,
                        hint=f"check the path; {what} must exist.") from None
    except UnicodeDecodeError as exc:
        raise BrcdError("encoding-error", f"{what} is not UTF-8 (byte {exc.start}).", file=path,
                        hint="save the file as UTF-8.") from None
    except OSError as exc:
        raise BrcdError("file-unreadable", f"{what} cannot be read: {exc.strerror}.", file=path,
                        hint="check the file's permissions.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BrcdError("json-error", f"{what} is not valid JSON: {exc.msg}.", file=path,
                        line=exc.lineno, column=exc.colno,
                        hint="fix the JSON syntax at that position (a missing comma or quote is usual).") from None
    except RecursionError:
        raise BrcdError("json-error", f"{what} nests arrays or objects too deeply to be read.", file=path,
                        hint="a descriptor needs a few levels of nesting; remove the runaway brackets.") from None


@dataclass(frozen=True)
class Resource:
    """One table of the package: its descriptor, CSV path and Table Schema."""

    name: str
    descriptor: dict[str, Any]
    root: Path
    schema: dict[str, Any]
    schema_path: Path | None

    @property
    def relpath(self) -> str:
        return self.descriptor["path"]

    @property
    def path(self) -> Path:
        return self.root / self.relpath

    @property
    def fields(self) -> list[dict[str, Any]]:
        return self.schema["fields"]

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def field(self, name: str) -> dict[str, Any]:
        for f in self.fields:
            if f["name"] == name:
                return f
        raise KeyError(name)

    @property
    def primary_key(self) -> list[str]:
        return list(self.schema.get("primaryKey") or [])

    @property
    def unique_keys(self) -> list[list[str]]:
        """The schema's `uniqueKeys`: groups of fields whose values together are unique."""
        return [[key] if isinstance(key, str) else list(key) for key in self.schema.get("uniqueKeys") or []]

    @property
    def foreign_keys(self) -> list[dict[str, Any]]:
        """Foreign keys with `fields` as lists and a self-reference resolved to this table's name."""
        return [{"fields": list(fk["fields"]),
                 "reference": {"resource": fk["reference"]["resource"] or self.name,
                               "fields": list(fk["reference"]["fields"])}}
                for fk in self.schema.get("foreignKeys") or []]

    def list_references(self) -> list[dict[str, Any]]:
        """Fields holding several ids in one cell, from each field's `listReference`:
        `{"field", "delimiter", "resource", "resource_field"}`. Table Schema foreign keys
        take single values, so these are checked item by item by our own code."""
        out = []
        for f in self.fields:
            lr = f.get("listReference")
            if isinstance(lr, dict):
                out.append({"field": f["name"], "delimiter": lr.get("delimiter", LIST_DELIMITER),
                            "resource": lr.get("resource") or self.name, "resource_field": lr["field"]})
        return out


@dataclass
class Package:
    root: Path
    descriptor_path: Path
    descriptor: dict[str, Any]
    resources: list[Resource] = field(default_factory=list)

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    def resource(self, name: str) -> Resource:
        for r in self.resources:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.resources)
        raise BrcdError("unknown-table", f"no table named {name!r}.", file=self.descriptor_path,
                        hint=f"use one of: {known}.")

    @property
    def resource_names(self) -> list[str]:
        return [r.name for r in self.resources]


def dump_descriptor(descriptor: dict) -> str:
    """datapackage.json as the toolkit writes it: two-space indents, UTF-8, a final newline."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def resolve_descriptor(path: str | Path | None) -> Path:
    """Accept a `datapackage.json` path or the folder holding it (default: the current one)."""
    p = Path(path) if path is not None else Path.cwd()
    if p.is_dir():
        p = p / DESCRIPTOR
    if not p.exists():
        raise BrcdError("file-missing", "package descriptor not found.", file=p,
                        hint="pass the path of datapackage.json or of the folder that holds it.")
    return p


def load_package(path: str | Path | None = None) -> Package:
    """Read the descriptor and every resource's schema. Raises BrcdError (one line, exit 2) on
    broken metadata: what the toolkit reads must have the shape the specs give it, and every
    file it names must lie inside the package folder."""
    descriptor_path = resolve_descriptor(path)
    root = descriptor_path.parent
    descriptor = read_json(descriptor_path, "datapackage.json")
    if not isinstance(descriptor, dict):
        raise BrcdError("package-error", "datapackage.json must hold a JSON object.", file=descriptor_path,
                        line=1, column=1, hint="wrap the descriptor in { }.")
    resources_raw = descriptor.get("resources")
    if not isinstance(resources_raw, list) or not resources_raw:
        raise BrcdError("package-error", "datapackage.json has no `resources` list.", file=descriptor_path,
                        hint="add one resource per table under `resources`.")
    resources: list[Resource] = []
    seen: set[str] = set()
    for i, res in enumerate(resources_raw):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str) or not isinstance(res.get("path"), str):
            raise BrcdError("resource-error", f"resource #{i + 1} needs a string `name` and `path`.",
                            file=descriptor_path, hint="give each resource a name and a path into tables/.")
        name = res["name"]
        if name in seen:
            raise BrcdError("resource-error", f"two resources are named {name!r}.", file=descriptor_path,
                            hint="give each resource a unique name.")
        seen.add(name)
        inside(root, res["path"], f"the path of resource {name!r}", descriptor_path)
        check_integrity(res, descriptor_path)
        schema_ref = res.get("schema")
        if isinstance(schema_ref, str):
            schema_path = inside(root, schema_ref, f"the schema of resource {name!r}", descriptor_path)
            schema = read_json(schema_path, f"schema of {name}")
        elif isinstance(schema_ref, dict):
            schema_path, schema = None, schema_ref
        else:
            raise BrcdError("resource-error", f"resource {name!r} has no `schema`.", file=descriptor_path,
                            hint="point `schema` at schemas/<table>.schema.json.")
        check_schema(schema, schema_path or descriptor_path, name)
        resources.append(Resource(name=name, descriptor=res, root=root, schema=normalized_schema(schema),
                                  schema_path=schema_path))
    check_references(resources, descriptor_path)
    return Package(root=root, descriptor_path=descriptor_path, descriptor=descriptor, resources=resources)


KNOWN_TYPES = frozenset(KINDS)  # the Table Schema types (`brcd.fields`)
# The schema property that declares BRCD's own rules (`brcd.validate.checks`, `brcd diff`).
RULES_PROPERTY = "brcd:rules"


def check_schema(schema: Any, path: Path, name: str) -> None:
    """The shape of every part of a schema the toolkit reads; the rest is validation."""

    def fail(message: str, hint: str) -> BrcdError:
        return BrcdError("schema-error", message, file=path, hint=hint)

    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        raise fail(f"schema of {name!r} has no `fields` list.", "a Table Schema is an object with a non-empty `fields` array.")
    names = []
    for i, fld in enumerate(schema["fields"]):
        if not isinstance(fld, dict) or not isinstance(fld.get("name"), str):
            raise fail(f"field #{i + 1} of {name!r} has no `name`.", "give every field a string `name`.")
        ftype = fld.get("type", "string")
        if not isinstance(ftype, str) or ftype not in KNOWN_TYPES:
            raise fail(f"field {fld['name']!r} of {name!r} has unknown type {ftype!r}.",
                       f"use one of: {', '.join(sorted(KNOWN_TYPES))}.")
        _check_field(fld, name, fail)
        names.append(fld["name"])
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise fail(f"field {dup!r} appears twice in {name!r}.", "field names must be unique.")
    read_missing_values(schema.get("missingValues", []), f"schema of {name!r}", path)  # v1 strings or v2 {value, label}
    pk = schema.get("primaryKey")
    if pk is not None and (not _names_or_list(pk) or any(key not in names for key in _as_list(pk))):
        raise fail(f"primaryKey {pk!r} of {name!r} does not name fields of the table.",
                   "write primaryKey as a field name or a list of field names.")
    unique = schema.get("uniqueKeys")
    if unique is not None and (not isinstance(unique, list) or not all(
            _names_or_list(key) and all(k in names for k in _as_list(key)) for key in unique)):
        raise fail(f"uniqueKeys of {name!r} must be a list of lists of its field names.",
                   'write uniqueKeys like [["a", "b"]].')
    fks = schema.get("foreignKeys")
    if fks is not None and not isinstance(fks, list):
        raise fail(f"foreignKeys of {name!r} must be a list.", "write foreignKeys as a list of {fields, reference}.")
    for fk in fks or []:
        fields = fk.get("fields") if isinstance(fk, dict) else None
        if not _names_or_list(fields) or not fields or any(f not in names for f in _as_list(fields)):
            raise fail(f"a foreignKey of {name!r} names a field that does not exist.",
                       "foreignKeys.fields must be fields of this table.")
        ref = fk.get("reference")
        if not isinstance(ref, dict) or not _names_or_list(ref.get("fields")) or not ref.get("fields") \
                or not isinstance(ref.get("resource", ""), str):
            raise fail(f"the foreignKey on {fields!r} of {name!r} has no `reference` with `fields` (and `resource`).",
                       'write reference as {"resource": "<table>", "fields": ["<field>"]}.')
        if len(_as_list(fields)) != len(_as_list(ref["fields"])):
            raise fail(f"the foreignKey on {fields!r} of {name!r} refers to {len(_as_list(ref['fields']))} field(s).",
                       "a foreign key refers to as many fields as it has.")


CONSTRAINT_TYPES = {"required": bool, "unique": bool, "minLength": int, "maxLength": int, "pattern": str,
                    "enum": list}


def _check_field(fld: dict, table: str, fail) -> None:
    label = f"field {fld['name']!r} of {table!r}"
    cons = fld.get("constraints", {})
    if not isinstance(cons, dict):
        raise fail(f"{label} has `constraints` {cons!r}, not an object.", 'write constraints like {"required": true}.')
    for key, want in CONSTRAINT_TYPES.items():
        value = cons.get(key)
        if value is not None and (not isinstance(value, want) or (want is int and (isinstance(value, bool) or value < 0))):
            raise fail(f"{label} has constraint {key} {value!r}, not {_WORDS[want]}.", f"give {key} {_WORDS[want]}.")
    if isinstance(cons.get("pattern"), str):
        import re

        try:
            re.compile(cons["pattern"])
        except re.error as exc:
            raise fail(f"{label} has a pattern that is not a regular expression ({exc}).",
                       "write the pattern as an XML Schema / Python regular expression.") from None
    for key in ("trueValues", "falseValues"):
        if key in fld and not _names_or_list(fld[key], allow_str=False):
            raise fail(f"{label} has {key} {fld[key]!r}, not a list of strings.", f'write {key} like ["yes"].')
    for key in ("format", "description", "title"):
        if key in fld and not isinstance(fld[key], str):
            raise fail(f"{label} has {key} {fld[key]!r}, not a string.", f"give {key} as a string.")
    lr = fld.get("listReference")
    if lr is not None:
        if not isinstance(lr, dict) or not isinstance(lr.get("field"), str) \
                or not isinstance(lr.get("resource", ""), str) \
                or not (isinstance(lr.get("delimiter", LIST_DELIMITER), str) and lr.get("delimiter", LIST_DELIMITER)):
            raise fail(f"{label} has a listReference without a `field` (or with a `resource` or `delimiter`"
                       " that is not a string).", 'write listReference like {"resource": "sources",'
                       ' "field": "source_id", "delimiter": ";"}.')


_WORDS = {bool: "true or false", int: "a whole number of 0 or more", str: "a string", list: "a list"}


def _as_list(value: Any) -> list:
    return [value] if isinstance(value, str) else list(value)


def _names_or_list(value: Any, allow_str: bool = True) -> bool:
    """A string (when `allow_str`: the v1 form of a one-field key) or a list of strings."""
    return (allow_str and isinstance(value, str)) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def check_references(resources: list[Resource], descriptor_path: Path) -> None:
    """Every foreign key and listReference names a resource of the package and fields of it."""
    by_name = {r.name: r for r in resources}
    for res in resources:
        refs = [(f"a foreignKey on {fk['fields']!r}", fk["reference"]["resource"], fk["reference"]["fields"])
                for fk in res.foreign_keys]
        refs += [(f"the listReference of {lr['field']!r}", lr["resource"], [lr["resource_field"]])
                 for lr in res.list_references()]
        for what, target, fields in refs:
            other = by_name.get(target)
            if other is None:
                raise BrcdError("schema-error", f"{what} of {res.name!r} refers to resource {target!r}, which the"
                                " package does not have.", file=res.schema_path or descriptor_path,
                                hint=f"name one of: {', '.join(by_name)}.")
            unknown = [f for f in fields if f not in other.field_names]
            if unknown:
                raise BrcdError("schema-error", f"{what} of {res.name!r} refers to {unknown[0]!r}, which is not a"
                                f" field of {target!r}.", file=res.schema_path or descriptor_path,
                                hint=f"name fields of {target!r}: {', '.join(other.field_names)}.")


def inside(root: Path, relpath: str, what: str, descriptor_path: Path) -> Path:
    """`root / relpath`, refused (`unsafe-path`) unless it stays inside the package folder:
    a relative POSIX path without `..` (the Data Package rule), no URL, and, symbolic links
    followed, a file inside the folder that is a regular file if it exists. Nothing outside
    the package is ever opened, printed or rewritten."""
    import os
    import stat
    from pathlib import PurePosixPath, PureWindowsPath

    def refuse(why: str) -> BrcdError:
        return BrcdError("unsafe-path", f"{what} is {relpath!r}, which {why}.", file=descriptor_path,
                         hint="give a relative path to a file inside the package folder (like tables/<name>.csv).")

    if "://" in relpath or relpath.startswith("//"):
        raise refuse("is a URL; brcd reads local files only")
    pure = PurePosixPath(relpath)
    if not relpath or pure.is_absolute() or PureWindowsPath(relpath).anchor or "\0" in relpath:
        raise refuse("is not a relative path")
    if ".." in pure.parts or "\\" in relpath and ".." in PureWindowsPath(relpath).parts:
        raise refuse("climbs out of the package folder with `..`")
    path = root / relpath
    real_root = root.resolve()
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links
        raise refuse("cannot be resolved (a loop of symbolic links)") from None
    if real != real_root and real_root not in real.parents:
        raise refuse("leads out of the package folder through a symbolic link")
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return path  # missing: `file-missing` when the file is read
    if not stat.S_ISREG(mode):
        raise refuse("is not a regular file")
    return path


HASH_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")


def check_integrity(res: dict, descriptor_path: Path) -> None:
    """`bytes` a whole number and `hash` a hex digest of an algorithm brcd computes, when given."""
    import re

    name, size, digest = res["name"], res.get("bytes"), res.get("hash")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise BrcdError("resource-error", f"resource {name!r} has `bytes` {size!r}, not a whole number of bytes.",
                        file=descriptor_path, hint="run `brcd hash` to record the file's size.")
    if digest is None:
        return
    algo, _, hexdigest = digest.rpartition(":") if isinstance(digest, str) else ("", "", "")
    if not isinstance(digest, str) or (algo or "md5") not in HASH_ALGORITHMS \
            or not re.fullmatch(r"[0-9a-fA-F]+", hexdigest):
        raise BrcdError("resource-error", f"resource {name!r} has `hash` {digest!r}, which is not"
                        f" <algorithm>:<hex digest> with one of {', '.join(HASH_ALGORITHMS)}.",
                        file=descriptor_path, hint="run `brcd hash` to record the file's sha256.")


def normalized_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as the toolkit reads it (the descriptor keeps what was written): the
    Table Schema v1 string forms of `primaryKey`, `uniqueKeys` items and `foreignKeys`
    fields as lists, and a foreign key's `reference.resource` "" (this table) when omitted,
    as the spec allows."""

    def as_list(value: Any) -> list:
        return [value] if isinstance(value, str) else list(value)

    out = dict(schema)
    if out.get("primaryKey") is not None:
        out["primaryKey"] = as_list(out["primaryKey"])
    if out.get("uniqueKeys") is not None:
        out["uniqueKeys"] = [as_list(key) for key in out["uniqueKeys"]]
    if out.get("foreignKeys") is not None:
        out["foreignKeys"] = [{**fk, "fields": as_list(fk["fields"]),
                               "reference": {**fk["reference"], "resource": fk["reference"].get("resource") or "",
                                             "fields": as_list(fk["reference"]["fields"])}}
                              for fk in out["foreignKeys"]]
    return out
