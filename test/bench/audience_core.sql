-- Benchmarks of the audience type core (issue 2): building, union, intersection count.
\echo audience core benchmarks

SET max_parallel_workers_per_gather = 0;

CREATE TABLE bench_ids AS SELECT (g::bigint * 7919 % 10000000) AS v FROM generate_series(0, 9999999) g;
VACUUM ANALYZE bench_ids;

SELECT quanyu_bench.compare('audience_agg over 10M rows vs count(DISTINCT)',
	$$SELECT cardinality(audience_agg(v)) FROM bench_ids$$,
	$$SELECT count(DISTINCT v) FROM bench_ids$$, 1);
SELECT quanyu_bench.compare('audience_agg over 10M rows vs count(v)',
	$$SELECT cardinality(audience_agg(v)) FROM bench_ids$$,
	$$SELECT count(v) FROM bench_ids$$, 2);

-- Many groups: audience_agg per group against count(v) per group (hash aggregation).
CREATE TABLE bench_groups AS SELECT (g % 100000) AS k, (g::bigint * 7919) % 50000000 AS v FROM generate_series(1, 3000000) g;
VACUUM ANALYZE bench_groups;
SELECT quanyu_bench.compare('audience_agg GROUP BY 100k groups of 30 ids vs count(v) GROUP BY',
	$$SELECT sum(cardinality(a)) FROM (SELECT audience_agg(v) AS a FROM bench_groups GROUP BY k) s$$,
	$$SELECT sum(c) FROM (SELECT count(v) AS c FROM bench_groups GROUP BY k) s$$, 2);

-- 1000 audiences of 100k ids each, spread over 20M ids.
CREATE TABLE bench_members AS
	SELECT a, (a::bigint * 19997 + g * 200) % 20000000 AS v
	FROM generate_series(1, 1000) a, generate_series(0, 99999) g;
CREATE TABLE bench_audiences AS SELECT a, audience_agg(v) AS members FROM bench_members GROUP BY a;
VACUUM ANALYZE bench_audiences;
SELECT quanyu_bench.compare('union of 1000 audiences of 100k ids vs count(DISTINCT) over their rows',
	$$SELECT cardinality(audience_union_agg(members)) FROM bench_audiences$$,
	$$SELECT count(DISTINCT v) FROM bench_members$$, 1);

-- Two 10M-id audiences, sparse (every 2nd and every 3rd id), overlapping in 1/6.
CREATE TABLE bench_pair_rows AS SELECT g::bigint * 2 AS v FROM generate_series(0, 9999999) g;
CREATE TABLE bench_pair_rows2 AS SELECT g::bigint * 3 AS v FROM generate_series(0, 9999999) g;
CREATE TABLE bench_pair AS
	SELECT 1 AS k, audience_agg(v) AS members FROM bench_pair_rows
	UNION ALL
	SELECT 2, audience_agg(v) FROM bench_pair_rows2;
VACUUM ANALYZE bench_pair_rows; VACUUM ANALYZE bench_pair_rows2;
SELECT quanyu_bench.compare('cardinality(a & b) of two 10M-id audiences vs join',
	$$SELECT cardinality(x.members & y.members) FROM bench_pair x, bench_pair y WHERE x.k = 1 AND y.k = 2$$,
	$$SELECT count(*) FROM bench_pair_rows r JOIN bench_pair_rows2 s USING (v)$$, 1);

-- Reading ids out of a 1M-id audience, against a bigint[] of the same ids.
CREATE TABLE bench_out AS
	SELECT audience_agg(v) AS a, array_agg(v ORDER BY v) AS arr FROM bench_ids WHERE v < 2000000 AND v % 2 = 0;
VACUUM ANALYZE bench_out;
SELECT quanyu_bench.compare('text output of a 1M-id audience vs of a bigint[] of the same ids',
	$$SELECT length(a::text) FROM bench_out$$,
	$$SELECT length(arr::text) FROM bench_out$$, 3);
SELECT quanyu_bench.compare('audience_ids() of a 1M-id audience vs unnest() of a bigint[]',
	$$SELECT count(*) FROM bench_out, audience_ids(a)$$,
	$$SELECT count(*) FROM bench_out, unnest(arr)$$, 3);
SELECT quanyu_bench.compare('audience::bigint[] of a 1M-id audience vs a slice of a bigint[]',
	$$SELECT cardinality(a::bigint[]) FROM bench_out$$,
	$$SELECT cardinality(arr[1:1000000]) FROM bench_out$$, 3);

RESET max_parallel_workers_per_gather;
DROP TABLE bench_out, bench_ids, bench_groups, bench_members, bench_audiences, bench_pair, bench_pair_rows, bench_pair_rows2;
