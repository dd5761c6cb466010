-- Errors in the middle of audience operations do not leak CRoaring memory
-- (Debian's CRoaring mallocs; memory-context callbacks must free it).
-- 100k calls that fail after a large bitmap was decoded or built; the
-- backend's resident set size must not grow with them.
BEGIN;
SELECT plan(5);

CREATE TEMP TABLE mem_big AS
	SELECT audience_agg(g * 17) | 3000000000 AS members FROM generate_series(0, 199999) g;

CREATE FUNCTION pg_temp.rss_kb() RETURNS bigint LANGUAGE sql AS $$
	SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1]::bigint
$$;

-- Run statement 1 + i % n of stmts for i in 1..calls, each in its own
-- subtransaction; the number that failed.
CREATE FUNCTION pg_temp.failures(stmts text[], calls int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	failures int := 0;
BEGIN
	FOR i IN 1..calls LOOP
		BEGIN
			EXECUTE stmts[1 + i % array_length(stmts, 1)];
		EXCEPTION WHEN OTHERS THEN
			failures := failures + 1;
		END;
	END LOOP;
	RETURN failures;
END $$;

-- Each call fails after decoding (int4 cast of an id above 2^31), after
-- building (a range then a syntax error), or inside an aggregate.
CREATE FUNCTION pg_temp.failing_calls(n int) RETURNS int LANGUAGE sql AS $$
	SELECT pg_temp.failures(ARRAY[
		'SELECT (SELECT members FROM mem_big)::int[]',
		$q$SELECT '{0-1000000,x}'::audience$q$,
		'SELECT audience_agg(v) FROM (VALUES (1::bigint), (5000000), (-1)) t(v)'], n)
$$;

SELECT is(pg_temp.failing_calls(5000), 5000, 'warm-up: 5000 calls fail as they should');
CREATE TEMP TABLE mem_rss AS SELECT pg_temp.rss_kb() AS before_kb;
SELECT is(pg_temp.failing_calls(100000), 100000, '100k calls fail as they should');
SELECT diag(format('RSS before %s kB, after %s kB', before_kb, pg_temp.rss_kb())) FROM mem_rss;
SELECT cmp_ok(pg_temp.rss_kb() - before_kb, '<', 20000::bigint,
	'backend RSS grows by less than 20 MB over 100k failing calls') FROM mem_rss;

-- The batched paths (audience_roaring.c, audience_union.c): a union that
-- has queued and merged more than one batch of stored inputs, and an
-- audience_agg that has merged a full batch of ids, each failing on a later
-- row.  Fewer calls, as each does more work; a leak of the state's bitmap
-- would still be several hundred MB.
CREATE TEMP TABLE mem_inputs AS
	SELECT k, audience_agg(k * 100000 + g * 13) AS members
	FROM generate_series(1, 70) k, generate_series(0, 4999) g GROUP BY k;
CREATE FUNCTION pg_temp.failing_batches(n int) RETURNS int LANGUAGE sql AS $$
	SELECT pg_temp.failures(ARRAY[
		$q$SELECT audience_union_agg(CASE WHEN k < 70 THEN members ELSE ('{' || (k - 71) || '}')::audience END
			ORDER BY k) FROM mem_inputs$q$,
		'SELECT audience_agg(CASE WHEN g < 70000 THEN g * 7 ELSE -1 END ORDER BY g) FROM generate_series(0, 70000) g'], n)
$$;
SELECT pg_temp.failing_batches(50);
UPDATE mem_rss SET before_kb = pg_temp.rss_kb();
SELECT is(pg_temp.failing_batches(2000), 2000, '2000 batched unions and builds fail as they should');
SELECT diag(format('RSS before %s kB, after %s kB', before_kb, pg_temp.rss_kb())) FROM mem_rss;
SELECT cmp_ok(pg_temp.rss_kb() - before_kb, '<', 20000::bigint,
	'backend RSS grows by less than 20 MB over 2000 failing batched aggregates') FROM mem_rss;

SELECT * FROM finish();
ROLLBACK;
