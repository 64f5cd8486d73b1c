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
from brcd.fields import KINDS

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
        pk = self.schema.get("primaryKey") or []
        return [pk] if isinstance(pk, str) else list(pk)

    @property
    def unique_keys(self) -> list[list[str]]:
        """The schema's `uniqueKeys`: groups of fields whose values together are unique."""
        return [[key] if isinstance(key, str) else list(key) for key in self.schema.get("uniqueKeys") or []]

    @property
    def foreign_keys(self) -> list[dict[str, Any]]:
        """Foreign keys with `fields` as lists and a self-reference resolved to this table's name."""
        out = []
        for fk in self.schema.get("foreignKeys") or []:
            fields = fk["fields"]
            ref = fk["reference"]
            ref_fields = ref["fields"]
            out.append({
                "fields": [fields] if isinstance(fields, str) else list(fields),
                "reference": {
                    "resource": ref.get("resource") or self.name,
                    "fields": [ref_fields] if isinstance(ref_fields, str) else list(ref_fields),
                },
            })
        return out

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
    """Read the descriptor and every resource's schema. Raises BrcdError on broken metadata."""
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
        schema_ref = res.get("schema")
        if isinstance(schema_ref, str):
            schema_path = root / schema_ref
            schema = read_json(schema_path, f"schema of {name}")
        elif isinstance(schema_ref, dict):
            schema_path, schema = None, schema_ref
        else:
            raise BrcdError("resource-error", f"resource {name!r} has no `schema`.", file=descriptor_path,
                            hint="point `schema` at schemas/<table>.schema.json.")
        check_schema(schema, schema_path or descriptor_path, name)
        resources.append(Resource(name=name, descriptor=res, root=root, schema=schema, schema_path=schema_path))
    return Package(root=root, descriptor_path=descriptor_path, descriptor=descriptor, resources=resources)


KNOWN_TYPES = frozenset(KINDS)  # the Table Schema types (`brcd.fields`)


def check_schema(schema: Any, path: Path, name: str) -> None:
    """The minimum a schema must have for the toolkit to read the table; the rest is validation."""
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        raise BrcdError("schema-error", f"schema of {name!r} has no `fields` list.", file=path,
                        hint="a Table Schema is an object with a non-empty `fields` array.")
    names = []
    for i, fld in enumerate(schema["fields"]):
        if not isinstance(fld, dict) or not isinstance(fld.get("name"), str):
            raise BrcdError("schema-error", f"field #{i + 1} of {name!r} has no `name`.", file=path,
                            hint="give every field a string `name`.")
        ftype = fld.get("type", "string")
        if ftype not in KNOWN_TYPES:
            raise BrcdError("schema-error", f"field {fld['name']!r} of {name!r} has unknown type {ftype!r}.",
                            file=path, hint=f"use one of: {', '.join(sorted(KNOWN_TYPES))}.")
        names.append(fld["name"])
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise BrcdError("schema-error", f"field {dup!r} appears twice in {name!r}.", file=path,
                        hint="field names must be unique.")
    pk = schema.get("primaryKey") or []
    for key in [pk] if isinstance(pk, str) else pk:
        if key not in names:
            raise BrcdError("schema-error", f"primaryKey field {key!r} is not a field of {name!r}.", file=path,
                            hint="name an existing field in primaryKey.")
    for fk in schema.get("foreignKeys") or []:
        fields = fk.get("fields") if isinstance(fk, dict) else None
        fields = [fields] if isinstance(fields, str) else fields
        if not fields or any(f not in names for f in fields) or not isinstance(fk.get("reference"), dict):
            raise BrcdError("schema-error", f"a foreignKey of {name!r} names a field that does not exist.",
                            file=path, hint="foreignKeys.fields must be fields of this table.")
