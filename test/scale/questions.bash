# test/scale/questions.bash (sourced): the questions every scale-out suite
# asks, each as a one-node query over the whole data set and as a combining
# query over partial results.  In the combining query SRC(name) stands for
# the rows every shard returned for question `name` (q.name()'s columns);
# each suite replaces it with its way of gathering them.
# shellcheck disable=SC2034
QY_QUESTIONS="category_audiences tier_flow order_totals clv_fits segment_lift funnel retention"

qy_question_local() {
	case "$1" in
	category_audiences) echo "SELECT category, quanyu.cardinality(quanyu.audience_agg(person_id)), md5(quanyu.audience_agg(person_id)::text) FROM orders GROUP BY 1 ORDER BY 1" ;;
	tier_flow) echo "WITH a AS (SELECT t, quanyu.audience_agg(person_id) FILTER (WHERE tier = t) n, quanyu.audience_agg(person_id) FILTER (WHERE tier_next = t) x FROM members, generate_series(0, 4) t GROUP BY t)
		SELECT * FROM quanyu.tier_flow((SELECT array_agg(n ORDER BY t) FROM a), (SELECT array_agg(x ORDER BY t) FROM a))" ;;
	order_totals) echo "SELECT count(*), sum(amount), quanyu.cardinality(quanyu.audience_agg(person_id)) FROM orders" ;;
	clv_fits) echo "WITH s AS (SELECT person_id, quanyu.clv_summary_agg(ts, amount, '2024-10-01', '7 days') AS c, quanyu.rfm_agg(ts, amount, '2025-01-01') AS r
		FROM orders WHERE ts < '2024-10-01' GROUP BY person_id)
		SELECT quanyu.bgnbd_fit((c).frequency, (c).recency, (c).t), quanyu.pareto_nbd_fit((c).frequency, (c).recency, (c).t),
		       quanyu.gammagamma_fit((c).frequency, (c).monetary_value), quanyu.rfm_breaks((r).recency, 5),
		       quanyu.clv_metrics_agg((r).frequency, (r).monetary) FROM s" ;;
	segment_lift) echo "WITH seg AS (SELECT quanyu.audience_agg(person_id) AS a FROM members WHERE tier = 4),
		rev AS (SELECT person_id, sum(amount)::float8 AS v FROM orders GROUP BY person_id)
		SELECT l.in_persons, l.out_persons, round(l.in_mean::numeric, 6), round(l.out_mean::numeric, 6), round(l.lift::numeric, 9), round(l.t_stat::numeric, 6), round(l.df::numeric, 3)
		FROM (SELECT (quanyu.segment_lift(rev.person_id, rev.v, seg.a)).* FROM rev, seg) l" ;;
	funnel) echo "SELECT level, count(*) FROM (SELECT quanyu.window_funnel('1 day', ts, event = 'view', event = 'cart', event = 'buy') AS level FROM events GROUP BY person_id) f GROUP BY 1 ORDER BY 1" ;;
	retention) echo "SELECT k, sum(r[k]) FROM (SELECT quanyu.retention_agg(date_trunc('month', ts, 'UTC') = '2024-03-01 00:00+00', date_trunc('month', ts, 'UTC') = '2024-04-01 00:00+00',
		date_trunc('month', ts, 'UTC') = '2024-05-01 00:00+00', date_trunc('month', ts, 'UTC') = '2024-06-01 00:00+00') AS r FROM orders GROUP BY person_id) x, generate_series(1, 4) k GROUP BY 1 ORDER BY 1" ;;
	esac
}

qy_question_combined() {
	case "$1" in
	category_audiences) echo "SELECT category, quanyu.cardinality(quanyu.audience_union_agg(members)), md5(quanyu.audience_union_agg(members)::text) FROM SRC(category_audiences) GROUP BY 1 ORDER BY 1" ;;
	tier_flow) echo "WITH a AS (SELECT tier AS t, quanyu.audience_union_agg(now) n, quanyu.audience_union_agg(next) x FROM SRC(tier_audiences) GROUP BY tier)
		SELECT * FROM quanyu.tier_flow((SELECT array_agg(n ORDER BY t) FROM a), (SELECT array_agg(x ORDER BY t) FROM a))" ;;
	order_totals) echo "SELECT sum(orders)::bigint, sum(revenue), quanyu.cardinality(quanyu.audience_union_agg(buyers)) FROM SRC(order_totals)" ;;
	clv_fits) echo "SELECT q.comb_bgnbd(purchases), q.comb_pareto(purchases), q.comb_gammagamma(spend), q.comb_breaks(breaks), q.comb_metrics(metrics) FROM SRC(clv_states)" ;;
	segment_lift) echo "SELECT l.in_persons, l.out_persons, round(l.in_mean::numeric, 6), round(l.out_mean::numeric, 6), round(l.lift::numeric, 9), round(l.t_stat::numeric, 6), round(l.df::numeric, 3)
		FROM (SELECT (q.comb_lift(lift_state)).* FROM SRC(lift_state)) l" ;;
	funnel) echo "SELECT level, sum(persons)::bigint FROM SRC(funnel_levels) GROUP BY 1 ORDER BY 1" ;;
	retention) echo "SELECT k, sum(persons) FROM SRC(retention) GROUP BY 1 ORDER BY 1" ;;
	esac
}
