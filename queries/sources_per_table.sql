-- title: Sources per table, and the share of rows with more than one source
-- description: For each table with source_ids: its rows, the rows citing at least one source and
--   more than one, the share of rows with more than one source (0 to 1, three decimals), the
--   citations in all (ids in source_ids cells) and the distinct sources cited.
-- engine: duckdb
/* The site runs sources_per_table.sqlite.sql, which splits the lists with a recursive CTE;
   DuckDB's unnest(string_split(...)) here does the same several times faster. */
WITH lists AS (
  SELECT 'incidents' AS tbl, source_ids AS ids FROM incidents
  UNION ALL SELECT 'financing', source_ids FROM financing
  UNION ALL SELECT 'statements', source_ids FROM statements
  UNION ALL SELECT 'minerals', source_ids FROM minerals
  UNION ALL SELECT 'organizations', source_ids FROM organizations
  UNION ALL SELECT 'districts', source_ids FROM districts
),
per_row AS (
  SELECT tbl,
         CASE WHEN ids IS NULL OR trim(ids) = '' THEN 0
              ELSE length(ids) - length(replace(ids, ';', '')) + 1 END AS n_ids
  FROM lists
),
rows_by_table AS (
  SELECT tbl, COUNT(*) AS n_rows,
         SUM(CASE WHEN n_ids >= 1 THEN 1 ELSE 0 END) AS with_source,
         SUM(CASE WHEN n_ids >= 2 THEN 1 ELSE 0 END) AS more_than_one,
         SUM(n_ids) AS citations
  FROM per_row
  GROUP BY tbl
),
cited AS (
  SELECT tbl, trim(unnest(string_split(ids, ';'))) AS source_id
  FROM lists
  WHERE ids IS NOT NULL AND trim(ids) <> ''
),
distinct_by_table AS (
  SELECT tbl, COUNT(DISTINCT source_id) AS distinct_sources
  FROM cited
  WHERE source_id <> ''
  GROUP BY tbl
)
SELECT r.tbl AS table_name, r.n_rows, r.with_source, r.more_than_one,
       CASE WHEN r.n_rows = 0 THEN NULL ELSE ROUND(CAST(r.more_than_one AS DOUBLE) / r.n_rows, 3) END AS share_more_than_one,
       r.citations, COALESCE(d.distinct_sources, 0) AS distinct_sources
FROM rows_by_table AS r
LEFT JOIN distinct_by_table AS d ON d.tbl = r.tbl
ORDER BY r.tbl
