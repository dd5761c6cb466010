-- clv_fit.sql: model fitting speed.
--   bgnbd_fit over 1M customers simulated from known parameters (bar: < 3 s),
--   which the fit must recover; and the CDNOW fits.
-- Baseline: a plain scan computing the means of the same three columns, so
-- the ratio says how many scans' worth of time the fit costs.
\timing on
CREATE TABLE clv_bench_sim AS SELECT * FROM quanyu.bgnbd_sample(1000000, 0.243, 4.414, 0.793, 2.426, 39, 1);
VACUUM ANALYZE clv_bench_sim;

SELECT quanyu_bench.compare('bgnbd_fit, 1M simulated customers',
    $$SELECT quanyu.bgnbd_fit(frequency, recency, t) FROM clv_bench_sim$$,
    $$SELECT avg(frequency), avg(recency), avg(t) FROM clv_bench_sim$$);
-- Recovery: true r = 0.243, alpha = 4.414, a = 0.793, b = 2.426.
SELECT round(r::numeric, 4) AS r, round(alpha::numeric, 4) AS alpha, round(a::numeric, 4) AS a,
       round(b::numeric, 4) AS b, n, converged, iterations
FROM (SELECT (quanyu.bgnbd_fit(frequency, recency, t)).* FROM clv_bench_sim) f;

-- CDNOW: summary from the raw sample, then the three fits.
CREATE TABLE clv_bench_raw (master_id text, customer int, day text, cds int, amount numeric);
\copy clv_bench_raw FROM PROGRAM 'tr -d "\r" < test/data/cdnow/CDNOW_sample.txt | sed -E "s/^ +//; s/ +/,/g"' CSV
CREATE TABLE clv_bench_cal AS
    SELECT customer, (quanyu.clv_summary_agg(to_date(day, 'YYYYMMDD')::timestamptz, amount, '1997-09-30', '7 days')).*
    FROM clv_bench_raw GROUP BY customer;
SELECT quanyu_bench.compare('bgnbd_fit, CDNOW (2,357 customers)',
    $$SELECT quanyu.bgnbd_fit(frequency, recency, t) FROM clv_bench_cal$$,
    $$SELECT avg(frequency), avg(recency), avg(t) FROM clv_bench_cal$$);
SELECT quanyu_bench.compare('pareto_nbd_fit, CDNOW (2,357 customers)',
    $$SELECT quanyu.pareto_nbd_fit(frequency, recency, t) FROM clv_bench_cal$$,
    $$SELECT avg(frequency), avg(recency), avg(t) FROM clv_bench_cal$$);
SELECT quanyu_bench.compare('gammagamma_fit, CDNOW (946 repeat customers)',
    $$SELECT quanyu.gammagamma_fit(frequency, monetary_value) FROM clv_bench_cal$$,
    $$SELECT avg(frequency), avg(monetary_value) FROM clv_bench_cal WHERE frequency > 0$$);

-- Cost that must not grow with a value (issue 16): 1,000 ordinary customers
-- plus one buyer with frequency 100,000, against the 1,000 alone.  Before
-- 0.2.0 the Pareto/NBD series made this 729 s against 1.1 s.
CREATE TABLE clv_bench_ordinary AS SELECT frequency::float8 AS frequency, recency, t FROM quanyu.bgnbd_sample(1000, 0.243, 4.414, 0.793, 2.426, 39, 7);
CREATE TABLE clv_bench_heavy AS SELECT * FROM clv_bench_ordinary UNION ALL SELECT 100000, 38, 39;
SELECT quanyu_bench.compare('pareto_nbd_fit, 1,000 customers + one with frequency 100,000 (baseline: the 1,000 alone)',
    $$SELECT quanyu.pareto_nbd_fit(frequency, recency, t) FROM clv_bench_heavy$$,
    $$SELECT quanyu.pareto_nbd_fit(frequency, recency, t) FROM clv_bench_ordinary$$, 1);

DROP TABLE clv_bench_sim, clv_bench_raw, clv_bench_cal, clv_bench_ordinary, clv_bench_heavy;
