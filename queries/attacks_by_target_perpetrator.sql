-- title: Attacks by target type and perpetrator
-- description: Political-violence incidents (battles, explosions/remote violence, violence against
--   civilians) per target type (GTD codes) and perpetrator: the organization that claimed the
--   attack, else the initiating actor (actor1). Shows how the perpetrator is known
--   (perpetrator_attribution), the number of incidents, fatalities (best) and injured. Parent rows
--   of coordinated waves are left out so that each attack counts once. An empty since/until means
--   no limit.
-- params: since date = 1900-01-01, until date = 9999-12-31
WITH attacks AS (
  SELECT COALESCE(target_type, '(not coded)') AS target_type,
         COALESCE(claimed_by_id, actor1_id) AS perpetrator_id,
         COALESCE(perpetrator_attribution, '(not coded)') AS attribution,
         fatalities_best, injured
  FROM incidents
  WHERE event_type IN ('Battles', 'Explosions/Remote violence', 'Violence against civilians')
    AND (is_parent IS NULL OR NOT is_parent)
    AND (:since = '' OR event_date >= :since)
    AND (:until = '' OR event_date <= :until)
)
SELECT a.target_type, a.perpetrator_id, o.name AS perpetrator, a.attribution,
       COUNT(*) AS incidents, SUM(a.fatalities_best) AS fatalities_best, SUM(a.injured) AS injured
FROM attacks AS a
LEFT JOIN organizations AS o ON o.org_id = a.perpetrator_id
GROUP BY a.target_type, a.perpetrator_id, o.name, a.attribution
ORDER BY incidents DESC, a.target_type, a.perpetrator_id NULLS LAST, a.attribution
