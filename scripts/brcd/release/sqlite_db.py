"""Write the SQLite database Datasette serves.

Layout (from `brcd.release.layout`): one table per resource with the schema's column types
(`brcd.fields.Field.sqlite_type`), PRIMARY KEY, NOT NULL for required fields and FOREIGN KEY
constraints; one link table per `;` id list; the indexes of `brcd.release.layout` (the site's
facet and foreign-key columns, each paired with the table's sort column; partial, without
NULLs, for optional foreign keys that are not facets); an FTS5 index `<table>_fts` with `content="<table>"` over the free-text columns; and
`brcd_metadata(key, value)`. Booleans are 0/1 and dates ISO text.

Rows travel from DuckDB to SQLite as Arrow batches through the ADBC SQLite driver, which
binds them in C (Python's sqlite3 spends most of a 1M-row load binding parameters one by
one). The driver bundles its own SQLite, so the file's bytes depend only on its version: rows
go in primary-key order, nothing records a time, and the file is VACUUMed when more than 1%
of it is free.

Two connections share the work (`write_sqlite`): the largest table and its indexes here, the
rest (other tables, link tables, FTS5 indexes) in a second file on a second thread, copied in
at the end. Measured at 1M incidents on 2 cores (README, "Build"): the copy takes 0.45 s and
the whole step about 0.3 s more CPU time, and the step takes 6.2 s instead of 7.6 s when the
second core is free; little or nothing is gained when another process keeps that core busy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from brcd.release.layout import LinkTable, TableLayout
from brcd.fields import quote_ident as q, quote_literal as lit, resource_fields

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

BATCH_ROWS = 50_000
PREFETCH_BATCHES = 2
CACHE_KIB = 131072
INDEX_CACHE_KIB = 8192
SIDE_CACHE_KIB = 32768
BUILD_PRAGMAS = ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE", "temp_store=FILE", "threads=2",
                 f"cache_size=-{CACHE_KIB}", "page_size=4096", "foreign_keys=OFF")


def column_sql(fld: Any, required_pk: bool) -> str:
    """A column of CREATE TABLE from a field's model."""
    return f"{q(fld.name)} {fld.sqlite_type}" + (" NOT NULL" if fld.required or required_pk else "")


def create_table_sql(t: TableLayout) -> str:
    parts = [column_sql(f, f.name in t.primary_key) for f in resource_fields(t.resource)]
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
    for f in resource_fields(t.resource):
        name = q(f.name)
        value = f.sqlite_value(name)
        cols.append(name if value == name else f"{value} AS {name}")
    return f"SELECT {', '.join(cols)} FROM {source}"


def index_name(table: str, columns: tuple[str, ...]) -> str:
    return f"idx_{table}_{'_'.join(columns)}"


def largest_table(duck: "duckdb.DuckDBPyConnection", tables: list[TableLayout],
                  source: dict[str, str]) -> TableLayout | None:
    """The table with the most rows (the first of equals): the one `write_sqlite` writes itself."""
    best, most = None, 0
    for t in tables:
        (rows,) = duck.execute(f"SELECT count(*) FROM {source[t.name]}").fetchone()
        if best is None or rows > most:
            best, most = t, rows
    return best


def connect_build(path: Path, cache_kib: int = CACHE_KIB, threads: int = 2) -> tuple[Any, Any]:
    """An ADBC connection (autocommit) and cursor on a new file, with `BUILD_PRAGMAS`."""
    import adbc_driver_sqlite.dbapi as adbc

    con = adbc.connect(str(path), autocommit=True)
    cur = con.cursor()
    for pragma in BUILD_PRAGMAS:
        cur.execute(f"PRAGMA {pragma}")
    cur.execute(f"PRAGMA cache_size = -{cache_kib}")
    cur.execute(f"PRAGMA threads = {threads}")
    return con, cur


def create_indexes_sql(t: TableLayout) -> list[str]:
    out = []
    for cols in t.indexed:
        where = f" WHERE {q(cols[0])} IS NOT NULL" if cols[0] in t.sparse else ""
        out.append(f"CREATE INDEX {q(index_name(t.name, cols))} ON {q(t.name)} "
                   f"({', '.join(q(c) for c in cols)}){where}")
    return out


def create_indexes(cur: Any, tables: list[TableLayout], links: list[LinkTable], restore_cache_kib: int) -> None:
    """Every index of `tables` and `links`, built with the small cache CREATE INDEX sorts
    fastest with; the connection's cache size is set back to `restore_cache_kib` after."""
    cur.execute(f"PRAGMA cache_size = -{INDEX_CACHE_KIB}")
    for t in tables:
        for sql in create_indexes_sql(t):
            cur.execute(sql)
    for link in links:
        cur.execute(link_index_sql(link))
    cur.execute(f"PRAGMA cache_size = -{restore_cache_kib}")


def link_index_sql(link: LinkTable) -> str:
    return f"CREATE INDEX {q(index_name(link.name, (link.item_column,)))} ON {q(link.name)} ({q(link.item_column)})"


# English stemming over Unicode words, accents folded: `hijacking` matches "hijacked" and "hijack".
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"


def fts_sql(t: TableLayout) -> str:
    cols = ", ".join(q(c) for c in t.fts)
    return f'CREATE VIRTUAL TABLE {q(t.fts_name)} USING fts5({cols}, content="{t.name}", tokenize="{FTS_TOKENIZER}")'


# The tables an FTS5 index with external content keeps its index in (`<name>_data`, ...).
FTS_SHADOWS = ("data", "idx", "docsize", "config")


