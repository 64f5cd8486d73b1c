"""Small packages written from Python for tests: tables given as rows or as raw CSV text, with
their schemas inline (importable by name, unlike conftest)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

V2 = "https://datapackage.org/profiles/2.0/datapackage.json"


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    """Rows as CSV (None and "" are empty cells; other values written with str)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
    return buf.getvalue()


def write_package(dest: Path, tables: dict[str, tuple[dict, Any]], descriptor_extra: dict | None = None,
                  **resource_extra: dict) -> Path:
    """A package of `tables` (name -> (schema, rows or CSV text or bytes)) in `dest`;
    `resource_extra` adds keys to a resource's descriptor (by name), `descriptor_extra` to the
    package's (a key set to None is left out). Returns the package's folder."""
    (dest / "tables").mkdir(parents=True, exist_ok=True)
    resources = []
    for name, (schema, data) in tables.items():
        text = data if isinstance(data, str) else csv_text([f["name"] for f in schema["fields"]], data)
        (dest / "tables" / f"{name}.csv").write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        resources.append({"name": name, "path": f"tables/{name}.csv", "schema": schema, **resource_extra.get(name, {})})
    descriptor = {"$schema": V2, "name": "test-package", "resources": resources, **(descriptor_extra or {})}
    descriptor = {k: v for k, v in descriptor.items() if v is not None}
    (dest / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return dest
