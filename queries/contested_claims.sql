-- title: Contested casualty claims beside the best estimate
-- description: For each incident, every statement that gives casualty figures, side by side with
--   the incident's low / best / high estimate and its recorded deaths by side: who spoke (and for
--   which side), when, what they claimed for state forces, militants and civilians, and the claim's
--   total (its own total, else the sum of the parts it gives). The estimate is the dataset's
--   conservative, corroborated figure; claims are as reported. An empty incident_id means all.
-- params: incident_id string = ''
-- refs: incident_id = incidents.incident_id
SELECT i.incident_id, i.event_date, i.location,
       i.fatalities_low, i.fatalities_best, i.fatalities_high,
       i.deaths_state_forces, i.deaths_militants, i.deaths_civilians,
       s.statement_id, s.statement_date, s.speaker_org_id, o.name AS speaker, s.speaker_type, s.statement_type,
       s.claimed_killed_state_forces, s.claimed_killed_militants, s.claimed_killed_civilians,
       COALESCE(s.claimed_killed_total,
                CASE WHEN s.claimed_killed_state_forces IS NULL AND s.claimed_killed_militants IS NULL
                          AND s.claimed_killed_civilians IS NULL THEN NULL
                     ELSE COALESCE(s.claimed_killed_state_forces, 0) + COALESCE(s.claimed_killed_militants, 0)
                          + COALESCE(s.claimed_killed_civilians, 0) END) AS claimed_total,
       s.verification_status
FROM statements AS s
JOIN incidents AS i ON i.incident_id = s.related_incident_id
LEFT JOIN organizations AS o ON o.org_id = s.speaker_org_id
WHERE (s.claimed_killed_state_forces IS NOT NULL OR s.claimed_killed_militants IS NOT NULL
       OR s.claimed_killed_civilians IS NOT NULL OR s.claimed_killed_total IS NOT NULL)
  AND (:incident_id = '' OR i.incident_id = :incident_id)
ORDER BY i.event_date, i.incident_id, s.statement_date, s.statement_id
