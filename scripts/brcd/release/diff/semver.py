"""Which version bump a change needs, and whether NEW's version and CHANGELOG give it."""

from __future__ import annotations

import re

from brcd.errors import BrcdError

LEVELS = ("none", "patch", "minor", "major")
VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def rank(level: str) -> int:
    return LEVELS.index(level)


def highest(levels: list[str]) -> str:
    return max(levels, key=rank, default="none")


def parse_version(text: str, which: str) -> tuple[int, int, int]:
    m = VERSION.match(text or "")
    if not m:
        raise BrcdError("bad-version", f"{which} version {text!r} is not MAJOR.MINOR.PATCH.",
                        hint='set "version" in datapackage.json to a semantic version such as "1.2.0".')
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def bump_between(old: str, new: str) -> str:
    """The bump NEW's version makes over OLD's: none|patch|minor|major, or `lower`."""
    a, b = parse_version(old, "OLD"), parse_version(new, "NEW")
    if b < a:
        return "lower"
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    if b[2] > a[2]:
        return "patch"
    return "none"


def next_version(old: str, level: str) -> str:
    major, minor, patch = parse_version(old, "OLD")
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    if level == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return old


def has_changelog_section(changelog: str | None, version: str) -> bool:
    """A Markdown heading naming the version: `## 1.2.0`, `## [1.2.0] - 2026-01-01`, `## v1.2.0`."""
    if not changelog:
        return False
    pattern = re.compile(r"^#{1,6}\s*\[?v?" + re.escape(version) + r"\]?(?=[\s:]|$)", re.MULTILINE)
    return bool(pattern.search(changelog))


def check(old_version: str, new_version: str, required: str, changelog: str | None) -> list[str]:
    """Problems that make `--check` fail; empty when NEW is released correctly."""
    problems = []
    made = bump_between(old_version, new_version)
    if made == "lower":
        problems.append(f"version went down: {old_version} -> {new_version}.")
    elif rank(made) < rank(required):
        problems.append(f"the changes need a {required.upper()} bump but the version goes {old_version} -> "
                        f"{new_version} ({made}); set version to {next_version(old_version, required)} or higher.")
    if not has_changelog_section(changelog, new_version):
        problems.append(f"CHANGELOG.md has no section for {new_version}; add a `## {new_version}` heading "
                        f"that says what changed.")
    return problems
