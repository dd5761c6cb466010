-- window_funnel and window_funnel_times.
SET timezone = 'UTC';
CREATE TABLE metrics_wf (person int, ts timestamptz, ev text);
-- minutes after 2024-01-01 00:00 UTC; steps A -> B -> C, D is any other event
INSERT INTO metrics_wf SELECT p, '2024-01-01'::timestamptz + m * interval '1 minute', e FROM (VALUES
	(1, 0, 'A'), (1, 10, 'B'), (1, 20, 'C'),
	(2, 0, 'A'), (2, 10, 'B'), (2, 90, 'C'),
	(3, 0, 'A'), (3, 50, 'A'), (3, 60, 'B'), (3, 100, 'C'),
	(4, 0, 'B'), (4, 10, 'C'),
	(5, 0, 'A'), (5, 10, 'B'), (5, 15, 'D'), (5, 20, 'C'),
	(6, 0, 'A'), (6, 0, 'B'), (6, 0, 'C'),
	(7, 0, 'A'), (7, 10, 'B'), (7, 20, 'B'), (7, 30, 'C'),
	(8, 0, 'A'), (8, 10, 'C'), (8, 20, 'B'), (8, 30, 'C'),
	(9, 0, 'AB'), (9, 10, 'C'),
	(10, 0, 'A'), (10, 60, 'B'), (10, 61, 'C')) v(p, m, e);
