-- metrics_cohort.sql: cohort_value_curve and cohort_revenue_mix against
-- plain-SQL references (joins on the customer's first order) on the CDNOW
-- sample and on random orders with channels, the forecast against the
-- BG/NBD / Gamma-Gamma formula assembled by hand, and the errors.
BEGIN;
SELECT plan(30);
SET LOCAL timezone = 'UTC';

CREATE TEMP TABLE cdnow_raw (master_id text, customer int, day text, cds int, amount numeric);
\copy cdnow_raw FROM PROGRAM 'tr -d "\r" < test/data/cdnow/CDNOW_sample.txt | sed -E "s/^ +//; s/ +/,/g"' CSV
CREATE TEMP TABLE cdnow AS
    SELECT customer, to_date(day, 'YYYYMMDD') AS day, amount FROM cdnow_raw;

-- The reference: each customer's first order (time, then channel), the
-- month offsets of their orders, grouped by plain SQL.
CREATE FUNCTION pg_temp.ref_curve(rel regclass, chan boolean, months int, data_end date)
    RETURNS TABLE (cohort date, channel text, customers bigint, month_offset int, active bigint,
                   revenue numeric, cumulative_revenue numeric)
    LANGUAGE plpgsql AS $f$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH o AS (SELECT customer, day::timestamptz AS ts, amount, %s AS ch FROM %s WHERE $2 IS NULL OR day <= $2),
    f AS (SELECT DISTINCT ON (customer) customer, ts AS first_ts, ch FROM o ORDER BY customer, ts, ch),
    om AS (SELECT f.customer, date_trunc('month', f.first_ts)::date AS cohort, f.ch,
                  (date_part('year', age(date_trunc('month', o.ts), date_trunc('month', f.first_ts))) * 12
                   + date_part('month', age(date_trunc('month', o.ts), date_trunc('month', f.first_ts))))::int AS k,
                  o.amount
           FROM o JOIN f USING (customer)),
    sizes AS (SELECT om.cohort, om.ch, count(DISTINCT customer) AS n FROM om GROUP BY 1, 2),
    lastm AS (SELECT date_trunc('month', max(ts))::date AS m FROM o),
    grid AS (SELECT s.*, k FROM sizes s, generate_series(0, $1) k)
    SELECT g.cohort, g.ch, g.n, g.k,
           CASE WHEN (g.cohort + g.k * interval '1 month')::date <= l.m THEN
               (SELECT count(DISTINCT customer) FROM om WHERE om.cohort = g.cohort AND om.ch IS NOT DISTINCT FROM g.ch AND om.k = g.k) END,
           CASE WHEN (g.cohort + g.k * interval '1 month')::date <= l.m THEN
               (SELECT coalesce(sum(amount), 0) FROM om WHERE om.cohort = g.cohort AND om.ch IS NOT DISTINCT FROM g.ch AND om.k = g.k) END,
           CASE WHEN (g.cohort + g.k * interval '1 month')::date <= l.m THEN
               (SELECT coalesce(sum(amount), 0) FROM om WHERE om.cohort = g.cohort AND om.ch IS NOT DISTINCT FROM g.ch AND om.k <= g.k) END
    FROM grid g, lastm l
    $q$, CASE WHEN chan THEN 'channel' ELSE 'NULL::text' END, rel) USING months, data_end;
END $f$;

CREATE TEMP TABLE got AS
    SELECT * FROM cohort_value_curve('cdnow', 'customer', 'day', 'amount', months => 18, calibration_end => '1997-09-30');
CREATE TEMP TABLE ref AS SELECT * FROM pg_temp.ref_curve('cdnow', false, 18, NULL);
SELECT is((SELECT count(*) FROM got), 57::bigint, 'CDNOW: 3 cohorts x 19 months');
SELECT is((SELECT string_agg(cohort || ':' || customers, ' ' ORDER BY cohort) FROM got WHERE month_offset = 0),
          '1997-01-01:781 1997-02-01:857 1997-03-01:719', 'CDNOW: cohort sizes');
SELECT is((SELECT count(*) FROM (
              SELECT cohort, channel, customers, month_offset, active, revenue, cumulative_revenue FROM got
              EXCEPT SELECT * FROM ref) d), 0::bigint, 'CDNOW: actual curve equals the plain-SQL reference');
