"""Write the SQLite database Datasette serves.

Layout (from `brcd.build.layout`): one table per resource with the schema's column types
(`brcd.types.sqlite_type`), PRIMARY KEY, NOT NULL for required fields and FOREIGN KEY
constraints; one link table per `;` id list; the indexes of `brcd.build.layout` (the site's
facet and foreign-key columns, each paired with the table's sort column; partial, without
NULLs, for optional foreign keys that are not facets); an FTS5 index `<table>_fts` with `content="<table>"` over the free-text columns; and
`brcd_metadata(key, value)`. Booleans are 0/1 and dates ISO text.

Rows travel from DuckDB to SQLite as Arrow batches through the ADBC SQLite driver, which
binds them in C (Python's sqlite3 spends most of a 1M-row load binding parameters one by
one). The driver bundles its own SQLite, so the file's bytes depend only on its version: rows
go in primary-key order, nothing records a time, and the file is VACUUMed when more than 1%
of it is free.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from brcd.build.layout import LinkTable, TableLayout
from brcd.types import quote_ident as q, sqlite_type

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

BATCH_ROWS = 100_000
PREFETCH_BATCHES = 2
CACHE_KIB = 131072
INDEX_CACHE_KIB = 8192
BUILD_PRAGMAS = ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE", "temp_store=FILE", "threads=2",
                 f"cache_size=-{CACHE_KIB}", "page_size=4096", "foreign_keys=OFF")


def column_sql(fld: dict[str, Any], required_pk: bool) -> str:
    required = (fld.get("constraints") or {}).get("required") or required_pk
    return f"{q(fld['name'])} {sqlite_type(fld)}" + (" NOT NULL" if required else "")


def create_table_sql(t: TableLayout) -> str:
    parts = [column_sql(f, f["name"] in t.primary_key) for f in t.fields]
    if t.primary_key:
        parts.append(f"PRIMARY KEY ({', '.join(q(c) for c in t.primary_key)})")
    for fk in t.foreign_keys:
        ref = fk["reference"]
        parts.append(f"FOREIGN KEY ({', '.join(q(c) for c in fk['fields'])}) REFERENCES "
                     f"{q(ref['resource'])} ({', '.join(q(c) for c in ref['fields'])})")
    return f"CREATE TABLE {q(t.name)} (\n  " + ",\n  ".join(parts) + "\n)"


def create_link_sql(link: LinkTable) -> str:
    return (f"CREATE TABLE {q(link.name)} (\n"
            f"  {q(link.owner_key)} TEXT NOT NULL REFERENCES {q(link.owner)} ({q(link.owner_key)}),\n"
            f"  {q(link.item_column)} TEXT NOT NULL REFERENCES {q(link.target)} ({q(link.target_field)}),\n"
            f"  position INTEGER NOT NULL,\n"
            f"  PRIMARY KEY ({q(link.owner_key)}, position)\n) WITHOUT ROWID")


def sqlite_select_sql(t: TableLayout, source: str) -> str:
    """DuckDB SELECT turning schema types into SQLite's conventions. `source` is already in
    primary-key order (`duckdb_db.write_duckdb` stores it so) and DuckDB keeps that order."""
    cols = []
    for f in t.fields:
        name, ftype = q(f["name"]), f.get("type", "string")
        if ftype == "date":
            cols.append(f"CAST({name} AS VARCHAR) AS {name}")  # ISO YYYY-MM-DD
        elif ftype == "datetime":
            cols.append(f"strftime({name}, '%Y-%m-%dT%H:%M:%S') AS {name}")
        elif ftype == "boolean":
            cols.append(f"CAST({name} AS INTEGER) AS {name}")
        elif ftype == "time":
            cols.append(f"CAST({name} AS VARCHAR) AS {name}")
        else:
            cols.append(name)
    return f"SELECT {', '.join(cols)} FROM {source}"


def index_name(table: str, columns: tuple[str, ...]) -> str:
    return f"idx_{table}_{'_'.join(columns)}"


def write_sqlite(path: Path, duck: "duckdb.DuckDBPyConnection", tables: list[TableLayout],
                 links: list[LinkTable], metadata: dict[str, str], source: dict[str, str]) -> dict[str, float]:
    """Create `path` (which must not exist) from DuckDB relations named in `source`
    (table name -> SQL relation). Returns the seconds spent per phase."""
    import time

    import adbc_driver_sqlite.dbapi as adbc

    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        seconds[phase] = time.perf_counter() - clock
        clock = time.perf_counter()

    con = adbc.connect(str(path), autocommit=True)
    try:
        cur = con.cursor()
        for pragma in BUILD_PRAGMAS:
            cur.execute(f"PRAGMA {pragma}")
        for t in tables:
            cur.execute(create_table_sql(t))
            load(cur, duck, t.name, sqlite_select_sql(t, source[t.name]))
        lap("tables")
        for link in links:
            cur.execute(create_link_sql(link))
            load(cur, duck, link.name, f"SELECT * FROM {source[link.name]}")
        lap("links")
        # CREATE INDEX sorts faster in small runs: with an 8 MB cache its sorter spills sorted
        # runs that worker threads sort in parallel, then merges them (half the time of one
        # big in-memory sort at a million rows).
        cur.execute(f"PRAGMA cache_size = -{INDEX_CACHE_KIB}")
        for t in tables:
            for cols in t.indexed:
                where = f" WHERE {q(cols[0])} IS NOT NULL" if cols[0] in t.sparse else ""
                cur.execute(f"CREATE INDEX {q(index_name(t.name, cols))} ON {q(t.name)} "
                            f"({', '.join(q(c) for c in cols)}){where}")
        for link in links:
            cur.execute(f"CREATE INDEX {q(index_name(link.name, (link.item_column,)))} "
                        f"ON {q(link.name)} ({q(link.item_column)})")
        cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        lap("indexes")
        for t in tables:
            if t.fts:
                cols = ", ".join(q(c) for c in t.fts)
                cur.execute(f'CREATE VIRTUAL TABLE {q(t.fts_name)} USING fts5({cols}, content="{t.name}")')
                cur.execute(f"INSERT INTO {q(t.fts_name)} ({q(t.fts_name)}) VALUES ('rebuild')")
        lap("fts")
        cur.execute("CREATE TABLE brcd_metadata (key TEXT PRIMARY KEY, value TEXT)")
        for key in sorted(metadata):
            cur.execute("INSERT INTO brcd_metadata (key, value) VALUES (?, ?)", (key, metadata[key]))
        # A build only appends; the FTS merges free a few pages (about 0.3% of the file at a
        # million rows). VACUUM rewrites the whole file (1.4 s there), so it runs only when
        # more than 1% is free. Either way the bytes are the same for the same inputs.
        cur.execute("PRAGMA freelist_count")
        free = cur.fetchone()[0]
        cur.execute("PRAGMA page_count")
        if free * 100 > cur.fetchone()[0]:
            cur.execute("VACUUM")
        cur.close()
    finally:
        con.close()
    lap("finish")
    return seconds


def load(cur: Any, duck: "duckdb.DuckDBPyConnection", table: str, select_sql: str) -> None:
    """Stream the rows of `select_sql` into `table`. A helper thread keeps DuckDB producing
    the next batches while SQLite stores the current one (both release the GIL)."""
    import queue
    import threading

    import pyarrow as pa

    reader = duck.cursor().execute(select_sql).to_arrow_reader(BATCH_ROWS)
    batches: queue.Queue = queue.Queue(maxsize=PREFETCH_BATCHES)
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for batch in reader:
                batches.put(batch)
        except BaseException as exc:  # handed to the consumer below
            failure.append(exc)
        finally:
            batches.put(None)

    def consume():
        while (batch := batches.get()) is not None:
            yield batch
        if failure:
            raise failure[0]

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        cur.adbc_ingest(table, pa.RecordBatchReader.from_batches(reader.schema, consume()), mode="append")
    finally:
        while worker.is_alive():  # let the producer finish if SQLite stopped early
            try:
                batches.get(timeout=0.1)
            except queue.Empty:
                pass
        worker.join()


def read_metadata(path: Path) -> dict[str, str]:
    """`brcd_metadata` of a built SQLite file; empty when the file or table is missing or unreadable."""
    import sqlite3

    if not path.is_file():
        return {}
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return dict(con.execute("SELECT key, value FROM brcd_metadata").fetchall())
        finally:
            con.close()
    except sqlite3.Error:
        return {}
