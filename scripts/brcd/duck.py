"""DuckDB straight over the CSVs, with the schema's types.

`register_tables` makes one view per resource that reads its CSV with explicit column types
taken from the Table Schema (no type sniffing), so queries, builds and diffs see the same
typed values. The data must already be valid: use `brcd validate` first; an unparsable cell
raises a DuckDB error here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brcd.package import Package, Resource
from brcd.types import duckdb_type, quote_ident, quote_literal

if TYPE_CHECKING:  # pragma: no cover
    import duckdb


def read_csv_sql(resource: Resource, *, all_varchar: bool = False) -> str:
    """A `read_csv(...)` table function call for one resource."""
    cols = ", ".join(
        f"{quote_literal(f['name'])}: {quote_literal('VARCHAR' if all_varchar else duckdb_type(f))}"
        for f in resource.fields
    )
    return (
        f"read_csv({quote_literal(str(resource.path))}, header=true, delim=',', quote='\"', escape='\"', "
        f"auto_detect=false, columns={{{cols}}}, nullstr='', dateformat='%Y-%m-%d', "
        f"strict_mode=true, parallel=false)"
    )


def register_tables(con: "duckdb.DuckDBPyConnection", package: Package, *, all_varchar: bool = False,
                    materialize: bool = False) -> None:
    """Create a view (or a table, with `materialize`) per resource, named after it."""
    for res in package.resources:
        kind = "TABLE" if materialize else "VIEW"
        con.execute(f"CREATE OR REPLACE {kind} {quote_ident(res.name)} AS SELECT * FROM {read_csv_sql(res, all_varchar=all_varchar)}")


def connect(package: Package, *, materialize: bool = False) -> "duckdb.DuckDBPyConnection":
    """An in-memory DuckDB connection with every table registered."""
    import duckdb

    con = duckdb.connect(":memory:")
    register_tables(con, package, materialize=materialize)
    return con
