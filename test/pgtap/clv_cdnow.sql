-- clv_cdnow.sql: every published CDNOW number (Fader, Hardie & Lee 2005 and
-- the lifetimes/BTYD documentation) reproduced from the raw transactions.
BEGIN;
SELECT plan(31);

-- Raw sample: master_id, sample_id, YYYYMMDD, CDs, dollars (CRLF, space-separated).
CREATE TEMP TABLE cdnow_raw (master_id text, customer int, day text, cds int, amount numeric);
\copy cdnow_raw FROM PROGRAM 'sed -E "s/\r$//; s/^ +//; s/ +/,/g" test/data/cdnow/CDNOW_sample.txt' CSV
CREATE TEMP TABLE cdnow_orders AS
    SELECT customer, to_date(day, 'YYYYMMDD')::timestamptz AS ts, amount FROM cdnow_raw;
CREATE TEMP TABLE cdnow_published (id int, frequency int, recency float8, t float8);
\copy cdnow_published FROM 'test/data/cdnow/cdnow_customers_summary.csv' CSV HEADER

-- Significant digits: x rounded to 3 of them.
CREATE FUNCTION pg_temp.sig3(x float8) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT round(x::numeric, 2 - floor(log(abs(x::numeric)))::int) $$;

SELECT is((SELECT count(*) FROM cdnow_orders), 6919::bigint, 'sample has 6,919 rows');

-- Calibration summary: weeks from the first purchase, calibration ends 1997-09-30.
CREATE TEMP TABLE cal AS
    SELECT customer, (clv_summary_agg(ts, amount, '1997-09-30', '7 days')).*
    FROM cdnow_orders GROUP BY customer;
SELECT is((SELECT count(*) FROM cal), 2357::bigint, 'summary has 2,357 customers');
SELECT is((SELECT count(*) FROM cal JOIN cdnow_published p ON p.id = cal.customer
           WHERE cal.frequency = p.frequency
             AND round(cal.recency::numeric, 2) = round(p.recency::numeric, 2)
             AND round(cal.t::numeric, 2) = round(p.t::numeric, 2)),
          2357::bigint, 'summary equals cdnow_customers_summary.csv for every customer (2 dp)');
SELECT is((SELECT count(*) FROM cal WHERE frequency > 0), 946::bigint, '946 repeat customers');

-- BG/NBD: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
CREATE TEMP TABLE bg AS SELECT bgnbd_fit(frequency, recency, t) AS p FROM cal;
SELECT ok((SELECT (p).converged FROM bg), 'BG/NBD fit converged');
SELECT is((SELECT pg_temp.sig3((p).r) FROM bg), pg_temp.sig3(0.243), 'BG/NBD r');
SELECT is((SELECT pg_temp.sig3((p).alpha) FROM bg), pg_temp.sig3(4.414), 'BG/NBD alpha');
SELECT is((SELECT pg_temp.sig3((p).a) FROM bg), pg_temp.sig3(0.793), 'BG/NBD a');
SELECT is((SELECT pg_temp.sig3((p).b) FROM bg), pg_temp.sig3(2.426), 'BG/NBD b');
SELECT is((SELECT round((p).log_likelihood::numeric, 1) FROM bg), -9582.4, 'BG/NBD log-likelihood');
SELECT is((SELECT pg_temp.sig3(bgnbd_expected_purchases(p, 39, 2, 30.43, 38.86)) FROM bg), pg_temp.sig3(1.226),
          'BG/NBD: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks');
SELECT is((SELECT pg_temp.sig3(bgnbd_expected_purchases_new(p, 1)) FROM bg), pg_temp.sig3(0.0532), 'BG/NBD new customer, 1 week');
SELECT is((SELECT pg_temp.sig3(bgnbd_expected_purchases_new(p, 3)) FROM bg), pg_temp.sig3(0.1506), 'BG/NBD new customer, 3 weeks');
SELECT is((SELECT pg_temp.sig3(bgnbd_expected_purchases_new(p, 78)) FROM bg), pg_temp.sig3(1.8576), 'BG/NBD new customer, 78 weeks');

-- Pareto/NBD: r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0.
CREATE TEMP TABLE pn AS SELECT pareto_nbd_fit(frequency, recency, t) AS p FROM cal;
SELECT ok((SELECT (p).converged FROM pn), 'Pareto/NBD fit converged');
SELECT is((SELECT pg_temp.sig3((p).r) FROM pn), pg_temp.sig3(0.553), 'Pareto/NBD r');
SELECT is((SELECT pg_temp.sig3((p).alpha) FROM pn), pg_temp.sig3(10.578), 'Pareto/NBD alpha');
SELECT is((SELECT pg_temp.sig3((p).s) FROM pn), pg_temp.sig3(0.606), 'Pareto/NBD s');
SELECT is((SELECT pg_temp.sig3((p).beta) FROM pn), pg_temp.sig3(11.669), 'Pareto/NBD beta');
SELECT is((SELECT round((p).log_likelihood::numeric, 1) FROM pn), -9595.0, 'Pareto/NBD log-likelihood');

-- Gamma-Gamma on the 946 repeat customers: p = 6.25, q = 3.74, v = 15.44, LL = -4055.9.
CREATE TEMP TABLE gg AS SELECT gammagamma_fit(frequency, monetary_value) AS p FROM cal;
SELECT ok((SELECT (p).converged FROM gg), 'Gamma-Gamma fit converged');
SELECT is((SELECT (p).n FROM gg), 946::bigint, 'Gamma-Gamma uses the repeat customers only');
SELECT is((SELECT pg_temp.sig3((p).p) FROM gg), pg_temp.sig3(6.25), 'Gamma-Gamma p');
SELECT is((SELECT pg_temp.sig3((p).q) FROM gg), pg_temp.sig3(3.74), 'Gamma-Gamma q');
SELECT is((SELECT pg_temp.sig3((p).v) FROM gg), pg_temp.sig3(15.44), 'Gamma-Gamma v');
SELECT is((SELECT round((p).log_likelihood::numeric, 1) FROM gg), -4055.9, 'Gamma-Gamma log-likelihood');

-- Simple metrics over the whole sample, one order = one row.
CREATE TEMP TABLE m AS
    SELECT (clv_metrics_agg((r).frequency, (r).monetary)).*
    FROM (SELECT rfm_agg(ts, amount, '1998-07-01') AS r FROM cdnow_orders GROUP BY customer) s;
SELECT is((SELECT round(average_order_value, 4) FROM m), 35.2785, 'average order value');
SELECT is((SELECT round(purchase_frequency::numeric, 6) FROM m), 2.935511, 'purchase frequency');
SELECT is((SELECT round(repeat_rate::numeric, 6) FROM m), 0.488757, 'repeat rate');
SELECT is((SELECT round(historical_ltv, 6) FROM m),
          (SELECT round(average_order_value * purchase_frequency::numeric, 6) FROM m),
          'historical LTV is AOV x frequency');

-- CLV ranking is finite and positive for every customer.
SELECT is((SELECT count(*) FROM cal, bg, gg
           WHERE clv(bg.p, gg.p, frequency, recency, t, monetary_value, 52, 0.01, 4.345) > 0),
          2357::bigint, 'every customer has a positive 52-week CLV');

SELECT * FROM finish();
ROLLBACK;
