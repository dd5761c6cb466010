-- 85_cohort.sql: cohort value curves (LTV by acquisition month, actual vs
-- the BG/NBD + Gamma-Gamma forecast, and new vs returning revenue) and
-- referral (裂變) trees with the K-factor.
--
-- The referral edges are derived here, deterministically, from data the
-- earlier steps made (nothing they generate changes): an advocate's "refer"
-- event (12_events.sql) shares a coupon, and some buyers whose first order
-- comes after such shares were brought by one of the 30 shares before it.
-- The log is as messy as real ones: some edges are logged twice, some
-- referees are claimed by a second sharer, some sharers use their own
-- coupon, and some referees later "refer" their own referrer.

\set ON_ERROR_STOP 1
\pset footer off
\pset null '-'

-- Cohort value curves ---------------------------------------------------------------

CREATE TABLE demo.cohort_orders AS
SELECT o.person_id, d.date AS day, o.amount, o.channel
FROM demo.porder o JOIN demo.day d USING (day);

-- The models are fitted on 2024 (weeks), so every 2025 month of the curves
-- is out of sample.
CREATE TABLE demo.r_cohort AS
SELECT c.* FROM cohort_value_curve('demo.cohort_orders', 'person_id', 'day', 'amount',
	months => 12, calibration_end => '2024-12-31', unit => '7 days') c;

\echo
\echo '## 14. 同期群價值 Cohort value curves: revenue per acquired customer by acquisition month, actual vs forecast (BG/NBD + Gamma-Gamma fitted on 2024)'
SELECT to_char(cohort, 'YYYY-MM') AS cohort, customers,
	round(max(revenue_per_customer) FILTER (WHERE month_offset = 0)::numeric) AS "month 0",
	round(max(revenue_per_customer) FILTER (WHERE month_offset = 3)::numeric) AS "3: actual",
	round(max(forecast_per_customer) FILTER (WHERE month_offset = 3)::numeric) AS "3: forecast",
	round(max(revenue_per_customer) FILTER (WHERE month_offset = 6)::numeric) AS "6: actual",
	round(max(forecast_per_customer) FILTER (WHERE month_offset = 6)::numeric) AS "6: forecast",
	round(max(revenue_per_customer) FILTER (WHERE month_offset = 12)::numeric) AS "12: actual",
	round(max(forecast_per_customer) FILTER (WHERE month_offset = 12)::numeric) AS "12: forecast",
	round(100 * max(retained) FILTER (WHERE month_offset = 3)::numeric, 1) AS "retained m3 %"
FROM demo.r_cohort WHERE extract(month FROM cohort)::int % 3 = 1
GROUP BY cohort, customers ORDER BY cohort;

CREATE TABLE demo.r_mix AS
SELECT m.* FROM cohort_revenue_mix('demo.cohort_orders', 'person_id', 'day', 'amount') m;
\echo
\echo '## 14b. 老客貢獻 New vs returning buyers: revenue by month, last 12 months'
SELECT to_char(period_start, 'YYYY-MM') AS month, new_customers AS "new buyers", returning_customers AS "returning buyers",
	new_revenue AS "new revenue", returning_revenue AS "returning revenue", round(100 * returning_share::numeric, 1) AS "returning %"
FROM demo.r_mix WHERE period_start > (SELECT max(period_start) FROM demo.r_mix) - interval '12 months' ORDER BY period_start;

-- Referral ------------------------------------------------------------------------------

CREATE TABLE demo.referral AS
WITH q AS (SELECT seed FROM demo.param),
refs AS (
	SELECT e.person_id AS referrer, e.day, row_number() OVER (ORDER BY e.day, e.person_id) AS rn
	FROM demo.pevent e WHERE e.event = 'refer'),
