-- 40_report.sql: the full-domain report, computed from the audiences.
-- Each section keeps its numbers in a demo.r_* table (the HTML report draws
-- them) and prints them on the terminal.

\set ON_ERROR_STOP 1
\pset footer off
\pset null '-'

-- The report month (the last month of data) and the one before it.
CREATE TABLE demo.r_month AS
SELECT max(month) AS m, max(month) - 1 AS prev,
	(SELECT label FROM demo.month WHERE month = (SELECT max(month) FROM demo.month)) AS label,
	(SELECT label FROM demo.month WHERE month = (SELECT max(month) - 1 FROM demo.month)) AS prev_label
FROM demo.month;

-- Identity --------------------------------------------------------------------
\echo
\echo '## 1. 消費者整合識別 Identity merge (OneID)'
SELECT method, identifiers, persons, merges, refused AS "refused merges", blocked AS "blocked junk" FROM demo.identity_summary;
CREATE TABLE demo.r_identity AS
SELECT id_type, count(*) AS identifiers, count(DISTINCT person_id) AS persons,
	count(*) FILTER (WHERE person_id IS NULL) AS blocked
FROM demo.idmap GROUP BY 1;
SELECT id_type AS "identifier type", identifiers, persons, blocked FROM demo.r_identity ORDER BY identifiers DESC;

-- Tier assets -----------------------------------------------------------------
\echo
\echo '## 2. 人群資產 Tier assets by month (persons at each level, end of month)'
CREATE TABLE demo.r_assets AS
SELECT t.month, m.label, t.tier, cardinality(t.members) AS persons
FROM demo.tier t JOIN demo.month m USING (month);
SELECT label AS month,
	sum(persons) FILTER (WHERE tier = 1) AS "潛客 prospect",
	sum(persons) FILTER (WHERE tier = 2) AS "粉絲 follower",
	sum(persons) FILTER (WHERE tier = 3) AS "顧客 customer",
	sum(persons) FILTER (WHERE tier = 4) AS "熟客 regular",
	sum(persons) FILTER (WHERE tier = 5) AS "大使 ambassador",
	sum(persons) AS total
FROM demo.r_assets GROUP BY month, label ORDER BY month;

-- Tier flow ---------------------------------------------------------------------
-- From tier i last month to tier j this month; tier 0 is "new" as a source
-- and "lost" as a destination.  Every cell is one intersection count.
CREATE TABLE demo.r_flow AS
WITH a AS (SELECT tier, members FROM demo.tier WHERE month = (SELECT prev FROM demo.r_month)),
     b AS (SELECT tier, members FROM demo.tier WHERE month = (SELECT m FROM demo.r_month)),
     all_a AS (SELECT audience_union_agg(members) AS members FROM a),
     all_b AS (SELECT audience_union_agg(members) AS members FROM b)
SELECT a.tier AS from_tier, b.tier AS to_tier, cardinality(a.members & b.members) AS persons FROM a, b
UNION ALL
SELECT 0, b.tier, cardinality(b.members - all_a.members) FROM b, all_a
UNION ALL
SELECT a.tier, 0, cardinality(a.members - all_b.members) FROM a, all_b;
\echo
SELECT format('## 3. 人群流轉 Tier flow %s -> %s (rows: last month, columns: this month; share of the row)',
	prev_label, label) AS title FROM demo.r_month \gset
\echo :title
WITH r AS (SELECT f.*, sum(persons) OVER (PARTITION BY from_tier) AS row_total FROM demo.r_flow f)
SELECT CASE WHEN from_tier = 0 THEN '新增 new' ELSE (SELECT zh || ' ' || en FROM demo.tier_label WHERE tier = from_tier) END AS "from \ to",
	sum(persons) FILTER (WHERE to_tier = 1) AS "潛客", sum(persons) FILTER (WHERE to_tier = 2) AS "粉絲",
	sum(persons) FILTER (WHERE to_tier = 3) AS "顧客", sum(persons) FILTER (WHERE to_tier = 4) AS "熟客",
	sum(persons) FILTER (WHERE to_tier = 5) AS "大使", sum(persons) FILTER (WHERE to_tier = 0) AS "流失 lost",
	max(row_total) AS total,
	CASE WHEN from_tier > 0 THEN round(100.0 * sum(persons) FILTER (WHERE to_tier > from_tier) / nullif(max(row_total), 0), 1) END AS "up %",
	CASE WHEN from_tier > 0 THEN round(100.0 * sum(persons) FILTER (WHERE to_tier = from_tier) / nullif(max(row_total), 0), 1) END AS "stay %",
	CASE WHEN from_tier > 0 THEN round(100.0 * sum(persons) FILTER (WHERE to_tier < from_tier) / nullif(max(row_total), 0), 1) END AS "down/lost %"
