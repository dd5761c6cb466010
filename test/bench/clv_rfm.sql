-- clv_rfm.sql: rfm_agg over 10M orders of 1M customers against the plain
-- GROUP BY computing max(ts), count(*), sum(amount) (bar: ratio <= 1.3).
-- Both sides consume every output column so the planner cannot drop the
-- aggregates; parallelism is off so the ratio compares per-row cost.
\timing on
SET max_parallel_workers_per_gather = 0;
CREATE TABLE clv_bench_orders AS
    SELECT (i % 1000000)::int AS customer,
           timestamptz '2024-01-01 00:00+00' + make_interval(secs => (i * 7919) % 31536000) AS ts,
           ((i * 31) % 50000 / 100.0)::numeric(10, 2) AS amount
    FROM generate_series(1::bigint, 10000000) i;
VACUUM ANALYZE clv_bench_orders;

SELECT quanyu_bench.compare('rfm_agg, 10M orders / 1M customers',
    $$SELECT count(*) FILTER (WHERE r IS NOT NULL)
      FROM (SELECT customer, quanyu.rfm_agg(ts, amount, '2025-01-01') AS r FROM clv_bench_orders GROUP BY customer) s$$,
    $$SELECT count(*) FILTER (WHERE m IS NOT NULL AND c IS NOT NULL AND s IS NOT NULL)
      FROM (SELECT customer, max(ts) AS m, count(*) AS c, sum(amount) AS s FROM clv_bench_orders GROUP BY customer) s$$);

SELECT quanyu_bench.compare('clv_summary_agg, 10M orders / 1M customers',
    $$SELECT count(*) FILTER (WHERE r IS NOT NULL)
      FROM (SELECT customer, quanyu.clv_summary_agg(ts, amount, '2024-10-01', '7 days') AS r FROM clv_bench_orders GROUP BY customer) s$$,
    $$SELECT count(*) FILTER (WHERE m IS NOT NULL AND c IS NOT NULL AND s IS NOT NULL)
      FROM (SELECT customer, max(ts) AS m, count(*) AS c, sum(amount) AS s FROM clv_bench_orders GROUP BY customer) s$$);

-- The same with parallel workers allowed (both sides can use partial aggregation).
RESET max_parallel_workers_per_gather;
SELECT quanyu_bench.compare('rfm_agg, 10M orders / 1M customers, parallel allowed',
    $$SELECT count(*) FILTER (WHERE r IS NOT NULL)
      FROM (SELECT customer, quanyu.rfm_agg(ts, amount, '2025-01-01') AS r FROM clv_bench_orders GROUP BY customer) s$$,
    $$SELECT count(*) FILTER (WHERE m IS NOT NULL AND c IS NOT NULL AND s IS NOT NULL)
      FROM (SELECT customer, max(ts) AS m, count(*) AS c, sum(amount) AS s FROM clv_bench_orders GROUP BY customer) s$$);

DROP TABLE clv_bench_orders;
