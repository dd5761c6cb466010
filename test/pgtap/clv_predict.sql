-- clv_predict.sql: the BG/NBD and Pareto/NBD predictions have a cost that
-- does not grow with a customer's frequency, age or the horizon, and give
-- finite, correct values at the extremes.  Before 0.2.0 the BG/NBD ones
-- summed 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t)) directly: a buyer with
-- frequency 100,000 and a horizon of 5,000 made the series give up with
-- "expected purchases are undefined for a + b + x = 100003".
BEGIN;
SELECT plan(26);

-- CDNOW fits (Fader, Hardie & Lee 2005; Fader & Hardie 2005).
CREATE TEMP TABLE m AS SELECT
    ROW(0.243, 4.414, 0.793, 2.426, 0, 0, true, 0)::bgnbd_params AS bg,
    ROW(0.553, 10.578, 0.606, 11.669, 0, 0, true, 0)::pareto_nbd_params AS pn,
    ROW(6.25, 3.74, 15.44, 0, 0, true, 0)::gammagamma_params AS gg;

-- An evaluation independent of the C code: the Euler integral
--   E[(1 - (1 + p s)^-(r+x)) / p],  p ~ Beta(a, b+x),  s = t / (alpha+T),
-- (expected purchases in the next t of a customer alive at T) by the
-- trapezoidal rule in y = log(p / (1-p)) on [-150, 150] with step 0.005,
-- normalised by the same sum without the integrand, so no gamma function
-- is needed.  ln(1+u) and 1-exp(-v) are expanded for small arguments, and
-- exp() of very negative numbers (an error in SQL) is taken as 0.
CREATE FUNCTION pg_temp.alive_integral(r float8, alpha float8, a float8, b float8,
        x float8, big_t float8, t float8) RETURNS float8 LANGUAGE sql AS $$
    WITH g AS (
        SELECT y, exp(-abs(y)) AS e FROM generate_series(0, 60000) i, LATERAL (SELECT -150 + 0.005 * i::float8) s(y)),
    -- ln(1 + e^-|y|), then log p and log(1-p)
    l AS (
        SELECT y, CASE WHEN e < 1e-4 THEN e - e*e/2 + e*e*e/3 - e*e*e*e/4 ELSE ln(1 + e) END AS l1
        FROM g),
    lp AS (
        SELECT CASE WHEN y < 0 THEN y - l1 ELSE -l1 END AS lp,
               CASE WHEN y < 0 THEN -l1 ELSE -y - l1 END AS lq
        FROM l),
    -- u = p s, v = (r+x) ln(1 + u), the integrand's numerator 1 - e^-v
    d AS (
        SELECT lp, a * lp + (b + x) * lq AS ld, exp(lp + ln(t / (alpha + big_t))) AS u FROM lp),
    v AS (
        SELECT lp, ld - max(ld) OVER () AS le,
               (r + x) * CASE WHEN u < 1e-4 THEN u - u*u/2 + u*u*u/3 - u*u*u*u/4 ELSE ln(1 + u) END AS v
        FROM d),
    w AS (
        SELECT lp, CASE WHEN le < -700 THEN 0 ELSE exp(le) END AS w,
               CASE WHEN v < 1e-4 THEN v - v*v/2 + v*v*v/6 - v*v*v*v/24 WHEN v > 700 THEN 1 ELSE 1 - exp(-v) END AS num
        FROM v)
    SELECT sum(w * num / exp(lp)) / sum(w) FROM w