FROM r GROUP BY from_tier ORDER BY from_tier = 0, from_tier;

-- Conversion ------------------------------------------------------------------
-- Share of an audience in month M that buys in month M+1, pooled over the
-- last 12 transitions.
\echo
\echo '## 4. 轉化率 Conversion: share of each tier and touchpoint audience that buys the next month (last 12 months pooled)'
CREATE TABLE demo.r_conversion AS
WITH base AS (
	SELECT 'tier' AS kind, l.zh || ' ' || l.en AS name, t.tier AS ord, t.month, t.members
	FROM demo.tier t JOIN demo.tier_label l USING (tier)
	UNION ALL
	SELECT 'touchpoint', x.label, x.ord, a.month, a.members
	FROM demo.aud a JOIN (VALUES
		('open_article', '公眾號 opened an article', 1), ('follow_held', '公眾號 follower', 2),
		('view_live', '視頻號 watched a live', 3), ('mp_visit', '小程序 visited the mall', 4),
		('add_wecom_held', '企業微信 added a guide', 5), ('join_group_held', '社群 group member', 6),
		('click_ad', '廣告 clicked an ad', 7)) x(name, label, ord) ON x.name = a.name
)
SELECT b.kind, b.name, b.ord,
	sum(cardinality(b.members)) AS base,
	sum(cardinality(b.members & n.members)) AS converted,
	round(100.0 * sum(cardinality(b.members & n.members)) / nullif(sum(cardinality(b.members)), 0), 2) AS rate
FROM base b JOIN demo.aud n ON n.name = 'buy' AND n.month = b.month + 1
WHERE b.month >= (SELECT m FROM demo.r_month) - 12
GROUP BY 1, 2, 3;
SELECT kind, name AS audience, base AS "person-months", converted AS "bought next month", rate AS "rate %"
FROM demo.r_conversion ORDER BY kind DESC, CASE WHEN kind = 'tier' THEN -ord ELSE -rate END;

-- Category penetration --------------------------------------------------------------
\echo
\echo '## 5. 品類滲透率 Category penetration: share of the last 12 months'' buyers who bought the category'
CREATE TABLE demo.r_category AS
WITH buyers AS (SELECT members FROM demo.aud WHERE name = 'buy_12m' AND month = (SELECT m FROM demo.r_month)),
     cat AS (SELECT cat_no, audience_agg(person_id) AS members, sum(amount) AS revenue
             FROM demo.porder WHERE month > (SELECT m - 12 FROM demo.r_month) GROUP BY 1)
SELECT c.cat_no, c.zh || ' ' || c.en AS category, cardinality(x.members) AS buyers,
	round(100.0 * cardinality(x.members & b.members) / cardinality(b.members), 1) AS penetration,
	x.revenue
FROM cat x JOIN demo.category c USING (cat_no), buyers b;
SELECT category, buyers, penetration AS "penetration %", revenue FROM demo.r_category ORDER BY penetration DESC;

-- Repurchase, AOV, frequency ------------------------------------------------------------
\echo
\echo '## 6. 復購 Repurchase rate (復購率), revenue per buyer (客單價) and per order (筆單價), frequency, last 12 months, by channel'
CREATE TABLE demo.r_kpi AS
WITH o AS (SELECT * FROM demo.porder WHERE month > (SELECT m - 12 FROM demo.r_month)),
per AS (
	SELECT channel, person_id, count(*) AS orders, sum(amount) AS spend FROM o GROUP BY GROUPING SETS ((channel, person_id), (person_id))
)
SELECT coalesce(p.channel, 'all') AS channel, coalesce(c.zh, '全渠道') AS zh,
	count(*) AS buyers, sum(orders) AS orders, sum(spend) AS revenue,
	round(sum(spend) / count(*), 2) AS per_buyer,
	round(sum(spend) / sum(orders), 2) AS aov,
	round(sum(orders)::numeric / count(*), 2) AS frequency,
	round(100.0 * count(*) FILTER (WHERE orders >= 2) / count(*), 1) AS repurchase
