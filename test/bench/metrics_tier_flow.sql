-- tier_flow of 5 tiers x 2 periods over 10M persons, against the same
-- matrix from a full join of (person, tier) tables.
SET work_mem = '1GB';
CREATE TABLE metrics_tf_bench_p1 AS
	SELECT i AS person, 1 + ((i::bigint * 2654435761) % 1000) / 200 AS tier FROM generate_series(0, 9999999) i WHERE i % 10 <> 0;
CREATE TABLE metrics_tf_bench_p2 AS
	SELECT i AS person, 1 + ((i::bigint * 40503 + 7) % 1000) / 200 AS tier FROM generate_series(500000, 10499999) i WHERE i % 9 <> 0;
VACUUM ANALYZE metrics_tf_bench_p1;
VACUUM ANALYZE metrics_tf_bench_p2;
CREATE TABLE metrics_tf_bench_tiers AS SELECT
	(SELECT array_agg(a ORDER BY tier) FROM (SELECT tier, audience_agg(person) a FROM metrics_tf_bench_p1 GROUP BY tier) s) AS t1,
	(SELECT array_agg(a ORDER BY tier) FROM (SELECT tier, audience_agg(person) a FROM metrics_tf_bench_p2 GROUP BY tier) s) AS t2;
SELECT quanyu_bench.compare('tier_flow 5x5 tiers, 10M persons',
	$q$SELECT f.* FROM metrics_tf_bench_tiers, tier_flow(t1, t2) f$q$,
	$b$SELECT coalesce(a.tier, 0), coalesce(b.tier, 0), count(*) FROM metrics_tf_bench_p1 a
		FULL JOIN metrics_tf_bench_p2 b USING (person) GROUP BY 1, 2$b$);
SELECT quanyu_bench.compare('tier_flow_rate 5x5 tiers, 10M persons, no waterfall',
	$q$SELECT f.* FROM metrics_tf_bench_tiers, tier_flow_rate(t1, t2, false) f$q$,
	$b$SELECT coalesce(a.tier, 0), coalesce(b.tier, 0), count(*) FROM metrics_tf_bench_p1 a
		FULL JOIN metrics_tf_bench_p2 b USING (person) GROUP BY 1, 2$b$);
DROP TABLE metrics_tf_bench_p1, metrics_tf_bench_p2, metrics_tf_bench_tiers;
