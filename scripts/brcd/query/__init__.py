"""Questions asked of the data: named queries in `queries/*.sql` (`named`) and read-only SQL run
in DuckDB and rendered as a table, CSV, JSON or Markdown (`results`)."""
