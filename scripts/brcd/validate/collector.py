"""Collect issues from every check, counting all of them but keeping only what will be shown.

Checks are vectorised: one check may find a million failing rows. The collector counts every
failure (so `error_count` is exact) but turns at most `limit` of each check's failures into
`Issue` objects. Since every check's failures come sorted by line, the first `limit` issues of
the whole report, sorted by (table, line, column), are always among those kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from brcd.report import Issue, Report


@dataclass
class Collector:
    limit: int | None = None
    order: dict[str, int] = field(default_factory=dict)  # resource name -> position in the package
    issues: list[Issue] = field(default_factory=list)
    count: int = 0

    def room(self) -> int | None:
        """How many issues one check may still add (None: no limit)."""
        return self.limit

    def add(self, issue: Issue) -> None:
        self.count += 1
        self.issues.append(issue)

    def add_many(self, total: int, issues: Iterable[Issue]) -> None:
        """Record `total` failures of one check, of which `issues` (at most `limit`) are listed."""
        kept = list(issues)
        if self.limit is not None:
            kept = kept[: self.limit]
        self.count += max(total, len(kept))
        self.issues.extend(kept)

    def add_rows(self, total: int, rows: Sequence[int], make: Callable[[int], Issue]) -> None:
        """`rows`: 0-based frame rows that failed, sorted; `make` builds the Issue of one."""
        take = rows if self.limit is None else rows[: self.limit]
        self.add_many(total, (make(int(r)) for r in take))

    def merge(self, other: "Collector") -> None:
        self.count += other.count
        self.issues.extend(other.issues)

    def report(self) -> Report:
        def key(e: Issue) -> tuple:
            return (-1 if e.resource is None else self.order.get(e.resource, len(self.order)),
                    e.line if e.line is not None else -1, e.column if e.column is not None else -1, e.code)

        self.issues.sort(key=key)
        return Report.from_issues(self.issues, error_count=self.count, max_errors=self.limit)
