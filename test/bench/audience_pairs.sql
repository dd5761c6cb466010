-- test/bench/audience_pairs.sql: operations on stored audiences read from
-- their bytes, aggregates that skip work, and building from spread ids,
-- each against a baseline on our own type in the same run (issue 11; no
-- pg_roaringbitmap needed).
--
-- Goals:
--   1. every pairwise count (and/or/andnot/xor) and @> of two stored
--      audiences at least 2x faster than decoding both and counting
--      (quanyu.audience_count_from_bytes = off, the 0.1.0 path);
--   2. audience_intersect_agg whose result is empty early: at most 2x the
--      time of reading the inputs' headers (sum(cardinality()));
--   3. audience_xor_agg no slower than audience_union_agg of the same inputs;
--   4. audience_agg over 10M ids spread over 0..2^31 within 2x of 10M dense ids.
\echo audience pair and aggregate benchmarks

SET search_path = quanyu, public;
SET max_parallel_workers_per_gather = 0;

-- 1. Pairs of stored audiences in three shapes: bitsets (every 2nd id below
--    20M, every 3rd below 30M), arrays (1M ids spread over 0..2^31 each,
--    ~30 ids a container) and runs (blocks of 1000 ids).
CREATE TABLE bench_pairs (shape text, k int, members audience);
INSERT INTO bench_pairs
	SELECT 'bitset', 1, audience_agg(g * 2) FROM generate_series(0, 9999999) g UNION ALL
	SELECT 'bitset', 2, audience_agg(g * 3) FROM generate_series(0, 9999999) g UNION ALL
	SELECT 'array', 1, audience_agg((g::bigint * 2147) % 2147483648) FROM generate_series(0, 999999) g UNION ALL
	SELECT 'array', 2, audience_agg((g::bigint * 3221) % 2147483648) FROM generate_series(0, 999999) g UNION ALL
	SELECT 'run', 1, audience_agg(b * 3000 + x) FROM generate_series(0, 9999) b, generate_series(0, 999) x UNION ALL
	SELECT 'run', 2, audience_agg(b * 2000 + 500 + x) FROM generate_series(0, 9999) b, generate_series(0, 999) x;
-- subsets for @> (the worst case: every container is compared)
INSERT INTO bench_pairs SELECT shape, 3, members - audience_from_range(0, 1000) FROM bench_pairs WHERE k = 1;
VACUUM ANALYZE bench_pairs;
SELECT shape, k, cardinality(members), (audience_stats(members)).containers,
	pg_size_pretty(pg_column_size(members)::bigint) AS stored FROM bench_pairs ORDER BY 1, 2;

CREATE FUNCTION bench_decoded(q text) RETURNS void LANGUAGE plpgsql
	SET quanyu.audience_count_from_bytes = off
	AS $$ BEGIN EXECUTE q; END $$;

CREATE FUNCTION bench_pair_compare(label text, expr text, shape text, yk int DEFAULT 2, runs int DEFAULT 5) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	q text := format('SELECT %s FROM bench_pairs x, bench_pairs y WHERE x.shape = %L AND y.shape = %L AND x.k = 1 AND y.k = %s',
					 expr, shape, shape, yk);
BEGIN
	PERFORM quanyu_bench.compare(label || ' (' || shape || ')', q, format('SELECT bench_decoded(%L)', q), runs);
END $$;

SELECT bench_pair_compare('audience_and_count, from bytes vs decoded', 'audience_and_count(x.members, y.members)', s) FROM unnest(ARRAY['bitset', 'array', 'run']) s;
SELECT bench_pair_compare('audience_or_count, from bytes vs decoded', 'audience_or_count(x.members, y.members)', s) FROM unnest(ARRAY['bitset', 'array', 'run']) s;
SELECT bench_pair_compare('audience_andnot_count, from bytes vs decoded', 'audience_andnot_count(x.members, y.members)', s) FROM unnest(ARRAY['bitset', 'array', 'run']) s;
SELECT bench_pair_compare('audience_xor_count, from bytes vs decoded', 'audience_xor_count(x.members, y.members)', s) FROM unnest(ARRAY['bitset', 'array', 'run']) s;
SELECT bench_pair_compare('a @> b, b a subset of a, from bytes vs decoded', 'x.members @> y.members', s, 3) FROM unnest(ARRAY['bitset', 'array', 'run']) s;

-- 2.-3. 1000 audiences of 100k ids spread over 20M ids; audience a holds ids
--    = 19997 a (mod 200), so the intersection of any two is empty.
CREATE TABLE bench_many AS
	SELECT a, audience_agg((a::bigint * 19997 + g * 200) % 20000000) AS members
	FROM generate_series(1, 1000) a, generate_series(0, 99999) g GROUP BY a;
VACUUM ANALYZE bench_many;
SELECT quanyu_bench.compare('audience_intersect_agg of 1000 audiences, empty after two, vs sum(cardinality())',
	'SELECT cardinality(audience_intersect_agg(members ORDER BY a)) FROM bench_many',
	'SELECT sum(cardinality(members)) FROM (SELECT members FROM bench_many ORDER BY a) s', 10);
SELECT quanyu_bench.compare('audience_xor_agg vs audience_union_agg of 1000 audiences of 100k ids',
	'SELECT cardinality(audience_xor_agg(members)) FROM bench_many',
	'SELECT cardinality(audience_union_agg(members)) FROM bench_many', 3);

-- 4. Building from ids spread over 0..2^31 (32k containers) against dense ids.
CREATE TABLE bench_spread AS SELECT (g::bigint * 214748) % 2147483648 AS v FROM generate_series(1, 10000000) g;
CREATE TABLE bench_dense AS SELECT (g::bigint * 7919) % 10000000 AS v FROM generate_series(1, 10000000) g;
VACUUM ANALYZE bench_spread;
VACUUM ANALYZE bench_dense;
SELECT quanyu_bench.compare('audience_agg of 10M ids spread over 0..2^31 vs 10M dense ids',
	'SELECT cardinality(audience_agg(v)) FROM bench_spread',
	'SELECT cardinality(audience_agg(v)) FROM bench_dense', 3);

RESET max_parallel_workers_per_gather;
DROP FUNCTION bench_pair_compare(text, text, text, int, int);
DROP FUNCTION bench_decoded(text);
DROP TABLE bench_pairs, bench_many, bench_spread, bench_dense;
