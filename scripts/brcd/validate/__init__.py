"""`validate_package`: every rule of `brcd validate` over a whole package, in one report.

Work in progress: this first version checks the descriptor's hashes, missing files and
headers; the cell, key and domain rules land next (same API).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from brcd.report import Issue, Report

if TYPE_CHECKING:  # pragma: no cover
    from brcd.package import Package


def validate_package(package: "str | Path | Package | None", *, max_errors: int | None = None) -> Report:
    """Validate a package (a datapackage.json path, its folder or a loaded Package).

    Raises `BrcdError` only when the package cannot be read at all (exit 2); every problem in
    the data is an `Issue` in the returned `Report`."""
    from brcd.hashing import file_digest, crlf_explains
    from brcd.package import Package, load_package

    pkg = package if isinstance(package, Package) else load_package(package)
    issues: list[Issue] = []
    for res in pkg.resources:
        if not res.path.is_file():
            issues.append(Issue("file-missing", res.name, res.relpath, message=f"{res.relpath} does not exist."))
            continue
        size, digest = file_digest(res.path)
        if "bytes" in res.descriptor and res.descriptor["bytes"] != size:
            issues.append(Issue("byte-count", res.name, res.relpath,
                                message=f"datapackage.json declares {res.descriptor['bytes']} bytes; the file has {size}."))
        if "hash" in res.descriptor and res.descriptor["hash"] != digest:
            msg = f"datapackage.json declares hash {res.descriptor['hash']}; the file has {digest}."
            if crlf_explains(res.path, str(res.descriptor["hash"])):
                msg += " The declared hash matches the same file with other line endings (CRLF vs LF)."
            issues.append(Issue("hash-count", res.name, res.relpath, message=msg))
        with res.path.open(newline="", encoding="utf-8", errors="replace") as fh:
            header = next(csv.reader(fh), [])
        if header != res.field_names:
            issues.append(Issue("incorrect-label", res.name, res.relpath, line=1,
                                message=f"header {header} does not match the schema's fields {res.field_names}."))
    return Report.from_issues(issues, max_errors=max_errors)
