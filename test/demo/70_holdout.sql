-- 70_holdout.sql: next month's win-back campaign with a holdout group.
--
-- Target: customers, regulars and ambassadors of the report month who are
-- reachable in the private domain but bought nothing in its last two months.
-- audience_split puts each person in one of 10 buckets by a hash of their
-- id and the seed: the same person lands in the same bucket in every run,
-- so the campaign and its later measurement agree.  Bucket 0 (10%) is the
-- holdout that gets no message; its purchases are the baseline.

\set ON_ERROR_STOP 1
\pset footer off

CREATE TABLE demo.campaign_target AS
WITH m AS (SELECT m FROM demo.r_month)
SELECT (SELECT audience_union_agg(members) FROM demo.tier, m WHERE month = m.m AND tier >= 3)
	& (SELECT audience_union_agg(members) FROM demo.aud, m
	   WHERE month = m.m AND name IN ('follow_held', 'mp_visit_ever', 'add_wecom_held', 'join_group_held'))
	- (SELECT audience_union_agg(members) FROM demo.aud, m WHERE month > m.m - 2 AND name = 'buy') AS members;

CREATE TABLE demo.campaign_bucket AS
SELECT s.bucket, s.members
FROM demo.campaign_target t, LATERAL audience_split(t.members, 10, (SELECT seed FROM demo.param)::int) s;

CREATE TABLE demo.holdout AS
SELECT CASE WHEN bucket = 0 THEN 'holdout 對照組' ELSE 'treatment 觸達組' END AS grp,
	audience_union_agg(members) AS members
FROM demo.campaign_bucket GROUP BY 1;

-- Are the groups alike?  Their past behaviour should match.
CREATE TABLE demo.r_holdout AS
WITH m AS (SELECT m FROM demo.r_month),
per AS (SELECT o.person_id, sum(o.amount) AS spend, count(*) AS orders FROM demo.porder o, m WHERE o.month > m.m - 12 GROUP BY 1),
wecom AS (SELECT members FROM demo.aud, m WHERE name = 'add_wecom_held' AND month = m.m)
SELECT h.grp, cardinality(h.members) AS persons,
	round(100.0 * cardinality(h.members) / (SELECT cardinality(members) FROM demo.campaign_target), 1) AS share,
	round(100.0 * cardinality(h.members & w.members) / nullif(cardinality(h.members), 0), 1) AS wecom_pct,
	(SELECT round(avg(p.spend), 2) FROM per p WHERE h.members @> p.person_id) AS spend_12m,
	(SELECT round(avg(p.orders), 2) FROM per p WHERE h.members @> p.person_id) AS orders_12m
FROM demo.holdout h, wecom w;

\echo
SELECT format('## 11. Holdout split for next month''s win-back campaign (%s: reachable customers with no order in the last 2 months)', label) AS title FROM demo.r_month \gset
\echo :title
SELECT grp AS "group", persons, share AS "share %", wecom_pct AS "WeCom-added %", spend_12m AS "spend last 12m", orders_12m AS "orders last 12m"
FROM demo.r_holdout ORDER BY grp;
SELECT bucket, cardinality(members) AS persons FROM demo.campaign_bucket ORDER BY bucket;

-- The HTML section: bucket sizes and the balance table.
CREATE FUNCTION demo.section_holdout() RETURNS text
LANGUAGE sql STABLE
RETURN demo.html_section('holdout', '11. Holdout split for next month''s campaign',
	(SELECT format('Win-back target: %s reachable customers with no order in the last two months, split by audience_split into 10 stable buckets; bucket 0 is the holdout.',
		demo.num(cardinality(members))) FROM demo.campaign_target),
	(SELECT demo.svg_hbars(array_agg('bucket ' || bucket || CASE WHEN bucket = 0 THEN ' (holdout)' ELSE '' END ORDER BY bucket),
		array_agg(cardinality(members)::float8 ORDER BY bucket), ' persons',
		array_agg(CASE WHEN bucket = 0 THEN '#e0913a' ELSE '#1f5fae' END ORDER BY bucket))
	 FROM demo.campaign_bucket),
	demo.html_table('SELECT grp AS "group", persons, share AS "share %", wecom_pct AS "WeCom-added %", spend_12m AS "spend last 12m", orders_12m AS "orders last 12m"
		FROM demo.r_holdout ORDER BY grp'));
