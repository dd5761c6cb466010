-- 20_identity_truth.sql: the fallback when quanyu's identity merge is not
-- installed: map every raw identifier to the generator's true person.
-- A value seen for more than one true person (the till's default phone, the
-- all-zero device id) or a masked phone cannot name anyone and maps to NULL,
-- as a blocklist would.  run_demo.sh runs this file only when
-- quanyu.identity_link is missing; 20_identity.sql replaces it.

\set ON_ERROR_STOP 1
\pset footer off
\echo '   identity: mapping identifiers to the generator''s true persons (fallback)'

CREATE TABLE demo.idmap AS
WITH seen AS (
	SELECT type1 AS id_type, value1 AS id_value, true_pid FROM demo.obs
	UNION ALL SELECT type2, value2, true_pid FROM demo.obs WHERE type2 IS NOT NULL
	UNION ALL SELECT id_type, id_value, true_pid FROM demo.orders
	UNION ALL SELECT id_type, id_value, true_pid FROM demo.event
)
SELECT id_type, id_value,
	CASE WHEN min(true_pid) = max(true_pid) AND id_value NOT LIKE '%*%' THEN min(true_pid) END AS person_id
FROM seen GROUP BY 1, 2;
ALTER TABLE demo.idmap ADD PRIMARY KEY (id_type, id_value);

CREATE TABLE demo.identity_summary AS
SELECT 'fallback: generator truth'::text AS method,
	count(*) AS identifiers,
	count(DISTINCT person_id) AS persons,
	NULL::bigint AS merges,
	NULL::bigint AS refused,
	count(*) FILTER (WHERE person_id IS NULL) AS blocked
FROM demo.idmap;
