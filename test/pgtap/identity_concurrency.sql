-- identity_link under concurrency: 8 sessions (dblink) ingest overlapping
-- batches at once; the grouping must equal a single-batch ingest of the
-- same rows.  Also: a cancelled ingest (statement_timeout) leaves no trace.
--
-- The sessions commit their own work, so every change to the identity
-- tables goes through dblink and the test cleans up after itself.
BEGIN;
SELECT plan(10);
CREATE EXTENSION IF NOT EXISTS dblink;

-- Row r of the universe: persons linked by phone/unionid/openid chains, plus
-- buyer-device pairs that merge persons across batches, plus junk devices.
-- The types (t_phone, ...) have no rule, so no per-person limit applies: with
-- limits, which pair is refused depends on arrival order by design.
CREATE FUNCTION pg_temp.universe_sql(cond text) RETURNS text LANGUAGE sql AS $f$
	SELECT format($q$
		SELECT type_a, value_a, type_b, value_b FROM (
			SELECT r,
				CASE r %% 4 WHEN 0 THEN 't_phone' WHEN 1 THEN 't_unionid' WHEN 2 THEN 't_openid' ELSE 't_buyer' END AS type_a,
				CASE r %% 4 WHEN 0 THEN '1380000' || lpad((r / 4 %% 3000)::text, 4, '0')
					WHEN 1 THEN 'u' || (r / 4 %% 3000) WHEN 2 THEN 'o' || (r / 4 %% 3000)
					ELSE 'b' || (r / 4 %% 1700) END AS value_a,
				CASE r %% 4 WHEN 0 THEN 't_unionid' WHEN 1 THEN 't_openid' WHEN 2 THEN 't_buyer' ELSE 't_device' END AS type_b,
				CASE r %% 4 WHEN 0 THEN 'u' || (r / 4 %% 3000) WHEN 1 THEN 'o' || (r / 4 %% 3000)
					WHEN 2 THEN 'b' || (r / 4 %% 3000 %% 1700)
					ELSE CASE WHEN r %% 97 = 3 THEN 'unknown' ELSE 'd' || (r * 7 %% 2300) END END AS value_b
			FROM generate_series(0, 23999) AS r) AS u
		WHERE %s$q$, cond)
$f$;

CREATE FUNCTION pg_temp.remote(sql text) RETURNS void LANGUAGE sql AS $f$
	SELECT dblink_exec(format('dbname=%s host=%s port=%s user=%s', current_database(),
		split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user), sql)
$f$;

-- The grouping as a partition: each identifier labelled by the smallest
-- identifier of its person (ids themselves depend on arrival order).
CREATE FUNCTION pg_temp.partition() RETURNS TABLE (id_type text, id_value text, label text) LANGUAGE sql AS $f$
	SELECT id_type, id_value, min(id_type || ':' || id_value) OVER (PARTITION BY person_id)
	FROM dblink(format('dbname=%s host=%s port=%s user=%s', current_database(),
		split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user),
		'SELECT id_type, id_value, person_id FROM quanyu.identity_identifier')
		AS t(id_type text, id_value text, person_id bigint)
$f$;

SELECT pg_temp.remote('TRUNCATE quanyu.identity_identifier, quanyu.identity_merge, quanyu.identity_refusal, quanyu.identity_state');

-- Eight sessions, each an overlapping slice of the universe, all sent before any is read.
SELECT dblink_connect('s' || k, format('dbname=%s host=%s port=%s user=%s', current_database(),
	split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user))
FROM generate_series(1, 8) AS k;
SELECT dblink_send_query('s' || k, format('SELECT * FROM quanyu.identity_link(%L)',
	pg_temp.universe_sql(format('r %% 8 = %s OR r %% 5 = %s', k - 1, (k - 1) % 5))))
FROM generate_series(1, 8) AS k;
CREATE TEMP TABLE concurrent_counts AS
SELECT k, c.* FROM generate_series(1, 8) AS k,
	LATERAL dblink_get_result('s' || k) AS c(pairs_read bigint, identifiers_new bigint, persons_new bigint,
		merges bigint, pairs_refused bigint, values_blocked bigint);
SELECT dblink_disconnect('s' || k) FROM generate_series(1, 8) AS k;
CREATE TEMP TABLE concurrent_partition AS SELECT * FROM pg_temp.partition();

SELECT is((SELECT count(*) FROM concurrent_counts), 8::bigint, 'all 8 concurrent ingests returned');
SELECT is((SELECT sum(identifiers_new)::bigint FROM concurrent_counts), (SELECT count(*) FROM concurrent_partition),
	'the concurrent ingests counted every stored identifier exactly once');
SELECT cmp_ok((SELECT sum(merges)::bigint FROM concurrent_counts), '>', 0::bigint,
	'later batches merged persons created by earlier ones');
SELECT is((SELECT sum(pairs_refused)::bigint FROM concurrent_counts), 0::bigint, 'no pair was refused');

-- The same rows in one batch.
SELECT pg_temp.remote('TRUNCATE quanyu.identity_identifier, quanyu.identity_merge, quanyu.identity_refusal, quanyu.identity_state');
CREATE TEMP TABLE single_counts AS
SELECT * FROM dblink(format('dbname=%s host=%s port=%s user=%s', current_database(),
	split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user),
	format('SELECT * FROM quanyu.identity_link(%L)', pg_temp.universe_sql('true')))
	AS c(pairs_read bigint, identifiers_new bigint, persons_new bigint, merges bigint, pairs_refused bigint, values_blocked bigint);
CREATE TEMP TABLE single_partition AS SELECT * FROM pg_temp.partition();

SELECT cmp_ok((SELECT count(*) FROM single_partition), '>', 10000::bigint, 'the universe has many identifiers');
SELECT is((SELECT count(DISTINCT label) FROM concurrent_partition), (SELECT count(DISTINCT label) FROM single_partition),
	'same number of persons as a single-batch ingest');
SELECT set_eq('SELECT * FROM concurrent_partition', 'SELECT * FROM single_partition',
	'8 concurrent overlapping ingests group identifiers exactly as one batch does');
SELECT is((SELECT count(*) FROM single_partition WHERE id_type = 't_device' AND id_value = 'unknown'), 0::bigint,
	'the junk device id is never stored');

-- Clean up the committed work before this session touches the tables
-- itself (its locks would block the remote TRUNCATE until ROLLBACK).
SELECT pg_temp.remote('TRUNCATE quanyu.identity_identifier, quanyu.identity_merge, quanyu.identity_refusal, quanyu.identity_state');

-- A cancelled ingest (statement_timeout) leaves no trace.
CREATE FUNCTION pg_temp.ingest_with_timeout() RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	PERFORM identity_link('SELECT ''phone'', (13900000000 + i)::text, ''email'', i || ''@example.com'' FROM generate_series(1, 5000000) i');
	RETURN 'finished';
EXCEPTION WHEN query_canceled THEN
	RETURN 'canceled';
END
$f$;
SET LOCAL statement_timeout = '500ms';
CREATE TEMP TABLE timeout_result AS SELECT pg_temp.ingest_with_timeout() AS outcome;
RESET statement_timeout;
SELECT is((SELECT outcome FROM timeout_result), 'canceled', 'identity_link honours statement_timeout');
SELECT is((SELECT count(*) FROM identity_identifier WHERE id_value LIKE '139%'), 0::bigint,
	'the cancelled ingest wrote nothing');

SELECT * FROM finish();
ROLLBACK;