SELECT is((SELECT count(*) FROM got WHERE active IS NOT NULL
             AND (retained <> active::float8 / customers OR revenue_per_customer <> (cumulative_revenue / customers)::float8)),
          0::bigint, 'CDNOW: retained and revenue per customer are the ratios');
SELECT is((SELECT string_agg(cohort || ':' || month_offset, ' ' ORDER BY cohort, month_offset) FROM got WHERE active IS NULL),
          '1997-01-01:18 1997-02-01:17 1997-02-01:18 1997-03-01:16 1997-03-01:17 1997-03-01:18',
          'CDNOW: months after the data (June 1998) are NULL, not 0');
SELECT is((SELECT round(revenue_per_customer::numeric, 2) FROM got WHERE cohort = '1997-01-01' AND month_offset = 17),
          100.95, 'CDNOW: January cohort, 18 months: 100.95 dollars per customer');

-- The forecast assembled by hand: fits on the calibration period in weeks,
-- each customer's first-day value plus E[X(t)] of a new customer (t = weeks
-- from the first purchase day to the end of the month) times the mean spend.
CREATE TEMP TABLE fit AS
    SELECT bgnbd_fit(frequency, recency, t) AS bg, gammagamma_fit(frequency, monetary_value) AS gg
    FROM (SELECT (clv_summary_agg(day, amount, '1997-09-30', '7 days')).* FROM cdnow GROUP BY customer) s;
CREATE TEMP TABLE ref_fc AS
    WITH c AS (SELECT customer, min(day) AS d0 FROM cdnow GROUP BY customer),
    v AS (SELECT c.customer, c.d0, sum(o.amount) AS v FROM c JOIN cdnow o ON o.customer = c.customer AND o.day = c.d0 GROUP BY 1, 2)
    SELECT date_trunc('month', v.d0)::date AS cohort, k,
           avg(v.v + gammagamma_expected_spend(fit.gg, 0, 0) *
               bgnbd_expected_purchases_new(fit.bg, ((date_trunc('month', v.d0) + (k + 1) * interval '1 month')::date - v.d0) / 7.0)) AS f
    FROM v, fit, generate_series(0, 18) k GROUP BY 1, 2;
SELECT is((SELECT count(*) FROM got g JOIN ref_fc r USING (cohort) WHERE r.k = g.month_offset
             AND abs(g.forecast_per_customer - r.f) < 1e-9 * r.f), 57::bigint,
          'CDNOW: forecast equals first-day value + E[spend] x E[X(t)] per customer');
SELECT ok((SELECT bool_and(abs(forecast_per_customer / revenue_per_customer - 1) < 0.2) FROM got
           WHERE active IS NOT NULL AND month_offset BETWEEN 1 AND 17),
          'CDNOW: the forecast tracks the actual curve within 20% from month 1 on (March, month 1: 16% under)');
SELECT ok((SELECT bool_and(forecast_per_customer >= lag) FROM (
               SELECT forecast_per_customer, lag(forecast_per_customer, 1, 0::float8) OVER (PARTITION BY cohort ORDER BY month_offset) AS lag
               FROM got) x), 'CDNOW: the forecast never decreases');
SELECT is((SELECT count(*) FROM cohort_value_curve('cdnow', 'customer', 'day', 'amount', months => 3, forecast => false)
           WHERE forecast_per_customer IS NOT NULL), 0::bigint, 'forecast => false: no forecast column');
SELECT is((SELECT count(*) FROM (
              SELECT cohort, channel, customers, month_offset, active, revenue, cumulative_revenue
              FROM cohort_value_curve('cdnow', 'customer', 'day', 'amount', months => 12, data_end => '1997-12-31', forecast => false)
              EXCEPT SELECT * FROM pg_temp.ref_curve('cdnow', false, 12, '1997-12-31')) d), 0::bigint,
          'CDNOW: data_end drops later orders and ends the known months');

-- A free repeat order (amount 0) leaves that customer out of the
-- Gamma-Gamma fit instead of failing it; regular purchases with no dropout
-- make BG/NBD run off (converged = false): no forecast rather than an error.
CREATE TEMP TABLE cdnow_free AS SELECT * FROM cdnow;
INSERT INTO cdnow_free VALUES (1, '1997-03-01', 0), (1, '1997-04-01', 0);
SELECT is((SELECT count(*) FROM cohort_value_curve('cdnow_free', 'customer', 'day', 'amount', months => 2, calibration_end => '1997-09-30')
           WHERE forecast_per_customer > 0), 9::bigint, 'a repeat customer with 0 spend: the forecast is still computed');
