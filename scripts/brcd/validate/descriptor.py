"""Rule 5, the package: `datapackage.json` against the Data Package profile (Frictionless'
metadata validation, which reads no rows) and each resource's `bytes`/`hash` against its file,
explaining a CRLF/LF mismatch in plain words."""

from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING, Callable

from brcd.digest import crlf_explains
from brcd.report import Issue
from brcd.validate.collector import Collector

if TYPE_CHECKING:  # pragma: no cover
    from brcd.package import Package

DESCRIPTOR = "datapackage.json"


def start_profile_check(package: "Package") -> Callable[[Collector], None]:
    """Check the descriptor (schemas inlined, so no file is read) against the profile; return
    the function that adds its issues to the report. (A forked child that overlapped importing
    frictionless with the table checks gained nothing measurable at 1M rows: docs/performance.md.)"""
    descriptor = copy.deepcopy(package.descriptor)
    for res, loaded in zip(descriptor.get("resources", []), package.resources):
        res["schema"] = loaded.schema
    errors = profile_errors(descriptor)
    return lambda out: _record(errors, out)


def profile_errors(descriptor: dict) -> list[tuple[str, str]]:
    """(code, note) of each way the descriptor breaks the Data Package profile."""
    from frictionless import Package as FlPackage

    try:
        return [(err.type, err.note) for err in FlPackage.metadata_validate(descriptor)]
    except Exception as exc:  # noqa: BLE001 - frictionless raises on some malformed descriptors
        return [("package-error", f"the descriptor cannot be checked: {exc}")]


def _record(errors: list[tuple[str, str]], out: Collector) -> None:
    for code, note in errors:
        code = code if code in ("package-error", "resource-error", "schema-error") else "package-error"
        out.add(Issue(code, None, DESCRIPTOR, message=f"{note}."))


def check_hashes(package: "Package", out: Collector, digests: dict[str, tuple[int, str]]) -> None:
    """`digests`: resource name -> (size, "sha256:<hex>") of the bytes as read."""
    for res in package.resources:
        if res.name not in digests:
            continue
        size, digest = digests[res.name]
        declared_bytes, declared_hash = res.descriptor.get("bytes"), res.descriptor.get("hash")
        crlf = isinstance(declared_hash, str) and declared_hash != digest and _crlf_explains(res.path, declared_hash)
        why = (" The declared hash is that of the same file with other line endings (CRLF vs LF): it was"
               " probably saved or checked out with Windows line endings; convert it to LF"
               " (`git config core.autocrlf input`, then check it out again).") if crlf else ""
        if declared_bytes is not None and declared_bytes != size:
            out.add(Issue("byte-count", res.name, res.relpath,
                          message=f"datapackage.json declares {declared_bytes} bytes, the file has {size}.{why}"))
        if declared_hash is not None and declared_hash != digest:
            algo = declared_hash.split(":", 1)[0] if ":" in declared_hash else "md5"
            if algo != "sha256":
                actual = f"{algo}:" + hashlib.new(algo, res.path.read_bytes()).hexdigest() \
                    if algo in hashlib.algorithms_available else None
                if actual and (actual == declared_hash or (algo == "md5" and actual.split(":", 1)[1] == declared_hash)):
                    continue
            out.add(Issue("hash-count", res.name, res.relpath,
                          message=f"datapackage.json declares hash {declared_hash}, the file's is {digest}.{why}"))


def _crlf_explains(path, declared_hash: str) -> bool:
    try:
        return crlf_explains(path, declared_hash)
    except OSError:
        return False
