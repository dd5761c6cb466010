-- 80_segments.sql: managed segments refreshed month by month, and who
-- entered and left them in the report month (doc/activation.md).
--
-- Query segments read the demo's monthly audiences for the month that ends
-- just before the refresh's as-of time ($1); rule segments combine them
-- with audience_eval's grammar.  win_back is the campaign target of step 70
-- (reachable customers with no order in the last two months) as a managed
-- segment.  Each segment is refreshed as of the end of the previous month
-- and of the report month; segment_changes gives who entered and left.

\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;	-- one NOTICE per segment refreshed: the table below says it

-- The month that ends just before an as-of time.
CREATE FUNCTION demo.month_before(as_of timestamptz) RETURNS int
LANGUAGE sql STABLE
RETURN (SELECT month FROM demo.month WHERE last_day = (as_of - interval '1 day')::date);

SELECT segment_define_query('customers', $$SELECT quanyu.audience_ids(t.members) FROM demo.tier t
	WHERE t.tier >= 3 AND t.month = demo.month_before($1)$$, 'customers, regulars and ambassadors at the month end');
SELECT segment_define_query('vip', $$SELECT quanyu.audience_ids(t.members) FROM demo.tier t
	WHERE t.tier >= 4 AND t.month = demo.month_before($1)$$, 'regulars and ambassadors (2+ orders in 12 months)');
SELECT segment_define_query('reachable', $$SELECT quanyu.audience_ids(a.members) FROM demo.aud a
	WHERE a.name IN ('follow_held', 'mp_visit_ever', 'add_wecom_held', 'join_group_held') AND a.month = demo.month_before($1)$$,
	'reachable in the private domain: following, WeCom, group or mini-program');
SELECT segment_define_query('buyers_2m', $$SELECT quanyu.audience_ids(a.members) FROM demo.aud a
	WHERE a.name = 'buy' AND a.month > demo.month_before($1) - 2 AND a.month <= demo.month_before($1)$$,
	'ordered in the last two months');
SELECT segment_define('win_back', 'rule', 'customers & reachable - buyers_2m', 'reachable customers with no order in the last two months');
SELECT segment_define('vip_reachable', 'rule', 'vip & reachable', 'VIPs the brand can reach directly');

CREATE TABLE demo.segment_refresh_log AS
SELECT r.* FROM demo.r_month mo, demo.month m,
	LATERAL segment_refresh_all((m.last_day + 1)::timestamptz) r
WHERE m.month = mo.prev;
INSERT INTO demo.segment_refresh_log
SELECT r.* FROM demo.r_month mo, demo.month m,
	LATERAL segment_refresh_all((m.last_day + 1)::timestamptz) r
WHERE m.month = mo.m;

CREATE TABLE demo.r_segments AS
WITH t AS (
	SELECT (p.last_day + 1)::timestamptz AS t0, (m.last_day + 1)::timestamptz AS t1
	FROM demo.r_month mo JOIN demo.month p ON p.month = mo.prev JOIN demo.month m ON m.month = mo.m
)
SELECT s.name, s.kind, coalesce(s.definition, '') AS definition, s.description,
	cardinality(segment_at(s.name, t.t0)) AS persons_before,
	cardinality(segment_at(s.name, t.t1)) AS persons_after,
	cardinality(c.entered) AS entered, cardinality(c."left") AS "left"
FROM segment s, t, LATERAL segment_changes(s.name, t.t0, t.t1) c;

\echo
SELECT format('## 16. 分群 Segments refreshed for %s: who entered and who left (segment_refresh_all, segment_changes)', label) AS title FROM demo.r_month \gset
\echo :title
SELECT name AS segment, kind, persons_before AS "start of month", persons_after AS "end of month",
	entered, "left", persons_after - persons_before AS net
FROM demo.r_segments ORDER BY kind = 'rule', name;
SELECT name AS segment, CASE WHEN kind = 'rule' THEN definition ELSE 'query' END AS definition, description
FROM demo.r_segments ORDER BY kind = 'rule', name;
