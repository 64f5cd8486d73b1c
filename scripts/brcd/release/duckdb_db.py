"""Stage the typed tables in the DuckDB file, then export Parquet from it.

The DuckDB file is written first: each CSV is read once with the schema's types
(`brcd.duck.read_csv_sql`) and stored in primary-key order (sorted only when it is not
already); the link tables and
`brcd_metadata` follow. The SQLite build and the Parquet files then read these tables
instead of parsing the CSVs again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from brcd.release.layout import LinkTable, TableLayout, links_select_sql
from brcd.duck import read_csv_sql
from brcd.fields import quote_ident as q, quote_literal as lit

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

ALIAS = "out"
MEMORY_LIMIT = "384MB"


def connect(temp_dir: Path) -> "duckdb.DuckDBPyConnection":
    """An in-memory DuckDB with a memory cap; larger sorts spill to `temp_dir`."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")  # it would print over the command's own output
    con.execute(f"SET memory_limit = {lit(MEMORY_LIMIT)}")
    con.execute(f"SET temp_directory = {lit(str(temp_dir))}")
    con.execute("SET preserve_insertion_order = true")
    # Parallel inserts cut row groups differently from run to run. One thread makes small
    # files reproducible; at about a million rows DuckDB 1.5 still writes other bytes on each
    # run, so releases keep brcd.duckdb out of the byte-identical zip (see brcd.release.archive).
    con.execute("SET threads = 1")
    return con


def write_duckdb(path: Path, con: "duckdb.DuckDBPyConnection", tables: list[TableLayout],
                 links: list[LinkTable], metadata: dict[str, str]) -> dict[str, str]:
    """Create the DuckDB file at `path` (empty or absent) and return, per table and link
    table, the relation the other writers read from. The file stays attached until
    `detach` is called."""
    if path.exists() and path.stat().st_size == 0:
        path.unlink()
    con.execute(f"ATTACH {lit(str(path))} AS {ALIAS}")
    source: dict[str, str] = {}
    for t in tables:
        target = f"{ALIAS}.{q(t.name)}"
        con.execute(f"CREATE TABLE {target} AS SELECT * FROM {read_csv_sql(t.resource)}")
        if t.primary_key and not in_key_order(con, target, t.primary_key):
            # `brcd fmt` keeps tables in key order, so this full sort is the exception.
            order = ", ".join(q(c) for c in t.primary_key)
            con.execute(f"CREATE TABLE {ALIAS}.brcd_sorting AS SELECT * FROM {target} ORDER BY {order}")
            con.execute(f"DROP TABLE {target}")
            con.execute(f"ALTER TABLE {ALIAS}.brcd_sorting RENAME TO {q(t.name)}")
        source[t.name] = target
    for link in links:
        con.execute(f"CREATE TABLE {ALIAS}.{q(link.name)} AS {links_select_sql(link, source[link.owner])}")
        source[link.name] = f"{ALIAS}.{q(link.name)}"
    con.execute(f"CREATE TABLE {ALIAS}.brcd_metadata (key VARCHAR, value VARCHAR)")
    con.executemany(f"INSERT INTO {ALIAS}.brcd_metadata VALUES (?, ?)", sorted(metadata.items()))
    return source


def allow_parallel_reads(con: "duckdb.DuckDBPyConnection") -> None:
    """Once the DuckDB file and Parquet are written, reads may use every core (order is kept:
    `preserve_insertion_order`)."""
    import os

    con.execute(f"SET threads = {max(1, min(os.cpu_count() or 1, 4))}")


def in_key_order(con: "duckdb.DuckDBPyConnection", table: str, key: list[str]) -> bool:
    """True when the rows, as stored, are in strictly increasing primary-key order."""
    k = "row(" + ", ".join(q(c) for c in key) + ")"
    (out_of_order,) = con.execute(
        f"SELECT count(*) FROM (SELECT {k} AS k, lag({k}) OVER (ORDER BY rowid) AS prev FROM {table}) "
        f"WHERE prev >= k").fetchone()
    return out_of_order == 0


def detach(con: "duckdb.DuckDBPyConnection") -> None:
    con.execute("CHECKPOINT " + ALIAS)
    con.execute("DETACH " + ALIAS)


def write_parquet(path: Path, con: "duckdb.DuckDBPyConnection", relation: str, metadata: dict[str, str]) -> None:
    kv = ", ".join(f"{lit(k)}: {lit(v)}" for k, v in sorted(metadata.items()))
    con.execute(f"COPY (SELECT * FROM {relation}) TO {lit(str(path))} "
                f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{{kv}}})")


def read_metadata(path: Path) -> dict[str, str]:
    """`brcd_metadata` of a built DuckDB file; empty when missing or unreadable."""
    import duckdb

    if not path.is_file():
        return {}
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return dict(con.execute("SELECT key, value FROM brcd_metadata").fetchall())
        finally:
            con.close()
    except duckdb.Error:
        return {}


def read_parquet_metadata(path: Path) -> dict[str, str]:
    """Key-value metadata of a Parquet file written by `write_parquet`."""
    import duckdb

    if not path.is_file():
        return {}
    try:
        con = duckdb.connect(":memory:")
        try:
            rows = con.execute(f"SELECT key::VARCHAR, value::VARCHAR FROM parquet_kv_metadata({lit(str(path))})").fetchall()
        finally:
            con.close()
    except duckdb.Error:
        return {}
    return dict(rows)
