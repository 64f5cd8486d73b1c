"""Open an untrusted zip safely: judge its directory before a byte is extracted, then extract
with every write bounded.

`open_checked(path)` reads the end-of-central-directory record itself (so a directory of a
million entries is refused before Python's zipfile parses it), then checks every member:
its name (no absolute path, no `..`, no backslash or control character, no two members that
collide, no file `X` beside a member `X/y`), its type (regular file or folder: no symlink or
device), its encryption and compression method (stored or deflate, what `brcd release`
writes), and the limits on member count, total uncompressed size and compression ratio.
A zip that breaks one is a `BrcdError` (exit 2) naming the member and the rule.
`extract(zf, dest)` then writes each file with an exclusive create under `dest` and counts
the bytes as they come; a member whose data is damaged (CRC, truncated stream) is returned by
name with the reason, and extraction goes on with the next.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from brcd.errors import BrcdError

EOCD = b"PK\x05\x06"
EOCD64_LOCATOR = b"PK\x06\x07"
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Limits:
    """What a release zip may hold. A release of a million incidents rows holds about 30 files
    and 1.1 GB uncompressed, its members deflated at most 6.6:1 (the CSV; SQLite 4.8:1, Parquet
    1:1), while a zip bomb's zeros deflate about 1000:1."""

    members: int = 10_000
    total_bytes: int = 16 << 30
    ratio: int = 200          # uncompressed / compressed, for a member above `ratio_floor`
    ratio_floor: int = 1 << 20
    directory_bytes: int = 16 << 20   # the central directory itself


def refuse(code: str, message: str, path: Path, hint: str) -> BrcdError:
    return BrcdError(code, message, file=path, hint=hint, exit_code=2)


def directory_size(path: Path, limits: Limits) -> None:
    """Refuse a zip whose central directory is bigger than `limits.directory_bytes`, from the
    end record alone (Python's zipfile would read the whole directory into memory first)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        tail_len = min(size, 22 + 0xFFFF)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(EOCD)
        if at < 0 or len(tail) - at < 22:
            raise refuse("corrupt-zip", "not a readable zip file (no end-of-directory record: empty, truncated "
                         "or not a zip).", path, "download the release again.")
        (cd_size,) = struct.unpack("<I", tail[at + 12:at + 16])
        locator = tail[at - 20:at] if at >= 20 else b""
        if cd_size == 0xFFFFFFFF and locator.startswith(EOCD64_LOCATOR):
            (offset,) = struct.unpack("<Q", locator[8:16])
            if offset + 56 <= size:
                fh.seek(offset)
                record = fh.read(56)
                if record[:4] == b"PK\x06\x06":
                    (cd_size,) = struct.unpack("<Q", record[40:48])
    if cd_size > limits.directory_bytes:
        raise refuse("zip-limit", f"its directory of members is {cd_size:,} bytes (at most "
                     f"{limits.directory_bytes:,} are read).", path,
                     "this is not a BRCD release; download the release again from its release page.")


def check_name(name: str, path: Path) -> PurePosixPath:
    """The member's path, relative and inside the folder it is extracted to."""
    bad = None
    if not name or name in ("/", "./"):
        bad = "has an empty name"
    elif "\\" in name:
        bad = "uses a backslash in its name (a path separator on Windows)"
    elif _CONTROL.search(name):
        bad = "has a control character in its name"
    elif name.startswith("/") or _DRIVE.match(name):
        bad = "is an absolute path"
    else:
        parts = name.rstrip("/").split("/")
        if ".." in parts:
            bad = "climbs out of the folder (`..`)"
        elif any(p in ("", ".") for p in parts):
            bad = "has an empty or `.` part in its name"
    if bad:
        raise refuse("zip-unsafe-member", f"member {name!r} {bad}.", path,
                     "this zip would write outside the folder it is unpacked into: do not unpack it; "
                     "download the release again from its release page.")
    return PurePosixPath(name.rstrip("/"))


