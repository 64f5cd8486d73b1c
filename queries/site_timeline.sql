-- title: A mineral site's timeline of deals, incidents and statements
-- description: Everything dated that concerns one mineral site, oldest first: its financing rows
--   (dated by status_date, else announcement_date), the incidents linked to it (related_site_id),
--   and the statements about it, about one of its deals or about one of its incidents. Undated
--   rows come last.
-- params: site_id string
-- refs: site_id = minerals.site_id
WITH deals AS (
  SELECT * FROM financing WHERE related_site_id = :site_id
),
events AS (
  SELECT * FROM incidents WHERE related_site_id = :site_id
),
said AS (
  SELECT * FROM statements AS s
  WHERE s.related_site_id = :site_id
     OR s.related_deal_id IN (SELECT deal_id FROM deals)
     OR s.related_incident_id IN (SELECT incident_id FROM events)
),
timeline AS (
  SELECT COALESCE(status_date, announcement_date) AS date, 'deal' AS kind, deal_id AS id,
         title AS what, COALESCE(instrument, '') || ', ' || COALESCE(status, '') AS detail, financier_id AS org_id,
         amount_usd_nominal AS amount_usd, CAST(NULL AS BIGINT) AS fatalities_best
  FROM deals
  UNION ALL
  SELECT event_date, 'incident', incident_id,
         COALESCE(location, ''), COALESCE(sub_event_type, event_type), actor1_id,
         NULL, fatalities_best
  FROM events
  UNION ALL
  SELECT statement_date, 'statement', statement_id,
         summary, statement_type, speaker_org_id,
         NULL, NULL
  FROM said
)
SELECT t.date, t.kind, t.id, t.what, t.detail, t.org_id, o.name AS org, t.amount_usd, t.fatalities_best
FROM timeline AS t
LEFT JOIN organizations AS o ON o.org_id = t.org_id
ORDER BY t.date NULLS LAST, t.kind, t.id