-- default mode:
-- 1: A B C in 20 min -> 3; 2: C is 90 min after A -> 2; 3: the chain restarts at the second A -> 3;
-- 4: no A -> 0; 5: D is ignored -> 3; 6: equal times advance (A, B, C in step order) -> 3;
-- 7: B repeats -> 3; 8: C before B is ignored -> 3; 9: one row meeting A and B advances one step -> 1;
-- 10: the window is inclusive (B at exactly 60 min), C at 61 min is outside -> 2
SELECT person, window_funnel('1 hour', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') AS level,
	window_funnel_times('1 hour', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') AS times
	FROM metrics_wf GROUP BY person ORDER BY person;
-- strict_order: another event (D) or a step out of order ends the chain: 5 -> 2, 8 -> 1
SELECT person, window_funnel('1 hour', 'strict_order', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') AS level,
	window_funnel_times('1 hour', 'strict_order', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') AS times
	FROM metrics_wf GROUP BY person ORDER BY person;
-- strict_increase: equal timestamps do not advance: 6 -> 1
SELECT person, window_funnel('1 hour', 'strict_increase', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') AS level
	FROM metrics_wf GROUP BY person ORDER BY person;
-- strict_deduplication: a repeated step ends the chain: 7 -> 2
SELECT person, window_funnel('1 hour', 'strict_deduplication', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') AS level,
	window_funnel_times('1 hour', 'strict_deduplication', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') AS times
	FROM metrics_wf GROUP BY person ORDER BY person;
-- modes combine; spaces and commas separate them
SELECT person, window_funnel('1 hour', 'strict_order, strict_increase,strict_deduplication', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') AS level
	FROM metrics_wf GROUP BY person ORDER BY person;
-- the funnel report: persons reaching at least each step
SELECT step, count(*) FILTER (WHERE level >= step) AS persons FROM (SELECT person, window_funnel('1 hour', ts, ev LIKE '%A%', ev LIKE '%B%', ev = 'C') level FROM metrics_wf GROUP BY person) s, generate_series(1, 3) step GROUP BY step ORDER BY step;
-- timestamp without time zone, and a zero window
SELECT window_funnel('30 minutes', ts AT TIME ZONE 'UTC', ev = 'A', ev = 'B'), window_funnel_times('30 minutes', ts AT TIME ZONE 'UTC', ev = 'A', ev = 'B') FROM metrics_wf WHERE person = 1;
SELECT window_funnel('0', ts, ev = 'A', ev = 'B'), window_funnel('0', 'strict_increase', ts, ev = 'A', ev = 'B') FROM metrics_wf WHERE person = 6;
-- as window functions: the level and step times so far, row by row
SELECT ev, ts, window_funnel('1 hour', ts, ev = 'A', ev = 'B', ev = 'C') OVER w, window_funnel_times('1 hour', 'strict_order', ts, ev = 'A', ev = 'B', ev = 'C') OVER w FROM metrics_wf WHERE person = 5 WINDOW w AS (ORDER BY ts) ORDER BY ts;
SELECT ev, retention_agg(ev = 'A', ev = 'C') OVER (ORDER BY ts) FROM metrics_wf WHERE person = 1 ORDER BY ts;
-- one step; no rows; NULL timestamps, steps and step arrays
SELECT person, window_funnel('1 hour', ts, ev = 'C') FROM metrics_wf WHERE person < 3 GROUP BY person ORDER BY person;
SELECT window_funnel('1 hour', ts, ev = 'A'), window_funnel_times('1 hour', ts, ev = 'A') FROM metrics_wf WHERE false;
-- one step: the first row meeting it completes the funnel and stops the scan, so the
-- times are those of the first chain ({10:00}), in every overload and mode
CREATE TABLE metrics_wf_one (ts timestamptz);
INSERT INTO metrics_wf_one VALUES ('2024-01-01 11:00+00'), ('2024-01-01 10:00+00');
SELECT window_funnel('1 hour', ts, true), window_funnel_times('1 hour', ts, true) FROM metrics_wf_one;
SELECT window_funnel_times('1 hour', ts AT TIME ZONE 'UTC', true) FROM metrics_wf_one;
SELECT mode, window_funnel('1 hour', mode, ts, true), window_funnel_times('1 hour', mode, ts, true),
	window_funnel_times('1 hour', mode, ts AT TIME ZONE 'UTC', true)
	FROM metrics_wf_one, unnest(ARRAY['', 'strict_order', 'strict_increase', 'strict_deduplication']) mode
	GROUP BY mode ORDER BY mode;
-- one step among rows that meet no step (strict_order keeps them): still the first time
SELECT window_funnel_times('1 hour', 'strict_order', ts, ts = '2024-01-01 10:00+00' OR ts = '2024-01-01 11:00+00')
	FROM (SELECT ts FROM metrics_wf_one UNION ALL SELECT '2024-01-01 09:00+00') s;
-- as a window function the answer stays at the first row once reached
SELECT ts, window_funnel_times('1 hour', ts, true) OVER (ORDER BY ts) FROM metrics_wf_one ORDER BY ts;
DROP TABLE metrics_wf_one;
SELECT window_funnel('1 hour', CASE WHEN ev = 'B' THEN NULL ELSE ts END, ev = 'A', ev = 'B') FROM metrics_wf WHERE person = 1;
SELECT window_funnel('1 hour', ts, ev = 'A', CASE WHEN ev = 'B' THEN NULL ELSE false END) FROM metrics_wf WHERE person = 1;
SELECT window_funnel('1 hour', ts, VARIADIC CASE WHEN ev = 'A' THEN ARRAY[true, false] END) FROM metrics_wf WHERE person = 1;
-- 64 steps (the limit): step i at minute i
SELECT window_funnel('2 hours', '2024-01-01'::timestamptz + i * interval '1 minute', VARIADIC (SELECT array_agg(j = i ORDER BY j) FROM generate_series(1, 64) j)) FROM generate_series(1, 64) i;
SELECT (window_funnel_times('2 hours', '2024-01-01'::timestamptz + i * interval '1 minute', VARIADIC (SELECT array_agg(j = i ORDER BY j) FROM generate_series(1, 64) j)))[64] FROM generate_series(1, 64) i;
-- infinite timestamps do not overflow the window arithmetic
SELECT window_funnel('1 hour', t, t = '-infinity', t = 'infinity') FROM unnest(ARRAY['-infinity', 'infinity']::timestamptz[]) t;
-- parallel plan (serialised states) gives the same report as a serial one
CREATE TABLE metrics_wf_big AS SELECT i % 5000 AS person, '2024-01-01'::timestamptz + ((i * 7919) % 100000) * interval '1 second' AS ts, (i * 31) % 4 AS step FROM generate_series(1, 100000) i;
CREATE TABLE metrics_wf_serial AS SELECT level, count(*) FROM (SELECT person, window_funnel('2 hours', ts, step = 0, step = 1, step = 2, step = 3) level FROM metrics_wf_big GROUP BY person) s GROUP BY level;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT window_funnel('2 hours', ts, step = 0, step = 1) FROM metrics_wf_big;
SELECT level, count(*) FROM (SELECT person, window_funnel('2 hours', ts, step = 0, step = 1, step = 2, step = 3) level FROM metrics_wf_big GROUP BY person) s GROUP BY level
EXCEPT SELECT * FROM metrics_wf_serial;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT sum(count) FROM metrics_wf_serial;
-- errors
SELECT window_funnel('1 hour', ts, VARIADIC ARRAY[]::boolean[]) FROM metrics_wf;
SELECT window_funnel('1 hour', ts, VARIADIC array_fill(true, ARRAY[65])) FROM metrics_wf;
SELECT window_funnel('1 hour', ts, VARIADIC array_fill(true, ARRAY[person])) FROM metrics_wf;
SELECT window_funnel('1 month', ts, ev = 'A') FROM metrics_wf;
SELECT window_funnel('-1 hour', ts, ev = 'A') FROM metrics_wf;
SELECT window_funnel(NULL, ts, ev = 'A') FROM metrics_wf;
SELECT window_funnel('1 hour', 'strict', ts, ev = 'A') FROM metrics_wf;
SELECT window_funnel('1 hour', NULL, ts, ev = 'A') FROM metrics_wf;
DROP TABLE metrics_wf, metrics_wf_big, metrics_wf_serial;
RESET timezone;
