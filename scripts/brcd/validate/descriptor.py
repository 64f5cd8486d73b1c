"""Rule 5, the package: `datapackage.json` against the Data Package profile (Frictionless'
metadata validation, which reads no rows) and each resource's `bytes`/`hash` against its file,
explaining a CRLF/LF mismatch in plain words."""

from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING

from brcd.report import Issue
from brcd.validate.collector import Collector

if TYPE_CHECKING:  # pragma: no cover
    from brcd.package import Package

DESCRIPTOR = "datapackage.json"


def check_profile(package: "Package", out: Collector) -> None:
    """Errors of the descriptor (schemas inlined, so no file is read) against the profile."""
    from frictionless import Package as FlPackage

    descriptor = copy.deepcopy(package.descriptor)
    for res, loaded in zip(descriptor.get("resources", []), package.resources):
        res["schema"] = loaded.schema
    try:
        errors = list(FlPackage.metadata_validate(descriptor))
    except Exception as exc:  # noqa: BLE001 - frictionless raises on some malformed descriptors
        errors = []
        out.add(Issue("package-error", None, DESCRIPTOR, message=f"the descriptor cannot be checked: {exc}."))
    for err in errors:
        out.add(Issue(err.type if err.type in ("package-error", "resource-error", "schema-error") else "package-error",
                      None, DESCRIPTOR, message=f"{err.note}."))


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
    from brcd.hashing import crlf_explains

    try:
        return crlf_explains(path, declared_hash)
    except OSError:
        return False
