"""`brcd verify` on hostile zips: each one is refused in one line with exit 1 or 2, never a
traceback, nothing is written outside a temporary folder, and the zip bomb costs no memory.

Each zip is written byte by byte (`raw_zip`), so the tests can build what no honest tool
writes: a member climbing out with `..`, an absolute name, a symlink, a duplicate name, an
encrypted member, a compression method nobody supports, a file `X` beside `X/y`, members that
overlap, a 4,000 MiB bomb in 4 MB. The attacker is assumed to control the SHA256SUMS beside
the zip too (a hostile mirror), so the structure checks, not the checksum, must stop them.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from brcd.errors import BrcdError
from brcd.release import safezip, verify as verify_mod
from brcd.release.safezip import Limits, extract, open_checked

MiB = 1 << 20
BOMB_MIB = 4000
PEAK_LIMIT_MIB = 512


@dataclass
class Member:
    name: str
    data: bytes = b"x\n"           # as stored in the file (already compressed for method 8)
    size: int | None = None        # uncompressed size declared in the headers
    crc: int | None = None
    method: int = 0
    flags: int = 0
    mode: int = 0o100644           # unix mode in the external attributes
    offset_of: int | None = None   # no data of its own: its central entry points at that member's (overlap)


def raw_zip(members: list[Member]) -> bytes:
    """A zip written field by field (PKWARE APPNOTE 4.3): local headers, data, central directory."""
    out, central, offsets = bytearray(), bytearray(), []
    for m in members:
        name = m.name.encode("utf-8")
        size = len(m.data) if m.size is None else m.size
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        offsets.append(len(out))
        if m.offset_of is None:
            out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, m.flags, m.method, 0, 0x21, crc, len(m.data), size,
                               len(name), 0) + name + m.data
        offset = offsets[m.offset_of] if m.offset_of is not None else offsets[-1]
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", (3 << 8) | 20, 20, m.flags, m.method, 0, 0x21, crc,
                               len(m.data), size, len(name), 0, 0, 0, 0, m.mode << 16, offset) + name
    eocd = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + eocd)


def deflate_zeros(mib: int) -> bytes:
    """A raw deflate stream of `mib` MiB of zeros, about 1 KB per MiB: one compressed MiB,
    flushed so each repeat starts afresh, repeated."""
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = block.compress(bytes(MiB)) + block.flush(zlib.Z_FULL_FLUSH)
    return one * mib + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def bomb(mib: int = BOMB_MIB) -> bytes:
    return raw_zip([Member("brcd-9.9.9/datapackage.json", deflate_zeros(mib), size=mib * MiB, crc=0, method=8)])


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    peak_mib: float
    outside: set[str]     # files that appeared outside the temporary folder
    left_in_tmp: list[str]


def files_under(root: Path, skip: Path) -> set[str]:
    return {str(p) for p in root.rglob("*") if not p.is_relative_to(skip)}


# `brcd verify` run in a Python that writes its own peak resident memory (VmHWM) when it exits.
# The child's ru_maxrss from wait4 will not do: Linux carries the parent's high-water mark over a
# fork and an exec, so a child of a long pytest run (hundreds of MiB by then) would report the
# parent's peak, not its own. VmHWM is the peak of the process's own memory since its exec.
LAUNCH = """
import atexit, os, runpy, sys

def peak():
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(os.environ["BRCD_TEST_PEAK_FILE"], "w") as f:
        f.write(str(kib))

