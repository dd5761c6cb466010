-- 45_metrics.sql: the same questions with quanyu's metric functions:
-- tier_flow / tier_flow_rate for the flow matrix, segment_lift for the
-- WeCom comparison (with Welch's t), audience_eval for the effective private
-- domain written as a segment expression.  Each answer is checked against
-- the set-algebra answer of 40_report.sql.

\set ON_ERROR_STOP 1
\pset footer off
\pset null '-'

-- tier_flow wants the tiers from the lowest to the highest.
CREATE TABLE demo.r_flow_qy AS
SELECT f.from_tier, f.to_tier, f.persons, f.rate
FROM tier_flow_rate(
	ARRAY(SELECT members FROM demo.tier WHERE month = (SELECT prev FROM demo.r_month) ORDER BY tier),
	ARRAY(SELECT members FROM demo.tier WHERE month = (SELECT m FROM demo.r_month) ORDER BY tier)) f;

\echo
\echo '## 3b. tier_flow_rate: share of each tier last month by tier this month (0 = new / lost)'
-- tier_flow_rate leaves out the empty cells: show them as 0, as section 3
-- does ("new" to "lost" is no cell at all: '-').
SELECT CASE WHEN from_tier = 0 THEN '新增 new' ELSE (SELECT zh || ' ' || en FROM demo.tier_label WHERE tier = from_tier) END AS "from \ to",
	round(100 * coalesce(sum(rate) FILTER (WHERE to_tier = 1), 0)::numeric, 1) AS "潛客 %", round(100 * coalesce(sum(rate) FILTER (WHERE to_tier = 2), 0)::numeric, 1) AS "粉絲 %",
	round(100 * coalesce(sum(rate) FILTER (WHERE to_tier = 3), 0)::numeric, 1) AS "顧客 %", round(100 * coalesce(sum(rate) FILTER (WHERE to_tier = 4), 0)::numeric, 1) AS "熟客 %",
	round(100 * coalesce(sum(rate) FILTER (WHERE to_tier = 5), 0)::numeric, 1) AS "大使 %",
	CASE WHEN from_tier > 0 THEN round(100 * coalesce(sum(rate) FILTER (WHERE to_tier = 0), 0)::numeric, 1) END AS "流失 lost %"
FROM demo.r_flow_qy GROUP BY from_tier ORDER BY from_tier = 0, from_tier;
SELECT NOT EXISTS (
	(SELECT from_tier, to_tier, persons FROM demo.r_flow WHERE persons > 0 EXCEPT SELECT from_tier, to_tier, persons FROM demo.r_flow_qy)
	UNION ALL
	(SELECT from_tier, to_tier, persons FROM demo.r_flow_qy EXCEPT SELECT from_tier, to_tier, persons FROM demo.r_flow)
) AS "tier_flow = set algebra";

-- segment_lift: one row per buyer of the last 12 months.
CREATE TABLE demo.r_lift_qy AS
WITH m AS (SELECT m FROM demo.r_month),
wecom AS (SELECT members FROM demo.aud, m WHERE name = 'add_wecom_held' AND month = m.m),
per AS (SELECT o.person_id, count(*) AS orders, sum(o.amount) AS spend FROM demo.porder o, m WHERE o.month > m.m - 12 GROUP BY 1)
SELECT 'spend per buyer' AS measure, (segment_lift(p.person_id, p.spend::float8, w.members)).* FROM per p, wecom w
UNION ALL
SELECT 'orders per buyer', (segment_lift(p.person_id, p.orders::float8, w.members)).* FROM per p, wecom w;
\echo
\echo '## 10b. segment_lift: WeCom-added buyers vs the others, with Welch''s t'
SELECT measure, in_persons AS "WeCom-added", out_persons AS "others", round(in_mean::numeric, 2) AS "mean (added)",
	round(out_mean::numeric, 2) AS "mean (others)", round(lift::numeric, 2) AS "lift x", round(t_stat::numeric, 1) AS "t", round(df::numeric, 0) AS df
FROM demo.r_lift_qy;

-- audience_eval: the effective private domain as a segment expression over
-- named audiences of the report month.
CREATE TABLE demo.named AS
WITH m AS (SELECT m FROM demo.r_month)
SELECT 'follow' AS name, members FROM demo.aud, m WHERE name = 'follow_held' AND month = m.m
UNION ALL SELECT 'mall', members FROM demo.aud, m WHERE name = 'mp_visit_ever' AND month = m.m
UNION ALL SELECT 'wecom', members FROM demo.aud, m WHERE name = 'add_wecom_held' AND month = m.m
UNION ALL SELECT 'group', members FROM demo.aud, m WHERE name = 'join_group_held' AND month = m.m
UNION ALL SELECT '活躍3月', audience_union_agg(members) FROM demo.aud, m
	WHERE month > m.m - 3 AND name IN ('open_article', 'view_live', 'mp_visit', 'buy', 'add_wecom', 'join_group', 'refer');
\echo
\echo '## 9b. audience_eval: effective private domain = (follow | mall | wecom | "group") & 活躍3月'
SELECT cardinality(audience_eval('(follow | mall | wecom | "group") & 活躍3月', 'demo.named'::regclass)) AS "effective private domain",
	cardinality(audience_eval('(follow | mall | wecom | "group") & 活躍3月', 'demo.named'::regclass))
		= (SELECT effective FROM demo.r_private WHERE ord = 5) AS "= set algebra";
