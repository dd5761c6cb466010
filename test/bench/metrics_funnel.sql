-- window_funnel of 5 steps over 10M events of 1M persons, against a plain
-- GROUP BY person computing min(ts) per step over the same table.  Each
-- person has 10 events within 4 hours of one day, steps 1-5 and "other" (0).
SET work_mem = '1GB';
CREATE TABLE metrics_funnel_bench AS
	SELECT i % 1000000 AS person,
		'2024-01-01'::timestamptz + (i % 1000000 % 30) * interval '1 day' + ((i::bigint * 7919) % 14400) * interval '1 second' AS ts,
		((i / 1000000) + (i % 1000000) * 7) % 6 AS step
	FROM generate_series(0, 9999999) i;
VACUUM ANALYZE metrics_funnel_bench;
SELECT quanyu_bench.compare('window_funnel 5 steps, 10M events, 1M persons',
	$q$SELECT level, count(*) FROM (SELECT person, window_funnel('1 hour', ts, step = 1, step = 2, step = 3, step = 4, step = 5) AS level
		FROM metrics_funnel_bench GROUP BY person) s GROUP BY level$q$,
	$b$SELECT count(m1), count(m5) FROM (SELECT person, min(ts) FILTER (WHERE step = 1) m1, min(ts) FILTER (WHERE step = 2) m2,
		min(ts) FILTER (WHERE step = 3) m3, min(ts) FILTER (WHERE step = 4) m4, min(ts) FILTER (WHERE step = 5) m5
		FROM metrics_funnel_bench GROUP BY person) s$b$);
SELECT quanyu_bench.compare('window_funnel_times 5 steps, 10M events, 1M persons',
	$q$SELECT count(t[1]), count(t[5]) FROM (SELECT person, window_funnel_times('1 hour', ts, step = 1, step = 2, step = 3, step = 4, step = 5) AS t
		FROM metrics_funnel_bench GROUP BY person) s$q$,
	$b$SELECT count(m1), count(m5) FROM (SELECT person, min(ts) FILTER (WHERE step = 1) m1, min(ts) FILTER (WHERE step = 2) m2,
		min(ts) FILTER (WHERE step = 3) m3, min(ts) FILTER (WHERE step = 4) m4, min(ts) FILTER (WHERE step = 5) m5
		FROM metrics_funnel_bench GROUP BY person) s$b$);
DROP TABLE metrics_funnel_bench;
