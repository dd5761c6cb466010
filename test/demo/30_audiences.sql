-- 30_audiences.sql: resolve orders and events to persons, then build the
-- monthly touchpoint and tier audiences with quanyu's audience aggregates.
--
-- Tier ladder per month M (each person in exactly one tier):
--   大使 ambassador = 2+ orders in the 12 months to M and referred a friend in them
--   熟客 regular    = 2+ orders in the 12 months, not an ambassador
--   顧客 customer   = exactly 1 order in the 12 months
--   粉絲 follower   = follows the official account, added a WeCom guide or joined
--                    a group (ever), no order in the 12 months
--   潛客 prospect   = seen anywhere in the 12 months, none of the above
-- Each tier is set algebra over tag audiences, the way an operator writes it.

\set ON_ERROR_STOP 1
\pset footer off
\echo '   resolving orders, events and sightings to persons'

CREATE TABLE demo.porder AS
SELECT o.order_id, m.person_id, o.day, d.month, o.channel, o.cat_no, o.amount, o.city_no
FROM demo.orders o JOIN demo.idmap m ON m.id_type = o.id_type AND m.id_value = o.id_value
	JOIN demo.day d ON d.day = o.day
WHERE m.person_id IS NOT NULL;
CREATE INDEX ON demo.porder (person_id);

CREATE TABLE demo.pevent AS
SELECT m.person_id, e.event, e.day, d.month
FROM demo.event e JOIN demo.idmap m ON m.id_type = e.id_type AND m.id_value = e.id_value
	JOIN demo.day d ON d.day = e.day
WHERE m.person_id IS NOT NULL;

-- Sightings: the person either identifier of the sighting resolves to.
CREATE TABLE demo.pobs AS
SELECT o.obs_id, coalesce(m1.person_id, m2.person_id) AS person_id, d.month
FROM demo.obs o JOIN demo.day d ON d.day = o.day
	LEFT JOIN demo.idmap m1 ON m1.id_type = o.type1 AND m1.id_value = o.value1
	LEFT JOIN demo.idmap m2 ON m2.id_type = o.type2 AND m2.id_value = o.value2
WHERE coalesce(m1.person_id, m2.person_id) IS NOT NULL;

CREATE TABLE demo.month AS
SELECT month, min(date) AS first_day, max(date) AS last_day, to_char(min(date), 'YYYY-MM') AS label
FROM demo.day GROUP BY month;

\echo '   touchpoint audiences per month (audience_agg)'
-- aud: one audience per (month, name).  Monthly tags first.
CREATE TABLE demo.aud (month int, name text, members audience, PRIMARY KEY (month, name));
INSERT INTO demo.aud
SELECT month, event, audience_agg(person_id) FROM demo.pevent GROUP BY 1, 2;
INSERT INTO demo.aud
SELECT month, 'buy', audience_agg(person_id) FROM demo.porder GROUP BY 1;
INSERT INTO demo.aud
SELECT month, 'buy_' || channel, audience_agg(person_id) FROM demo.porder GROUP BY 1, channel;
-- Active: seen anywhere that month (ending a relationship is no sign of
-- interest: an unfollow alone does not count).  audience_agg removes the
-- duplicates.
INSERT INTO demo.aud
SELECT month, 'active', audience_agg(person_id) FROM (
	SELECT person_id, month FROM demo.pobs
	UNION ALL SELECT person_id, month FROM demo.pevent WHERE event NOT IN ('unfollow', 'delete_wecom', 'leave_group')
	UNION ALL SELECT person_id, month FROM demo.porder
) a GROUP BY 1;

-- Relationship tags are held from the month they start: cumulative unions
-- (audience_union_agg as a window aggregate over the months).
\echo '   relationship audiences: official account, WeCom, groups (held until they end), mini-program (audience_union_agg)'
INSERT INTO demo.aud
SELECT m.month, c.name || '_ever', audience_union_agg(a.members)
FROM demo.month m
	CROSS JOIN (VALUES ('follow'), ('add_wecom'), ('join_group'), ('mp_visit')) c(name)
	LEFT JOIN demo.aud a ON a.name = c.name AND a.month <= m.month
GROUP BY 1, 2;
-- ... and held until they end: follow_held = followed by M and not
-- unfollowed by M; the same for the WeCom guide and the group.
INSERT INTO demo.aud
SELECT m.month, c.name || '_held',
	CASE WHEN count(e.members) = 0 THEN s.members ELSE s.members - audience_union_agg(e.members) END
FROM demo.month m
	CROSS JOIN (VALUES ('follow', 'unfollow'), ('add_wecom', 'delete_wecom'), ('join_group', 'leave_group')) c(name, ended)
	JOIN demo.aud s ON s.name = c.name || '_ever' AND s.month = m.month
	LEFT JOIN demo.aud e ON e.name = c.ended AND e.month <= m.month
GROUP BY m.month, c.name, s.members;

-- Trailing twelve months.
\echo '   trailing-12-month audiences: active, buyers, repeat buyers, referrers'
INSERT INTO demo.aud
SELECT m.month, c.name || '_12m', audience_union_agg(a.members)
FROM demo.month m
	CROSS JOIN (VALUES ('active'), ('buy'), ('refer')) c(name)
	LEFT JOIN demo.aud a ON a.name = c.name AND a.month BETWEEN m.month - 11 AND m.month
GROUP BY 1, 2;
-- Two orders in the twelve months to M: an order whose previous order was
-- at most 11 months earlier puts its buyer in buy2_12m from its month until
-- 11 months after that previous order.
INSERT INTO demo.aud
SELECT m.month, 'buy2_12m', audience_agg(r.person_id)
FROM demo.month m LEFT JOIN (
	SELECT o.person_id, g.month
	FROM (SELECT person_id, month, lag(month) OVER (PARTITION BY person_id ORDER BY day, order_id) AS prev
	      FROM demo.porder) o,
		generate_series(o.month, o.prev + 11) AS g(month)
	WHERE o.prev IS NOT NULL
) r ON r.month = m.month
GROUP BY 1;

\echo '   tier audiences: set algebra over the tags'
CREATE TABLE demo.tier (month int, tier int, members audience, PRIMARY KEY (month, tier));
INSERT INTO demo.tier
SELECT t.month, x.tier, x.members
FROM (
	SELECT month,
		audience_union_agg(members) FILTER (WHERE name = 'active_12m') AS active,
		audience_union_agg(members) FILTER (WHERE name = 'buy_12m') AS buy,
		audience_union_agg(members) FILTER (WHERE name = 'buy2_12m') AS buy2,
		audience_union_agg(members) FILTER (WHERE name = 'refer_12m') AS refer,
		audience_union_agg(members) FILTER (WHERE name = 'follow_held') | audience_union_agg(members) FILTER (WHERE name = 'add_wecom_held')
			| audience_union_agg(members) FILTER (WHERE name = 'join_group_held') AS follower
	FROM demo.aud GROUP BY month
) t, LATERAL (VALUES
	(5, t.buy2 & t.refer),
	(4, t.buy2 - t.refer),
	(3, t.buy - t.buy2),
	(2, t.follower - t.buy),
	(1, t.active - t.follower - t.buy)
) x(tier, members);

-- Everyone in some tier, per month.
CREATE VIEW demo.tier_all AS
SELECT month, audience_union_agg(members) AS members FROM demo.tier GROUP BY month;

SELECT l.zh || ' ' || l.en AS tier, cardinality(t.members) AS persons_in_last_month
FROM demo.tier t JOIN demo.tier_label l USING (tier)
WHERE t.month = (SELECT max(month) FROM demo.month) ORDER BY t.tier DESC;
