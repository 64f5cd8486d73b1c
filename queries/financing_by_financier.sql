-- title: Financing by financier, instrument and site (USD)
-- description: Financing rows and nominal US dollars per financier, instrument and mineral site.
--   usd_total counts only rows recommended for aggregates (and never a package row), so a package
--   and the instruments inside it are not counted twice and MoUs are not counted as money
--   committed; left_out_rows and left_out_usd show what each line leaves out of the total, and
--   usd_missing_rows counts counted rows without a USD amount. An empty site_id or financier_id
--   means all.
-- params: site_id string = '', financier_id string = ''
-- refs: site_id = minerals.site_id, financier_id = organizations.org_id
SELECT f.financier_id, o.name AS financier, f.instrument, f.related_site_id AS site_id, m.site_name,
       COUNT(*) AS n_rows,
       SUM(CASE WHEN f.recommended_for_aggregates AND f.instrument <> 'package' THEN 1 ELSE 0 END) AS counted_rows,
       SUM(CASE WHEN f.recommended_for_aggregates AND f.instrument <> 'package' THEN f.amount_usd_nominal END) AS usd_total,
       SUM(CASE WHEN f.recommended_for_aggregates AND f.instrument <> 'package' AND f.amount_usd_nominal IS NULL
                THEN 1 ELSE 0 END) AS usd_missing_rows,
       SUM(CASE WHEN f.recommended_for_aggregates AND f.instrument <> 'package' THEN 0 ELSE 1 END) AS left_out_rows,
       SUM(CASE WHEN f.recommended_for_aggregates AND f.instrument <> 'package' THEN NULL
                ELSE f.amount_usd_nominal END) AS left_out_usd
FROM financing AS f
LEFT JOIN organizations AS o ON o.org_id = f.financier_id
LEFT JOIN minerals AS m ON m.site_id = f.related_site_id
WHERE (:site_id = '' OR f.related_site_id = :site_id)
  AND (:financier_id = '' OR f.financier_id = :financier_id)
GROUP BY f.financier_id, o.name, f.instrument, f.related_site_id, m.site_name
ORDER BY usd_total DESC NULLS LAST, f.financier_id, f.instrument, f.related_site_id NULLS LAST
