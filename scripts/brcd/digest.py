"""SHA-256 of files and bytes, in the two forms the package records: `sha256:<hex>` beside the
size in bytes (a resource's `hash` and `bytes` in datapackage.json) and the bare hex digest
(`SHA256SUMS`, the build's record of its inputs)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from brcd.errors import BrcdError

CHUNK = 16 << 20


def bytes_digest(data: bytes) -> tuple[int, str]:
    """Size and `sha256:<hex>` of bytes already in memory."""
    return len(data), "sha256:" + hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> tuple[int, str]:
    """Size in bytes and `sha256:<hex>` of a file, read into one reused buffer (no fresh pages
    for each chunk of a big file). A missing file is a `BrcdError`."""
    digest, size = hashlib.sha256(), 0
    buf = bytearray(CHUNK)
    try:
        with open(path, "rb", buffering=0) as f, memoryview(buf) as view:
            while n := f.readinto(buf):
                digest.update(view[:n])
                size += n
    except FileNotFoundError:
        raise BrcdError("file-missing", "file not found.", file=path,
                        hint="restore the file or fix its path in datapackage.json.") from None
    return size, "sha256:" + digest.hexdigest()


def sha256_hex(path: Path) -> str:
    """The bare hex digest of a file, as `sha256sum` prints it."""
    return file_digest(path)[1].split(":", 1)[1]


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
