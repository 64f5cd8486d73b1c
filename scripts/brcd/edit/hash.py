"""Keep each resource's `bytes` and `hash` in `datapackage.json` equal to its file."""

from __future__ import annotations

from dataclasses import dataclass

from brcd.digest import crlf_explains, file_digest
from brcd.fsutil import atomic_write_text
from brcd.package import Package, dump_descriptor

@dataclass
class Stale:
    resource: str
    path: str
    declared_bytes: object
    actual_bytes: int
    declared_hash: object
    actual_hash: str
    crlf: bool

    def describe(self) -> str:
        text = f"{self.path}: bytes/hash in datapackage.json are stale (declared {self.declared_bytes} bytes, file has {self.actual_bytes})."
        if self.crlf:
            text += (" The declared hash matches the same file with different line endings (CRLF vs LF):"
                     " the file was probably saved or checked out with Windows line endings; convert it to LF.")
        return text


def stale_resources(package: Package) -> list[Stale]:
    out = []
    for res in package.resources:
        size, digest = file_digest(res.path)
        declared_bytes = res.descriptor.get("bytes")
        declared_hash = res.descriptor.get("hash")
        if declared_bytes != size or declared_hash != digest:
            crlf = isinstance(declared_hash, str) and crlf_explains(res.path, declared_hash)
            out.append(Stale(res.name, res.relpath, declared_bytes, size, declared_hash, digest, crlf))
    return out


def update_hashes(package: Package) -> list[Stale]:
    """Rewrite `bytes`/`hash` of stale resources; the descriptor is replaced atomically, and
    left untouched when any file is missing."""
    stale = stale_resources(package)
    if stale:
        by_name = {s.resource: s for s in stale}
        for res in package.descriptor["resources"]:
            s = by_name.get(res["name"])
            if s:
                res["bytes"] = s.actual_bytes
                res["hash"] = s.actual_hash
        atomic_write_text(package.descriptor_path, dump_descriptor(package.descriptor))
    return stale
