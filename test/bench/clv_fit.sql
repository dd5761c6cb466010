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

-- Predictions: 10,000 calls per line (divide by 10,000 for the cost of one
-- call) for ordinary and extreme customers; the baseline is the closed-form
-- bgnbd_p_alive over the same rows.  Before 0.2.0 the BG/NBD expectations
-- summed 2F1(r+x, b+x; a+b+x-1; z) directly: about 57 us a call at
-- frequency 50 and t = 5,000, and an error after 10-30 ms at frequency
-- 100,000 or t = 1e9.
CREATE TABLE clv_bench_pred AS SELECT ROW(0.243, 4.414, 0.793, 2.426, 0, 0, true, 0)::quanyu.bgnbd_params AS bg,
    ROW(0.553, 10.578, 0.606, 11.669, 0, 0, true, 0)::quanyu.pareto_nbd_params AS pn;
SELECT quanyu_bench.compare(format('%s, 10,000 calls', label), format($q$SELECT sum(%s) FROM clv_bench_pred, generate_series(1, 10000) g$q$, expr),
    $b$SELECT sum(quanyu.bgnbd_p_alive(bg, 2, 30.43, 38.86 + g * 1e-9)) FROM clv_bench_pred, generate_series(1, 10000) g$b$)
FROM (VALUES
    ('BG/NBD, CDNOW customer, t = 39', 'quanyu.bgnbd_expected_purchases(bg, 39 + g * 1e-9, 2, 30.43, 38.86)'),
    ('BG/NBD, frequency 50, t = 5,000', 'quanyu.bgnbd_expected_purchases(bg, 5000 + g * 1e-9, 50, 39, 39)'),
    ('BG/NBD, frequency 100,000, t = 5,000', 'quanyu.bgnbd_expected_purchases(bg, 5000 + g * 1e-9, 100000, 39, 39)'),
    ('BG/NBD, new customer, t = 78', 'quanyu.bgnbd_expected_purchases_new(bg, 78 + g * 1e-9)'),
    ('BG/NBD, new customer, t = 1e9', 'quanyu.bgnbd_expected_purchases_new(bg, 1e9 + g)'),
    ('BG/NBD, frequency 3, T = 39, t = 1e15', 'quanyu.bgnbd_expected_purchases(bg, 1e15 + g, 3, 39, 39)'),
    ('Pareto/NBD, CDNOW customer, t = 39', 'quanyu.pareto_nbd_expected_purchases(pn, 39 + g * 1e-9, 2, 30.43, 38.86)'),
    ('Pareto/NBD, frequency 100,000, t = 5,000', 'quanyu.pareto_nbd_expected_purchases(pn, 5000 + g * 1e-9, 100000, 39, 39)')) c(label, expr);
DROP TABLE clv_bench_pred;
