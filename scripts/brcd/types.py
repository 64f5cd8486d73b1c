"""Table Schema field types mapped to the engines' column types: written once, used by the
DuckDB loader, the SQLite build, Parquet export and the generated documentation."""

from __future__ import annotations

from typing import Any

DUCKDB = {
    "string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN",
    "date": "DATE", "datetime": "TIMESTAMP", "time": "TIME", "year": "INTEGER",
    "yearmonth": "VARCHAR", "duration": "VARCHAR", "geopoint": "VARCHAR", "geojson": "VARCHAR",
    "object": "VARCHAR", "array": "VARCHAR", "any": "VARCHAR", "list": "VARCHAR",
}

# SQLite keeps dates as ISO-8601 TEXT and booleans as 0/1 INTEGER (its own conventions).
SQLITE = {
    "string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER",
    "date": "TEXT", "datetime": "TEXT", "time": "TEXT", "year": "INTEGER",
}


def duckdb_type(field: dict[str, Any]) -> str:
    return DUCKDB.get(field.get("type", "string"), "VARCHAR")


def sqlite_type(field: dict[str, Any]) -> str:
    return SQLITE.get(field.get("type", "string"), "TEXT")


def quote_ident(name: str) -> str:
    """Quote an identifier for SQL (DuckDB and SQLite use the same rule)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"
