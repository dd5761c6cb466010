-- clv_safety: the RFM/CLV module in a shared database (issue 16): non-finite
-- input is refused, aggregate support functions refuse states they did not
-- create, clv_cohort_retention is PARALLEL RESTRICTED and resolves nothing
-- through the caller's search_path.
SET TimeZone = 'UTC';
\set VERBOSITY terse
-- infinite timestamps: errors, not recencies of minus two billion days
SELECT clv_summary_agg(ts, 10, '2024-02-01', '7 days') FROM (VALUES (timestamptz '-infinity'), ('2024-01-10')) o(ts);
SELECT clv_summary_agg(ts, 10, '2024-02-01', '7 days') FROM (VALUES (timestamptz 'infinity')) o(ts);
SELECT clv_summary_agg(ts, 10, 'infinity', '7 days') FROM (VALUES (timestamptz '2024-01-10')) o(ts);
SELECT rfm_agg(ts, 10, '2024-02-01') FROM (VALUES (timestamptz '-infinity'), ('2024-01-10')) o(ts);
SELECT rfm_agg(ts, 10, 'infinity') FROM (VALUES (timestamptz '2024-01-10')) o(ts);
-- the widest finite span: recency without int64 overflow
SELECT round((rfm_agg(ts, 10, '294000-01-01')).recency) AS recency FROM (VALUES (timestamptz '4700-01-01 BC')) o(ts);
SELECT (clv_summary_agg(ts, 1, '294000-01-01', '1 day')).t FROM (VALUES (timestamptz '4700-01-01 BC')) o(ts);
-- zero, negative, mixed-sign units
SELECT clv_summary_agg(ts, 10, '2024-02-01', '0 days') FROM (VALUES (timestamptz '2024-01-10')) o(ts);
SELECT clv_summary_agg(ts, 10, '2024-02-01', '1 month -40 days') FROM (VALUES (timestamptz '2024-01-10')) o(ts);
-- NaN and infinite amounts and doubles
SELECT rfm_agg(ts, 'Infinity', '2024-02-01') FROM (VALUES (timestamptz '2024-01-10')) o(ts);
SELECT clv_summary_agg(ts, '-Infinity', '2024-02-01', '1 day') FROM (VALUES (timestamptz '2024-01-10')) o(ts);
SELECT clv_metrics_agg(2, 'Infinity');
SELECT rfm_breaks(v, 3) FROM (VALUES (1.0::float8), ('Infinity')) t(v);
SELECT rfm_score('-Infinity', ARRAY[1, 2]::float8[]);
SELECT rfm_score(1, ARRAY[1, 'Infinity']::float8[]);
SELECT bgnbd_fit(2, 1, '-Infinity');
SELECT gammagamma_fit(2, 'Infinity');
SELECT bgnbd_sample(1, 'Infinity', 1, 1, 1, 1);
SELECT bgnbd_expected_purchases(ROW(0.243, 4.414, 0.793, 2.426, 0, 0, true, 0)::bgnbd_params, 'Infinity', 1, 1, 2);
SELECT pareto_nbd_p_alive(ROW(0.553, 10.578, 'Infinity', 11.669, 0, 0, true, 0)::pareto_nbd_params, 1, 1, 2);
SELECT clv(ROW(0.243, 4.414, 0.793, 2.426, 0, 0, true, 0)::bgnbd_params, ROW(6.25, 3.74, 15.44, 0, 0, true, 0)::gammagamma_params,
           2, 30, 38, 22, 'Infinity', 0.01);
-- a heavy buyer's Pareto/NBD prediction costs what an ordinary one does
SELECT round(pareto_nbd_p_alive(ROW(0.553, 10.578, 0.606, 11.669, 0, 0, true, 0)::pareto_nbd_params, 100000, 38, 39)::numeric, 6) AS heavy_alive,
       round(pareto_nbd_expected_purchases(ROW(0.553, 10.578, 0.606, 11.669, 0, 0, true, 0)::pareto_nbd_params, 39, 100000, 38.86, 38.86)::numeric, 0) AS heavy_expected;
SELECT pareto_nbd_p_alive(ROW(0.553, 1e-3, 0.606, 1e3, 0, 0, true, 0)::pareto_nbd_params, 5, 30, 39) BETWEEN 0 AND 1 AS extreme_scales_alive;

