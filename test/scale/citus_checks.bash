# test/scale/citus_checks.bash (sourced by citus.sh): every check of the
# Citus suite, one per line:  name | where | SQL
# The SQL runs twice, with search_path loc (plain tables on the coordinator)
# and dist (the same rows in tables distributed by person_id); the outputs
# must be equal.  `where` says what EXPLAIN (VERBOSE) of the dist run must
# show:
#   partial  the aggregate runs partially on the workers
#            (worker_partial_agg on every shard, coord_combine_agg on the
#            coordinator), or, for the built-in ones, as a pushed-down
#            partial aggregate
#   whole    the aggregate runs whole on the workers (it is grouped by the
#            distribution column): its name is in the workers' query
#   gather   not distributable: the rows go to the coordinator, which runs
#            the aggregate (row gather); the answer is still equal
#   coord    a function over values the coordinator already holds
#   spi      a function on the coordinator that reads the table through
#            SPI: Citus sends that query to the workers
QY_CITUS_CHECKS=$(cat <<'CHECKS'
audience_agg(bigint)|partial|SELECT quanyu.cardinality(a), md5(a::text) FROM (SELECT quanyu.audience_agg(person_id) a FROM orders) s
audience_agg(integer)|partial|SELECT quanyu.cardinality(a), md5(a::text) FROM (SELECT quanyu.audience_agg(person_id::int) a FROM orders WHERE amount > 100) s
audience_union_agg|partial|SELECT quanyu.cardinality(a), md5(a::text) FROM (SELECT quanyu.audience_union_agg(categories) a FROM person_audiences) s
audience_intersect_agg|partial|SELECT quanyu.cardinality(a), md5(a::text) FROM (SELECT quanyu.audience_intersect_agg(categories) a FROM person_audiences WHERE quanyu.cardinality(categories) > 3) s
audience_xor_agg|partial|SELECT quanyu.cardinality(a), md5(a::text) FROM (SELECT quanyu.audience_xor_agg(categories) a FROM person_audiences) s
audience_union_count_agg|partial|SELECT quanyu.audience_union_count_agg(categories) FROM person_audiences
bgnbd_fit(clv_summary)|partial|SELECT quanyu.bgnbd_fit(c) FROM person_summary
pareto_nbd_fit(clv_summary)|partial|SELECT quanyu.pareto_nbd_fit(c) FROM person_summary
gammagamma_fit(clv_summary)|partial|SELECT quanyu.gammagamma_fit(c) FROM person_summary
rfm_breaks(rfm_value)|partial|SELECT quanyu.rfm_breaks(row((r).recency, 5)::quanyu.rfm_value), quanyu.rfm_breaks(row((r).frequency, 4)::quanyu.rfm_value) FROM person_summary
clv_metrics_agg(rfm_summary)|partial|SELECT quanyu.clv_metrics_agg(r) FROM person_summary
segment_lift|partial|SELECT (quanyu.segment_lift(person_id, (r).monetary::float8, (SELECT quanyu.audience_agg(person_id) FROM members WHERE tier = 4))).in_persons FROM person_summary
audience_agg (by person)|whole|SELECT md5(string_agg(person_id || ':' || a::text, ',' ORDER BY person_id)) FROM (SELECT person_id, quanyu.audience_agg(category) a FROM orders GROUP BY person_id) s
audience_union_agg (by person)|whole|SELECT md5(string_agg(person_id || ':' || a::text, ',' ORDER BY person_id)) FROM (SELECT person_id, quanyu.audience_union_agg(categories) a FROM person_audiences GROUP BY person_id) s
clv_metrics_agg(rfm_summary) (by person)|whole|SELECT md5(string_agg(person_id || ':' || m::text, ',' ORDER BY person_id)) FROM (SELECT person_id, quanyu.clv_metrics_agg(r) m FROM person_summary GROUP BY person_id) s
rfm_agg (by person)|whole|SELECT md5(string_agg(person_id || ':' || r::text, ',' ORDER BY person_id)) FROM (SELECT person_id, quanyu.rfm_agg(ts, amount, '2025-01-01') r FROM orders GROUP BY person_id) s
clv_summary_agg (by person)|whole|SELECT md5(string_agg(person_id || ':' || c::text, ',' ORDER BY person_id)) FROM (SELECT person_id, quanyu.clv_summary_agg(ts, amount, '2024-10-01', '7 days') c FROM orders GROUP BY person_id) s
window_funnel (by person)|whole|SELECT level, count(*) FROM (SELECT person_id, quanyu.window_funnel('1 day', ts, event = 'view', event = 'cart', event = 'buy') level FROM events GROUP BY person_id) f GROUP BY 1 ORDER BY 1
window_funnel mode (by person)|whole|SELECT level, count(*) FROM (SELECT person_id, quanyu.window_funnel('1 day', 'strict_order', ts, event = 'view', event = 'cart', event = 'buy') level FROM events GROUP BY person_id) f GROUP BY 1 ORDER BY 1
window_funnel timestamp (by person)|whole|SELECT level, count(*) FROM (SELECT person_id, quanyu.window_funnel('1 day', 'strict_deduplication', (ts AT TIME ZONE 'UTC'), event = 'view', event = 'cart', event = 'buy') level FROM events GROUP BY person_id) f GROUP BY 1 ORDER BY 1
window_funnel_times (by person)|whole|SELECT md5(string_agg(person_id || ':' || t::text, ',' ORDER BY person_id)) FROM (SELECT person_id, quanyu.window_funnel_times('1 day', ts, event = 'view', event = 'cart', event = 'buy') t FROM events GROUP BY person_id) f
window_funnel_times timestamp mode (by person)|whole|SELECT md5(string_agg(person_id || ':' || t::text, ',' ORDER BY person_id)) FROM (SELECT person_id, quanyu.window_funnel_times('1 day', 'strict_increase', (ts AT TIME ZONE 'UTC'), event = 'view', event = 'cart', event = 'buy') t FROM events GROUP BY person_id) f
retention_agg (by person)|whole|SELECT k, sum(r[k]) FROM (SELECT person_id, quanyu.retention_agg(date_trunc('month', ts, 'UTC') = '2024-03-01 00:00+00', date_trunc('month', ts, 'UTC') = '2024-04-01 00:00+00', date_trunc('month', ts, 'UTC') = '2024-05-01 00:00+00') r FROM orders GROUP BY person_id) x, generate_series(1, 3) k GROUP BY 1 ORDER BY 1
retention_agg (whole table)|partial|SELECT quanyu.retention_agg(date_trunc('month', ts, 'UTC') = '2024-03-01 00:00+00', date_trunc('month', ts, 'UTC') = '2024-04-01 00:00+00', date_trunc('month', ts, 'UTC') = '2024-05-01 00:00+00') FROM orders
window_funnel (whole table)|gather|SELECT quanyu.window_funnel('1 day', ts, event = 'view', event = 'cart', event = 'buy') FROM events
window_funnel_times (whole table)|gather|SELECT quanyu.window_funnel_times('1 day', ts, event = 'view', event = 'cart', event = 'buy') FROM events
bgnbd_fit(frequency, recency, T)|gather|SELECT quanyu.bgnbd_fit((c).frequency, (c).recency, (c).t) FROM person_summary
pareto_nbd_fit(frequency, recency, T)|gather|SELECT quanyu.pareto_nbd_fit((c).frequency, (c).recency, (c).t) FROM person_summary
gammagamma_fit(frequency, monetary_value)|gather|SELECT quanyu.gammagamma_fit((c).frequency, (c).monetary_value) FROM person_summary
rfm_breaks(value, k)|gather|SELECT quanyu.rfm_breaks((r).recency, 5) FROM person_summary
clv_metrics_agg(orders, revenue)|gather|SELECT quanyu.clv_metrics_agg((r).frequency, (r).monetary) FROM person_summary
rfm_agg (whole table)|gather|SELECT quanyu.rfm_agg(ts, amount, '2025-01-01') FROM orders
clv_summary_agg (whole table)|gather|SELECT quanyu.clv_summary_agg(ts, amount, '2024-10-01', '7 days') FROM orders
attribution (by person)|whole|SELECT md5(string_agg(person_id || ':' || a::text, ',' ORDER BY person_id)) FROM (SELECT person_id, quanyu.attribution(person_id, ts, touch, amount, 'position', '30 days') a FROM (SELECT person_id, ts, event AS touch, NULL::float8 AS amount FROM events UNION ALL SELECT person_id, ts, NULL, amount::float8 FROM orders WHERE ts >= '2024-03-01') u GROUP BY person_id) s
attribution (whole table)|gather|SELECT c.touch, c.orders, round(c.credit::numeric, 6), round(c.gmv::numeric, 4) FROM unnest((SELECT quanyu.attribution(person_id, ts, touch, amount, 'linear', '30 days' ORDER BY person_id) FROM (SELECT person_id, ts, event AS touch, NULL::float8 AS amount FROM events UNION ALL SELECT person_id, ts, NULL, amount::float8 FROM orders WHERE ts >= '2024-03-01') u)) c ORDER BY 1
holdout_uplift (whole table)|gather|SELECT r.metric, round(r.treated::numeric, 9), round(r.holdout::numeric, 9), round(r.uplift::numeric, 9), round(r.uplift_low::numeric, 9), round(r.uplift_high::numeric, 9) FROM unnest((SELECT quanyu.holdout_uplift(m.person_id, o.n IS NOT NULL, coalesce(o.gmv, 0), quanyu.audience_from_range(1, 3601), quanyu.audience_from_range(3601, 4001), quanyu.audience_from_range(3590, 3620)) FROM members m LEFT JOIN (SELECT person_id, count(*) n, sum(amount)::float8 gmv FROM orders WHERE ts >= '2024-07-01' GROUP BY 1) o USING (person_id))) r
tier_flow, tier_flow_rate, tier_waterfall|coord|WITH a AS (SELECT t, quanyu.audience_agg(person_id) FILTER (WHERE tier = t) n, quanyu.audience_agg(person_id) FILTER (WHERE tier_next = t) x FROM members, generate_series(0, 4) t GROUP BY t), arr AS (SELECT array_agg(n ORDER BY t) n, array_agg(x ORDER BY t) x FROM a) SELECT f.*, r.rate, (SELECT array_agg(quanyu.cardinality(w)) FROM unnest(quanyu.tier_waterfall(arr.n)) w) FROM arr, quanyu.tier_flow(arr.n, arr.x) f JOIN quanyu.tier_flow_rate(arr.n, arr.x) r USING (from_tier, to_tier)
audience_overlap, audience_rate, audience_eval|coord|WITH c AS (SELECT array_agg(a ORDER BY category) a FROM (SELECT category, quanyu.audience_agg(person_id) a FROM orders GROUP BY category) s) SELECT o.*, quanyu.audience_rate(c.a[1], c.a[2]), quanyu.cardinality(quanyu.audience_eval('c1 & (c2 | c3) - c4', ARRAY['c1', 'c2', 'c3', 'c4'], c.a[1:4])) FROM c, quanyu.audience_overlap(c.a[1:4]) o
audience_retention, audience_retention_rate|coord|WITH m AS (SELECT array_agg(a ORDER BY mon) a FROM (SELECT date_trunc('month', ts, 'UTC') mon, quanyu.audience_agg(person_id) a FROM orders GROUP BY 1) s) SELECT quanyu.audience_retention(a[1], a[2:6]), quanyu.audience_retention(a[1], a[2:6], true), quanyu.audience_retention_rate(a[1], a[2:6]) FROM m
audience_eval(expr, source)|spi|SELECT quanyu.cardinality(quanyu.audience_eval('c1 - c2', 'named_audiences'::regclass))
rfm_score, rfm_class, rfm_segment|whole|SELECT md5(string_agg(person_id || ':' || quanyu.rfm_score((r).recency, ARRAY[30, 90, 180, 270], true) || quanyu.rfm_segment(quanyu.rfm_score((r).recency, ARRAY[30, 90, 180, 270], true), quanyu.rfm_score((r).frequency, ARRAY[1, 2, 3, 4])) || (quanyu.rfm_class((r).recency < 90, (r).frequency > 2, (r).monetary > 500)).name_en, ',' ORDER BY person_id)) FROM person_summary
bgnbd_expected_purchases, p_alive, pareto_nbd_*, gammagamma_expected_spend, clv()|whole|WITH p AS (SELECT quanyu.bgnbd_fit(c) b, quanyu.pareto_nbd_fit(c) pn, quanyu.gammagamma_fit(c) g FROM loc.person_summary) SELECT round(sum(quanyu.bgnbd_expected_purchases(p.b, 10, (c).frequency, (c).recency, (c).t))::numeric, 6), round(sum(quanyu.bgnbd_p_alive(p.b, (c).frequency, (c).recency, (c).t))::numeric, 6), round(sum(quanyu.pareto_nbd_expected_purchases(p.pn, 10, (c).frequency, (c).recency, (c).t))::numeric, 6), round(sum(quanyu.pareto_nbd_p_alive(p.pn, (c).frequency, (c).recency, (c).t))::numeric, 6), round(sum(quanyu.gammagamma_expected_spend(p.g, (c).frequency, (c).monetary_value)) FILTER (WHERE (c).frequency > 0)::numeric, 6), round(sum(quanyu.clv(p.b, p.g, (c).frequency, (c).recency, (c).t, coalesce((c).monetary_value, 0), 12, 0.01)) FILTER (WHERE (c).frequency > 0)::numeric, 4), round(quanyu.bgnbd_expected_purchases_new(p.b, 10)::numeric, 9), round(quanyu.pareto_nbd_expected_purchases_new(p.pn, 10)::numeric, 9) FROM person_summary, p GROUP BY p.b, p.pn, p.g
clv_cohort_retention|spi|SELECT * FROM quanyu.clv_cohort_retention('orders', 'person_id', 'ts', '2025-01-01') ORDER BY 1, 3 LIMIT 40
CHECKS
)
