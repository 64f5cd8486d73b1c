"""Turn `brcd diff`'s OLD and NEW (a git ref, a folder or a release zip) into a package on disk."""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from brcd.errors import BrcdError
from brcd.package import DESCRIPTOR, Package, load_package

CHANGELOG = "CHANGELOG.md"


@dataclass
class Side:
    spec: str            # what the user typed
    label: str           # spec, with the commit for a git ref
    package: Package
    changelog: str | None = None   # CHANGELOG.md beside datapackage.json, read while the side is open


def read_changelog(pkg: Package) -> str | None:
    path = pkg.root / CHANGELOG
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True)


def package_folder(folder: Path, spec: str) -> Path:
    """datapackage.json in `folder`, or in its only sub-folder (an unpacked release)."""
    if (folder / DESCRIPTOR).is_file():
        return folder / DESCRIPTOR
    subs = [p for p in folder.iterdir() if p.is_dir()]
    if len(subs) == 1 and (subs[0] / DESCRIPTOR).is_file():
        return subs[0] / DESCRIPTOR
    raise BrcdError("not-a-package", f"{spec!r} holds no datapackage.json.", file=folder,
                    hint="pass a package folder, a release zip or a git ref.")


def unzip(zip_path: Path, dest: Path, spec: str) -> Path:
    try:
        with zipfile.ZipFile(zip_path) as zf:
            bad = zf.testzip()
            if bad:
                raise zipfile.BadZipFile(f"member {bad} fails its CRC check")
            for info in zf.infolist():
                target = (dest / info.filename).resolve()
                if not str(target).startswith(str(dest.resolve()) + "/"):
                    raise zipfile.BadZipFile(f"member {info.filename} points outside the archive")
            zf.extractall(dest)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise BrcdError("corrupt-zip", f"{spec!r} is not a readable zip ({exc}).", file=zip_path,
                        hint="download the release again, or pass a folder or a git ref.") from None
    return package_folder(dest, spec)


def extract_tree(tar: tarfile.TarFile, dest: Path) -> None:
    """`extractall(filter="data")` where Python has extraction filters (3.11.4 and later); on
    older ones (Debian 12's own python3 is 3.11.2) the same guard by hand: only regular files and
    folders, and none outside `dest` (a `git archive` of a package holds nothing else)."""
    try:
        tar.extractall(dest, filter="data")
        return
    except TypeError:  # no `filter` argument: the call did nothing
        pass
    root = dest.resolve()
    safe = [m for m in tar.getmembers() if (m.isfile() or m.isdir())
            and (root == (dest / m.name).resolve() or root in (dest / m.name).resolve().parents)]
    tar.extractall(dest, members=safe)


def git_checkout(spec: str, dest: Path, cwd: Path) -> tuple[Path, str]:
    """`git archive` of the ref's tree (the part below the current folder) into `dest`."""
    top = git("rev-parse", "--show-toplevel", cwd=cwd)
    if top.returncode != 0:
        raise BrcdError("unknown-ref", f"{spec!r} is not a file or folder, and {cwd} is not in a git repository.",
                        hint="pass a package folder, a release zip, or run inside the repository to use a git ref.")
    rev = git("rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}", cwd=cwd)
    if rev.returncode != 0:
        raise BrcdError("unknown-ref", f"{spec!r} is not a file, a folder or a git ref of this repository.",
                        hint="check the spelling; fetch the ref first (e.g. `git fetch origin main`) in a shallow clone.")
    commit = rev.stdout.decode().strip()
    prefix = git("rev-parse", "--show-prefix", cwd=cwd).stdout.decode().strip()
    archive = git("archive", "--format=tar", commit, *([prefix] if prefix else []), cwd=cwd)
    if archive.returncode != 0:
        raise BrcdError("unknown-ref", f"git archive of {spec!r} failed: {archive.stderr.decode().strip()}",
                        hint="check that the package exists at that commit.")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        extract_tree(tar, dest)
    root = dest / prefix if prefix else dest
    if not (root / DESCRIPTOR).is_file():
        raise BrcdError("not-a-package", f"{spec!r} ({commit[:12]}) has no {prefix}{DESCRIPTOR}.",
                        hint="pick a commit that holds the package.")
    return root / DESCRIPTOR, commit


@contextlib.contextmanager
def open_side(spec: str, cwd: Path | None = None) -> Iterator[Side]:
    """A package for OLD or NEW, unpacked into a temporary folder when it is a zip or a ref."""
    cwd = cwd or Path.cwd()
    path = Path(spec)
    if not path.is_absolute():
        path = cwd / path
    with tempfile.TemporaryDirectory(prefix="brcd-diff-") as tmp:
        label = spec
        if path.is_dir():
            descriptor = package_folder(path, spec)
        elif path.is_file() and path.name.endswith(".json"):
            descriptor = path
        elif path.is_file():
            descriptor = unzip(path, Path(tmp), spec)
        else:
            descriptor, commit = git_checkout(spec, Path(tmp), cwd)
            label = f"{spec} ({commit[:12]})"
        pkg = load_package(descriptor)
        yield Side(spec=spec, label=label, package=pkg, changelog=read_changelog(pkg))