CREATE TEMP TABLE regular AS
    SELECT c AS customer, date '2024-01-01' + (c % 90) + k * 25 AS day, 50 + (c * 13 + k * 7) % 60 AS amount
    FROM generate_series(1, 60) c, generate_series(0, c % 5) k WHERE date '2024-01-01' + (c % 90) + k * 25 < '2024-07-01';
SELECT is((SELECT count(*) FROM cohort_value_curve('regular', 'customer', 'day', 'amount', months => 6)
           WHERE forecast_per_customer IS NOT NULL), 0::bigint, 'a fit that does not converge: no forecast');

-- 老客贡献 on the CDNOW sample by quarter: every customer is new in 1997 Q1.
SELECT is((SELECT string_agg(new_customers || '/' || returning_customers, ' ' ORDER BY period_start)
           FROM cohort_revenue_mix('cdnow', 'customer', 'day', 'amount', 'quarter')),
          '2357/0 0/524 0/418 0/404 0/384 0/300', 'CDNOW: new/returning buyers by quarter');

-- Random orders with channels: ties in time between channels, several
-- orders a day, amounts with cents, customers of type text.
SELECT setseed(0.58);
CREATE TEMP TABLE rnd AS
    SELECT 'c' || (random() * 400)::int AS customer,
           date '2023-01-01' + (random() * 500)::int AS day,
           round((random() * 200)::numeric, 2) AS amount,
           (ARRAY['tmall', 'jd', 'wecom', 'store'])[1 + (random() * 3)::int] AS channel
    FROM generate_series(1, 5000);
CREATE TEMP TABLE got_r AS
    SELECT * FROM cohort_value_curve('rnd', 'customer', 'day', 'amount', 'channel', months => 20);
SELECT is((SELECT count(*) FROM (
              SELECT cohort, channel, customers, month_offset, active, revenue, cumulative_revenue FROM got_r
              EXCEPT SELECT * FROM pg_temp.ref_curve('rnd', true, 20, NULL)) d), 0::bigint,
          'random: curve by cohort and channel equals the reference');
SELECT is((SELECT count(*) FROM got_r), (SELECT count(*) FROM pg_temp.ref_curve('rnd', true, 20, NULL)),
          'random: same number of cells');
SELECT is((SELECT sum(customers)::bigint FROM got_r WHERE month_offset = 0), (SELECT count(DISTINCT customer) FROM rnd),
          'random: each customer in exactly one cohort and channel');
SELECT is((SELECT sum(cumulative_revenue) FROM got_r g WHERE month_offset = (
               SELECT max(month_offset) FROM got_r h WHERE h.cohort = g.cohort AND h.channel = g.channel AND h.active IS NOT NULL)),
          (SELECT sum(amount) FROM rnd), 'random: the last known cumulative revenues add up to all revenue');
WITH f AS (SELECT customer, min(day) AS first_day FROM rnd GROUP BY customer),
r AS (SELECT date_trunc('month', o.day::timestamptz) AS p,
             count(DISTINCT o.customer) FILTER (WHERE date_trunc('month', f.first_day::timestamptz) = date_trunc('month', o.day::timestamptz)) AS nc,
             count(DISTINCT o.customer) FILTER (WHERE date_trunc('month', f.first_day::timestamptz) < date_trunc('month', o.day::timestamptz)) AS rc,
             coalesce(sum(o.amount) FILTER (WHERE date_trunc('month', f.first_day::timestamptz) = date_trunc('month', o.day::timestamptz)), 0) AS nr,
             coalesce(sum(o.amount) FILTER (WHERE date_trunc('month', f.first_day::timestamptz) < date_trunc('month', o.day::timestamptz)), 0) AS rr
      FROM rnd o JOIN f USING (customer) GROUP BY 1)
