-- title: Whose casualty claims run above the estimates
-- description: Per speaker, casualty figures claimed in statements about an incident compared with
--   the deaths the dataset records for the same incident and side (state forces, militants,
--   civilians): how many claims give a figure for that side, the claimed sum and the recorded sum
--   over the claims where both are known, and their ratio (claimed / recorded, two decimals; empty
--   when nothing is recorded). A ratio above 1 means the speaker's figures run higher than the
--   dataset's conservative estimates.
WITH pairs AS (
  SELECT s.speaker_org_id, s.speaker_type,
         s.claimed_killed_state_forces AS c_sf, i.deaths_state_forces AS r_sf,
         s.claimed_killed_militants AS c_m, i.deaths_militants AS r_m,
         s.claimed_killed_civilians AS c_c, i.deaths_civilians AS r_c
  FROM statements AS s
  JOIN incidents AS i ON i.incident_id = s.related_incident_id
  WHERE s.claimed_killed_state_forces IS NOT NULL OR s.claimed_killed_militants IS NOT NULL
     OR s.claimed_killed_civilians IS NOT NULL
),
sums AS (
  SELECT speaker_org_id, speaker_type, COUNT(*) AS claims,
         COUNT(c_sf) AS sf_claims,
         SUM(CASE WHEN r_sf IS NOT NULL THEN c_sf END) AS sf_claimed,
         SUM(CASE WHEN c_sf IS NOT NULL THEN r_sf END) AS sf_recorded,
         COUNT(c_m) AS militant_claims,
         SUM(CASE WHEN r_m IS NOT NULL THEN c_m END) AS militants_claimed,
         SUM(CASE WHEN c_m IS NOT NULL THEN r_m END) AS militants_recorded,
         COUNT(c_c) AS civilian_claims,
         SUM(CASE WHEN r_c IS NOT NULL THEN c_c END) AS civilians_claimed,
         SUM(CASE WHEN c_c IS NOT NULL THEN r_c END) AS civilians_recorded
  FROM pairs
  GROUP BY speaker_org_id, speaker_type
)
SELECT s.speaker_org_id, o.name AS speaker, s.speaker_type, s.claims,
       s.sf_claims, s.sf_claimed, s.sf_recorded,
       CASE WHEN s.sf_recorded > 0 THEN ROUND(CAST(s.sf_claimed AS DOUBLE) / s.sf_recorded, 2) END AS sf_ratio,
       s.militant_claims, s.militants_claimed, s.militants_recorded,
       CASE WHEN s.militants_recorded > 0 THEN ROUND(CAST(s.militants_claimed AS DOUBLE) / s.militants_recorded, 2) END AS militants_ratio,
       s.civilian_claims, s.civilians_claimed, s.civilians_recorded,
       CASE WHEN s.civilians_recorded > 0 THEN ROUND(CAST(s.civilians_claimed AS DOUBLE) / s.civilians_recorded, 2) END AS civilians_ratio
FROM sums AS s
LEFT JOIN organizations AS o ON o.org_id = s.speaker_org_id
ORDER BY s.claims DESC, s.speaker_org_id NULLS LAST, s.speaker_type NULLS LAST
