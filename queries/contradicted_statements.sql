-- title: Statements contradicted, and by what
-- description: Each statement whose contradicted_by_ids lists other statements, one row per pair:
--   who said what and when, beside the contradicting statement's speaker, date, type and figures
--   (claimed total, else the sum of the parts given). by_missing is 1 when the listed id names no
--   statement. An empty speaker_org_id means every speaker.
-- params: speaker_org_id string = ''
-- refs: speaker_org_id = organizations.org_id
WITH RECURSIVE listed(statement_id, rest, by_id) AS (
  SELECT statement_id, contradicted_by_ids || ';', ''
  FROM statements
  WHERE contradicted_by_ids IS NOT NULL AND trim(contradicted_by_ids) <> ''
  UNION ALL
  SELECT statement_id, substr(rest, instr(rest, ';') + 1), trim(substr(rest, 1, instr(rest, ';') - 1))
  FROM listed
  WHERE rest <> ''
),
figures AS (
  SELECT statement_id, speaker_org_id, statement_date, statement_type, verification_status,
         COALESCE(claimed_killed_total,
                  CASE WHEN claimed_killed_state_forces IS NULL AND claimed_killed_militants IS NULL
                            AND claimed_killed_civilians IS NULL THEN NULL
                       ELSE COALESCE(claimed_killed_state_forces, 0) + COALESCE(claimed_killed_militants, 0)
                            + COALESCE(claimed_killed_civilians, 0) END) AS claimed_total
  FROM statements
)
SELECT a.statement_id, a.speaker_org_id, oa.name AS speaker, a.statement_date, a.statement_type,
       a.claimed_total, a.verification_status,
       l.by_id AS contradicted_by_id, b.speaker_org_id AS by_speaker_org_id, ob.name AS by_speaker,
       b.statement_date AS by_date, b.statement_type AS by_type, b.claimed_total AS by_claimed_total,
       CASE WHEN b.statement_id IS NULL THEN 1 ELSE 0 END AS by_missing
FROM listed AS l
JOIN figures AS a ON a.statement_id = l.statement_id
LEFT JOIN figures AS b ON b.statement_id = l.by_id
LEFT JOIN organizations AS oa ON oa.org_id = a.speaker_org_id
LEFT JOIN organizations AS ob ON ob.org_id = b.speaker_org_id
WHERE l.by_id <> ''
  AND (:speaker_org_id = '' OR a.speaker_org_id = :speaker_org_id)
ORDER BY a.statement_date, a.statement_id, l.by_id
