-- Invariants of the metrics functions on generated data, checked against
-- plain SQL computing the same thing row by row.
BEGIN;
SELECT plan(9);

-- (person, tier) rows for two periods; persons hold one or two tiers
CREATE TEMP TABLE inv_tier AS
	SELECT p AS period, i AS person, (1 + ((i::bigint * 2654435761 + p * 977) % 1000) / 250)::int AS tier
	FROM generate_series(1, 2) p, generate_series(1, 20000) i
	WHERE (i + p) % 5 <> 0
	UNION
	SELECT p, i, 4 FROM generate_series(1, 2) p, generate_series(1, 20000, 3 + p) i;
CREATE TEMP TABLE inv_tiers AS
	SELECT period, array_agg(a ORDER BY tier) AS tiers
	FROM (SELECT period, tier, audience_agg(person) a FROM inv_tier GROUP BY period, tier) s GROUP BY period;

SELECT results_eq(
	$$SELECT f.from_tier, f.to_tier, f.persons FROM inv_tiers a, inv_tiers b, tier_flow(a.tiers, b.tiers) f
	  WHERE a.period = 1 AND b.period = 2 ORDER BY 1, 2$$,
	$$SELECT coalesce(x.tier, 0), coalesce(y.tier, 0), count(*)
	  FROM (SELECT person, max(tier) tier FROM inv_tier WHERE period = 1 GROUP BY person) x
	  FULL JOIN (SELECT person, max(tier) tier FROM inv_tier WHERE period = 2 GROUP BY person) y USING (person)
	  GROUP BY 1, 2 ORDER BY 1, 2$$,
	'tier_flow with the waterfall equals the join of each person''s highest tiers');

SELECT results_eq(
	$$SELECT f.from_tier, f.to_tier, f.persons FROM inv_tiers a, inv_tiers b, tier_flow(a.tiers, b.tiers, false) f
	  WHERE a.period = 1 AND b.period = 2 ORDER BY 1, 2$$,
	$$SELECT coalesce(x.tier, 0), coalesce(y.tier, 0), count(*)
	  FROM (SELECT person, tier FROM inv_tier WHERE period = 1) x
	  FULL JOIN (SELECT person, tier FROM inv_tier WHERE period = 2) y USING (person)
	  GROUP BY 1, 2 ORDER BY 1, 2$$,
	'tier_flow without the waterfall equals the join of all (person, tier) rows');

SELECT is(
	(SELECT sum(rate) FROM inv_tiers a, inv_tiers b, tier_flow_rate(a.tiers, b.tiers) f
	 WHERE a.period = 1 AND b.period = 2 AND f.from_tier = 2)::numeric(10, 6),
	1::numeric(10, 6),
	'with the waterfall the rates of a from tier sum to 1');

SELECT results_eq(
	$$SELECT o.mask, o.persons FROM inv_tiers t, audience_overlap(t.tiers) o WHERE t.period = 1 ORDER BY 1$$,
	$$SELECT m::bigint, count(*) FROM (SELECT person, bit_or(1 << (tier - 1)) m FROM inv_tier WHERE period = 1 GROUP BY person) s
	  GROUP BY m ORDER BY m$$,
	'audience_overlap equals per-person membership masks');

SELECT results_eq(
	$$SELECT i, sum(o.persons)::bigint FROM inv_tiers t, audience_overlap(t.tiers) o, unnest(o.members) i WHERE t.period = 2 GROUP BY i ORDER BY i$$,
	$$SELECT tier, count(*) FROM inv_tier WHERE period = 2 GROUP BY tier ORDER BY tier$$,
	'the overlap regions of each audience add up to its size');

-- events: a two-step funnel in default mode has an exact SQL form
CREATE TEMP TABLE inv_ev AS
	SELECT i % 2000 AS person, '2024-01-01'::timestamptz + ((i * 7919) % 86400) * interval '1 second' AS ts,
		(i * 13 + i / 2000) % 3 AS step
	FROM generate_series(1, 20000) i;
SELECT results_eq(
	$$SELECT person, window_funnel('30 minutes', ts, step = 1, step = 2) FROM inv_ev GROUP BY person ORDER BY person$$,
	$$SELECT p.person, CASE WHEN EXISTS (SELECT 1 FROM inv_ev a JOIN inv_ev b USING (person)
	                                     WHERE a.person = p.person AND a.step = 1 AND b.step = 2
	                                       AND b.ts >= a.ts AND b.ts <= a.ts + interval '30 minutes') THEN 2
	                        WHEN EXISTS (SELECT 1 FROM inv_ev a WHERE a.person = p.person AND a.step = 1) THEN 1
	                        ELSE 0 END
	  FROM (SELECT DISTINCT person FROM inv_ev) p ORDER BY 1$$,
	'a two-step window_funnel equals an EXISTS over pairs of events');

SELECT results_eq(
	$$SELECT sum(r[1])::bigint, sum(r[2])::bigint, sum(r[3])::bigint
	  FROM (SELECT retention_agg(step = 0, step = 1, step = 2) r FROM inv_ev WHERE ts < '2024-01-01 02:00' GROUP BY person) s$$,
	$$SELECT count(*) FILTER (WHERE s0), count(*) FILTER (WHERE s0 AND s1), count(*) FILTER (WHERE s0 AND s2)
	  FROM (SELECT person, bool_or(step = 0) s0, bool_or(step = 1) s1, bool_or(step = 2) s2
	        FROM inv_ev WHERE ts < '2024-01-01 02:00' GROUP BY person) s$$,
	'retention_agg summed over persons equals bool_or per person');

SELECT is(
	(SELECT audience_eval('t1 & (t2 | t3) - t4 ^ t2', ARRAY['t1', 't2', 't3', 't4'], tiers) FROM inv_tiers WHERE period = 1),
	(SELECT ((tiers[1] & (tiers[2] | tiers[3])) - tiers[4]) # tiers[2] FROM inv_tiers WHERE period = 1),
	'audience_eval equals the same expression written with operators');

SELECT results_eq(
	$$SELECT (l).in_persons, (l).out_persons, round((l).in_mean::numeric, 9), round((l).out_mean::numeric, 9)
	  FROM (SELECT segment_lift(person, step, (SELECT tiers[1] FROM inv_tiers WHERE period = 1)) l
	        FROM (SELECT DISTINCT ON (person) person, step FROM inv_ev ORDER BY person, ts) e) s$$,
	$$SELECT count(*) FILTER (WHERE m), count(*) FILTER (WHERE NOT m),
	         round(avg(step) FILTER (WHERE m), 9), round(avg(step) FILTER (WHERE NOT m), 9)
	  FROM (SELECT DISTINCT ON (person) person, step,
	               person <@ (SELECT tiers[1] FROM inv_tiers WHERE period = 1) m
	        FROM inv_ev ORDER BY person, ts) e$$,
	'segment_lift counts and means equal FILTER aggregates');

SELECT * FROM finish();
ROLLBACK;
