-- title: Organizations most often named
-- description: How often each organization is named across the core tables, in any role: as an
--   incident's actor or claimant, a financier, recipient or guarantor, a speaker or the target of
--   a statement, or a site's operator or licence holder. Counts references, not distinct rows (an
--   incident naming the same group as actor and claimant counts twice). Shows the top `top` rows.
-- params: top integer = 20
WITH named AS (
  SELECT actor1_id AS org_id, 'incidents' AS tbl FROM incidents WHERE actor1_id IS NOT NULL
  UNION ALL SELECT actor2_id, 'incidents' FROM incidents WHERE actor2_id IS NOT NULL
  UNION ALL SELECT claimed_by_id, 'incidents' FROM incidents WHERE claimed_by_id IS NOT NULL
  UNION ALL SELECT financier_id, 'financing' FROM financing WHERE financier_id IS NOT NULL
  UNION ALL SELECT recipient_id, 'financing' FROM financing WHERE recipient_id IS NOT NULL
  UNION ALL SELECT guarantor_id, 'financing' FROM financing WHERE guarantor_id IS NOT NULL
  UNION ALL SELECT speaker_org_id, 'statements' FROM statements WHERE speaker_org_id IS NOT NULL
  UNION ALL SELECT target_org_id, 'statements' FROM statements WHERE target_org_id IS NOT NULL
  UNION ALL SELECT operator_id, 'minerals' FROM minerals WHERE operator_id IS NOT NULL
  UNION ALL SELECT licence_holder_id, 'minerals' FROM minerals WHERE licence_holder_id IS NOT NULL
),
counts AS (
  SELECT org_id, COUNT(*) AS mentions,
         SUM(CASE WHEN tbl = 'incidents' THEN 1 ELSE 0 END) AS in_incidents,
         SUM(CASE WHEN tbl = 'financing' THEN 1 ELSE 0 END) AS in_financing,
         SUM(CASE WHEN tbl = 'statements' THEN 1 ELSE 0 END) AS in_statements,
         SUM(CASE WHEN tbl = 'minerals' THEN 1 ELSE 0 END) AS in_minerals
  FROM named
  GROUP BY org_id
)
SELECT c.org_id, o.name, o.org_type, c.mentions, c.in_incidents, c.in_financing, c.in_statements, c.in_minerals
FROM counts AS c
LEFT JOIN organizations AS o ON o.org_id = c.org_id
ORDER BY c.mentions DESC, c.org_id
LIMIT CAST(:top AS INTEGER)
