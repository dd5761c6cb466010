-- 50_rfm.sql: RFM per customer (rfm_agg), quintile scores (rfm_breaks,
-- rfm_score), the 8-class model (rfm_class) and the named R x F segments
-- (rfm_segment).  Customers: every person with an order in the 24 months.

\set ON_ERROR_STOP 1
\pset footer off

CREATE TABLE demo.rfm_person AS
WITH s AS (
	SELECT person_id, rfm_agg((date '2024-01-01' + day)::timestamptz, amount,
		(SELECT start_day + days FROM demo.param)::timestamptz) AS r
	FROM demo.porder GROUP BY person_id
), b AS (
	SELECT rfm_breaks((r).recency, 5) AS rb, rfm_breaks((r).frequency, 5) AS fb,
		rfm_breaks((r).monetary::float8, 5) AS mb FROM s
), sc AS (
	SELECT s.person_id, (r).recency, (r).frequency, (r).monetary,
		rfm_score((r).recency, rb, true) AS r_score,
		rfm_score((r).frequency, fb) AS f_score,
		rfm_score((r).monetary::float8, mb) AS m_score
	FROM s, b
)
SELECT sc.*, c.name_zh, c.name_en, c.name_zh || ' ' || c.name_en AS class,
	rfm_segment(r_score, f_score) AS segment
FROM (SELECT sc.*, r_score > avg(r_score) OVER () AS r_high, f_score > avg(f_score) OVER () AS f_high,
             m_score > avg(m_score) OVER () AS m_high FROM sc) sc,
	LATERAL rfm_class(sc.r_high, sc.f_high, sc.m_high) c;

-- The eight classes, all of them even when empty, in the model's order.
CREATE TABLE demo.r_rfm AS
WITH classes AS (
	SELECT row_number() OVER () AS ord, c.name_zh, c.name_en
	FROM (VALUES (true, true, true), (true, false, true), (false, true, true), (false, false, true),
	             (true, true, false), (true, false, false), (false, true, false), (false, false, false)) v(r, f, m),
		LATERAL rfm_class(v.r, v.f, v.m) c
)
SELECT c.ord, c.name_zh, c.name_en, count(p.person_id) AS customers,
	round(100.0 * count(p.person_id) / (SELECT count(*) FROM demo.rfm_person), 1) AS share,
	round(avg(p.recency)::numeric, 0) AS avg_recency_days, round(avg(p.frequency), 2) AS avg_orders,
	round(avg(p.monetary), 0) AS avg_monetary, coalesce(sum(p.monetary), 0) AS revenue
FROM classes c LEFT JOIN demo.rfm_person p ON p.name_zh = c.name_zh
GROUP BY 1, 2, 3;

-- R x F grid: customers per cell (the heat map).
CREATE TABLE demo.r_rfm_grid AS
SELECT r.r_score, f.f_score, count(p.person_id) AS customers, min(rfm_segment(r.r_score, f.f_score)) AS segment
FROM generate_series(1, 5) r(r_score) CROSS JOIN generate_series(1, 5) f(f_score)
	LEFT JOIN demo.rfm_person p ON p.r_score = r.r_score AND p.f_score = f.f_score
GROUP BY 1, 2;

\echo
\echo '## 7. RFM 8-class distribution (rfm_agg, rfm_score on quintiles, rfm_class: high = score above the mean)'
SELECT name_zh || ' ' || name_en AS class, customers, share AS "share %", avg_recency_days AS "recency (days)",
	avg_orders AS "orders", avg_monetary AS "monetary", revenue
FROM demo.r_rfm ORDER BY ord;
\echo '   customers on the R x F score grid (rows R 5 = most recent; rfm_segment names in brackets)'
SELECT 'R' || r_score AS "R \ F",
	max(customers) FILTER (WHERE f_score = 1) AS "F1", max(customers) FILTER (WHERE f_score = 2) AS "F2",
	max(customers) FILTER (WHERE f_score = 3) AS "F3", max(customers) FILTER (WHERE f_score = 4) AS "F4",
	max(customers) FILTER (WHERE f_score = 5) AS "F5",
	string_agg(DISTINCT segment, ', ') AS segments
FROM demo.r_rfm_grid GROUP BY r_score ORDER BY r_score DESC;

-- The HTML section: the R x F heat map and the 8-class table.
CREATE FUNCTION demo.section_rfm() RETURNS text
LANGUAGE sql STABLE
RETURN demo.html_section('rfm', '7. RFM 8-class distribution',
	'Every customer of the 24 months scored 1-5 on recency, frequency and monetary quintiles (rfm_score) and classed by the 8-class model (rfm_class: high = above the mean score). The heat map counts customers per R x F cell; an empty column means tied values (many customers bought exactly once or twice), which rfm_score never splits across scores.',
	(SELECT demo.svg_heat(
		ARRAY['R5 most recent', 'R4', 'R3', 'R2', 'R1 least recent'],
		ARRAY['F1 fewest', 'F2', 'F3', 'F4', 'F5 most'],
		array_agg(customers::float8 ORDER BY r_score DESC, f_score), 'R score (recency)', 'F score (frequency)')
	 FROM demo.r_rfm_grid),
	demo.html_table('SELECT name_zh || '' '' || name_en AS class, customers, share AS "share %", avg_recency_days AS "recency (days)",
		avg_orders AS orders, avg_monetary AS monetary, revenue FROM demo.r_rfm ORDER BY ord'));
