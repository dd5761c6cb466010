-- clv_parallel.sql: the aggregates run as partial aggregates in parallel
-- plans (combine, serial and deserial functions) with the same results as a
-- serial plan; bgnbd_fit recovers the parameters of simulated data.
BEGIN;
SELECT plan(17);

-- 100,000 customers from a BG/NBD with known parameters, and orders derived from them.
CREATE TABLE sim AS SELECT * FROM bgnbd_sample(100000, 0.243, 4.414, 0.793, 2.426, 39, 2024);
CREATE TABLE sim_orders AS
    SELECT c AS customer,
           timestamptz '2024-01-01 00:00+00' + make_interval(days => (c * 7 + k * 13) % 365) AS ts,
           ((c % 97) + k * 1.25)::numeric(10, 2) AS amount
    FROM generate_series(1, 2000) c, generate_series(1, 20 + c % 30) k;
ANALYZE sim;
ANALYZE sim_orders;

-- EXPLAIN text of a query.
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    result text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        result := result || line || E'\n';
    END LOOP;
    RETURN result;
END $$;

-- Serial results first.
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_fit AS SELECT bgnbd_fit(frequency, recency, t) AS b, gammagamma_fit(frequency, 10 + frequency) AS g FROM sim;
CREATE TEMP TABLE serial_rfm AS SELECT customer, rfm_agg(ts, amount, '2025-01-01') AS r, clv_summary_agg(ts, amount, '2024-10-01', '7 days') AS s FROM sim_orders GROUP BY customer;
CREATE TEMP TABLE serial_breaks AS SELECT rfm_breaks(amount::float8, 5) AS b, clv_metrics_agg(1 + customer % 3, amount) AS m FROM sim_orders;

-- Then parallel plans, forced.
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SET LOCAL enable_sort = off;

SELECT matches(pg_temp.plan_of('SELECT bgnbd_fit(frequency, recency, t) FROM sim'), 'Partial Aggregate', 'bgnbd_fit runs as a partial aggregate');
SELECT matches(pg_temp.plan_of('SELECT gammagamma_fit(frequency, 10 + frequency) FROM sim'), 'Partial Aggregate', 'gammagamma_fit runs as a partial aggregate');
SELECT matches(pg_temp.plan_of('SELECT rfm_breaks(amount::float8, 5), clv_metrics_agg(1 + customer % 3, amount) FROM sim_orders'), 'Partial Aggregate', 'rfm_breaks and clv_metrics_agg run as partial aggregates');
SELECT matches(pg_temp.plan_of('SELECT customer, rfm_agg(ts, amount, ''2025-01-01''), clv_summary_agg(ts, amount, ''2024-10-01'', ''7 days'') FROM sim_orders GROUP BY customer'), 'Partial (Hash|Group)Aggregate', 'rfm_agg and clv_summary_agg run as partial aggregates');

CREATE TEMP TABLE par_fit AS SELECT bgnbd_fit(frequency, recency, t) AS b, gammagamma_fit(frequency, 10 + frequency) AS g FROM sim;
CREATE TEMP TABLE par_rfm AS SELECT customer, rfm_agg(ts, amount, '2025-01-01') AS r, clv_summary_agg(ts, amount, '2024-10-01', '7 days') AS s FROM sim_orders GROUP BY customer;
CREATE TEMP TABLE par_breaks AS SELECT rfm_breaks(amount::float8, 5) AS b, clv_metrics_agg(1 + customer % 3, amount) AS m FROM sim_orders;

SELECT is((SELECT b FROM par_fit), (SELECT b FROM serial_fit), 'parallel bgnbd_fit equals the serial fit');
SELECT is((SELECT g FROM par_fit), (SELECT g FROM serial_fit), 'parallel gammagamma_fit equals the serial fit');
SELECT is((SELECT count(*) FROM par_rfm), 2000::bigint, 'one rfm row per customer');
SELECT is((SELECT count(*) FROM par_rfm p JOIN serial_rfm s USING (customer) WHERE p.r IS NOT DISTINCT FROM s.r), 2000::bigint, 'parallel rfm_agg equals the serial one');
SELECT is((SELECT count(*) FROM par_rfm p JOIN serial_rfm s USING (customer) WHERE p.s IS NOT DISTINCT FROM s.s), 2000::bigint, 'parallel clv_summary_agg equals the serial one');
SELECT is((SELECT b FROM par_breaks), (SELECT b FROM serial_breaks), 'parallel rfm_breaks equals the serial one');
SELECT is((SELECT m FROM par_breaks), (SELECT m FROM serial_breaks), 'parallel clv_metrics_agg equals the serial one');
SELECT is((SELECT sum((r).monetary) FROM par_rfm), (SELECT sum(amount) FROM sim_orders), 'rfm monetary sums to the order total');

-- Recovery of the simulation's parameters (sampling error at n = 100,000 is a few percent).
SELECT ok((SELECT (b).converged FROM par_fit), 'fit on simulated data converged');
SELECT ok((SELECT abs((b).r / 0.243 - 1) < 0.1 FROM par_fit), 'r recovered within 10%');
SELECT ok((SELECT abs((b).alpha / 4.414 - 1) < 0.1 FROM par_fit), 'alpha recovered within 10%');
SELECT ok((SELECT abs((b).a / 0.793 - 1) < 0.15 FROM par_fit), 'a recovered within 15%');
SELECT ok((SELECT abs((b).b / 2.426 - 1) < 0.15 FROM par_fit), 'b recovered within 15%');

SELECT * FROM finish();
ROLLBACK;