-- Aggregates that mix our support functions.  A normal role cannot declare
-- an internal state at all:
CREATE ROLE clv_safety_user;
GRANT CREATE ON SCHEMA public TO clv_safety_user;
SET ROLE clv_safety_user;
CREATE AGGREGATE public.mixed_user(timestamptz, numeric, timestamptz) (SFUNC = rfm_agg_trans, STYPE = internal, FINALFUNC = clv_summary_final);
RESET ROLE;
-- a superuser can, and each mix is an error instead of a misread
CREATE AGGREGATE mix_rfm_summary(timestamptz, numeric, timestamptz) (SFUNC = rfm_agg_trans, STYPE = internal, FINALFUNC = clv_summary_final);
CREATE AGGREGATE mix_summary_rfm(timestamptz, numeric, timestamptz, interval) (SFUNC = clv_summary_trans, STYPE = internal, FINALFUNC = rfm_agg_final);
CREATE AGGREGATE mix_fit_spend(float8, float8, float8) (SFUNC = clv_fit_trans, STYPE = internal, FINALFUNC = gammagamma_fit_final);
CREATE AGGREGATE mix_breaks_metrics(float8, int) (SFUNC = rfm_breaks_trans, STYPE = internal, FINALFUNC = clv_metrics_final);
CREATE AGGREGATE mix_core_rfm(numeric) (SFUNC = numeric_avg_accum, STYPE = internal, FINALFUNC = rfm_agg_final);
CREATE AGGREGATE mix_metrics_combine(bigint, numeric) (SFUNC = clv_metrics_trans, STYPE = internal, FINALFUNC = clv_metrics_final,
    COMBINEFUNC = rfm_breaks_combine, SERIALFUNC = clv_metrics_serialize, DESERIALFUNC = clv_metrics_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE mix_core_deserial(numeric) (SFUNC = numeric_avg_accum, STYPE = internal, FINALFUNC = numeric_avg,
    COMBINEFUNC = numeric_avg_combine, SERIALFUNC = numeric_avg_serialize, DESERIALFUNC = rfm_agg_deserialize, PARALLEL = SAFE);
SELECT mix_rfm_summary(ts, 1, '2024-02-01') FROM (VALUES (timestamptz '2024-01-10')) o(ts);
SELECT mix_summary_rfm(ts, 1, '2024-02-01', '1 day') FROM (VALUES (timestamptz '2024-01-10')) o(ts);
SELECT mix_fit_spend(2, 1, 3);
SELECT mix_breaks_metrics(1, 3);
SELECT mix_core_rfm(1);
-- partial aggregation: combine and deserial functions check tags and bytes
CREATE TABLE mix_rows AS SELECT g::bigint AS n FROM generate_series(1, 20000) g;
ANALYZE mix_rows;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT mix_metrics_combine(n, 1) FROM mix_rows;
SELECT mix_core_deserial(n) FROM mix_rows;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP AGGREGATE mix_rfm_summary(timestamptz, numeric, timestamptz), mix_summary_rfm(timestamptz, numeric, timestamptz, interval),
    mix_fit_spend(float8, float8, float8), mix_breaks_metrics(float8, int), mix_core_rfm(numeric),
    mix_metrics_combine(bigint, numeric), mix_core_deserial(numeric);
DROP TABLE mix_rows;
REVOKE CREATE ON SCHEMA public FROM clv_safety_user;
DROP ROLE clv_safety_user;

-- clv_cohort_retention reads the relation it is given: not PARALLEL SAFE,
-- and its search_path is pinned
SELECT proparallel, proconfig FROM pg_proc WHERE oid = 'clv_cohort_retention(regclass, name, name, timestamptz)'::regprocedure;
CREATE TEMP TABLE cohort_orders (customer bigint, ts date, note text, doc json);
INSERT INTO cohort_orders VALUES (1, '2024-01-05', 'a', '{}'), (1, '2024-02-07', 'b', '{}'), (2, '2024-01-20', 'c', '{}'), (3, '2024-02-02', 'd', '{}');
SET force_parallel_mode = on;
SELECT * FROM clv_cohort_retention('cohort_orders', 'customer', 'ts');
RESET force_parallel_mode;
-- functions planted on the caller's path with better-matching signatures never run
CREATE SCHEMA clv_hostile;
CREATE FUNCTION clv_hostile.date_trunc(text, date) RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted date_trunc ran'; END $$;
CREATE FUNCTION clv_hostile.make_interval(months integer) RETURNS interval LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted make_interval ran'; END $$;
CREATE FUNCTION clv_hostile.format(text, name, name) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'planted format ran'; END $$;
SET search_path = clv_hostile, quanyu, public;
SELECT * FROM clv_cohort_retention('cohort_orders', 'customer', 'ts', '2024-03-31');
RESET search_path;
DROP SCHEMA clv_hostile CASCADE;
-- columns are type-checked; infinite order times and data_end are refused
SELECT * FROM clv_cohort_retention('cohort_orders', 'customer', 'note');
SELECT * FROM clv_cohort_retention('cohort_orders', 'doc', 'ts');
SELECT * FROM clv_cohort_retention('cohort_orders', 'customer', 'nope');
SELECT * FROM clv_cohort_retention('cohort_orders', 'customer', 'ts', 'infinity');
INSERT INTO cohort_orders VALUES (4, 'infinity', 'e', '{}');
SELECT * FROM clv_cohort_retention('cohort_orders', 'customer', 'ts');
