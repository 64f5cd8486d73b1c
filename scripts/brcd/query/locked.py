"""A DuckDB connection for SQL the toolkit did not write (`brcd query --sql`, queries/*.sql).

Settled before any text of the user's is parsed: DuckDB neither installs nor loads an
extension on demand (left on, a `read_parquet('https://...')` or `PRAGMA create_fts_index`
downloads one into ~/.duckdb, the second while the statement is merely being parsed), loads no
community extension and stores no secret; then nothing outside the package's own files may be
read (no URL, no s3, no other local file), and the configuration is locked so no statement can
undo it. DuckDB accepts the last three only once the database is open, so they are the first
statements run on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
}


def connect(database: str = ":memory:", *, read_only: bool = False,
            readable: Iterable[Path] = ()) -> "duckdb.DuckDBPyConnection":
    """A connection that may read `database` and the files in `readable`, and nothing else."""
    import duckdb

    con = duckdb.connect(database, read_only=read_only, config=CONFIG)
    con.execute("SET allowed_paths = $paths", {"paths": sorted(str(p) for p in readable)})
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con
