"""Write, or check, every generated document of the package (`brcd codebook [--check]`):

- `docs/CODEBOOK.md`, from the schemas (`brcd.docs.codebook`);
- README.md's generated blocks (`brcd.docs.blocks`: row counts, the citation, query lines) and
  its release file names (`brcd-X.Y.Z.zip`, ...), which follow the package's version;
- CITATION.cff's `version`, and its `date-released` from CHANGELOG.md's section for the version;
- `docs/DATA-README.md`, the README that ships in the release zip: the README's part for data
  users (between `<!-- data-readme:start -->` and `<!-- data-readme:end -->`) under a short
  header about the release's files.

The README, CITATION.cff and CHANGELOG.md are read when present beside datapackage.json; a
package without them gets the codebook only. Nothing is written when nothing changes, and each
file is replaced atomically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from brcd.docs.blocks import fill_blocks
from brcd.docs.codebook import CODEBOOK_PATH, GENERATED_NOTE, build_codebook, render_markdown, require_prose_fields
from brcd.fsutil import atomic_write_text
from brcd.package import Package
from brcd.report import Issue

README = "README.md"
CITATION = "CITATION.cff"
CHANGELOG = "CHANGELOG.md"
DATA_README_PATH = "docs/DATA-README.md"
DATA_START, DATA_END = "<!-- data-readme:start -->", "<!-- data-readme:end -->"
RELEASE_FILE = re.compile(r"\bbrcd-\d+\.\d+\.\d+(?=\.zip|\.duckdb|/|\b)")


@dataclass
class Document:
    path: Path
    relpath: str
    text: str

    def current(self) -> str | None:
        return self.path.read_text(encoding="utf-8") if self.path.is_file() else None

    @property
    def stale(self) -> bool:
        return self.current() != self.text


def citation_fields(text: str) -> dict[str, str]:
    """The top-level scalar fields of CITATION.cff that the docs use (title, version,
    date-released) and the first author's name, read without a YAML parser."""
    out = {}
    for key in ("title", "version", "date-released"):
        m = re.search(rf"^{key}:\s*\"?([^\"\n]*)\"?\s*$", text, re.M)
        if m:
            out[key] = m.group(1).strip()
    m = re.search(r"^authors:\s*\n\s*-\s*name:\s*\"?([^\"\n]*)\"?", text, re.M)
    if m:
        out["authors"] = m.group(1).strip()
    return out


def changelog_date(text: str, version: str) -> str | None:
    m = re.search(rf"^##\s*\[?{re.escape(version)}\]?\s*[-–]\s*(\d{{4}}-\d{{2}}-\d{{2}})", text, re.M)
    return m.group(1) if m else None


def updated_citation(text: str, version: str, released: str | None) -> str:
    text = re.sub(r'^version:.*$', f'version: "{version}"', text, count=1, flags=re.M)
    if released:
        text = re.sub(r'^date-released:.*$', f'date-released: "{released}"', text, count=1, flags=re.M)
    return text


def data_readme(readme: str, package: Package) -> str | None:
    """The release's README: a header about its files, then the README's data-user part."""
    if DATA_START not in readme or DATA_END not in readme:
        return None
    part = readme.split(DATA_START, 1)[1].split(DATA_END, 1)[0].strip("\n")
    part = part.replace("docs/CODEBOOK.md", "CODEBOOK.md")
    version = package.version
    title = package.descriptor.get("title") or package.name
    head = [f"# {title} (BRCD), version {version}", "", f"<!-- {GENERATED_NOTE.replace('schemas/*.schema.json', 'README.md')} -->", "",
            str(package.descriptor.get("description") or ""), "",
            f"This folder is release {version}. What it holds:", "",
            "| file | what it is |", "|---|---|",
            "| `tables/<table>.csv` | the data, one CSV file per table (UTF-8, comma-separated, header row) |",
            "| `datapackage.json` | the Frictionless Data Package: every table, its schema, size and sha256 |",
            "| `schemas/<table>.schema.json` | each table's Table Schema: fields, types, units, constraints |",
            "| `CODEBOOK.md` | every table and field, explained; how to count and read the figures |",
            "| `brcd.sqlite` | every table in one SQLite database (for Datasette, R, spreadsheets with ODBC) |",
            "| `parquet/<table>.parquet` | every table as Parquet, with types (pandas, R arrow, DuckDB) |",
            "| `SHA256SUMS` | the sha256 of every other file (`sha256sum -c SHA256SUMS`) |",
            "| `CHANGELOG.md`, `CITATION.cff`, `LICENSE*` | what changed in each version, how to cite, the licences |",
            "", f"`brcd-{version}.duckdb` (every table in one DuckDB file) is published beside the zip.", ""]
    return "\n".join(head) + "\n" + part + "\n"


def documents(package: Package) -> list[Document]:
    """Every generated document with the text it should have."""
    root = package.root
    codebook = build_codebook(package)
    require_prose_fields(codebook, CODEBOOK_PATH)
    docs = [Document(root / CODEBOOK_PATH, CODEBOOK_PATH, render_markdown(codebook))]
    citation: dict[str, str] = {}
    if (root / CITATION).is_file():
        cff = (root / CITATION).read_text(encoding="utf-8")
        changelog = (root / CHANGELOG).read_text(encoding="utf-8") if (root / CHANGELOG).is_file() else ""
        cff = updated_citation(cff, package.version, changelog_date(changelog, package.version))
        docs.append(Document(root / CITATION, CITATION, cff))
        citation = citation_fields(cff)
    if (root / README).is_file():
        readme = (root / README).read_text(encoding="utf-8")
        readme = RELEASE_FILE.sub(f"brcd-{package.version}", readme)
        readme = fill_blocks(readme, package, README, citation)
        docs.append(Document(root / README, README, readme))
        data = data_readme(readme, package)
        if data is not None:
            docs.append(Document(root / DATA_README_PATH, DATA_README_PATH, data))
    return docs


def write_documents(package: Package) -> list[Document]:
    """Write the stale documents; return them."""
    stale = [d for d in documents(package) if d.stale]
    for d in stale:
        atomic_write_text(d.path, d.text)
    return stale


def stale_documents(package: Package) -> list[Issue]:
    """One `stale-docs` issue per document that differs from what `brcd codebook` would write,
    at its first differing line."""
    out = []
    for d in documents(package):
        current = d.current()
        if current is None:
            out.append(Issue("stale-docs", path=d.relpath, message=f"{d.relpath} is missing."))
            continue
        if current == d.text:
            continue
        old, new = current.splitlines(), d.text.splitlines()
        line = next((i for i, (a, b) in enumerate(zip(old, new), 1) if a != b), min(len(old), len(new)) + 1)
        out.append(Issue("stale-docs", path=d.relpath, line=line,
                         message=f"{d.relpath} is not what the schemas and tables give (first difference at line {line})."))
    return out
