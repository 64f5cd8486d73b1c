-- title: Incidents within N km of each mineral site
-- description: Every incident with coordinates within radius_km kilometres of a mineral site with
--   coordinates, by great-circle (haversine) distance on a sphere of radius 6371.0088 km, nearest
--   first. Parent rows of coordinated waves are left out (their parts carry the places); incidents
--   coded only to a district have no coordinates and cannot appear. An empty site_id means every site.
-- params: radius_km number = 50, site_id string = ''
-- refs: site_id = minerals.site_id
WITH sites AS (
  SELECT site_id, site_name, latitude AS lat, longitude AS lon
  FROM minerals
  WHERE latitude IS NOT NULL AND longitude IS NOT NULL
    AND (:site_id = '' OR site_id = :site_id)
),
pairs AS (
  SELECT s.site_id, s.site_name, i.incident_id, i.event_date, i.event_type, i.location, i.fatalities_best,
         power(sin(radians(i.latitude - s.lat) / 2), 2)
           + cos(radians(s.lat)) * cos(radians(i.latitude)) * power(sin(radians(i.longitude - s.lon) / 2), 2) AS a
  FROM sites AS s
  JOIN incidents AS i
    ON i.latitude BETWEEN s.lat - degrees(CAST(:radius_km AS DOUBLE) / 6371.0088)
                      AND s.lat + degrees(CAST(:radius_km AS DOUBLE) / 6371.0088)
  WHERE i.longitude IS NOT NULL
    AND (i.is_parent IS NULL OR NOT i.is_parent)
),
measured AS (
  SELECT site_id, site_name, incident_id, event_date, event_type, location, fatalities_best,
         2 * 6371.0088 * asin(sqrt(CASE WHEN a > 1 THEN 1 ELSE a END)) AS distance_km
  FROM pairs
)
SELECT site_id, site_name, incident_id, event_date, event_type, location, fatalities_best,
       ROUND(distance_km, 2) AS distance_km
FROM measured
WHERE distance_km <= CAST(:radius_km AS DOUBLE)
ORDER BY site_id, distance_km, incident_id
