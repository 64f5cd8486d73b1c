"""Releases: build the SQLite, DuckDB and Parquet files (`build`, with `layout`, `sqlite_db` and
`duckdb_db`), pack a versioned zip with checksums (`archive`), check a published release
(`verify`) and compare two versions with the semver bump they need (`diff`)."""
