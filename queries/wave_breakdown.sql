-- title: Coordinated waves: how much of each toll is placed in its parts
-- description: For each parent incident (a coordinated wave), its parts: how many, in how many
--   districts, over which dates, and the low / best / high fatalities of the wave beside the sum
--   over its parts. not_placed_best is the wave's best estimate minus its parts' (deaths the
--   sources report for the wave but not for any one place); a negative value means the parts add
--   up to more than the wave, which the data should not do.
WITH parts AS (
  SELECT parent_incident_id AS incident_id, COUNT(*) AS parts,
         COUNT(DISTINCT district_id) AS districts,
         MIN(event_date) AS first_date, MAX(event_date) AS last_date,
         SUM(fatalities_low) AS parts_low, SUM(fatalities_best) AS parts_best, SUM(fatalities_high) AS parts_high
  FROM incidents
  WHERE parent_incident_id IS NOT NULL
  GROUP BY parent_incident_id
)
SELECT w.incident_id, w.event_date, w.actor1_id, o.name AS actor1,
       p.parts, p.districts, p.first_date, p.last_date,
       w.fatalities_low, p.parts_low, w.fatalities_best, p.parts_best, w.fatalities_high, p.parts_high,
       w.fatalities_best - COALESCE(p.parts_best, 0) AS not_placed_best
FROM incidents AS w
JOIN parts AS p ON p.incident_id = w.incident_id
LEFT JOIN organizations AS o ON o.org_id = w.actor1_id
ORDER BY w.event_date, w.incident_id
