-- test/scale/shard_functions.sql: what every shard answers for each
-- question, over its own persons (facts are split by person id, so every
-- per-person aggregate runs whole on one shard).  Partial results are
-- values: audiences, counts and sums, and partial states (agg_state,
-- segment_lift's float8[]) made by aggregates without a final function.
\set ON_ERROR_STOP 1
CREATE SCHEMA q;
CREATE AGGREGATE q.part_purchases(quanyu.clv_summary) (SFUNC = quanyu.clv_split_purchases_trans, STYPE = quanyu.agg_state);
CREATE AGGREGATE q.part_spend(quanyu.clv_summary) (SFUNC = quanyu.clv_split_spend_trans, STYPE = quanyu.agg_state);
CREATE AGGREGATE q.part_breaks(quanyu.rfm_value) (SFUNC = quanyu.clv_split_breaks_trans, STYPE = quanyu.agg_state);
CREATE AGGREGATE q.part_metrics(quanyu.rfm_summary) (SFUNC = quanyu.clv_split_metrics_trans, STYPE = quanyu.agg_state);
CREATE AGGREGATE q.part_lift(bigint, double precision, quanyu.audience) (
    SFUNC = quanyu.segment_lift_trans, STYPE = double precision[], INITCOND = '{0,0,0,0,0,0}');

-- buyers of each category
CREATE FUNCTION q.category_audiences(OUT category integer, OUT members quanyu.audience) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT category, quanyu.audience_agg(person_id) FROM public.orders GROUP BY category
$$;
-- members of each tier now and next period
CREATE FUNCTION q.tier_audiences(OUT tier integer, OUT now quanyu.audience, OUT next quanyu.audience) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT t, quanyu.audience_agg(person_id) FILTER (WHERE tier = t),
           quanyu.audience_agg(person_id) FILTER (WHERE tier_next = t)
    FROM public.members, generate_series(0, 4) t GROUP BY t
$$;
-- order count, revenue, buyers
CREATE FUNCTION q.order_totals(OUT orders bigint, OUT revenue numeric, OUT buyers quanyu.audience) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT count(*), sum(amount), quanyu.audience_agg(person_id) FROM public.orders
$$;
-- per-person summaries (whole on the shard) and the partial states of the fits
CREATE FUNCTION q.clv_states(OUT purchases quanyu.agg_state, OUT spend quanyu.agg_state,
                             OUT breaks quanyu.agg_state, OUT metrics quanyu.agg_state) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    WITH s AS (SELECT person_id, quanyu.clv_summary_agg(ts, amount, '2024-10-01', '7 days') AS c,
                      quanyu.rfm_agg(ts, amount, '2025-01-01') AS r
               FROM public.orders WHERE ts < '2024-10-01' GROUP BY person_id)
    SELECT q.part_purchases(c), q.part_spend(c), q.part_breaks(row((r).recency, 5)::quanyu.rfm_value),
           q.part_metrics(r)
    FROM s
$$;
-- segment_lift of revenue: tier-4 members against the others
CREATE FUNCTION q.lift_state() RETURNS double precision[]
LANGUAGE sql STABLE AS $$
    WITH seg AS (SELECT quanyu.audience_agg(person_id) AS a FROM public.members WHERE tier = 4),
         rev AS (SELECT person_id, sum(amount)::float8 AS v FROM public.orders GROUP BY person_id)
    SELECT q.part_lift(rev.person_id, rev.v, seg.a) FROM rev, seg
$$;
-- persons per deepest level of the view -> cart -> buy funnel within 1 day
CREATE FUNCTION q.funnel_levels(OUT level integer, OUT persons bigint) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT level, count(*) FROM (
        SELECT quanyu.window_funnel('1 day', ts, event = 'view', event = 'cart', event = 'buy') AS level
        FROM public.events GROUP BY person_id) f
    GROUP BY level
$$;
-- retention: buyers in March who came back in April, May, June
CREATE FUNCTION q.retention(OUT k integer, OUT persons bigint) RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT k, sum(r[k]) FROM (
        SELECT quanyu.retention_agg(date_trunc('month', ts, 'UTC') = '2024-03-01 00:00+00',
                                    date_trunc('month', ts, 'UTC') = '2024-04-01 00:00+00',
                                    date_trunc('month', ts, 'UTC') = '2024-05-01 00:00+00',
                                    date_trunc('month', ts, 'UTC') = '2024-06-01 00:00+00') AS r
        FROM public.orders GROUP BY person_id) x, generate_series(1, 4) k
    GROUP BY k
$$;

-- the same questions as views, for postgres_fdw (it reads tables and views)
CREATE VIEW q.v_category_audiences AS SELECT * FROM q.category_audiences();
CREATE VIEW q.v_tier_audiences AS SELECT * FROM q.tier_audiences();
CREATE VIEW q.v_order_totals AS SELECT * FROM q.order_totals();
CREATE VIEW q.v_clv_states AS SELECT * FROM q.clv_states();
CREATE VIEW q.v_lift_state AS SELECT q.lift_state() AS lift_state;
CREATE VIEW q.v_funnel_levels AS SELECT * FROM q.funnel_levels();
CREATE VIEW q.v_retention AS SELECT * FROM q.retention();
