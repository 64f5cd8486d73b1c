"""`brcd verify`: is a release exactly what was published, and still valid?

A zip is first compared with the `SHA256SUMS` published beside it, found by its sha256 whatever
the file is now called; nothing is unpacked unless it is the zip listed there. Its directory
is then checked (`brcd.release.safezip`: names, types, limits) before a byte is written, and
it is unpacked into a temporary folder. The DuckDB file released beside the zip is checked
when present and said to be absent otherwise.

Every file of a release has two independent records: `SHA256SUMS` inside the release and
`datapackage.json` (the resources' `hash` for the CSVs, `brcd:files` for the rest); the zip
adds a CRC per member. Comparing a file with both records tells which file changed: when the
file matches one record and not the other, the damaged file is the record. Then the unpacked
package is validated in full.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from brcd.digest import sha256_hex
from brcd.errors import BrcdError
from brcd.package import DESCRIPTOR
from brcd.release.archive import FILES_KEY, SUMS, parse_sums
from brcd.release.build import row_count_mismatches
from brcd.release.safezip import Limits, extract, open_checked
from brcd.validate import validate_package


MAX_SUMS_BYTES = 1 << 20


@dataclass
class VerifyReport:
    path: Path
    files_checked: int = 0
    damaged: list[tuple[str, str]] = field(default_factory=list)   # (file, why)
    validation: str = ""
    valid: bool = True
    notes: list[str] = field(default_factory=list)  # said, not failures (a renamed zip, no DuckDB file)

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


def check_outer_sums(zip_path: Path, report: VerifyReport, sums_path: Path | None = None) -> bool:
    """Compare the zip (and the DuckDB file released beside it) with `SHA256SUMS`. The zip's
    line is found by its sha256, whatever the file is now called (a browser saves a second
    download as `brcd-0.1.0 (1).zip`). True when the zip is the one listed: only then is it
    unpacked. A missing list is an error; an unreadable or unmatched one is reported."""
    explicit = sums_path is not None
    sums_path = sums_path or zip_path.parent / SUMS
    if not sums_path.is_file():
        open_checked(zip_path).close()  # a file that is not even a zip says so first
        raise BrcdError("sums-missing", f"no {SUMS} {'at that path' if explicit else 'beside the zip'}: cannot "
                        "tell whether this zip is the one published.", file=sums_path,
                        hint=f"download {SUMS} from the same release page and put it beside the zip (or pass "
                             f"--sums FILE); unpacking the zip and verifying the folder checks its files but "
                             f"cannot prove the zip is the published one.")
    try:
        if sums_path.stat().st_size > MAX_SUMS_BYTES:
            raise ValueError(f"{sums_path.stat().st_size:,} bytes is too big for a checksum list")
        sums = parse_sums(sums_path.read_text(encoding="utf-8"), sums_path)
    except (BrcdError, UnicodeDecodeError, ValueError) as exc:
        report.add(SUMS, f"{sums_path} is not a checksum list ({getattr(exc, 'message', exc)}).")
        return False
    digest = sha256_hex(zip_path)
    zips = {name: value for name, value in sums.items() if name.endswith(".zip")}
    matches = [name for name, value in zips.items() if value == digest]
    if not matches:
        if zip_path.name in zips:
            why = f"sha256 differs from its line in {sums_path}."
        elif len(zips) == 1:
            why = f"sha256 differs from that of {next(iter(zips))}, the zip {sums_path} lists."
        elif zips:
            why = f"sha256 matches none of the {len(zips)} zips {sums_path} lists ({', '.join(sorted(zips))})."
        else:
            why = f"{sums_path} lists no zip."
        report.add(zip_path.name, why)
        return False
    listed = zip_path.name if zip_path.name in matches else matches[0]
    if listed != zip_path.name:
        report.notes.append(f"{zip_path.name} is {listed} of {sums_path}, renamed.")
    check_duckdb(zip_path, listed, sums, sums_path, report)
    return True


def check_duckdb(zip_path: Path, listed: str, sums: dict[str, str], sums_path: Path, report: VerifyReport) -> None:
    """The DuckDB file released beside the zip is optional: checked when present, said when absent."""
    name = listed.removesuffix(".zip") + ".duckdb"
    candidates = [zip_path.parent / name, zip_path.with_suffix(".duckdb")]
    present = next((p for p in candidates if p.is_file()), None)
    if present is None:
        if name in sums:
            report.notes.append(f"{name} (listed in {sums_path.name}) is not beside the zip: not checked. It is "
                                "optional: the zip holds the same data as CSV, SQLite and Parquet.")
        return
    if name not in sums:
        report.add(present.name, f"is not listed in {sums_path}.")
    elif sums[name] != sha256_hex(present):
        report.add(present.name, f"sha256 differs from the line for {name} in {sums_path}.")


def unpack(zip_path: Path, dest: Path, report: VerifyReport, limits: Limits) -> Path | None:
    """Unpack a zip that passed `open_checked`; a damaged member is reported by its path in the release."""
    with open_checked(zip_path, limits) as zf:
        for name, why in extract(zf, dest, limits):
            report.add(name.split("/", 1)[-1], f"damaged inside {zip_path.name} ({why}).")
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


def verify(path: str | Path, *, sums: str | Path | None = None, limits: Limits = Limits()) -> VerifyReport:
    """Verify a release zip (against `sums`, default the `SHA256SUMS` beside it) or an
    unpacked release folder."""
    path = Path(path)
    report = VerifyReport(path)
    if not path.exists():
        raise BrcdError("file-missing", "no such release.", file=path, hint="pass a release zip or its unpacked folder.")
    if path.is_dir():
        root = release_root(path)
        check_files(root, report)
        if not report.damaged:
            check_validity(root, report)
        return report
    if not check_outer_sums(path, report, Path(sums) if sums is not None else None):
        return report  # nothing is unpacked from a zip that is not the one listed
    with tempfile.TemporaryDirectory(prefix="brcd-verify-") as tmp:
        root = unpack(path, Path(tmp), report, limits)
        if root is None:
            return report
        check_files(root, report)
        if not report.damaged:
            check_validity(root, report)
    return report
