"""Row changes of one table between two versions, keyed by primary key, computed in DuckDB.

Both CSVs are read as text (`brcd fmt` keeps them canonical, so equal values are equal
strings) and joined once on the key: the rows only in NEW are added, only in OLD removed,
and rows in both whose common cells differ are changed, with their changed cells as
`[column, old, new]`. Only the differing rows are kept, so memory follows the size of the
change, not of the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from brcd.duck import read_csv_sql
from brcd.errors import BrcdError
from brcd.package import Resource
from brcd.fields import quote_ident as q, quote_literal as lit

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

RENAME_MIN_SHARE = 0.9
KINDS_IN_OLD = "'removed', 'changed'"
KINDS_IN_NEW = "'added', 'changed'"


@dataclass
class RowDiff:
    key: list[str]                       # primary key columns (NEW's names)
    added: int = 0
    removed: int = 0
    changed: int = 0
    changed_by_column: dict[str, int] = field(default_factory=dict)
    added_rows: list[dict[str, Any]] = field(default_factory=list)
    removed_rows: list[dict[str, Any]] = field(default_factory=list)
    changed_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return (len(self.added_rows) < self.added or len(self.removed_rows) < self.removed
                or len(self.changed_rows) < self.changed)


def relation(res: Resource) -> str:
    return read_csv_sql(res, all_varchar=True)


def run(con: "duckdb.DuckDBPyConnection", sql: str, res: Resource) -> "duckdb.DuckDBPyConnection":
    import duckdb

    try:
        return con.execute(sql)
    except duckdb.Error as exc:
        raise BrcdError("unreadable-table", f"cannot compare {res.relpath}: {str(exc).splitlines()[0]}",
                        file=res.path, hint="run `brcd validate` on both versions; the CSV must match its schema.") from None


def rename_shares(con: "duckdb.DuckDBPyConnection", old: Resource, new: Resource, key: list[tuple[str, str]],
                  pairs: list[tuple[str, str]]) -> dict[tuple[str, str], float | None]:
    """Share of keyed rows where old column == new column (None when both are always empty)."""
    if not pairs:
        return {}
    on = " AND ".join(f"o.{q(a)} = n.{q(b)}" for a, b in key)
    aggs = []
    for a, b in pairs:
        aggs.append(f"count(*) FILTER (WHERE o.{q(a)} = n.{q(b)})")
        aggs.append(f"count(*) FILTER (WHERE o.{q(a)} IS NOT NULL OR n.{q(b)} IS NOT NULL)")
    row = run(con, f"SELECT {', '.join(aggs)} FROM {relation(old)} o JOIN {relation(new)} n ON {on}", new).fetchone()
    out: dict[tuple[str, str], float | None] = {}
    for i, pair in enumerate(pairs):
        same, filled = row[2 * i], row[2 * i + 1]
        out[pair] = same / filled if filled else None
    return out


def in_parallel(con: "duckdb.DuckDBPyConnection", jobs: list[tuple[str, Resource]]) -> None:
    """Run one statement per side at once: each CSV is parsed by one thread, so two cores
    read OLD and NEW together."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run, con.cursor(), sql, res) for sql, res in jobs]
        for future in futures:
            future.result().close()


