"""`brcd verify`: is a release exactly what was published, and still valid?

Every file of a release has two independent records: `SHA256SUMS` inside the release and
`datapackage.json` (the resources' `hash` for the CSVs, `brcd:files` for the rest); the zip
adds a CRC per member and `DIR/SHA256SUMS` a hash of the whole zip (and of the DuckDB file
released beside it). Comparing a file with
both records tells which file changed: when the file matches one record and not the other,
the damaged file is the record. Then the unpacked package is validated in full.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from brcd.digest import sha256_hex
from brcd.errors import BrcdError
from brcd.package import DESCRIPTOR
from brcd.release.archive import FILES_KEY, SUMS, parse_sums
from brcd.release.build import row_count_mismatches
from brcd.validate import validate_package


@dataclass
class VerifyReport:
    path: Path
    files_checked: int = 0
    damaged: list[tuple[str, str]] = field(default_factory=list)   # (file, why)
    validation: str = ""
    valid: bool = True

    @property
    def ok(self) -> bool:
        return not self.damaged and self.valid

    def add(self, name: str, why: str) -> None:
        """Record a damaged file once, with the first reason found."""
        if all(name != known for known, _ in self.damaged):
            self.damaged.append((name, why))


def release_root(folder: Path) -> Path:
    """The folder holding datapackage.json: `folder` itself or its single sub-folder."""
    if (folder / DESCRIPTOR).is_file():
        return folder
    subs = [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
    if len(subs) == 1 and (subs[0] / DESCRIPTOR).is_file():
        return subs[0]
    raise BrcdError("not-a-release", "no datapackage.json in this folder or its only sub-folder.", file=folder,
                    hint="pass a release zip or the folder it was unpacked into.")


def check_outer_sums(zip_path: Path, report: VerifyReport) -> bool:
    """Compare the zip with `SHA256SUMS` beside it, if there is one listing it. False on mismatch."""
    sums_path = zip_path.parent / SUMS
    if not sums_path.is_file():
        return True
    try:
        sums = parse_sums(sums_path.read_text(encoding="utf-8"), sums_path)
    except (BrcdError, UnicodeDecodeError):
        report.add(SUMS, f"{sums_path} is not a readable checksum list.")
        return True
    duckdb_name = zip_path.with_suffix(".duckdb").name  # the DuckDB file released beside the zip
    if duckdb_name in sums:
        if not (zip_path.parent / duckdb_name).is_file():
            report.add(duckdb_name, f"listed in {sums_path} but missing.")
        elif sums[duckdb_name] != sha256_hex(zip_path.parent / duckdb_name):
            report.add(duckdb_name, f"sha256 differs from {sums_path}.")
    if zip_path.name in sums and sums[zip_path.name] != sha256_hex(zip_path):
        report.add(zip_path.name, f"sha256 differs from {sums_path}.")
        return False
    return True


def extract(zip_path: Path, dest: Path, report: VerifyReport) -> Path | None:
    """Unpack every member (CRC-checked); a damaged member is reported by name."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        if report.damaged:  # the outer checksum already named the zip
            report.add(zip_path.name, f"cannot be opened as a zip ({exc}).")
            return None
        raise BrcdError("corrupt-zip", f"not a readable zip file ({exc}).", file=zip_path,
                        hint="download the release again.") from None
    with zf:
        for info in zf.infolist():
            name = info.filename
            target = (dest / name).resolve()
            if info.is_dir():
                continue
            if not str(target).startswith(str(dest.resolve()) + "/"):
                report.add(name, "zip member points outside the release folder.")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, target.open("wb") as out:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                report.add(name.split("/", 1)[-1], f"damaged inside {zip_path.name} ({exc}).")
    try:
        return release_root(dest)
    except BrcdError:
        report.add(zip_path.name, "holds no datapackage.json.")
        return None


def descriptor_records(root: Path, report: VerifyReport) -> dict[str, str] | None:
    """sha256 per file as recorded in datapackage.json, or None when it cannot be read."""
    try:
        descriptor = json.loads((root / DESCRIPTOR).read_text(encoding="utf-8"))
        records = {}
        for res in descriptor["resources"]:
            records[res["path"]] = str(res["hash"]).removeprefix("sha256:")
        for entry in descriptor.get(FILES_KEY, []):
            records[entry["path"]] = str(entry["hash"]).removeprefix("sha256:")
        return records
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        report.add(DESCRIPTOR, f"cannot be read as a release descriptor ({exc}).")
        return None


def check_files(root: Path, report: VerifyReport) -> None:
    sums_path = root / SUMS
    if not sums_path.is_file():
        report.add(SUMS, "missing from the release.")
        return
    try:
        sums = parse_sums(sums_path.read_text(encoding="utf-8"), sums_path)
    except (BrcdError, UnicodeDecodeError) as exc:
        report.add(SUMS, f"not a checksum list ({getattr(exc, 'message', exc)}).")
        return
    present_descriptor = (root / DESCRIPTOR).is_file()
    if present_descriptor and sums.get(DESCRIPTOR) != sha256_hex(root / DESCRIPTOR):
        # A changed descriptor's records cannot be trusted: judge the other files by SHA256SUMS alone.
        report.add(DESCRIPTOR, f"sha256 differs from {SUMS}.")
        records = {}
    else:
        records = descriptor_records(root, report) or {}
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    for name in sorted(present - set(sums) - {SUMS}):
        report.add(name, f"is not listed in {SUMS}.")
    for name in sorted(set(sums) | set(records)):
        if name not in present:
            report.add(name, "missing from the release.")
            continue
        report.files_checked += 1
        actual = sha256_hex(root / name)
        listed, recorded = sums.get(name), records.get(name)
        if name == DESCRIPTOR or (listed == actual and recorded in (actual, None)):
            continue
        if listed == actual and recorded == actual:
            continue
        elif listed == actual and recorded is not None:
            report.add(DESCRIPTOR, f"its record of {name} differs from the file and from {SUMS}.")
        elif recorded == actual and listed is not None:
            report.add(SUMS, f"its line for {name} differs from the file and from {DESCRIPTOR}.")
        else:
            report.add(name, f"sha256 differs from {SUMS}" + (f" and {DESCRIPTOR}." if recorded else "."))


def check_validity(root: Path, report: VerifyReport) -> None:
    result = validate_package(root / DESCRIPTOR, max_errors=20)
    report.valid = result.valid
    report.validation = result.summary()
    for name, why in row_count_mismatches(root, result.rows):  # a built table cut short is no release
        report.add(name, why)


def verify(path: str | Path) -> VerifyReport:
    """Verify a release zip or an unpacked release folder."""
    path = Path(path)
    report = VerifyReport(path)
    if not path.exists():
        raise BrcdError("file-missing", "no such release.", file=path, hint="pass a release zip or its unpacked folder.")
    with tempfile.TemporaryDirectory(prefix="brcd-verify-") as tmp:
        if path.is_file():
            zip_ok = check_outer_sums(path, report)
            root = extract(path, Path(tmp), report)
            if root is None:
                return report
            check_files(root, report)
            if not zip_ok and len(report.damaged) > 1:
                # The zip's own checksum failed and a member is named: the member says more.
                report.damaged = [d for d in report.damaged if d[0] != path.name] + [d for d in report.damaged if d[0] == path.name]
        else:
            root = release_root(path)
            check_files(root, report)
        if not report.damaged:
            check_validity(root, report)
    return report