atexit.register(peak)
sys.argv = ["brcd", "verify", *sys.argv[1:]]
runpy.run_module("brcd", run_name="__main__", alter_sys=True)
"""


def run_verify(tmp_path: Path, data: bytes, *, name: str = "brcd-9.9.9.zip", sums: bool = True,
               listed: bytes | None = None) -> Outcome:
    """`brcd verify` on `data` saved as downloads/NAME, beside a SHA256SUMS that lists it (or
    `listed`'s bytes under NAME), with HOME, TMPDIR and the working folder inside tmp_path."""
    downloads, home, tmp, cwd = (tmp_path / d for d in ("downloads", "home", "tmp", "cwd"))
    for d in (downloads, home, tmp, cwd):
        d.mkdir()
    zip_path = downloads / name
    zip_path.write_bytes(data)
    if sums:
        digest = hashlib.sha256(data if listed is None else listed).hexdigest()
        (downloads / "SHA256SUMS").write_text(f"{digest}  {name}\n")
    before = files_under(tmp_path, tmp)
    with tempfile.TemporaryDirectory() as probe, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        peak_file = Path(probe) / "peak"  # outside tmp_path, whose every file the tests account for
        env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "BRCD_TEST_PEAK_FILE": str(peak_file)}
        proc = subprocess.run([sys.executable, "-c", LAUNCH, str(zip_path)], cwd=cwd, env=env, stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        stdout, stderr = (f.read().decode("utf-8", "replace") for f in (out, err))
        peak_mib = int(peak_file.read_text()) / 1024
    return Outcome(proc.returncode, stdout, stderr, peak_mib, files_under(tmp_path, tmp) - before,
                   sorted(str(p) for p in tmp.rglob("*")))


def assert_refused(out: Outcome, code: int, error: str, *words: str) -> None:
    """Refused in one line on stderr (an error of unusable input), nothing on stdout."""
    assert "Traceback" not in out.stderr, out.stderr
    assert out.code == code, out.stderr + out.stdout
    assert out.stdout == "", out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert error in lines[0], out.stderr
    for word in words:
        assert word in lines[0], out.stderr
    assert out.outside == set(), out.outside
    assert out.left_in_tmp == [], out.left_in_tmp


# --- each hostile zip -----------------------------------------------------------------------

CASES = {
    "zip-slip": ([Member("brcd-9.9.9/../../evil.txt")], "zip-unsafe-member", "climbs out"),
    "absolute-name": ([Member("/tmp/brcd-evil-absolute.txt")], "zip-unsafe-member", "absolute path"),
    "drive-letter": ([Member("C:/evil.txt")], "zip-unsafe-member", "absolute path"),
    "backslash": ([Member("brcd-9.9.9\\..\\evil.txt")], "zip-unsafe-member", "backslash"),
    "symlink-member": ([Member("brcd-9.9.9/tables", b"../../..", mode=0o120777)], "zip-unsafe-member",
                       "symbolic link"),
    "device-member": ([Member("brcd-9.9.9/dev", b"", mode=0o020644)], "zip-unsafe-member", "special file"),
    "duplicate-names": ([Member("brcd-9.9.9/datapackage.json", b"{}"), Member("brcd-9.9.9/datapackage.json", b"[]")],
                        "zip-duplicate-member", "appears twice"),
    "names-differing-in-case": ([Member("brcd-9.9.9/README.md"), Member("brcd-9.9.9/readme.md")],
                                "zip-duplicate-member", "differ only in case"),
    "encrypted-member": ([Member("brcd-9.9.9/datapackage.json", flags=0x1)], "zip-unsupported-member", "encrypted"),
    "unsupported-method": ([Member("brcd-9.9.9/datapackage.json", method=9)], "zip-unsupported-member",
                           "compression method 9"),
    "file-then-folder": ([Member("brcd-9.9.9/X"), Member("brcd-9.9.9/X/y")], "zip-unsafe-member",
                         "both a file and a folder"),
    "overlapping-members": ([Member("brcd-9.9.9/a", b"z" * 4096), Member("brcd-9.9.9/b", b"z" * 4096, offset_of=0),
                             Member("brcd-9.9.9/c", b"z" * 4096, offset_of=0)], "corrupt-zip", "overlapping"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_hostile_zip_is_refused_before_anything_is_unpacked(tmp_path: Path, case: str) -> None:
    members, error, words = CASES[case]
    out = run_verify(tmp_path, raw_zip(members))
    assert_refused(out, 2, f"error[{error}]", words)
    assert not Path("/tmp/brcd-evil-absolute.txt").exists()


def test_a_zip_bomb_is_refused_from_its_directory_with_little_memory(tmp_path: Path) -> None:
    data = bomb()
    assert len(data) < 5 * MiB  # 4,000 MiB of zeros in about 4 MB
    out = run_verify(tmp_path, data)
    assert_refused(out, 2, "error[zip-limit]", "zip bomb", f"{BOMB_MIB * MiB:,}")
    assert out.peak_mib <= PEAK_LIMIT_MIB, out.peak_mib


def test_a_bomb_that_understates_its_size_is_cut_at_the_size_it_declares(tmp_path: Path) -> None:
    """Headers that claim 1 MiB for a stream of 4,000 MiB: the ratio looks honest, and unpacking
    stops after the declared MiB (the rest is never inflated)."""
    data = raw_zip([Member("brcd-9.9.9/big.bin", deflate_zeros(BOMB_MIB), size=MiB, crc=zlib.crc32(bytes(MiB)),
                           method=8)])
    zip_path = tmp_path / "liar.zip"
    zip_path.write_bytes(data)
    dest = tmp_path / "out"
    dest.mkdir()
    with open_checked(zip_path) as zf:
        assert extract(zf, dest) == []
    assert (dest / "brcd-9.9.9" / "big.bin").stat().st_size == MiB
    (tmp_path / "cli").mkdir()
    out = run_verify(tmp_path / "cli", data)
    assert out.code == 1 and "Traceback" not in out.stderr
    assert "brcd-9.9.9.zip: error[damaged-file]: holds no datapackage.json" in out.stdout
    assert out.outside == set() and out.left_in_tmp == []
    assert out.peak_mib <= PEAK_LIMIT_MIB, out.peak_mib


def test_members_with_more_data_than_declared_or_a_bad_crc_are_named(tmp_path: Path) -> None:
    data = raw_zip([Member("brcd-9.9.9/a.csv", b"1,2\n", crc=0), Member("brcd-9.9.9/b.csv", b"3,4\n")])
    zip_path = tmp_path / "crc.zip"
    zip_path.write_bytes(data)
    (tmp_path / "out").mkdir()
    with open_checked(zip_path) as zf:
        damaged = extract(zf, tmp_path / "out")
    assert [name for name, _ in damaged] == ["brcd-9.9.9/a.csv"] and "CRC" in damaged[0][1]
    assert not (tmp_path / "out" / "brcd-9.9.9" / "a.csv").exists()
    assert (tmp_path / "out" / "brcd-9.9.9" / "b.csv").read_bytes() == b"3,4\n"


@pytest.mark.parametrize("limit, members, words", [
    (Limits(members=3), [Member(f"brcd-9.9.9/f{i}") for i in range(4)], "4 members"),
    (Limits(total_bytes=10), [Member("brcd-9.9.9/a", b"0123456789"), Member("brcd-9.9.9/b", b"0")],
     "would expand to 11 bytes"),
    (Limits(directory_bytes=100), [Member(f"brcd-9.9.9/f{i}") for i in range(3)], "directory of members"),
])
def test_each_limit_is_enforced_with_a_clear_error(tmp_path: Path, limit: Limits, members: list[Member],
                                                   words: str) -> None:
    zip_path = tmp_path / "many.zip"
    zip_path.write_bytes(raw_zip(members))
    with pytest.raises(BrcdError) as info:
        open_checked(zip_path, limit)
    assert info.value.code == "zip-limit" and words in info.value.message and info.value.exit_code == 2


# --- broken files, a renamed or changed zip, no SHA256SUMS ------------------------------------

def small_release_zip() -> bytes:
    return raw_zip([Member("brcd-9.9.9/datapackage.json", b"{}"), Member("brcd-9.9.9/SHA256SUMS", b"")])


def test_an_empty_file_is_not_a_zip(tmp_path: Path) -> None:
    assert_refused(run_verify(tmp_path, b""), 2, "error[corrupt-zip]", "not a readable zip")


def test_a_truncated_zip_listed_by_its_own_checksum_is_not_a_zip(tmp_path: Path) -> None:
    data = small_release_zip()
    assert_refused(run_verify(tmp_path, data[: len(data) // 2]), 2, "error[corrupt-zip]")


def test_a_truncated_download_differs_from_the_published_checksum(tmp_path: Path) -> None:
    data = small_release_zip()
    out = run_verify(tmp_path, data[: len(data) // 2], listed=data)
    assert out.code == 1 and "Traceback" not in out.stderr
    assert out.stdout.startswith("brcd-9.9.9.zip: error[damaged-file]: sha256 differs from its line in")


def test_a_changed_zip_renamed_by_a_browser_is_still_checked(tmp_path: Path) -> None:
    """SHA256SUMS lists brcd-9.9.9.zip; the download is `brcd-9.9.9 (1).zip` and was changed:
    the zip is matched by the list, whatever its name, and nothing is unpacked."""
    published = small_release_zip()
    tampered = raw_zip([Member("brcd-9.9.9/../../evil.txt")])
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "SHA256SUMS").write_text(f"{hashlib.sha256(published).hexdigest()}  brcd-9.9.9.zip\n")
    (downloads / "brcd-9.9.9 (1).zip").write_bytes(tampered)
    proc = subprocess.run([sys.executable, "-m", "brcd", "verify", str(downloads / "brcd-9.9.9 (1).zip")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stdout.startswith("brcd-9.9.9 (1).zip: error[damaged-file]: sha256 differs from that of brcd-9.9.9.zip")
    assert not (tmp_path / "evil.txt").exists()


def test_a_zip_without_sha256sums_is_reported_not_skipped(tmp_path: Path) -> None:
    out = run_verify(tmp_path, small_release_zip(), sums=False)
    assert_refused(out, 2, "error[sums-missing]", "cannot tell whether this zip is the one published", "--sums")


def test_a_sha256sums_that_lists_other_zips_only_is_reported(tmp_path: Path) -> None:
    out = run_verify(tmp_path, small_release_zip(), listed=b"another zip")
    assert out.code == 1 and "sha256 differs from its line" in out.stdout and "Traceback" not in out.stderr


def test_nothing_is_opened_or_unpacked_when_the_checksum_differs(tmp_path: Path, monkeypatch) -> None:
    zip_path = tmp_path / "brcd-9.9.9.zip"
    zip_path.write_bytes(small_release_zip())
    (tmp_path / "SHA256SUMS").write_text(f"{'0' * 64}  brcd-9.9.9.zip\n")

    def forbidden(*args, **kwargs):
        raise AssertionError("the zip was opened before its checksum matched")

    monkeypatch.setattr(verify_mod, "open_checked", forbidden)
    monkeypatch.setattr(verify_mod, "extract", forbidden)
    monkeypatch.setattr(safezip.zipfile, "ZipFile", forbidden)
    report = verify_mod.verify(zip_path)
    assert [name for name, _ in report.damaged] == ["brcd-9.9.9.zip"]


def test_sums_elsewhere_can_be_named(tmp_path: Path) -> None:
    """`brcd verify ZIP --sums FILE`: the list need not sit beside the zip."""
    data = small_release_zip()
    (tmp_path / "brcd-9.9.9.zip").write_bytes(data)
    (tmp_path / "lists").mkdir()
    sums = tmp_path / "lists" / "SHA256SUMS"
    sums.write_text(f"{hashlib.sha256(data).hexdigest()}  brcd-9.9.9.zip\n")
    with pytest.raises(BrcdError) as info:
        verify_mod.verify(tmp_path / "brcd-9.9.9.zip")
    assert info.value.code == "sums-missing"
    report = verify_mod.verify(tmp_path / "brcd-9.9.9.zip", sums=sums)
    # the zip is the one listed, so it was unpacked and its (empty) inner SHA256SUMS judged
    assert report.damaged == [("datapackage.json", "sha256 differs from SHA256SUMS.")]
