-- title: Deaths by month and district (low / best / high)
-- description: Fatalities per calendar month (from event_date) and district, with the low, best and
--   high estimates and the number of events. Each death is counted once: the parts of a coordinated
--   wave count at their own district, and the wave's parent row adds only what its parts do not
--   place, shown under district_id "(not placed)" with events = 0, so the totals equal the sum of
--   the top-level rows. An empty since/until/district_id means no limit.
-- params: since date = 1900-01-01, until date = 9999-12-31, district_id string = ''
-- refs: district_id = districts.district_id
WITH parts AS (
  SELECT parent_incident_id AS incident_id,
         SUM(fatalities_low) AS low, SUM(fatalities_best) AS best, SUM(fatalities_high) AS high
  FROM incidents
  WHERE parent_incident_id IS NOT NULL
  GROUP BY parent_incident_id
),
counted AS (
  SELECT substr(CAST(i.event_date AS VARCHAR), 1, 7) AS month,
         CASE WHEN p.incident_id IS NULL THEN COALESCE(i.district_id, '(no district)') ELSE '(not placed)' END AS district_id,
         CASE WHEN p.incident_id IS NULL THEN 1 ELSE 0 END AS events,
         i.fatalities_low - COALESCE(p.low, 0) AS low,
         i.fatalities_best - COALESCE(p.best, 0) AS best,
         i.fatalities_high - COALESCE(p.high, 0) AS high
  FROM incidents AS i
  LEFT JOIN parts AS p ON p.incident_id = i.incident_id
  WHERE (:since = '' OR i.event_date >= :since)
    AND (:until = '' OR i.event_date <= :until)
)
SELECT c.month, c.district_id, d.name AS district, SUM(c.events) AS events,
       SUM(c.low) AS fatalities_low, SUM(c.best) AS fatalities_best, SUM(c.high) AS fatalities_high
FROM counted AS c
LEFT JOIN districts AS d ON d.district_id = c.district_id
WHERE :district_id = '' OR c.district_id = :district_id
GROUP BY c.month, c.district_id, d.name
ORDER BY c.month, c.district_id