$$;
CREATE FUNCTION pg_temp.rel(u float8, v float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT abs(u - v) / abs(v) $$;

-- 1-6: against the integral.  Conditional expectations are divided by
-- P(alive) (recency = T keeps it near 1 for the heavy buyer).
SELECT ok((SELECT pg_temp.rel(bgnbd_expected_purchases(bg, 39, 2, 30.43, 38.86) / bgnbd_p_alive(bg, 2, 30.43, 38.86),
                              pg_temp.alive_integral(0.243, 4.414, 0.793, 2.426, 2, 38.86, 39)) < 1e-8 FROM m),
          'BG/NBD: an ordinary CDNOW customer matches the Euler integral');
SELECT ok((SELECT pg_temp.rel(bgnbd_expected_purchases(bg, 5000, 100000, 39, 39) / bgnbd_p_alive(bg, 100000, 39, 39),
                              pg_temp.alive_integral(0.243, 4.414, 0.793, 2.426, 100000, 39, 5000)) < 1e-8 FROM m),
          'BG/NBD: frequency 100,000 over t = 5,000 matches the Euler integral');
SELECT ok((SELECT pg_temp.rel(bgnbd_expected_purchases(bg, 5000, 50, 39, 39) / bgnbd_p_alive(bg, 50, 39, 39),
                              pg_temp.alive_integral(0.243, 4.414, 0.793, 2.426, 50, 39, 5000)) < 1e-8 FROM m),
          'BG/NBD: frequency 50 over t = 5,000 matches the Euler integral');
SELECT ok((SELECT pg_temp.rel(bgnbd_expected_purchases_new(bg, 1e9),
                              pg_temp.alive_integral(0.243, 4.414, 0.793, 2.426, 0, 0, 1e9)) < 1e-8 FROM m),
          'BG/NBD: a new customer over t = 1e9 matches the Euler integral');
SELECT ok((SELECT pg_temp.rel(bgnbd_expected_purchases(bg, 39, 3, 1e9, 1e9) / bgnbd_p_alive(bg, 3, 1e9, 1e9),
                              pg_temp.alive_integral(0.243, 4.414, 0.793, 2.426, 3, 1e9, 39)) < 1e-8 FROM m),
          'BG/NBD: T = 1e9 matches the Euler integral');
SELECT ok((SELECT pg_temp.rel(bgnbd_expected_purchases(bg, 1e15, 3, 39, 39) / bgnbd_p_alive(bg, 3, 39, 39),
                              pg_temp.alive_integral(0.243, 4.414, 0.793, 2.426, 3, 39, 1e15)) < 1e-8 FROM m),
          'BG/NBD: t = 1e15 matches the Euler integral');
-- 7: a + b < 1 was refused ("undefined for a + b = 0.7"), but the
-- expectation exists for every a, b > 0.
SELECT ok(pg_temp.rel(bgnbd_expected_purchases_new(ROW(0.243, 4.414, 0.3, 0.4, 0, 0, true, 0)::bgnbd_params, 39),
                      pg_temp.alive_integral(0.243, 4.414, 0.3, 0.4, 0, 0, 39)) < 1e-8,
          'BG/NBD: a + b < 1 gives the Euler integral instead of an error');

-- 8-13: limits and monotonicity over extreme inputs.
CREATE TEMP TABLE grid AS
    SELECT x::float8, big_t::float8, t::float8
    FROM (VALUES (0), (1), (2), (100), (100000), (10000000)) xs(x),
         (VALUES (0), (39), (1e6), (1e9)) ts(big_t),
         (VALUES (0), (1e-6), (1), (39), (5000), (1e6), (1e12)) hs(t)
    WHERE x = 0 OR big_t > 0;
CREATE TEMP TABLE pred AS
    SELECT x, big_t, t,
           bgnbd_expected_purchases(bg, t, x, big_t, big_t) AS bg_e,
           bgnbd_p_alive(bg, x, big_t / 2, big_t) AS bg_alive,
           pareto_nbd_expected_purchases(pn, t, x, big_t, big_t) AS pn_e,
           pareto_nbd_p_alive(pn, x, big_t / 2, big_t) AS pn_alive
    FROM grid, m;
SELECT is((SELECT count(*) FROM pred WHERE bg_e >= 0 AND bg_e < 'Infinity' AND pn_e >= 0 AND pn_e < 'Infinity'),
          (SELECT count(*) FROM grid),
          'expected purchases are finite and non-negative for frequency up to 1e7, T up to 1e9, t up to 1e12');
SELECT is((SELECT count(*) FROM pred WHERE bg_alive BETWEEN 0 AND 1 AND pn_alive BETWEEN 0 AND 1),
          (SELECT count(*) FROM grid), 'P(alive) is a probability over the same grid');
-- Expected purchases cannot exceed the expected rate (r+x)/(alpha+T) times t.
SELECT is((SELECT count(*) FROM pred WHERE bg_e <= (0.243 + x) * t / (4.414 + big_t) * (1 + 1e-12)
                                       AND pn_e <= (0.553 + x) * t / (10.578 + big_t) * (1 + 1e-12)),
          (SELECT count(*) FROM grid), 'expected purchases stay below (r+x) t / (alpha+T)');
SELECT is((SELECT count(*) FROM (
              SELECT bg_e < lag(bg_e) OVER w * (1 - 1e-12) AS bg_down, pn_e < lag(pn_e) OVER w * (1 - 1e-12) AS pn_down
              FROM pred WINDOW w AS (PARTITION BY x, big_t ORDER BY t)) s
           WHERE bg_down OR pn_down), 0::bigint,
          'expected purchases never decrease as the horizon grows');
-- With a > 1 a new customer's purchases converge to E[1/p] = (a+b-1)/(a-1).
SELECT ok((SELECT e BETWEEN 0.999 * (2.5 + 2.426 - 1) / 1.5 AND (2.5 + 2.426 - 1) / 1.5
           FROM (SELECT bgnbd_expected_purchases_new(ROW(0.243, 4.414, 2.5, 2.426, 0, 0, true, 0)::bgnbd_params, 1e15) AS e) s),
          'BG/NBD with a > 1: a new customer''s purchases tend to (a+b-1)/(a-1)');
-- a = 1 is a removable singularity: the value is continuous across it.
SELECT ok((SELECT pg_temp.rel(e1, e0) < 1e-8 AND pg_temp.rel(e2, e0) < 1e-8 FROM (
              SELECT bgnbd_expected_purchases(ROW(0.243, 4.414, 1, 2.426, 0, 0, true, 0)::bgnbd_params, 39, 5, 30, 39) AS e0,
                     bgnbd_expected_purchases(ROW(0.243, 4.414, 1 - 1e-10, 2.426, 0, 0, true, 0)::bgnbd_params, 39, 5, 30, 39) AS e1,
                     bgnbd_expected_purchases(ROW(0.243, 4.414, 1 + 1e-10, 2.426, 0, 0, true, 0)::bgnbd_params, 39, 5, 30, 39) AS e2) s),
          'BG/NBD is continuous at a = 1');

-- 14-16: the heavy buyer through clv() and at the parameter extremes.
SELECT ok((SELECT clv(bg, gg, 100000, 39, 39, 35, 5000, 0.01, 1) BETWEEN 0 AND 'Infinity' FROM m),
          'clv() of a frequency-100,000 buyer over 5,000 steps is finite (BG/NBD)');
SELECT ok((SELECT clv(pn, gg, 100000, 39, 39, 35, 5000, 0.01, 1) BETWEEN 0 AND 'Infinity' FROM m),
          'clv() of a frequency-100,000 buyer over 5,000 steps is finite (Pareto/NBD)');
SELECT ok((SELECT bool_and(v BETWEEN 0 AND 'Infinity') FROM (
              SELECT bgnbd_expected_purchases(ROW(r, 4.414, a, b, 0, 0, true, 0)::bgnbd_params, 39, 2, 30, 39) AS v
              FROM (VALUES (1e-3), (1e6)) rs(r), (VALUES (1e-3), (1e4)) as_(a), (VALUES (1e-3), (1e5)) bs(b)) s),
          'BG/NBD expected purchases are finite for r, a, b from 1e-3 to 1e6');

-- 17-26: everything stops: each call has a bounded cost, and a long input set
-- under statement_timeout is cancelled.  (throws_ok cannot catch a cancel:
-- WHEN OTHERS excludes query_canceled.)
CREATE FUNCTION pg_temp.outcome(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE v float8;
BEGIN
    EXECUTE q INTO v;
    RETURN CASE WHEN v >= 0 AND v < 'Infinity' THEN 'value' ELSE 'bad value ' || v END;
EXCEPTION
    WHEN query_canceled THEN RETURN 'cancelled';
    WHEN OTHERS THEN RETURN SQLSTATE;
END $f$;
SET LOCAL statement_timeout = '60s';
-- Pareto/NBD P(alive) at an alpha/beta ratio the fit never reaches: the
-- continued fraction stops after a bounded number of steps with an error.
SELECT ok(pg_temp.outcome($$SELECT pareto_nbd_p_alive(ROW(0.553, 1e10, 0.606, 1e-3, 0, 0, true, 0)::pareto_nbd_params, 2, 0, 39)$$)
          IN ('value', '22023'), 'Pareto/NBD P(alive) with alpha/beta = 1e13 answers or refuses, without hanging');
SELECT is(pg_temp.outcome($$SELECT bgnbd_expected_purchases(ROW(0.243, 4.414, 1e-3, 1e-3, 0, 0, true, 0)::bgnbd_params, 1e300, 3, 39, 39)$$),
          'value', 'BG/NBD with a = b = 1e-3 and t = 1e300 gives a value');
SELECT is(pg_temp.outcome($$SELECT bgnbd_expected_purchases(bg, 1e300, 1e9, 39, 39) FROM m$$),
          'value', 'BG/NBD with frequency 1e9 and t = 1e300 gives a value');
SELECT is(pg_temp.outcome($$SELECT pareto_nbd_expected_purchases(pn, 1e300, 1e9, 39, 39) FROM m$$),
          'value', 'Pareto/NBD with frequency 1e9 and t = 1e300 gives a value');
SET LOCAL statement_timeout = '1s';
SELECT is(pg_temp.outcome($$SELECT sum(bgnbd_expected_purchases(bg, 5000, g, 39, 39)) FROM m, generate_series(1, 100000000) g$$),
          'cancelled', 'bgnbd_expected_purchases over 100M heavy buyers stops at statement_timeout = 1s');
SELECT is(pg_temp.outcome($$SELECT sum(bgnbd_expected_purchases_new(bg, g)) FROM m, generate_series(1, 100000000) g$$),
          'cancelled', 'bgnbd_expected_purchases_new over 100M horizons stops at statement_timeout = 1s');
SELECT is(pg_temp.outcome($$SELECT sum(pareto_nbd_expected_purchases(pn, 5000, g, 39, 39)) FROM m, generate_series(1, 100000000) g$$),
          'cancelled', 'pareto_nbd_expected_purchases over 100M heavy buyers stops at statement_timeout = 1s');
SELECT is(pg_temp.outcome($$SELECT sum(pareto_nbd_p_alive(pn, g, 20, 39)) FROM m, generate_series(1, 100000000) g$$),
          'cancelled', 'pareto_nbd_p_alive over 100M customers stops at statement_timeout = 1s');
-- One clv() call of 100,000 steps, each a quadrature (a new customer, long horizons).
SELECT is(pg_temp.outcome($$SELECT sum(clv(bg, gg, 0, 0, 0, 0, 1e9, 0, 1e4)) FROM m, generate_series(1, 1000000) g$$),
          'cancelled', 'clv() over long horizons stops at statement_timeout = 1s');
SELECT is(pg_temp.outcome($$SELECT sum(clv(pn, gg, g, 39, 39, 35, 100000, 0, 1)) FROM m, generate_series(1, 1000000) g$$),
          'cancelled', 'clv() with the Pareto/NBD model stops at statement_timeout = 1s');
RESET statement_timeout;

SELECT * FROM finish();
ROLLBACK;