def check_member(info: zipfile.ZipInfo, path: Path, limits: Limits) -> None:
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a special file"
        raise refuse("zip-unsafe-member", f"member {info.filename!r} is {kind}, not a file.", path,
                     "a release holds plain files only: download the release again from its release page.")
    if info.flag_bits & 0x1:
        raise refuse("zip-unsupported-member", f"member {info.filename!r} is encrypted.", path,
                     "a release is never encrypted: download the release again from its release page.")
    if info.compress_type not in METHODS:
        raise refuse("zip-unsupported-member", f"member {info.filename!r} uses compression method "
                     f"{info.compress_type} (a release uses {' or '.join(METHODS.values())}).", path,
                     "download the release again; do not re-pack it with another tool.")
    if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
        raise refuse("zip-limit", f"member {info.filename!r} would expand {info.compress_size:,} bytes to "
                     f"{info.file_size:,} (more than {limits.ratio}:1: a zip bomb).", path,
                     "do not unpack it; download the release again from its release page.")


def check_names(infos: list[zipfile.ZipInfo], path: Path) -> None:
    """No two members with one name (or names that differ only in case), and no file `X`
    beside a member under `X/`."""
    seen: dict[str, str] = {}
    files, folders = set(), set()
    for info in infos:
        member = check_name(info.filename, path)
        key = member.as_posix().casefold()
        if key in seen and not (info.is_dir() and seen[key].endswith("/")):
            same = seen[key].rstrip("/") == info.filename.rstrip("/")
            raise refuse("zip-duplicate-member", f"member {info.filename!r} appears twice"
                         + ("" if same else f" (as {seen[key]!r}: names that differ only in case collide on "
                            "macOS and Windows)") + ".", path,
                         "a release names each file once: download the release again from its release page.")
        seen[key] = info.filename
        (folders if info.is_dir() else files).add(key)
        folders.update(p.as_posix().casefold() for p in member.parents if p.as_posix() != ".")
    clash = sorted(files & folders)
    if clash:
        raise refuse("zip-unsafe-member", f"{clash[0]!r} is both a file and a folder of other members.", path,
                     "download the release again from its release page.")


def open_checked(path: Path, limits: Limits = Limits()) -> zipfile.ZipFile:
    """The zip, opened, once every member passed the checks above (nothing extracted yet)."""
    directory_size(path, limits)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise refuse("corrupt-zip", f"not a readable zip file ({exc}).", path, "download the release again.") from None
    try:
        infos = zf.infolist()
        if len(infos) > limits.members:
            raise refuse("zip-limit", f"it holds {len(infos):,} members (a release holds at most "
                         f"{limits.members:,}).", path, "this is not a BRCD release; download the release again.")
        check_names(infos, path)
        for info in infos:
            check_member(info, path, limits)
        total = sum(i.file_size for i in infos)
        if total > limits.total_bytes:
            raise refuse("zip-limit", f"its members would expand to {total:,} bytes (at most "
                         f"{limits.total_bytes:,}).", path, "do not unpack it; download the release again.")
        packed = sum(i.compress_size for i in infos)
        if packed > path.stat().st_size:
            raise refuse("corrupt-zip", f"its members claim {packed:,} compressed bytes, more than the file's "
                         f"{path.stat().st_size:,} (overlapping or truncated members).", path,
                         "download the release again.")
    except BaseException:
        zf.close()
        raise
    return zf


def extract(zf: zipfile.ZipFile, dest: Path, limits: Limits = Limits()) -> list[tuple[str, str]]:
    """Write every member under `dest` (checked by `open_checked`); return (member, why) for
    each one whose data is damaged. A file is never written twice nor through a link."""
    damaged: list[tuple[str, str]] = []
    written = 0
    for info in zf.infolist():
        target = dest.joinpath(*check_name(info.filename, Path(zf.filename or "")).parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        try:
            with zf.open(info) as src, open(target, "xb") as out:
                while chunk := src.read(CHUNK):
                    size += len(chunk)
                    written += len(chunk)
                    if size > info.file_size or written > limits.total_bytes:
                        raise ValueError("holds more data than its header says")
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, RuntimeError, NotImplementedError) as exc:
            damaged.append((info.filename, str(exc) or type(exc).__name__))
            if target.exists():
                os.unlink(target)
        except OSError as exc:
            raise BrcdError("extract-failed", f"cannot unpack member {info.filename!r}: {exc.strerror or exc}.",
                            file=target, hint="free some disk space in the temporary folder (TMPDIR) and try again.",
                            exit_code=2) from None
    return damaged
