-- Errors in the middle of audience operations do not leak CRoaring memory
-- (Debian's CRoaring mallocs; memory-context callbacks must free it).
-- 100k calls that fail after a large bitmap was decoded or built; the
-- backend's resident set size must not grow with them.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE mem_big AS
	SELECT audience_agg(g * 17) | 3000000000 AS members FROM generate_series(0, 199999) g;

CREATE FUNCTION pg_temp.rss_kb() RETURNS bigint LANGUAGE sql AS $$
	SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1]::bigint
$$;

-- Each call fails after decoding (int4 cast of an id above 2^31), after
-- building (a range then a syntax error), or inside an aggregate.
CREATE FUNCTION pg_temp.failing_calls(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	failures int := 0;
	big audience := (SELECT members FROM mem_big);
	bad_text text := '{0-1000000,x}';
BEGIN
	FOR i IN 1..n LOOP
		BEGIN
			CASE i % 3
				WHEN 0 THEN PERFORM (SELECT members FROM mem_big)::int[];
				WHEN 1 THEN PERFORM bad_text::audience;
				ELSE PERFORM audience_agg(v) FROM (VALUES (1::bigint), (5000000), (-1)) t(v);
			END CASE;
		EXCEPTION WHEN OTHERS THEN
			failures := failures + 1;
		END;
	END LOOP;
	RETURN failures;
END $$;

SELECT is(pg_temp.failing_calls(5000), 5000, 'warm-up: 5000 calls fail as they should');
CREATE TEMP TABLE mem_rss AS SELECT pg_temp.rss_kb() AS before_kb;
SELECT is(pg_temp.failing_calls(100000), 100000, '100k calls fail as they should');
SELECT diag(format('RSS before %s kB, after %s kB', before_kb, pg_temp.rss_kb())) FROM mem_rss;
SELECT cmp_ok(pg_temp.rss_kb() - before_kb, '<', 20000::bigint,
	'backend RSS grows by less than 20 MB over 100k failing calls') FROM mem_rss;

SELECT * FROM finish();
ROLLBACK;