def diff_rows(con: "duckdb.DuckDBPyConnection", old: Resource, new: Resource, key: list[tuple[str, str]],
              common: list[tuple[str, str]], limit: int | None) -> RowDiff:
    """`key` and `common` are (old column, new column) pairs; `limit` caps the rows listed per kind.

    Pass 1 keeps (key, hash of the common cells) per row of each side; their join names the
    added, removed and changed keys. Pass 2 reads back only those rows, and the changed cells
    are listed from them. Memory stays near the size of the change."""
    ks = [f"k{i}" for i in range(len(key))]
    value_cols = [(a, b) for a, b in common if (a, b) not in key]

    def hashes(res: Resource, side: int) -> str:
        cols = [pair[side] for pair in value_cols]
        keys = ", ".join(f"{q(pair[side])} AS {k}" for pair, k in zip(key, ks))
        digest = f"hash({', '.join(q(c) for c in cols)})" if cols else "0"
        return f"SELECT {keys}, {digest} AS h FROM {relation(res)}"

    in_parallel(con, [(f"CREATE OR REPLACE TABLE h_old AS {hashes(old, 0)}", old),
                      (f"CREATE OR REPLACE TABLE h_new AS {hashes(new, 1)}", new)])
    on_k = " AND ".join(f"o.{k} = n.{k}" for k in ks)
    con.execute(f"""CREATE OR REPLACE TABLE dk AS
        SELECT {', '.join(f'coalesce(n.{k}, o.{k}) AS {k}' for k in ks)},
               CASE WHEN o.k0 IS NULL THEN 'added' WHEN n.k0 IS NULL THEN 'removed' ELSE 'changed' END AS kind
        FROM h_old o FULL OUTER JOIN h_new n ON {on_k}
        WHERE o.k0 IS NULL OR n.k0 IS NULL OR o.h <> n.h""")
    con.execute("DROP TABLE h_old; DROP TABLE h_new")

    def rows_of(res: Resource, side: int, kinds: str) -> str:
        match = " AND ".join(f"t.{q(pair[side])} = dk.{k}" for pair, k in zip(key, ks))
        return (f"SELECT t.* FROM {relation(res)} t SEMI JOIN (SELECT * FROM dk WHERE kind IN ({kinds})) dk ON {match}")

    in_parallel(con, [(f"CREATE OR REPLACE TABLE r_old AS {rows_of(old, 0, KINDS_IN_OLD)}", old),
                      (f"CREATE OR REPLACE TABLE r_new AS {rows_of(new, 1, KINDS_IN_NEW)}", new)])
    k_old, k_new = key[0]
    on = " AND ".join(f"o.{q(a)} = n.{q(b)}" for a, b in key)
    cells = ", ".join(f"struct_pack(c := {lit(b)}, o := o.{q(a)}, n := n.{q(b)})" for a, b in value_cols)
    changes = f"list_filter([{cells}], lambda x: x.o IS DISTINCT FROM x.n)" if cells else "[]"
    old_row = "struct_pack(" + ", ".join(f"{q(c)} := o.{q(c)}" for c in old.field_names) + ")"
    new_row = "struct_pack(" + ", ".join(f"{q(c)} := n.{q(c)}" for c in new.field_names) + ")"
    key_expr = (f"coalesce(n.{q(k_new)}, o.{q(k_old)})" if len(key) == 1 else
                "[" + ", ".join(f"coalesce(n.{q(b)}, o.{q(a)})" for a, b in key) + "]")
    con.execute(f"""CREATE OR REPLACE TABLE d AS
        SELECT {key_expr} AS k,
               CASE WHEN o.{q(k_old)} IS NULL THEN 'added' WHEN n.{q(k_new)} IS NULL THEN 'removed' ELSE 'changed' END AS kind,
               CASE WHEN n.{q(k_new)} IS NULL THEN {old_row} END AS old_row,
               CASE WHEN o.{q(k_old)} IS NULL THEN {new_row} END AS new_row,
               CASE WHEN o.{q(k_old)} IS NOT NULL AND n.{q(k_new)} IS NOT NULL THEN {changes} END AS changes
        FROM r_old o FULL OUTER JOIN r_new n ON {on}""")
    con.execute("DROP TABLE r_old; DROP TABLE r_new; DROP TABLE dk")
    # A hash collision aside, every changed key differs in some cell; drop the (impossible)
    # empty change lists anyway so counts never include an unchanged row.
    con.execute("DELETE FROM d WHERE kind = 'changed' AND len(changes) = 0")
    result = RowDiff(key=[b for _, b in key])
    for kind, n in con.execute("SELECT kind, count(*) FROM d GROUP BY kind").fetchall():
        setattr(result, kind, n)
    result.changed_by_column = dict(con.execute(
        "SELECT x.c, count(*) FROM (SELECT unnest(changes) AS x FROM d WHERE kind = 'changed') "
        "GROUP BY x.c ORDER BY x.c").fetchall())
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    result.added_rows = [r[0] for r in con.execute(f"SELECT new_row FROM d WHERE kind = 'added' ORDER BY k{cap}").fetchall()]
    result.removed_rows = [r[0] for r in con.execute(f"SELECT old_row FROM d WHERE kind = 'removed' ORDER BY k{cap}").fetchall()]
    result.changed_rows = [{"key": k, "changes": {x["c"]: [x["o"], x["n"]] for x in ch}}
                           for k, ch in con.execute(f"SELECT k, changes FROM d WHERE kind = 'changed' ORDER BY k{cap}").fetchall()]
    con.execute("DROP TABLE d")
    return result
