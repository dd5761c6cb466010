-- window_funnel and window_funnel_times: NULL timestamps, steps and windows
-- in every position, groups whose rows are all NULL, forged internal states.
SET timezone = 'UTC';
-- A NULL timestamp on the only row: no event, level 0 (used to crash).
SELECT window_funnel('1 hour', NULL::timestamptz, true);
SELECT window_funnel('1 hour', NULL::timestamp, true);
SELECT window_funnel('1 hour', 'strict_order', NULL::timestamptz, true);
SELECT window_funnel('1 hour', 'strict_order', NULL::timestamp, true);
SELECT window_funnel_times('1 hour', NULL::timestamptz, true);
SELECT window_funnel_times('1 hour', NULL::timestamp, true);
SELECT window_funnel_times('1 hour', '', NULL::timestamptz, true);
SELECT window_funnel_times('1 hour', '', NULL::timestamp, true);
-- NULL step arrays, NULL windows and modes on rows that add no event
SELECT window_funnel('1 hour', now(), VARIADIC NULL::boolean[]);
SELECT window_funnel_times('1 hour', now(), VARIADIC NULL::boolean[]);
SELECT window_funnel(NULL, NULL::timestamptz, true), window_funnel('1 hour', NULL, NULL::timestamptz, true);
-- The funnel report: persons LEFT JOIN events, person 2 has no events at
-- all, person 3 a NULL timestamp first (used to crash).
CREATE TABLE metrics_wfn_person (person int);
INSERT INTO metrics_wfn_person VALUES (1), (2), (3);
CREATE TABLE metrics_wfn_event (person int, ts timestamptz, ev text);
INSERT INTO metrics_wfn_event VALUES
	(1, '2024-01-01 00:00', 'A'), (1, '2024-01-01 00:10', 'B'),
	(3, NULL, 'A'), (3, '2024-01-01 00:00', 'A'), (3, '2024-01-01 02:00', 'B');
SELECT p.person,
	window_funnel('1 hour', e.ts, e.ev = 'A', e.ev = 'B') AS level,
	window_funnel('1 hour', 'strict_increase', e.ts, e.ev = 'A', e.ev = 'B') AS level_mode,
	window_funnel('1 hour', e.ts::timestamp, e.ev = 'A', e.ev = 'B') AS level_ts,
	window_funnel_times('1 hour', e.ts, e.ev = 'A', e.ev = 'B') AS times,
	window_funnel_times('1 hour', '', e.ts::timestamp, e.ev = 'A', e.ev = 'B') AS times_ts
FROM metrics_wfn_person p LEFT JOIN metrics_wfn_event e USING (person)
GROUP BY p.person ORDER BY p.person;
-- the same with hash aggregation and with sorted groups
SET enable_hashagg = off;
SELECT p.person, window_funnel('1 hour', e.ts, e.ev = 'A', e.ev = 'B') AS level
FROM metrics_wfn_person p LEFT JOIN metrics_wfn_event e USING (person)
GROUP BY p.person ORDER BY p.person;
RESET enable_hashagg;
-- as a window function whose first rows are NULL
SELECT person, ts, window_funnel('1 hour', ts, ev = 'A', ev = 'B') OVER w,
	window_funnel_times('1 hour', ts, ev = 'A', ev = 'B') OVER w
FROM metrics_wfn_event WHERE person = 3 WINDOW w AS (ORDER BY ts NULLS FIRST) ORDER BY ts NULLS FIRST;
-- parallel partial aggregation with groups that are all NULL in some workers
CREATE TABLE metrics_wfn_big AS
	SELECT i % 1000 AS person, CASE WHEN i % 1000 < 100 OR i % 7 = 0 THEN NULL ELSE '2024-01-01'::timestamptz + (i % 5000) * interval '1 second' END AS ts,
		i % 3 AS step
	FROM generate_series(1, 60000) i;
CREATE TABLE metrics_wfn_serial AS
	SELECT person, window_funnel('1 hour', ts, step = 0, step = 1, step = 2) AS level FROM metrics_wfn_big GROUP BY person;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT count(*) AS differences FROM (
	SELECT person, window_funnel('1 hour', ts, step = 0, step = 1, step = 2) AS level FROM metrics_wfn_big GROUP BY person
	EXCEPT SELECT * FROM metrics_wfn_serial) d;