FROM per p LEFT JOIN demo.channel c USING (channel) GROUP BY p.channel, c.zh;
SELECT zh || ' ' || channel AS channel, buyers, orders, revenue, per_buyer AS "客單價 per buyer", aov AS "筆單價 per order", frequency AS "orders/buyer", repurchase AS "復購率 %"
FROM demo.r_kpi ORDER BY channel = 'all', revenue DESC;

-- Effective private domain ----------------------------------------------------------
-- The private pool is everyone the brand can reach on its own channels; the
-- effective part responded in the last 3 months (opened, watched, visited,
-- bought or joined).
\echo
\echo '## 9. 有效私域 Effective private domain: reachable and active in the last 3 months vs the whole pool'
CREATE TABLE demo.r_private AS
WITH m AS (SELECT m FROM demo.r_month),
pick AS (SELECT a.name, a.members FROM demo.aud a, m WHERE a.month = m.m),
active AS (
	SELECT audience_union_agg(a.members) AS members FROM demo.aud a, m
	WHERE a.month > m.m - 3 AND a.name IN ('open_article', 'view_live', 'mp_visit', 'buy', 'add_wecom', 'join_group', 'refer')
),
pools AS (
	SELECT 1 AS ord, '公眾號 official account' AS pool, members FROM pick WHERE name = 'follow_held'
	UNION ALL SELECT 2, '小程序 mini-program', members FROM pick WHERE name = 'mp_visit_ever'
	UNION ALL SELECT 3, '企業微信 WeCom guide', members FROM pick WHERE name = 'add_wecom_held'
	UNION ALL SELECT 4, '社群 customer group', members FROM pick WHERE name = 'join_group_held'
	UNION ALL SELECT 5, '私域總池 whole private pool', audience_union_agg(members) FROM pick
		WHERE name IN ('follow_held', 'mp_visit_ever', 'add_wecom_held', 'join_group_held')
)
SELECT p.ord, p.pool, cardinality(p.members) AS pool_size,
	cardinality(p.members & a.members) AS effective,
	round(100.0 * cardinality(p.members & a.members) / nullif(cardinality(p.members), 0), 1) AS effective_pct
FROM pools p, active a;
SELECT pool, pool_size AS "pool", effective AS "effective (active 3 months)", effective_pct AS "effective %" FROM demo.r_private ORDER BY ord;

-- WeCom lift ------------------------------------------------------------------------
\echo
\echo '## 10. 企業微信 WeCom-added customers vs the others (last 12 months'' buyers)'
CREATE TABLE demo.r_lift AS
WITH m AS (SELECT m FROM demo.r_month),
wecom AS (SELECT members FROM demo.aud, m WHERE name = 'add_wecom_held' AND month = m.m),
per AS (
	SELECT o.person_id, count(*) AS orders, sum(o.amount) AS spend
	FROM demo.porder o, m WHERE o.month > m.m - 12 GROUP BY 1
)
SELECT CASE WHEN w.members @> p.person_id THEN 'WeCom-added 加企微' ELSE 'not added 未加企微' END AS segment,
	count(*) AS buyers, round(avg(p.spend), 2) AS spend_per_buyer, round(avg(p.orders), 2) AS orders_per_buyer
FROM per p, wecom w GROUP BY 1;
SELECT segment, buyers, spend_per_buyer AS "spend/buyer", orders_per_buyer AS "orders/buyer" FROM demo.r_lift ORDER BY segment;
SELECT round(max(spend_per_buyer) FILTER (WHERE segment LIKE 'WeCom%') / max(spend_per_buyer) FILTER (WHERE segment LIKE 'not%'), 2) AS "spend lift x",
	round(max(orders_per_buyer) FILTER (WHERE segment LIKE 'WeCom%') / max(orders_per_buyer) FILTER (WHERE segment LIKE 'not%'), 2) AS "frequency lift x"
FROM demo.r_lift;