class Laps:
    """Seconds per phase: each call records the time since the previous one (or since made)."""

    def __init__(self, seconds: dict[str, float]) -> None:
        import time

        self.seconds, self.clock = seconds, time.perf_counter()

    def __call__(self, phase: str) -> None:
        import time

        now = time.perf_counter()
        self.seconds[phase], self.clock = now - self.clock, now


def write_side(path: Path, duck: "duckdb.DuckDBPyConnection", tables: list[TableLayout], links: list[LinkTable],
               main: TableLayout | None, source: dict[str, str], seconds: dict[str, float]) -> None:
    """Everything `write_sqlite` does not write itself, into a file of its own: `tables` (all
    but `main`) and the link tables with their indexes, and every FTS5 index. For `main`'s
    the file holds a stand-in table of that name with only the indexed columns, loaded in the
    same order, so its rowids are `main`'s. One sorter thread: this runs beside the main
    connection, which has the other core's work."""
    lap = Laps(seconds)
    con, cur = connect_build(path, SIDE_CACHE_KIB, threads=0)
    try:
        for t in tables:
            cur.execute(create_table_sql(t))
            load(cur, duck, t.name, sqlite_select_sql(t, source[t.name]))
        for link in links:
            cur.execute(create_link_sql(link))
            load(cur, duck, link.name, f"SELECT * FROM {source[link.name]}")
        lap("side tables")
        create_indexes(cur, tables, links, restore_cache_kib=SIDE_CACHE_KIB)
        lap("side indexes")
        if main is not None and main.fts:
            types = {f.name: f.sqlite_type for f in resource_fields(main.resource)}
            cur.execute(f"CREATE TABLE {q(main.name)} ({', '.join(f'{q(c)} {types[c]}' for c in main.fts)})")
            load(cur, duck, main.name, f"SELECT {', '.join(q(c) for c in main.fts)} FROM {source[main.name]}")
        for t in [*tables, *([main] if main is not None else [])]:
            if t.fts:
                cur.execute(fts_sql(t))
                cur.execute(f"INSERT INTO {q(t.fts_name)} ({q(t.fts_name)}) VALUES ('rebuild')")
        lap("side fts")
        cur.close()
    finally:
        con.close()


def write_sqlite(path: Path, duck: "duckdb.DuckDBPyConnection", tables: list[TableLayout],
                 links: list[LinkTable], metadata: dict[str, str], source: dict[str, str]) -> dict[str, float]:
    """Create `path` (which must not exist) from DuckDB relations named in `source`
    (table name -> SQL relation). Returns the seconds spent per phase.

    SQLite writes a file from one connection at a time, so the work is split over two files and
    two threads (the driver releases the GIL while SQLite works): this connection loads the
    largest table and builds its indexes, the critical path, while `write_side` writes
    everything else into a second file. That file is then copied in with `INSERT INTO t SELECT
    * FROM side.t`, which SQLite runs as its transfer optimisation (records and index entries
    copied as stored, nothing decoded or sorted) because every table and its indexes already
    exist here, empty and identical. The FTS5 indexes arrive the same way, as the contents of
    their shadow tables. Each file is written by one connection in a fixed order, so the same
    inputs give the same bytes."""
    import tempfile
    import threading

    seconds: dict[str, float] = {}
    lap = Laps(seconds)
    main = largest_table(duck, tables, source)
    others = [t for t in tables if t is not main]
    fts = [t for t in tables if t.fts]
    with tempfile.TemporaryDirectory(prefix=".brcd-sqlite-", dir=path.parent) as tmp:
        side_path = Path(tmp) / "side.sqlite"
        side_seconds: dict[str, float] = {}
        failure: list[BaseException] = []

        def side() -> None:
            try:
                write_side(side_path, duck, others, links, main, source, side_seconds)
            except BaseException as exc:  # re-raised below, in the calling thread
                failure.append(exc)

        con, cur = connect_build(path)
        try:
            # Every table, empty, in the package's order, so the schema reads as before.
            for t in tables:
                cur.execute(create_table_sql(t))
            for link in links:
                cur.execute(create_link_sql(link))
            worker = threading.Thread(target=side, name="brcd-sqlite-side", daemon=True)
            worker.start()
            try:
                if main is not None:
                    load(cur, duck, main.name, sqlite_select_sql(main, source[main.name]))
                lap("tables")
                # CREATE INDEX sorts faster in small runs: with an 8 MB cache its sorter spills
                # sorted runs that worker threads sort in parallel, then merges them (half the
                # time of one big in-memory sort at a million rows). The other tables are still
                # empty: their indexes must exist before the copy, which fills them too.
                create_indexes(cur, tables, links, restore_cache_kib=CACHE_KIB)
                lap("indexes")
                for t in fts:
                    cur.execute(fts_sql(t))
            finally:
                worker.join()
            if failure:
                raise failure[0]
            lap("wait")
            cur.execute(f"ATTACH DATABASE {lit(str(side_path))} AS side")
            for name in [t.name for t in others] + [link.name for link in links]:
                cur.execute(f"INSERT INTO main.{q(name)} SELECT * FROM side.{q(name)}")
            for t in fts:
                # CREATE VIRTUAL TABLE wrote an empty index here; the side file's replaces it.
                for shadow in FTS_SHADOWS:
                    name = q(f"{t.fts_name}_{shadow}")
                    cur.execute(f"DELETE FROM main.{name}")
                    cur.execute(f"INSERT INTO main.{name} SELECT * FROM side.{name}")
            cur.execute("DETACH DATABASE side")
            lap("merge")
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
    seconds.update(side_seconds)
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
