-- 80_measure.sql: measurement (doc/measurement.md).
--
-- 12. Attribution: the last 12 months' orders credited to the touchpoints of
--     the same person in the 30 days before (last touch, linear, position),
--     and to the WeCom shopping guide who added the customer in the 90 days
--     before.  Events and orders are known by day, so a touch on the day of
--     the order counts (doc/measurement.md: a touch at the order's instant
--     counts).
-- 13. Holdout uplift: the win-back campaign of 70_holdout measured against
--     its holdout.  The data end with the report month, so the campaign
--     month is simulated here, deterministically from the seed: every target
--     person buys with a base probability that grows with their past
--     spending; the treated buckets get a 2.5-point extra chance; the
--     campaign's contact list reached every treated person and, through a
--     second identity that the merge did not join, about 1% of the holdout
--     (the contamination the check must find).

\set ON_ERROR_STOP 1
\pset footer off
\pset null '-'

-- Attribution -----------------------------------------------------------------
CREATE TABLE demo.attr_event AS
SELECT e.person_id, (q.start_day + e.day)::timestamptz AS ts,
	CASE e.event WHEN 'open_article' THEN '公眾號 article' WHEN 'view_live' THEN '視頻號 live'
		WHEN 'mp_visit' THEN '小程序 mini-program visit' WHEN 'click_ad' THEN '廣告 ad click'
		WHEN 'add_wecom' THEN '企微 WeCom add' WHEN 'join_group' THEN '社群 group join'
		WHEN 'follow' THEN '公眾號 follow' END AS touch,
	NULL::float8 AS amount
FROM demo.pevent e, demo.param q, demo.r_month r
WHERE e.month > r.m - 13 AND e.event IN ('open_article', 'view_live', 'mp_visit', 'click_ad', 'add_wecom', 'join_group', 'follow')
UNION ALL
SELECT o.person_id, (q.start_day + o.day)::timestamptz, NULL, o.amount::float8
FROM demo.porder o, demo.param q, demo.r_month r
WHERE o.month > r.m - 12;

CREATE TABLE demo.r_attr AS
SELECT m.model, c.touch, c.orders, c.credit, c.gmv
FROM unnest('{last,linear,position}'::text[]) m(model),
	LATERAL unnest((SELECT attribution(person_id, ts, touch, amount, m.model, '30 days' ORDER BY person_id)
	                FROM demo.attr_event)) c;

-- The guide of a WeCom-added customer: one of 12, drawn per person.
CREATE TABLE demo.r_attr_guide AS
SELECT c.touch AS guide, c.orders, c.gmv
FROM unnest((
	SELECT attribution(person_id, ts, touch, amount, 'last', '90 days' ORDER BY person_id)
	FROM (SELECT e.person_id, (q.start_day + e.day)::timestamptz AS ts,
			'導購 guide ' || lpad((1 + floor(12 * demo.rnd(q.seed, e.person_id * 64 + 61)))::text, 2, '0') AS touch,
			NULL::float8 AS amount
		FROM demo.pevent e, demo.param q WHERE e.event = 'add_wecom'
		UNION ALL
		SELECT o.person_id, (q.start_day + o.day)::timestamptz, NULL, o.amount::float8
		FROM demo.porder o, demo.param q, demo.r_month r WHERE o.month > r.m - 12) g)) c;

\echo
\echo '## 12. 歸因 Attribution: last 12 months'' GMV credited to the touchpoints of the 30 days before each order'
SELECT coalesce(touch, '(no touch in 30 days)') AS touchpoint,
	round(sum(gmv) FILTER (WHERE model = 'last')) AS "last touch GMV",
	round(sum(gmv) FILTER (WHERE model = 'linear')) AS "linear GMV",
	round(sum(gmv) FILTER (WHERE model = 'position')) AS "position 40/20/40 GMV",
	round((100 * sum(gmv) FILTER (WHERE model = 'linear') / (SELECT sum(gmv) FROM demo.r_attr WHERE model = 'linear'))::numeric, 1) AS "linear share %",
	sum(orders) FILTER (WHERE model = 'linear') AS "orders touched"
FROM demo.r_attr GROUP BY touch ORDER BY touch IS NULL, sum(gmv) FILTER (WHERE model = 'linear') DESC;
\echo 'WeCom shopping guides: orders within 90 days after the guide added the customer (last touch)'
SELECT coalesce(guide, '(no guide in 90 days)') AS guide, orders, round(gmv) AS gmv
FROM demo.r_attr_guide ORDER BY guide IS NULL, gmv DESC;

