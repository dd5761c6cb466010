-- 20_identity.sql: identity merge (OneID) of every observation into persons
-- with quanyu's identity_link, month by month as a brand would ingest them.
--
-- Rules first: phones are normalised (+86, spaces, dashes) and the till's
-- default numbers and masked marketplace phones are blocked; the all-zero
-- device id is blocked; one member card, unionid and openid per app per
-- person, at most three phones, so a junk value that slips through cannot
-- glue thousands of strangers together: the merge is refused and logged.

\set ON_ERROR_STOP 1
\pset footer off
\echo '   identity rules: normalisation, junk blocklists, per-person limits'
TRUNCATE identity_rule, identity_identifier, identity_merge, identity_refusal, identity_state;
INSERT INTO identity_rule (id_type, normalizer, blocked_values, blocked_pattern, max_per_person, priority) VALUES
	('phone', 'phone', '{13800000000,13888888888,12345678901}', '^[0-9]{0,10}$', 3, 90),
	('member_card', 'trim', '{}', NULL, 1, 100),
	('unionid', 'trim', '{}', NULL, 1, 80),
	('openid_mp', 'trim', '{}', NULL, 1, 70),
	('openid_oa', 'trim', '{}', NULL, 1, 70),
	('openid_sph', 'trim', '{}', NULL, 1, 70),
	('wecom_external_userid', 'trim', '{}', NULL, 1, 70),
	('tmall_buyer', 'trim', '{}', NULL, 1, 40),
	('jd_buyer', 'trim', '{}', NULL, 1, 40),
	('device_id', 'trim', '{00000000-0000-0000-0000-000000000000}', '^[0-]+$', NULL, 10);
SELECT id_type, normalizer, blocked_values, blocked_pattern, max_per_person FROM identity_rules
WHERE id_type IN (SELECT id_type FROM identity_rule) OR id_type = '*' ORDER BY priority DESC, id_type;

CREATE TABLE demo.identity_batch (month int, pairs_read bigint, identifiers_new bigint, persons_new bigint,
	merges bigint, pairs_refused bigint, values_blocked bigint);

-- The history up to the last month in one batch (the initial load), then
-- the last month as the daily feed would bring it: each batch in time
-- order, every sighting, then the identifiers orders and events carry
-- (alone: registered when new).  Merges count persons of earlier batches
-- that new evidence joins.
CREATE FUNCTION demo.identity_source(lo int, hi int) RETURNS text
LANGUAGE sql STABLE RETURN format(
	$q$SELECT type_a, value_a, type_b, value_b, (date %L + day)::timestamptz FROM (
		SELECT o.type1 AS type_a, o.value1 AS value_a, o.type2 AS type_b, o.value2 AS value_b, o.day, o.obs_id AS k
		FROM demo.obs o WHERE o.day BETWEEN %s AND %s
		UNION ALL
		SELECT x.id_type, x.id_value, NULL, NULL, min(x.day), NULL
		FROM (SELECT id_type, id_value, day FROM demo.orders UNION ALL SELECT id_type, id_value, day FROM demo.event) x
		WHERE x.day BETWEEN %s AND %s
		GROUP BY 1, 2
	) s ORDER BY day, k NULLS LAST$q$, (SELECT start_day FROM demo.param), lo, hi, lo, hi);

\echo '   initial load: the history before the last month'
INSERT INTO demo.identity_batch
SELECT 0, * FROM identity_link(demo.identity_source(0, (SELECT min(day) - 1 FROM demo.day WHERE month = (SELECT months - 1 FROM demo.param))));
\echo '   incremental batch: the last month'
INSERT INTO demo.identity_batch
SELECT 1, * FROM identity_link(demo.identity_source((SELECT min(day) FROM demo.day WHERE month = (SELECT months - 1 FROM demo.param)), (SELECT days FROM demo.param)));
SELECT CASE month WHEN 0 THEN 'initial load' ELSE 'last month' END AS batch, pairs_read AS "pairs read",
	identifiers_new AS "new identifiers", persons_new AS "new persons", merges, pairs_refused AS "refused", values_blocked AS "blocked"
FROM demo.identity_batch ORDER BY month;

-- Every raw value the brand holds, mapped to its person (NULL: blocked).
\echo '   mapping every raw identifier to its person'
CREATE TABLE demo.idmap AS
WITH seen AS (
	SELECT type1 AS id_type, value1 AS id_value FROM demo.obs
	UNION SELECT type2, value2 FROM demo.obs WHERE type2 IS NOT NULL
	UNION SELECT id_type, id_value FROM demo.orders
	UNION SELECT id_type, id_value FROM demo.event
)
SELECT s.id_type, s.id_value, i.person_id
FROM seen s LEFT JOIN identity_identifier i
	ON i.id_type = s.id_type AND i.id_value = identity_normalize(s.id_type, s.id_value);
ALTER TABLE demo.idmap ADD PRIMARY KEY (id_type, id_value);

CREATE TABLE demo.identity_summary AS
SELECT 'quanyu identity_link'::text AS method,
	(SELECT count(*) FROM identity_identifier) AS identifiers,
	(SELECT count(DISTINCT person_id) FROM identity_identifier) AS persons,
	sum(merges)::bigint AS merges,
	sum(pairs_refused)::bigint AS refused,
	sum(values_blocked)::bigint AS blocked
FROM demo.identity_batch;

\echo
\echo '   identity merge totals (raw sightings -> persons)'
SELECT sum(pairs_read) AS "pairs read", sum(identifiers_new) AS "identifiers", sum(persons_new) AS "persons created",
	sum(merges) AS merges, sum(pairs_refused) AS "refused (limits)", sum(values_blocked) AS "blocked junk"
FROM demo.identity_batch;
\echo '   refused merges by reason (a junk value that would glue strangers)'
SELECT reason, count(*) AS refusals FROM identity_refusal GROUP BY 1 ORDER BY 2 DESC LIMIT 5;

-- The generator knows the truth: how well did the merge do?
\echo '   merge quality against the generator''s true persons'
CREATE TABLE demo.identity_quality AS
WITH pairs AS (
	SELECT DISTINCT m.person_id, x.true_pid FROM demo.idmap m JOIN (
		SELECT type1 AS id_type, value1 AS id_value, true_pid FROM demo.obs
		UNION ALL SELECT type2, value2, true_pid FROM demo.obs WHERE type2 IS NOT NULL
	) x ON x.id_type = m.id_type AND x.id_value = m.id_value
	WHERE m.person_id IS NOT NULL
)
SELECT (SELECT count(*) FROM demo.person) AS true_persons,
	count(DISTINCT person_id) AS merged_persons,
	(SELECT count(*) FROM (SELECT true_pid FROM pairs GROUP BY 1 HAVING count(*) = 1) t) AS true_persons_in_one_id,
	(SELECT count(*) FROM (SELECT person_id FROM pairs GROUP BY 1 HAVING count(*) > 1) t) AS ids_holding_several_true_persons
FROM pairs;
SELECT true_persons AS "true persons", merged_persons AS "merged persons",
	true_persons_in_one_id AS "true persons under one id", ids_holding_several_true_persons AS "ids over-merged"
FROM demo.identity_quality;
\echo '   (the till''s default 13912345678 is on no blocklist: it stays on the first card that used it, and'
\echo '    the one-card-per-person rule refuses every later merge it would cause; see "refused" above)'