SELECT count(*) FILTER (WHERE level = 0) AS persons_at_0 FROM metrics_wfn_serial;
RESET parallel_leader_participation;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- infinite timestamps are events like any other
SELECT window_funnel_times('1 hour', t, t = '-infinity', t = 'infinity') FROM unnest(ARRAY['-infinity', 'infinity']::timestamptz[]) t;
SELECT window_funnel_times('1 hour', t, t = 'infinity', t = 'infinity') FROM unnest(ARRAY['infinity', 'infinity']::timestamp[]) t;
-- the limits of the window: the largest, an overflowing one, months, negative
SELECT window_funnel('106751991 days', t, t = '-infinity', t = '2024-01-01') FROM unnest(ARRAY['-infinity', '2024-01-01']::timestamptz[]) t;
SELECT window_funnel('106751992 days', now(), true);
SELECT window_funnel('1 mon', now(), true);
SELECT window_funnel('-1 microsecond', now(), true);
-- the limits of the steps
SELECT window_funnel('1 hour', now(), VARIADIC '{}'::boolean[]);
SELECT window_funnel('1 hour', now(), VARIADIC array_fill(true, ARRAY[65]));
SELECT window_funnel('1 hour', now(), VARIADIC '{{true},{false}}'::boolean[]);
SELECT window_funnel('1 hour', now(), VARIADIC '{NULL,NULL}'::boolean[]);
SELECT window_funnel('1 hour', now(), VARIADIC '[0:1]={true,true}'::boolean[]);
-- The support functions take internal, which SQL cannot pass: only an
-- aggregate can call them.
SELECT window_funnel_final(NULL::internal);
-- Aggregates mixing support functions over internal states (only a
-- superuser can create them): our final function on a state of another
-- aggregate's transition function is refused.
CREATE AGGREGATE metrics_wfn_mix1(double precision, double precision, double precision) (
	SFUNC = clv_fit_trans, STYPE = internal, FINALFUNC = window_funnel_final);
SELECT metrics_wfn_mix1(1, 2, 3);
CREATE AGGREGATE metrics_wfn_mix2(numeric) (
	SFUNC = pg_catalog.numeric_accum, STYPE = internal, FINALFUNC = window_funnel_times_final);
SELECT metrics_wfn_mix2(1);
CREATE AGGREGATE metrics_wfn_mix3(numeric) (
	SFUNC = pg_catalog.numeric_accum, STYPE = internal, FINALFUNC = window_funnel_times_final_ts);
SELECT metrics_wfn_mix3(1);
-- ... and our combine, serial functions too
CREATE AGGREGATE metrics_wfn_mix4(numeric) (
	SFUNC = pg_catalog.numeric_accum, STYPE = internal, FINALFUNC = pg_catalog.numeric_avg,
	COMBINEFUNC = window_funnel_combine, SERIALFUNC = window_funnel_serialize,
	DESERIALFUNC = window_funnel_deserialize, PARALLEL = SAFE);
CREATE TABLE metrics_wfn_num AS SELECT i::numeric AS x FROM generate_series(1, 20000) i;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT metrics_wfn_mix4(x) FROM metrics_wfn_num;
-- ... and bytes another aggregate's serial function wrote reach our
-- deserial function
CREATE AGGREGATE metrics_wfn_mix5(numeric) (
	SFUNC = pg_catalog.numeric_avg_accum, STYPE = internal, FINALFUNC = pg_catalog.numeric_avg,
	COMBINEFUNC = pg_catalog.numeric_avg_combine, SERIALFUNC = pg_catalog.numeric_avg_serialize,
	DESERIALFUNC = window_funnel_deserialize, PARALLEL = SAFE);
SELECT metrics_wfn_mix5(x) FROM metrics_wfn_num;
-- ... our transition function with another aggregate's serial function is
-- our state reaching a function that is not ours: not checked here.
RESET parallel_leader_participation;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP AGGREGATE metrics_wfn_mix1(double precision, double precision, double precision);
DROP AGGREGATE metrics_wfn_mix2(numeric);
DROP AGGREGATE metrics_wfn_mix3(numeric);
DROP AGGREGATE metrics_wfn_mix4(numeric);
DROP AGGREGATE metrics_wfn_mix5(numeric);
DROP TABLE metrics_wfn_num, metrics_wfn_big, metrics_wfn_serial, metrics_wfn_person, metrics_wfn_event;
