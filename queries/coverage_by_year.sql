-- title: Coverage: BRCD's own sums beside published totals, by year
-- description: One line per figure in published_totals (PIPS, SATP, PICSS, CRSS counts of attacks,
--   deaths and injuries), with BRCD's sum over the same period, area, scope and actor. Each event
--   is counted once: stand-alone incidents and wave parents, never the parts of a wave. Area
--   Balochistan keeps events with a district or a wave parent (attacks elsewhere claimed by Baloch
--   groups have no district); scope militant_attacks leaves out events begun by state forces; an
--   actor_id keeps events whose actor or claimant is that group or one of its units. brcd_value is
--   the sum of fatalities_best (deaths), of injured (injured) or the number of events (attacks);
--   brcd_events_without_figure counts events that report no figure for the measure. share is
--   brcd_value / published_value. BRCD's deaths include attackers killed (ACLED and UCDP
--   practice); a publisher may count otherwise (see published_totals.notes). An empty year means
--   every year.
-- params: year string = ''
WITH events AS (
  SELECT i.incident_id, i.event_date, i.fatalities_best, i.injured, i.actor1_type,
         i.actor1_id, i.claimed_by_id, a.parent_org_id AS actor1_parent, c.parent_org_id AS claimant_parent,
         CASE WHEN i.district_id IS NOT NULL OR i.is_parent THEN 1 ELSE 0 END AS in_balochistan
  FROM incidents AS i
  LEFT JOIN organizations AS a ON a.org_id = i.actor1_id
  LEFT JOIN organizations AS c ON c.org_id = i.claimed_by_id
  WHERE i.parent_incident_id IS NULL
),
matched AS (
  SELECT t.total_id, e.incident_id, e.fatalities_best, e.injured
  FROM published_totals AS t
  JOIN events AS e
    ON e.event_date >= t.period_start AND e.event_date <= t.period_end
   AND (t.area <> 'Balochistan' OR e.in_balochistan = 1)
   AND (t.scope <> 'militant_attacks' OR e.actor1_type <> 'State forces')
   AND (t.actor_id IS NULL
        OR t.actor_id = e.actor1_id OR t.actor_id = e.claimed_by_id
        OR t.actor_id = e.actor1_parent OR t.actor_id = e.claimant_parent)
),
sums AS (
  SELECT t.total_id,
         COUNT(m.incident_id) AS brcd_events,
         CASE t.measure
           WHEN 'deaths' THEN COALESCE(SUM(m.fatalities_best), 0)
           WHEN 'injured' THEN COALESCE(SUM(m.injured), 0)
           ELSE COUNT(m.incident_id) END AS brcd_value,
         SUM(CASE
               WHEN m.incident_id IS NULL THEN 0
               WHEN t.measure = 'deaths' AND m.fatalities_best IS NULL THEN 1
               WHEN t.measure = 'injured' AND m.injured IS NULL THEN 1
               ELSE 0 END) AS brcd_events_without_figure
  FROM published_totals AS t
  LEFT JOIN matched AS m ON m.total_id = t.total_id
  GROUP BY t.total_id, t.measure
)
SELECT substr(CAST(t.period_start AS VARCHAR), 1, 4) AS year, t.measure, t.area, t.scope, t.actor_id,
       t.publisher_id, COALESCE(o.short_name, o.name) AS publisher, t.period_start, t.period_end, t.total_id,
       t.value AS published_value, s.brcd_events, s.brcd_value, s.brcd_events_without_figure,
       CASE WHEN t.value = 0 THEN NULL ELSE ROUND(CAST(s.brcd_value AS DOUBLE) / t.value, 3) END AS share
FROM published_totals AS t
JOIN sums AS s ON s.total_id = t.total_id
LEFT JOIN organizations AS o ON o.org_id = t.publisher_id
WHERE :year = '' OR substr(CAST(t.period_start AS VARCHAR), 1, 4) = :year
ORDER BY year, t.measure, t.area, t.scope, t.period_start, t.period_end, t.total_id
