"""What `brcd validate` reads, and the refusal of the rest: never a silent pass.

Every Table Schema v1 feature, and the v2 features frictionless 5 reads, is either checked as
the spec says or refused here, before a row is read, with one `BrcdError` (exit 2) naming the
feature: a field's type, format, options and constraints (`brcd.fields.Field.of`), the rules
declared under `brcd:rules` (`checks.bind`), the keys' targets, and the parts of a resource
that change how its file is read (a CSV dialect other than the defaults, another encoding, a
compressed or non-CSV file, `fieldsMatch` other than "exact").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from brcd.errors import BrcdError
from brcd.fields import resource_fields
from brcd.validate.checks import bind

if TYPE_CHECKING:  # pragma: no cover
    from brcd.package import Package, Resource

# CSV Dialect (Table Schema v1's CSVDDF, v2's Table Dialect): the values brcd reads, per key.
DIALECT = {
    "delimiter": (",",), "lineTerminator": ("\n", "\r\n"), "quoteChar": ('"',), "doubleQuote": (True,),
    "skipInitialSpace": (False,), "header": (True,), "headerRows": ([1],), "caseSensitiveHeader": (True, False),
    "escapeChar": (None,), "nullSequence": (None,), "commentChar": (None,), "commentRows": (None, []),
    "csvddfVersion": None, "$schema": None, "name": None, "title": None, "description": None,
}
ENCODINGS = ("utf-8", "utf8")
READ_HINT = "brcd reads UTF-8 CSV files with commas, double quotes and one header row: convert the file and " \
            "remove the property."


def refuse_unsupported(package: "Package") -> None:
    """Raise `BrcdError` for the first feature of the package brcd does not read exactly."""
    names = set(package.resource_names)
    for res in package.resources:
        where = res.schema_path or package.descriptor_path
        _check_resource(res, package.descriptor_path)
        resource_fields(res)  # every field's type, format, options and constraints
        schema = res.schema
        match = schema.get("fieldsMatch", "exact")
        if match != "exact":
            raise BrcdError("unsupported-feature", f"{res.name}: fieldsMatch {match!r} is not read; brcd matches the"
                            " header to the fields exactly, in order.", file=where,
                            hint="remove fieldsMatch (or set it to \"exact\") and write the header as the fields.")
        fields = set(res.field_names)
        for key in res.unique_keys:
            if not key or any(name not in fields for name in key):
                raise BrcdError("schema-error", f"{res.name}: uniqueKeys {key!r} names a field that does not exist.",
                                file=where, hint="list fields of this table in each unique key.")
        for fk in schema.get("foreignKeys") or []:
            if isinstance(fk, dict) and isinstance(fk.get("reference"), dict) and "package" in fk["reference"]:
                raise BrcdError("unsupported-feature", f"{res.name}: a foreign key refers to another package"
                                f" ({fk['reference']['package']!r}), which brcd does not read.", file=where,
                                hint="copy the referenced table into this package, or remove reference.package.")
        for fk in res.foreign_keys:
            target, ref_fields = fk["reference"]["resource"], fk["reference"]["fields"]
            if target not in names:
                raise BrcdError("schema-error", f"{res.name}: a foreign key on {', '.join(fk['fields'])} refers to"
                                f" {target!r}, which is not a table of the package.", file=where,
                                hint="name a resource of datapackage.json in reference.resource (\"\" for this table).")
            missing = [f for f in ref_fields if f not in package.resource(target).field_names]
            if missing or len(ref_fields) != len(fk["fields"]):
                raise BrcdError("schema-error", f"{res.name}: a foreign key on {', '.join(fk['fields'])} refers to"
                                f" {target}.{', '.join(ref_fields)}, which "
                                + ("does not exist." if missing else "has another number of fields."), file=where,
                                hint="give reference.fields as many fields of the referenced table as fields.")
        bind(res, package)  # the rules declared on the table


def _check_resource(res: "Resource", descriptor_path: Any) -> None:
    d = res.descriptor

    def refuse(what: str) -> BrcdError:
        return BrcdError("unsupported-feature", f"resource {res.name}: {what}", file=descriptor_path, hint=READ_HINT)

    encoding = d.get("encoding")
    if encoding is not None and str(encoding).lower() not in ENCODINGS:
        raise refuse(f"encoding {encoding!r} is not read (UTF-8 only).")
    for key, allowed in (("format", ("csv",)), ("mediatype", ("text/csv",))):
        if d.get(key) is not None and str(d[key]).lower() not in allowed:
            raise refuse(f"{key} {d[key]!r} is not read (CSV only).")
    if d.get("compression") not in (None, "no"):
        raise refuse(f"compression {d['compression']!r} is not read.")
    dialect = d.get("dialect")
    if dialect is None:
        return
    if not isinstance(dialect, dict):
        raise refuse("a dialect given by reference is not read; write it inline or remove it.")
    for key, value in dialect.items():
        if key not in DIALECT:
            raise refuse(f"dialect.{key} is not read.")
        allowed = DIALECT[key]
        if allowed is not None and value not in allowed:
            raise refuse(f"dialect.{key} {value!r} is not read (brcd reads {allowed[0]!r}).")
