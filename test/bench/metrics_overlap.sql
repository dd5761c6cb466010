-- audience_overlap of 8 audiences of 1M persons each (ids in [0, 4M)),
-- against per-person membership masks counted in plain SQL.
SET work_mem = '1GB';
CREATE TABLE metrics_ov_bench AS
	SELECT k, ((i::bigint * (2 * k + 1) * 2654435761) % 4000000)::bigint AS person
	FROM generate_series(0, 7) k, generate_series(0, 999999) i;
VACUUM ANALYZE metrics_ov_bench;
CREATE TABLE metrics_ov_bench_arr AS
	SELECT array_agg(a ORDER BY k) AS arr FROM (SELECT k, audience_agg(person) a FROM metrics_ov_bench GROUP BY k) s;
SELECT quanyu_bench.compare('audience_overlap 8 audiences x 1M',
	$q$SELECT o.* FROM metrics_ov_bench_arr, audience_overlap(arr) o$q$,
	$b$SELECT m, count(*) FROM (SELECT person, bit_or(1 << k) m FROM metrics_ov_bench GROUP BY person) s GROUP BY m$b$, 1);
CREATE TABLE metrics_ov_bench16 AS
	SELECT k, ((i::bigint * (2 * k + 1) * 2654435761) % 4000000)::bigint AS person
	FROM generate_series(0, 15) k, generate_series(0, 999999) i;
CREATE TABLE metrics_ov_bench16_arr AS
	SELECT array_agg(a ORDER BY k) AS arr FROM (SELECT k, audience_agg(person) a FROM metrics_ov_bench16 GROUP BY k) s;
SELECT quanyu_bench.compare('audience_overlap 16 audiences x 1M',
	$q$SELECT o.* FROM metrics_ov_bench16_arr, audience_overlap(arr) o$q$,
	$b$SELECT m, count(*) FROM (SELECT person, bit_or(1 << k) m FROM metrics_ov_bench16 GROUP BY person) s GROUP BY m$b$, 1);
DROP TABLE metrics_ov_bench, metrics_ov_bench_arr, metrics_ov_bench16, metrics_ov_bench16_arr;
