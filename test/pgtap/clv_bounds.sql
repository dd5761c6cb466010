-- clv_bounds.sql: the cost of a fit does not grow with a customer's values
-- (one buyer with frequency 100,000 among 1,000 ordinary customers), and a
-- fit over a million customers stops at statement_timeout.
BEGIN;
SELECT plan(6);

-- 1,000 ordinary customers (BG/NBD-simulated, CDNOW-like) and one heavy buyer.
CREATE TEMP TABLE ordinary AS SELECT * FROM bgnbd_sample(1000, 0.243, 4.414, 0.793, 2.426, 39, 7);
CREATE TEMP TABLE with_heavy AS
    SELECT frequency::float8 AS frequency, recency, t FROM ordinary
    UNION ALL SELECT 100000, 38, 39;

-- Before 0.2.0 the Pareto/NBD series took a number of terms growing with
-- the frequency: this fit took 729 s.  It must now complete (the timing is
-- in test/bench/clv_fit.sql) with finite, positive parameters.
SET LOCAL statement_timeout = '300s';
CREATE TEMP TABLE heavy_fit AS SELECT (pareto_nbd_fit(frequency, recency, t)).* FROM with_heavy;
SELECT is((SELECT n FROM heavy_fit), 1001::bigint, 'Pareto/NBD fit with a frequency-100,000 buyer completes over 1,001 customers');
SELECT ok((SELECT r > 0 AND alpha > 0 AND s > 0 AND beta > 0
                  AND r < 'Infinity' AND alpha < 'Infinity' AND s < 'Infinity' AND beta < 'Infinity'
                  AND log_likelihood > '-Infinity' AND log_likelihood < 'Infinity' FROM heavy_fit),
          'its parameters and log-likelihood are finite and positive where they must be');
SELECT ok((SELECT pareto_nbd_p_alive(ROW(r, alpha, s, beta, 0, 0, true, 0)::pareto_nbd_params, 100000, 38, 39)
                  BETWEEN 0 AND 1 FROM heavy_fit),
          'P(alive) of the heavy buyer under that fit is a probability');
SELECT ok((SELECT pareto_nbd_expected_purchases(ROW(r, alpha, s, beta, 0, 0, true, 0)::pareto_nbd_params, 39, 100000, 39, 39)
                  > 1000 FROM heavy_fit),
          'and it expects the heavy buyer, seen buying at the end, to keep buying');
RESET statement_timeout;

-- A million customers: every fit is cancellable within statement_timeout.
-- (throws_ok cannot catch a cancel: WHEN OTHERS excludes query_canceled.)
CREATE FUNCTION pg_temp.cancelled(q text) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE q;
    RETURN false;
EXCEPTION WHEN query_canceled THEN
    RETURN true;
END $f$;
CREATE TEMP TABLE million AS SELECT * FROM bgnbd_sample(1000000, 0.243, 4.414, 0.793, 2.426, 39, 11);
SET LOCAL statement_timeout = '1s';
SELECT ok(pg_temp.cancelled($$SELECT pareto_nbd_fit(frequency, recency, t) FROM million$$),
          'pareto_nbd_fit over 1M customers stops at statement_timeout = 1s');
SELECT ok(pg_temp.cancelled($$SELECT count(*) FROM bgnbd_sample(100000000, 0.243, 4.414, 0.793, 2.426, 39, 3)$$),
          'bgnbd_sample of 100M customers stops at statement_timeout = 1s');
RESET statement_timeout;

SELECT * FROM finish();
ROLLBACK;
