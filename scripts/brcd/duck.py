"""DuckDB straight over the CSVs, with the schema's types.

`register_tables` makes one view per resource that reads its CSV with explicit column types
taken from the Table Schema (no type sniffing), so queries, builds and diffs see the same
typed values. Each field's model (`brcd.fields.Field`) gives its DuckDB type, and, for the
cells DuckDB's reader does not read as Table Schema means them (other missing values, number
or boolean spellings, date patterns, zones), the SQL that converts the text. The data must
already be valid: use `brcd validate` first; an unparsable cell raises a DuckDB error here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brcd.fields import quote_ident, quote_literal, resource_fields
from brcd.package import Package, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb


def read_csv_sql(resource: Resource, *, all_varchar: bool = False) -> str:
    """A `read_csv(...)` table function call for one resource (inside a SELECT that converts
    the columns DuckDB's reader cannot type itself)."""
    fields = resource_fields(resource)
    native = {f.name: all_varchar or f.duckdb_native for f in fields}
    cols = ", ".join(
        f"{quote_literal(f.name)}: {quote_literal(f.duckdb_type if native[f.name] and not all_varchar else 'VARCHAR')}"
        for f in fields
    )
    reader = (
        f"read_csv({quote_literal(str(resource.path))}, header=true, delim=',', quote='\"', escape='\"', "
        f"auto_detect=false, columns={{{cols}}}, nullstr='', dateformat='%Y-%m-%d', "
        f"strict_mode=true, parallel=false)"
    )
    if all(native.values()):
        return reader
    select = ", ".join(quote_ident(f.name) if native[f.name] else
                       f"{f.duckdb_value(quote_ident(f.name))} AS {quote_ident(f.name)}" for f in fields)
    return f"(SELECT {select} FROM {reader})"


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
