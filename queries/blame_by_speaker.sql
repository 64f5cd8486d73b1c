-- title: Who blames whom: attributions of blame by speaker
-- description: Statements that attribute blame for violence to an organization
--   (statement_type attribution_accusation), per speaker and organization blamed: how many
--   statements, about how many incidents, first and last date, and how many are corroborated or
--   contradicted. Blame is as stated by the speaker, not a finding of the dataset.
SELECT s.speaker_org_id, sp.name AS speaker, s.speaker_type,
       s.target_org_id AS blamed_org_id, bl.name AS blamed,
       COUNT(*) AS statements, COUNT(DISTINCT s.related_incident_id) AS incidents,
       MIN(s.statement_date) AS first_date, MAX(s.statement_date) AS last_date,
       SUM(CASE WHEN s.verification_status = 'corroborated' THEN 1 ELSE 0 END) AS corroborated,
       SUM(CASE WHEN s.verification_status = 'contradicted' THEN 1 ELSE 0 END) AS contradicted
FROM statements AS s
LEFT JOIN organizations AS sp ON sp.org_id = s.speaker_org_id
LEFT JOIN organizations AS bl ON bl.org_id = s.target_org_id
WHERE s.statement_type = 'attribution_accusation'
GROUP BY s.speaker_org_id, sp.name, s.speaker_type, s.target_org_id, bl.name
ORDER BY statements DESC, s.speaker_org_id NULLS LAST, s.target_org_id NULLS LAST, s.speaker_type