-- Holdout uplift --------------------------------------------------------------
-- The simulated campaign month (see the head of this file).
CREATE TABLE demo.campaign_outcome AS
WITH t AS (SELECT members FROM demo.holdout WHERE grp LIKE 'treatment%'),
per AS (SELECT person_id, sum(amount) AS spend FROM demo.porder GROUP BY 1),
target AS (SELECT unnest(audience_to_array(members)) AS person_id FROM demo.campaign_target),
draw AS (
	SELECT g.person_id, t.members @> g.person_id AS treated,
		demo.rnd(q.seed, g.person_id * 64 + 62) AS u,
		0.05 + 0.04 * least(coalesce(p.spend, 0) / 2000.0, 1) AS base,
		120 + 380 * demo.rnd(q.seed, g.person_id * 64 + 63) AS amount
	FROM target g CROSS JOIN t CROSS JOIN demo.param q LEFT JOIN per p USING (person_id))
SELECT person_id, true AS converted, round(amount::numeric, 2)::float8 AS gmv
FROM draw WHERE u < base + CASE WHEN treated THEN 0.025 ELSE 0 END;

CREATE TABLE demo.campaign_contacts AS
SELECT (SELECT members FROM demo.holdout WHERE grp LIKE 'treatment%')
	| audience(ARRAY(SELECT x FROM unnest(audience_to_array((SELECT members FROM demo.holdout WHERE grp LIKE 'holdout%'))) x, demo.param q
	                 WHERE demo.rnd(q.seed, x * 64 + 60) < 0.01)) AS members;

CREATE TABLE demo.r_uplift AS
SELECT u.*
FROM unnest((
	SELECT holdout_uplift(o.person_id, o.converted, o.gmv, t.members, h.members, c.members)
	FROM demo.campaign_outcome o,
		(SELECT members FROM demo.holdout WHERE grp LIKE 'treatment%') t,
		(SELECT members FROM demo.holdout WHERE grp LIKE 'holdout%') h,
		demo.campaign_contacts c)) u;

\echo
\echo '## 13. 增量 Campaign uplift against the holdout (simulated campaign month, 95% intervals)'
SELECT metric, round(treated::numeric, CASE WHEN metric IN ('persons', 'contacted') THEN 0 ELSE 4 END) AS treated,
	round(holdout::numeric, CASE WHEN metric IN ('persons', 'contacted') THEN 0 ELSE 4 END) AS holdout,
	round(uplift::numeric, 4) AS uplift, round(uplift_low::numeric, 4) AS low, round(uplift_high::numeric, 4) AS high,
	round(100 * relative_uplift::numeric, 1) AS "relative %", round(p_value::numeric, 4) AS p,
	round(incremental::numeric) AS incremental, round(incremental_low::numeric) AS "incr. low", round(incremental_high::numeric) AS "incr. high"
FROM demo.r_uplift;
SELECT format('contamination: %s holdout persons were contacted anyway (through a second identity); list them with audience_to_array(holdout & contacts)',
	holdout::bigint) AS "check" FROM demo.r_uplift WHERE metric = 'contacted';

-- HTML ---------------------------------------------------------------------------
-- An estimate with its interval per row, each row on its own axis through 0
-- (the rows may have different units).
CREATE FUNCTION demo.svg_intervals(labels text[], est double precision[], lo double precision[], hi double precision[], suffix text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	n int := coalesce(array_length(labels, 1), 0);
	w int := 760; lw int := 230; rw int := 150; rh int := 44; top int := 6;
	vmin double precision;
	vmax double precision;
	s text;
	y int;
	i int;
BEGIN
	s := format('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%s" height="%s" viewBox="0 0 %s %s">',
		w, n * rh + top, w, n * rh + top);
	FOR i IN 1 .. n LOOP
		vmin := least(0, lo[i], est[i]);
		vmax := greatest(0, hi[i], est[i]);
		IF vmax = vmin THEN vmax := vmin + 1; END IF;
		-- 10% room on each side
		vmin := vmin - 0.1 * (vmax - vmin);
		vmax := vmax + 0.1 * (vmax - vmin) / 1.1;
		y := top + (i - 1) * rh + 14;
		s := s || format('<text x="%s" y="%s" text-anchor="end" class="lbl">%s</text>', lw - 8, y + 4, demo.esc(labels[i]))
			|| format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999" stroke-dasharray="3,3"/>',
				round((lw + (w - lw - rw) * (0 - vmin) / (vmax - vmin))::numeric, 1), y - 10,
				round((lw + (w - lw - rw) * (0 - vmin) / (vmax - vmin))::numeric, 1), y + 10)
			|| format('<text x="%s" y="%s" text-anchor="middle" class="tick">0</text>',
				round((lw + (w - lw - rw) * (0 - vmin) / (vmax - vmin))::numeric, 1), y + 22)
			|| format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#1f5fae" stroke-width="3"><title>%s: %s to %s%s</title></line>',
				round((lw + (w - lw - rw) * (lo[i] - vmin) / (vmax - vmin))::numeric, 1), y,
				round((lw + (w - lw - rw) * (hi[i] - vmin) / (vmax - vmin))::numeric, 1), y,
				demo.esc(labels[i]), round(lo[i]::numeric, 2), round(hi[i]::numeric, 2), demo.esc(suffix))
			|| format('<circle cx="%s" cy="%s" r="5" fill="#e0913a"/>',
				round((lw + (w - lw - rw) * (est[i] - vmin) / (vmax - vmin))::numeric, 1), y)
			|| format('<text x="%s" y="%s" class="val">%s%s [%s, %s]</text>', w - rw + 8, y + 4,
				round(est[i]::numeric, 2), demo.esc(suffix), round(lo[i]::numeric, 2), round(hi[i]::numeric, 2));
	END LOOP;
	RETURN s || '</svg>';
