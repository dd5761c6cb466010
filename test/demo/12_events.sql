-- 12_events.sql: touchpoint events, keyed by the identifier the touchpoint
-- knows: follow, unfollow and open article (official-account openid), add
-- and delete WeCom (external_userid), join and leave group (unionid), view live (Channels openid),
-- mini-program visit (mini-program openid), click ad (device id, junk ones
-- included), refer a friend (unionid or phone).

\set ON_ERROR_STOP 1
\pset footer off
\echo '   touchpoint events, month by month'

CREATE TABLE demo.event (
	event text NOT NULL,
	id_type text NOT NULL,
	id_value text NOT NULL,
	day int NOT NULL,
	true_pid bigint NOT NULL
);

-- One-off relationship events.
INSERT INTO demo.event
SELECT 'follow', 'openid_oa', i.openid_oa, p.oa_day, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q WHERE p.oa_day < q.days
UNION ALL
SELECT 'add_wecom', 'wecom_external_userid', i.wecom_id, p.wecom_day, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q WHERE p.wecom_day < q.days
UNION ALL
SELECT 'join_group', 'unionid', i.unionid, p.group_day, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q WHERE p.group_day < q.days
-- ... and their ends: unfollow, guide deleted, group left.
UNION ALL
SELECT 'unfollow', 'openid_oa', i.openid_oa, p.oa_end_day, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q WHERE p.oa_end_day < q.days
UNION ALL
SELECT 'delete_wecom', 'wecom_external_userid', i.wecom_id, p.wecom_end_day, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q WHERE p.wecom_end_day < q.days
UNION ALL
SELECT 'leave_group', 'unionid', i.unionid, p.group_end_day, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q WHERE p.group_end_day < q.days;

-- Recurring engagement: who can be reached where, from when (until when),
-- how often.  Articles reach followers only until they unfollow.
CREATE TEMP TABLE engage_cand AS
SELECT 'open_article' AS event, 'openid_oa' AS id_type, i.openid_oa AS id_value, p.pid, 1 AS stream,
	p.oa_day AS from_day, p.oa_end_day AS to_day, 0.005 + 0.15 * p.engage AS prob, NULL::int AS boost_day
FROM demo.person p JOIN demo.person_id i USING (pid) WHERE p.oa
UNION ALL
SELECT 'view_live', 'openid_sph', i.openid_sph, p.pid, 2, p.first_seen, NULL, 0.01 + 0.12 * p.engage, NULL
FROM demo.person p JOIN demo.person_id i USING (pid) WHERE p.sph
UNION ALL
-- a shopping guide on WeCom brings people back to the mall
SELECT 'mp_visit', 'openid_mp', i.openid_mp, p.pid, 3, p.first_seen, NULL, 0.02 + 0.25 * p.engage, p.wecom_day
FROM demo.person p JOIN demo.person_id i USING (pid) WHERE p.mp
UNION ALL
SELECT 'click_ad', 'device_id', i.device_id, p.pid, 4, p.first_seen, NULL, 0.05, NULL
FROM demo.person p JOIN demo.person_id i USING (pid) WHERE p.ads;

-- One month at a time (progress on the terminal).
DO $$
DECLARE
	m int;
	n bigint;
	lo int;
	hi int;
	s bigint := (SELECT seed FROM demo.param);
BEGIN
	FOR m IN 0 .. (SELECT months - 1 FROM demo.param) LOOP
		SELECT min(day), max(day) INTO lo, hi FROM demo.day WHERE month = m;
		INSERT INTO demo.event
		SELECT e.event, e.id_type, e.id_value,
			lo + floor((hi - lo + 1) * demo.rnd(s, e.pid * 100000 + m * 100 + e.stream + 50))::int, e.pid
		FROM engage_cand e
		WHERE e.from_day <= hi AND (e.to_day IS NULL OR e.to_day > lo)
			AND demo.rnd(s, e.pid * 100000 + m * 100 + e.stream)
			    < e.prob + CASE WHEN e.boost_day <= hi THEN 0.10 ELSE 0 END;
		GET DIAGNOSTICS n = ROW_COUNT;
		IF m % 6 = 5 THEN
			RAISE NOTICE '   events: month %/% (% events this month)', m + 1, (SELECT months FROM demo.param), n;
		END IF;
	END LOOP;
END
$$;

-- Referrals (fission): advocates share a coupon after 40% of their orders.
INSERT INTO demo.event
SELECT 'refer', CASE WHEN i.unionid IS NOT NULL THEN 'unionid' ELSE 'phone' END,
	coalesce(i.unionid, i.phone), o.day, o.true_pid
FROM demo.orders o JOIN demo.person p ON p.pid = o.true_pid JOIN demo.person_id i ON i.pid = o.true_pid,
	demo.param q
WHERE p.advocate AND coalesce(i.unionid, i.phone) IS NOT NULL
	AND demo.rnd(q.seed, o.order_id * 8 + 7) < 0.4;

SELECT event, count(*) AS events FROM demo.event GROUP BY 1 ORDER BY 2 DESC;