per_day AS (
	-- shares made before each day
	SELECT d.day, coalesce(sum(count(r.rn)) OVER (ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::bigint AS n_before
	FROM demo.day d LEFT JOIN refs r ON r.day = d.day GROUP BY d.day),
first_buy AS (SELECT person_id, min(day) AS day FROM demo.porder GROUP BY person_id),
picked AS (
	SELECT f.person_id AS referee, f.day,
		p.n_before - floor(demo.rnd(q.seed, f.person_id * 16 + 11) * least(30, p.n_before))::bigint AS rn,
		demo.rnd(q.seed, f.person_id * 16 + 12) AS u
	FROM first_buy f JOIN per_day p USING (day), q
	WHERE p.n_before > 0 AND demo.rnd(q.seed, f.person_id * 16 + 10) < 0.25),
edges AS (
	SELECT r.referrer, p.referee, d.date::timestamptz AS ts, p.u, p.rn
	FROM picked p JOIN refs r USING (rn) JOIN demo.day d ON d.day = p.day)
SELECT referrer, referee, ts FROM edges
UNION ALL   -- logged twice
SELECT referrer, referee, ts + interval '1 day' FROM edges WHERE u < 0.03
UNION ALL   -- claimed by a second sharer
SELECT r.referrer, e.referee, e.ts + interval '2 hours' FROM edges e JOIN refs r ON r.rn = e.rn - 1 WHERE e.u > 0.96
UNION ALL   -- the referee later "refers" the referrer (two accounts of one household)
SELECT referee, referrer, ts + interval '20 days' FROM edges WHERE u BETWEEN 0.5 AND 0.505
UNION ALL   -- a sharer uses their own coupon
SELECT r.referrer, r.referrer, d.date::timestamptz FROM refs r JOIN demo.day d USING (day), q
WHERE demo.rnd(q.seed, r.rn * 16 + 13) < 0.01;

CREATE TABLE demo.referral_arrays AS
SELECT array_agg(referrer) AS referrers, array_agg(referee) AS referees, array_agg(ts) AS times FROM demo.referral;
CREATE TABLE demo.r_ref_status AS
SELECT e.status, count(*) AS edges FROM demo.referral_arrays a, referral_edges(a.referrers, a.referees, a.times) e GROUP BY 1;
CREATE TABLE demo.r_ref_tree AS
SELECT t.* FROM demo.referral_arrays a, referral_tree(a.referrers, a.referees, a.times) t;
CREATE TABLE demo.r_ref_k AS
SELECT k.* FROM demo.referral_arrays a, referral_k_factor(a.referrers, a.referees, a.times) k;

\echo
\echo '## 15. 裂變 Referral: edges logged, K-factor by month (last 12 months), generations'
SELECT status, edges FROM demo.r_ref_status ORDER BY status = 'accepted' DESC, edges DESC, status;
SELECT to_char(period_start, 'YYYY-MM') AS month, active_referrers AS "active referrers", new_referees AS "new referees",
	round(k_factor::numeric, 2) AS "K-factor", network_before AS "network before",
	round(100 * viral_rate::numeric, 1) AS "new per 100 in network"
FROM demo.r_ref_k WHERE period_start > (SELECT max(period_start) FROM demo.r_ref_k) - interval '12 months' ORDER BY period_start;
SELECT generation, count(*) AS persons, count(*) FILTER (WHERE direct_referees > 0) AS "who referred",
	max(downline) AS "largest downline"
FROM demo.r_ref_tree GROUP BY generation ORDER BY generation;
SELECT CASE WHEN downline = 0 THEN '0' WHEN downline = 1 THEN '1' WHEN downline <= 4 THEN '2-4'
            WHEN downline <= 9 THEN '5-9' ELSE '10+' END AS "downline size", count(*) AS persons
FROM demo.r_ref_tree GROUP BY 1 ORDER BY min(downline);

-- The HTML sections -------------------------------------------------------------------

-- Lines over a shared x axis: one polyline per series (dashed ones for
-- forecasts), a legend, round y ticks, a hover title per point.
CREATE FUNCTION demo.svg_lines(xlabels text[], names text[], colors text[], dashed boolean[],
	series int[], xs int[], vals double precision[], ylabel text, xlabel text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
	w int := 900; h int := 380; top int := 56; bottom int := 50; left_ int := 70;
	nx int := coalesce(array_length(xlabels, 1), 0);
	ns int := coalesce(array_length(names, 1), 0);
	vmax double precision := 0;
	step numeric;
	nt int;
	s text;
	pts text;
	i int;
	k int;
	px double precision;
	py double precision;
BEGIN
	FOR i IN 1 .. coalesce(array_length(vals, 1), 0) LOOP vmax := greatest(vmax, vals[i]); END LOOP;
	step := demo.nice_step(greatest(vmax, 1), 4);
	nt := ceil(greatest(vmax, 1) / step);
	vmax := nt * step;
	s := format('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%s" height="%s" viewBox="0 0 %s %s">', w, h, w, h)
		|| format('<text x="14" y="%s" class="lbl" transform="rotate(-90 14 %s)" text-anchor="middle">%s</text>',
			top + (h - top - bottom) / 2, top + (h - top - bottom) / 2, demo.esc(ylabel))
		|| format('<text x="%s" y="%s" text-anchor="middle" class="lbl">%s</text>', left_ + (w - 10 - left_) / 2, h - 8, demo.esc(xlabel));
	FOR k IN 1 .. ns LOOP
		s := s || format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/><text x="%s" y="%s" class="lbl">%s</text>',
			left_ + ((k - 1) % 4) * 200, 14 + ((k - 1) / 4) * 18, left_ + ((k - 1) % 4) * 200 + 22, 14 + ((k - 1) / 4) * 18,
			colors[k], CASE WHEN dashed[k] THEN ' stroke-dasharray="5,4"' ELSE '' END,
			left_ + ((k - 1) % 4) * 200 + 28, 18 + ((k - 1) / 4) * 18, demo.esc(names[k]));
	END LOOP;
	FOR i IN 0 .. nt LOOP
		py := h - bottom - (h - top - bottom) * i / nt::double precision;
		s := s || format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e3e3"/><text x="%s" y="%s" text-anchor="end" class="tick">%s</text>',
			left_, round(py::numeric, 1), w - 10, round(py::numeric, 1), left_ - 6, round((py + 4)::numeric, 1), demo.num(step * i));
	END LOOP;
	FOR i IN 1 .. nx LOOP
		s := s || format('<text x="%s" y="%s" text-anchor="middle" class="tick">%s</text>',
			round((left_ + (i - 1) * (w - 30 - left_) / greatest(nx - 1, 1)::double precision)::numeric, 1), h - bottom + 16, demo.esc(xlabels[i]));
	END LOOP;
	FOR k IN 1 .. ns LOOP
		pts := '';
		FOR i IN 1 .. coalesce(array_length(vals, 1), 0) LOOP
			CONTINUE WHEN series[i] <> k OR vals[i] IS NULL;
			px := left_ + (xs[i] - 1) * (w - 30 - left_) / greatest(nx - 1, 1)::double precision;
			py := h - bottom - (h - top - bottom) * vals[i] / vmax;
			pts := pts || format('%s,%s ', round(px::numeric, 1), round(py::numeric, 1));
			s := s || format('<circle cx="%s" cy="%s" r="2.5" fill="%s"><title>%s, %s: %s</title></circle>',
				round(px::numeric, 1), round(py::numeric, 1), colors[k], demo.esc(names[k]), demo.esc(xlabels[xs[i]]),
				demo.num(round(vals[i]::numeric)));
		END LOOP;
		s := s || format('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>', rtrim(pts), colors[k],
			CASE WHEN dashed[k] THEN ' stroke-dasharray="5,4"' ELSE '' END);
	END LOOP;
	RETURN s || '</svg>';
END $$;

-- Section 14: four cohorts a quarter apart, actual (solid) and forecast (dashed).
CREATE FUNCTION demo.section_cohort() RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
	chart text;
BEGIN
	WITH picks AS (
		SELECT cohort, row_number() OVER (ORDER BY cohort) AS k
		FROM (SELECT DISTINCT cohort FROM demo.r_cohort WHERE cohort IN ('2024-01-01', '2024-04-01', '2024-07-01', '2024-10-01')) c),
	s AS (
		SELECT p.k, false AS fc, to_char(p.cohort, 'YYYY-MM') || ' actual' AS name FROM picks p
		UNION ALL SELECT p.k, true, to_char(p.cohort, 'YYYY-MM') || ' forecast' FROM picks p),
	ser AS (SELECT row_number() OVER (ORDER BY fc, k) AS sid, * FROM s),
	pts AS (
		SELECT ser.sid, r.month_offset + 1 AS x,
			CASE WHEN ser.fc THEN r.forecast_per_customer ELSE r.revenue_per_customer END AS v
		FROM ser JOIN picks p ON p.k = ser.k JOIN demo.r_cohort r ON r.cohort = p.cohort)
	SELECT demo.svg_lines(
		ARRAY(SELECT 'month ' || g FROM generate_series(0, 12) g),
		(SELECT array_agg(name ORDER BY sid) FROM ser),
		(SELECT array_agg((ARRAY['#1f5fae', '#e0913a', '#3b8a5a', '#b03a48'])[k] ORDER BY sid) FROM ser),
		(SELECT array_agg(fc ORDER BY sid) FROM ser),
		(SELECT array_agg(sid::int ORDER BY sid, x) FROM pts),
		(SELECT array_agg(x ORDER BY sid, x) FROM pts),
		(SELECT array_agg(v ORDER BY sid, x) FROM pts),
		'cumulative revenue per customer (yuan)', 'months since the first order')
	INTO chart;
	RETURN demo.html_section('cohort', '14. 同期群價值 Cohort value curves: actual vs forecast',
		'Cumulative revenue per customer acquired in each month, from the month of the first order on; dashed: the BG/NBD + Gamma-Gamma forecast fitted on 2024 orders (2025 is out of sample). Below: the share of each month''s revenue from returning buyers (老客貢獻).',
		chart,
		demo.html_table('SELECT to_char(cohort, ''YYYY-MM'') AS cohort, customers,
			round(max(revenue_per_customer) FILTER (WHERE month_offset = 0)::numeric) AS "month 0",
			round(max(revenue_per_customer) FILTER (WHERE month_offset = 6)::numeric) AS "6: actual",
			round(max(forecast_per_customer) FILTER (WHERE month_offset = 6)::numeric) AS "6: forecast",
			round(max(revenue_per_customer) FILTER (WHERE month_offset = 12)::numeric) AS "12: actual",
			round(max(forecast_per_customer) FILTER (WHERE month_offset = 12)::numeric) AS "12: forecast"
			FROM demo.r_cohort WHERE extract(month FROM cohort)::int % 3 = 1 GROUP BY cohort, customers ORDER BY cohort')
		|| demo.html_table('SELECT to_char(period_start, ''YYYY-MM'') AS month, new_customers AS "new buyers", returning_customers AS "returning buyers",
			new_revenue AS "new revenue", returning_revenue AS "returning revenue", round(100 * returning_share::numeric, 1) AS "returning %"
			FROM demo.r_mix WHERE period_start > (SELECT max(period_start) FROM demo.r_mix) - interval ''12 months'' ORDER BY period_start'));
END $$;

-- Section 15: new referees per month; K-factor and generations in tables.
CREATE FUNCTION demo.section_referral() RETURNS text
LANGUAGE sql STABLE
RETURN demo.html_section('referral', '15. 裂變 Referral: new referees per month, K-factor and generations',
	(SELECT format('%s referral edges logged; %s accepted, %s refused (%s). A referee''s first referral wins; K-factor = new referees per active referrer in the month.',
		demo.num(sum(edges)), demo.num(sum(edges) FILTER (WHERE status = 'accepted')),
		demo.num(sum(edges) FILTER (WHERE status <> 'accepted')),
		string_agg(status || ' ' || demo.num(edges), ', ' ORDER BY status) FILTER (WHERE status <> 'accepted'))
	 FROM demo.r_ref_status),
	(SELECT demo.svg_vbars(array_agg(to_char(period_start, 'YYYY-MM') ORDER BY period_start),
		array_agg(new_referees::float8 ORDER BY period_start), '#3b8a5a', 'new referees', 'month')
	 FROM demo.r_ref_k),
	demo.html_table('SELECT to_char(period_start, ''YYYY-MM'') AS month, active_referrers AS "active referrers", new_referees AS "new referees",
		round(k_factor::numeric, 2) AS "K-factor", network_before AS "network before"
		FROM demo.r_ref_k WHERE period_start > (SELECT max(period_start) FROM demo.r_ref_k) - interval ''12 months'' ORDER BY period_start')
	|| demo.html_table('SELECT generation, count(*) AS persons, max(downline) AS "largest downline" FROM demo.r_ref_tree GROUP BY generation ORDER BY generation'));
