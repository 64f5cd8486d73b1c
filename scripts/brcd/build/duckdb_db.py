"""Stage the typed tables in the DuckDB file, then export Parquet from it.

The DuckDB file is written first: each CSV is read once with the schema's types
(`brcd.duck.read_csv_sql`), sorted by primary key and stored; the link tables and
`brcd_metadata` follow. The SQLite build and the Parquet files then read these tables
instead of parsing the CSVs again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from brcd.build.layout import LinkTable, TableLayout, links_select_sql
from brcd.duck import read_csv_sql
from brcd.types import quote_ident as q, quote_literal as lit

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

ALIAS = "out"
MEMORY_LIMIT = "512MB"


def connect(temp_dir: Path) -> "duckdb.DuckDBPyConnection":
    """An in-memory DuckDB with a memory cap; larger sorts spill to `temp_dir`."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = {lit(MEMORY_LIMIT)}")
    con.execute(f"SET temp_directory = {lit(str(temp_dir))}")
    con.execute("SET preserve_insertion_order = true")
    # Parallel inserts cut row groups differently from run to run, and so change the DuckDB
    # file's bytes; one thread keeps the file reproducible (SQLite and Parquet do not need it).
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
        order = ", ".join(q(c) for c in t.primary_key) or "ALL"
        con.execute(f"CREATE TABLE {ALIAS}.{q(t.name)} AS SELECT * FROM {read_csv_sql(t.resource)} ORDER BY {order}")
        source[t.name] = f"{ALIAS}.{q(t.name)}"
    for link in links:
        con.execute(f"CREATE TABLE {ALIAS}.{q(link.name)} AS {links_select_sql(link, source[link.owner])}")
        source[link.name] = f"{ALIAS}.{q(link.name)}"
    con.execute(f"CREATE TABLE {ALIAS}.brcd_metadata (key VARCHAR, value VARCHAR)")
    con.executemany(f"INSERT INTO {ALIAS}.brcd_metadata VALUES (?, ?)", sorted(metadata.items()))
    return source


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
