-- scale_split: the splittable forms (state agg_state) give the one-node
-- answers, also when partial states are made per shard, sent as text and
-- combined with agg_state_combine (what Citus does); forged states are errors.
SET extra_float_digits = 0;
CREATE TABLE split_cust AS
SELECT row_number() OVER () AS person_id, frequency, recency, t,
       CASE WHEN frequency > 0 THEN round((10 + (row_number() OVER ()) % 37)::numeric, 2)::float8 END AS m
FROM bgnbd_sample(4000, 0.5, 8, 0.8, 2.5, 52, 11);
CREATE TABLE split_orders AS
SELECT person_id, frequency::bigint + 1 AS orders, (frequency * 10 + 7.25)::numeric AS revenue FROM split_cust;

-- partial aggregates without final function (a shard's part) and combining
-- aggregates with the final functions (the coordinator's part)
CREATE AGGREGATE t_part_purchases(clv_summary) (SFUNC = clv_split_purchases_trans, STYPE = agg_state);
CREATE AGGREGATE t_part_spend(clv_summary) (SFUNC = clv_split_spend_trans, STYPE = agg_state);
CREATE AGGREGATE t_part_breaks(rfm_value) (SFUNC = clv_split_breaks_trans, STYPE = agg_state);
CREATE AGGREGATE t_part_metrics(rfm_summary) (SFUNC = clv_split_metrics_trans, STYPE = agg_state);
CREATE AGGREGATE t_comb_bgnbd(agg_state) (SFUNC = agg_state_combine, STYPE = agg_state, FINALFUNC = clv_split_bgnbd_final);
CREATE AGGREGATE t_comb_pareto(agg_state) (SFUNC = agg_state_combine, STYPE = agg_state, FINALFUNC = clv_split_pareto_final);
CREATE AGGREGATE t_comb_gg(agg_state) (SFUNC = agg_state_combine, STYPE = agg_state, FINALFUNC = clv_split_gammagamma_final);
CREATE AGGREGATE t_comb_breaks(agg_state) (SFUNC = agg_state_combine, STYPE = agg_state, FINALFUNC = clv_split_breaks_final);
CREATE AGGREGATE t_comb_metrics(agg_state) (SFUNC = agg_state_combine, STYPE = agg_state, FINALFUNC = clv_split_metrics_final);

-- the states of 4 shards, through their text form
CREATE TABLE shard_states AS
SELECT person_id % 4 AS shard,
       t_part_purchases(row(frequency, recency, t, m)::clv_summary)::text AS purchases,
       t_part_spend(row(frequency, recency, t, m)::clv_summary)::text AS spend,
       t_part_breaks(row(recency, 5)::rfm_value)::text AS breaks
FROM split_cust GROUP BY 1;
CREATE TABLE shard_metrics AS
SELECT o.person_id % 4 AS shard,
       t_part_metrics(row(0, o.orders, o.revenue, NULL, NULL, NULL)::rfm_summary)::text AS metrics
FROM split_orders o GROUP BY 1;

-- a state holds distinct observations, not customers (many recencies are 0)
SELECT (i).aggregate, sum((i).rows) AS rows, sum((i).entries) < sum((i).rows) AS merged
FROM (SELECT agg_state_info(breaks::agg_state) AS i FROM shard_states
      UNION ALL SELECT agg_state_info(purchases::agg_state) FROM shard_states) x GROUP BY 1 ORDER BY 1;

-- BG/NBD: one-node, single-argument and split runs give the same fit
WITH l AS (SELECT (bgnbd_fit(frequency, recency, t)).* FROM split_cust),
     s AS (SELECT (bgnbd_fit(row(frequency, recency, t, m)::clv_summary)).* FROM split_cust),
     d AS (SELECT (t_comb_bgnbd(purchases::agg_state)).* FROM shard_states)
SELECT l.n, l.converged,
       abs(d.r / l.r - 1) < 1e-6 AND abs(d.alpha / l.alpha - 1) < 1e-6 AND abs(d.a / l.a - 1) < 1e-6
           AND abs(d.b / l.b - 1) < 1e-6 AND abs(d.log_likelihood / l.log_likelihood - 1) < 1e-9 AS split_equal,
       (s.*)::text = (l.*)::text AS single_arg_identical, (d.*)::text = (l.*)::text AS split_identical
FROM l, s, d;

-- Pareto/NBD
WITH l AS (SELECT (pareto_nbd_fit(frequency, recency, t)).* FROM split_cust),
     d AS (SELECT (t_comb_pareto(purchases::agg_state)).* FROM shard_states)
SELECT l.n, abs(d.r / l.r - 1) < 1e-6 AND abs(d.s / l.s - 1) < 1e-6 AND abs(d.beta / l.beta - 1) < 1e-6
           AND abs(d.log_likelihood / l.log_likelihood - 1) < 1e-9 AS split_equal,
       (d.*)::text = (l.*)::text AS split_identical,
       (SELECT (pareto_nbd_fit(row(frequency, recency, t, m)::clv_summary))::text FROM split_cust) = (l.*)::text AS single_arg_identical
FROM l, d;

-- Gamma-Gamma
WITH l AS (SELECT (gammagamma_fit(frequency, m)).* FROM split_cust),
     d AS (SELECT (t_comb_gg(spend::agg_state)).* FROM shard_states)
SELECT l.n, abs(d.p / l.p - 1) < 1e-6 AND abs(d.q / l.q - 1) < 1e-6 AND abs(d.v / l.v - 1) < 1e-6
           AND abs(d.log_likelihood / l.log_likelihood - 1) < 1e-9 AS split_equal,
       (d.*)::text = (l.*)::text AS split_identical,
       (SELECT (gammagamma_fit(row(frequency, recency, t, m)::clv_summary))::text FROM split_cust) = (l.*)::text AS single_arg_identical
FROM l, d;

-- rfm_breaks, for several k and with ties
SELECT k, (SELECT rfm_breaks(recency, k) FROM split_cust) AS local,
       (SELECT rfm_breaks(row(recency, k)::rfm_value) FROM split_cust)
           = (SELECT rfm_breaks(recency, k) FROM split_cust) AS single_arg_equal
FROM (VALUES (2), (3), (5), (10)) v(k);
SELECT (SELECT t_comb_breaks(breaks::agg_state) FROM shard_states) = (SELECT rfm_breaks(recency, 5) FROM split_cust) AS split_equal;
SELECT rfm_breaks(row(v, 4)::rfm_value) = rfm_breaks(v, 4) AS few_values_equal
FROM (VALUES (1.0::float8), (1), (2), (NULL), (-0.0), (0)) d(v);

-- clv_metrics_agg
SELECT (SELECT clv_metrics_agg(orders, revenue) FROM split_orders)::text
     = (SELECT clv_metrics_agg(row(0, orders, revenue, NULL, NULL, NULL)::rfm_summary) FROM split_orders)::text AS single_arg_equal,
       (SELECT clv_metrics_agg(orders, revenue) FROM split_orders)::text
     = (SELECT t_comb_metrics(metrics::agg_state) FROM shard_metrics)::text AS split_equal;

-- parallel workers exchange agg_state values and give the same answers
CREATE TABLE split_big AS SELECT (s % 4000) + 1 AS person_id, c.frequency, c.recency, c.t, c.m
FROM generate_series(0, 39999) s JOIN split_cust c ON c.person_id = (s % 4000) + 1;
ANALYZE split_big;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT count(*) > 0 AS uses_partial FROM (SELECT 1) x
WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE proname = 'agg_state_combine');
EXPLAIN (COSTS OFF) SELECT bgnbd_fit(row(frequency, recency, t, m)::clv_summary) FROM split_big;
SELECT (SELECT bgnbd_fit(row(frequency, recency, t, m)::clv_summary) FROM split_big)::text
     = (SELECT bgnbd_fit(frequency, recency, t) FROM split_big)::text AS parallel_equal;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- empty input: NULL, as the one-node forms
SELECT bgnbd_fit(NULL::clv_summary) IS NULL AS null_row, rfm_breaks(NULL::rfm_value) FROM split_cust WHERE false;

-- round trip of the text form
SELECT purchases::agg_state::text = purchases AS round_trip FROM shard_states ORDER BY shard LIMIT 1;

-- forged states are errors
SELECT 'abc'::agg_state;
SELECT 'zz'::agg_state;
SELECT '00000000000000000000000000000000000000000000000000000000'::agg_state;
-- a state with a weight of 0.5 (header of a breaks state, k 5, one entry)
SELECT ('5153504c01000300' || '05000000' || '0100000000000000' || '0100000000000000'
        || '000000000000f03f' || '0000000000000000' || '0000000000000000' || '000000000000e03f')::agg_state;
-- unsorted entries
SELECT ('5153504c01000300' || '05000000' || '0200000000000000' || '0200000000000000'
        || '0000000000000040' || '0000000000000000' || '0000000000000000' || '000000000000f03f'
        || '000000000000f03f' || '0000000000000000' || '0000000000000000' || '000000000000f03f')::agg_state;
-- a purchases entry with recency after T
SELECT ('5153504c01000100' || '00000000' || '0100000000000000' || '0100000000000000'
        || '000000000000f03f' || '0000000000002440' || '0000000000001440' || '000000000000f03f')::agg_state;
-- a length that does not match the count
SELECT ('5153504c01000300' || '05000000' || '0200000000000000' || '0200000000000000'
        || '000000000000f03f' || '0000000000000000' || '0000000000000000' || '000000000000f03f')::agg_state;
-- a final function refuses to run outside an aggregate
SELECT clv_split_breaks_final(NULL) IS NULL AS direct_call_refused;
-- a valid hand-written state (value 1 with weight 2) is accepted
SELECT t_comb_breaks(('5153504c01000300' || '05000000' || '0100000000000000' || '0100000000000000'
        || '000000000000f03f' || '0000000000000000' || '0000000000000000' || '0000000000000040')::agg_state);
-- states of two aggregates do not combine; a final function refuses another's state
SELECT t_comb_breaks(s::agg_state) FROM (SELECT breaks FROM shard_states UNION ALL SELECT purchases FROM shard_states) x(s);
SELECT t_comb_bgnbd(spend::agg_state) FROM shard_states;
SELECT t_comb_metrics(purchases::agg_state) FROM shard_states;
-- different k
CREATE AGGREGATE t_breaks_k(agg_state) (SFUNC = agg_state_combine, STYPE = agg_state, FINALFUNC = clv_split_breaks_final);
SELECT t_breaks_k(s) FROM (SELECT t_part_breaks(row(recency, 5)::rfm_value) FROM split_cust
                           UNION ALL SELECT t_part_breaks(row(recency, 4)::rfm_value) FROM split_cust) x(s);
-- a forged INITCOND goes through the input function
CREATE AGGREGATE t_forged(clv_summary) (SFUNC = clv_split_purchases_trans, STYPE = agg_state, INITCOND = '5153504c010009000000000000000000000000000000000000000000');
-- the transition and combine functions refuse to run outside an aggregate
SELECT clv_split_purchases_trans(NULL, NULL);
SELECT agg_state_combine(NULL, NULL);
-- argument checks as in the one-node forms
SELECT bgnbd_fit(row(1, 10, 5, NULL)::clv_summary);
SELECT gammagamma_fit(row(2, 1, 5, -3)::clv_summary);
SELECT rfm_breaks(row(1, 1)::rfm_value);
SELECT rfm_breaks(row('NaN', 5)::rfm_value);
SELECT rfm_breaks(v) FROM (VALUES (row(1, 5)::rfm_value), (row(2, 4)::rfm_value)) d(v);
SELECT clv_metrics_agg(row(0, 0, 1, NULL, NULL, NULL)::rfm_summary);