END $$;

CREATE FUNCTION demo.section_attribution() RETURNS text
LANGUAGE sql STABLE
RETURN demo.html_section('attribution', '12. 歸因 Attribution by touchpoint and guide',
	(SELECT format('Last 12 months'' GMV credited to the touchpoints of the 30 days before each order (linear model: each touch an equal share; %s%% of GMV had no touch in its window). The table compares last touch, linear and position (40/20/40); below, WeCom guides credited with the orders in the 90 days after they added the customer.',
		round((100 * sum(gmv) FILTER (WHERE touch IS NULL) / sum(gmv))::numeric, 1)) FROM demo.r_attr WHERE model = 'linear'),
	(SELECT demo.svg_hbars(array_agg(touch ORDER BY gmv DESC), array_agg(round(gmv)::float8 ORDER BY gmv DESC), ' yuan', ARRAY['#1f5fae'])
	 FROM demo.r_attr WHERE model = 'linear' AND touch IS NOT NULL),
	demo.html_table('SELECT coalesce(touch, ''(no touch in 30 days)'') AS touchpoint,
			round(sum(gmv) FILTER (WHERE model = ''last'')) AS "last touch GMV",
			round(sum(gmv) FILTER (WHERE model = ''linear'')) AS "linear GMV",
			round(sum(gmv) FILTER (WHERE model = ''position'')) AS "position GMV",
			sum(orders) FILTER (WHERE model = ''linear'') AS "orders touched"
		FROM demo.r_attr GROUP BY touch ORDER BY touch IS NULL, sum(gmv) FILTER (WHERE model = ''linear'') DESC')
	|| demo.html_table('SELECT coalesce(guide, ''(no guide in 90 days)'') AS guide, orders, round(gmv) AS gmv
		FROM demo.r_attr_guide ORDER BY guide IS NULL, gmv DESC'));

CREATE FUNCTION demo.section_uplift() RETURNS text
LANGUAGE sql STABLE
RETURN demo.html_section('uplift', '13. 增量 Campaign uplift against the holdout',
	(SELECT format('Simulated campaign month: conversion %s%% treated vs %s%% holdout, uplift %s points (95%% interval %s to %s), %s incremental buyers and %s incremental GMV. Contamination check: %s holdout persons were contacted anyway.',
		round(100 * c.treated::numeric, 2), round(100 * c.holdout::numeric, 2), round(100 * c.uplift::numeric, 2),
		round(100 * c.uplift_low::numeric, 2), round(100 * c.uplift_high::numeric, 2),
		demo.num(round(c.incremental::numeric)), demo.num(round(g.incremental::numeric)), x.holdout::bigint)
	 FROM demo.r_uplift c, demo.r_uplift g, demo.r_uplift x
	 WHERE c.metric = 'conversion' AND g.metric = 'gmv_per_person' AND x.metric = 'contacted'),
	(SELECT demo.svg_intervals(ARRAY['conversion uplift (points)', 'GMV per person uplift (yuan)'],
		array_agg(CASE WHEN metric = 'conversion' THEN 100 * uplift ELSE uplift END ORDER BY metric),
		array_agg(CASE WHEN metric = 'conversion' THEN 100 * uplift_low ELSE uplift_low END ORDER BY metric),
		array_agg(CASE WHEN metric = 'conversion' THEN 100 * uplift_high ELSE uplift_high END ORDER BY metric), '')
	 FROM demo.r_uplift WHERE metric IN ('conversion', 'gmv_per_person')),
	demo.html_table('SELECT metric, round(treated::numeric, CASE WHEN metric IN (''persons'', ''contacted'') THEN 0 ELSE 4 END) AS treated,
			round(holdout::numeric, CASE WHEN metric IN (''persons'', ''contacted'') THEN 0 ELSE 4 END) AS holdout,
			round(uplift::numeric, 4) AS uplift, round(uplift_low::numeric, 4) AS low, round(uplift_high::numeric, 4) AS high,
			round(100 * relative_uplift::numeric, 1) AS "relative %", round(p_value::numeric, 4) AS p,
			round(incremental::numeric) AS incremental
		FROM demo.r_uplift'));
