"""Keep each resource's `bytes` and `hash` in `datapackage.json` equal to its file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from brcd.errors import BrcdError
from brcd.fsutil import atomic_write_text
from brcd.package import Package

CHUNK = 1 << 20


def file_digest(path: Path) -> tuple[int, str]:
    """Size in bytes and `sha256:<hex>` of a file."""
    h = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        raise BrcdError("file-missing", "table file not found.", file=path,
                        hint="restore the file or fix the resource's `path` in datapackage.json.") from None
    return size, f"sha256:{h.hexdigest()}"


def crlf_explains(path: Path, declared_hash: str) -> bool:
    """True when the declared hash matches the file with LF endings turned into CRLF or back,
    the usual cause of a mismatch after a checkout on Windows."""
    if not declared_hash.startswith("sha256:"):
        return False
    data = path.read_bytes()
    want = declared_hash.split(":", 1)[1]
    for variant in (data.replace(b"\r\n", b"\n"), data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")):
        if variant != data and hashlib.sha256(variant).hexdigest() == want:
            return True
    return False


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


def dump_descriptor(descriptor: dict) -> str:
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


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