SELECT is((SELECT count(*) FROM (
              SELECT period_start, new_customers, returning_customers, new_revenue, returning_revenue,
                     (returning_revenue / (new_revenue + returning_revenue))::float8
              FROM cohort_revenue_mix('rnd', 'customer', 'day', 'amount')
              EXCEPT SELECT p, nc, rc, nr, rr, (rr / (nr + rr))::float8 FROM r) d), 0::bigint,
          'random: new vs returning revenue by month equals the reference');

-- A temp table under force_parallel_mode: the functions stay in the leader.
SET LOCAL force_parallel_mode = on;
SELECT is((SELECT count(*) FROM cohort_value_curve('rnd', 'customer', 'day', 'amount', 'channel', months => 2, forecast => false))
          + (SELECT count(*) FROM cohort_revenue_mix('rnd', 'customer', 'day', 'amount')),
          (SELECT count(*) FROM got_r WHERE month_offset <= 2) + 17, 'temp tables under force_parallel_mode');
RESET force_parallel_mode;

-- Errors.
CREATE TEMP TABLE bad (customer bigint, ts text, amount text, tsx timestamptz);
SELECT throws_ok($$SELECT * FROM cohort_value_curve('bad', 'customer', 'nope', 'amount')$$, '42703',
    'column "nope" does not exist in bad', 'a missing column');
SELECT throws_ok($$SELECT * FROM cohort_value_curve('bad', 'customer', 'ts', 'amount')$$, '42804',
    'column "ts" of bad has type text, not date, timestamp or timestamptz', 'a text time column');
SELECT throws_ok($$SELECT * FROM cohort_value_curve('bad', 'customer', 'tsx', 'amount')$$, '42804',
    'column "amount" of bad has type text, not a number', 'a text amount column');
SELECT throws_ok($$SELECT * FROM cohort_value_curve('cdnow', 'customer', 'day', 'amount', months => -1)$$, '22023',
    'months must be between 0 and 1200, got -1', 'negative months');
SELECT throws_ok($$SELECT * FROM cohort_value_curve('cdnow', 'customer', 'day', 'amount', unit => '-1 day')$$, '22023',
    'unit must be a positive interval, got -1 days', 'a negative unit');
SELECT throws_ok($$SELECT * FROM cohort_revenue_mix('cdnow', 'customer', 'day', 'amount', 'fortnight')$$, '22023',
    'period must be day, week, month, quarter or year, got fortnight', 'an unknown period');
INSERT INTO cdnow VALUES (1, 'infinity', 1);
SELECT throws_ok($$SELECT * FROM cohort_value_curve('cdnow', 'customer', 'day', 'amount')$$, '22008',
    'column "day" of cdnow holds infinity, not a finite time', 'an infinite order time');
DELETE FROM cdnow WHERE day = 'infinity';
SELECT throws_ok($$SELECT * FROM cohort_value_curve('pg_class_oid_index', 'customer', 'day', 'amount')$$, '42809',
    NULL, 'an index is refused');
-- The caller's privileges: SELECT on the columns is checked first.
CREATE ROLE qy_cohort_reader IN ROLE quanyu_reader;
CREATE TABLE public.qy_cohort_orders (customer bigint, day date, amount numeric, secret text);
INSERT INTO public.qy_cohort_orders VALUES (1, '2024-01-05', 10), (1, '2024-02-05', 5), (2, '2024-02-01', 7);
GRANT SELECT (customer, day) ON public.qy_cohort_orders TO qy_cohort_reader;
SET LOCAL ROLE qy_cohort_reader;
SELECT throws_ok($$SELECT * FROM quanyu.cohort_value_curve('public.qy_cohort_orders', 'customer', 'day', 'amount')$$, '42501',
    'permission denied for table public.qy_cohort_orders', 'no SELECT on the amount column');
RESET ROLE;
GRANT SELECT (amount) ON public.qy_cohort_orders TO qy_cohort_reader;
SET LOCAL ROLE qy_cohort_reader;
SELECT is((SELECT string_agg(cohort || ':' || month_offset || ':' || coalesce(cumulative_revenue::text, '-'), ' ' ORDER BY cohort, month_offset)
           FROM quanyu.cohort_value_curve('public.qy_cohort_orders', 'customer', 'day', 'amount', months => 1, forecast => false)),
          '2024-01-01:0:10 2024-01-01:1:15 2024-02-01:0:7 2024-02-01:1:-', 'with SELECT on the three columns it runs');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
