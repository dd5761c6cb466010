-- 11_observe.sql: raw identifier observations per channel, with noise.
--
-- Each row is one sighting of two identifiers together (or one alone), as a
-- channel's system records it: the store till pairs a member card with the
-- phone the cashier typed; the mini-program pairs unionid and openid, and
-- the phone when the user authorises it; WeCom pairs external_userid and
-- unionid; marketplaces pair their buyer id with a phone, often masked; ad
-- platforms pair a device id with a lead form.  Noise: phone formats, junk
-- values shared by thousands (test phones, all-zero device ids), people with
-- two phones.

\set ON_ERROR_STOP 1
\pset footer off
\echo '   observations: store till, mini-program, official account, WeCom, Channels, marketplaces, ads'

-- obs_id numbers the rows in insertion order, so every INSERT below sorts its
-- rows: without ORDER BY the order follows the plan (hash or sort), which can
-- change with whether autovacuum has analysed a table yet.
CREATE TABLE demo.obs (
	obs_id bigserial PRIMARY KEY,
	channel text NOT NULL,
	type1 text NOT NULL, value1 text NOT NULL,
	type2 text, value2 text,
	day int NOT NULL,
	true_pid bigint NOT NULL
);

-- First contact: the sighting that brings each person in.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT CASE WHEN p.wechat AND p.mp THEN 'miniprogram' WHEN p.wechat AND p.sph THEN 'channels'
            WHEN p.wechat AND p.oa THEN 'official_account' WHEN p.ads THEN 'ads' ELSE 'store' END,
	CASE WHEN p.wechat AND p.mp THEN 'unionid' WHEN p.wechat AND p.sph THEN 'unionid'
	     WHEN p.wechat AND p.oa THEN 'unionid' WHEN p.ads THEN 'device_id' ELSE 'member_card' END,
	CASE WHEN p.wechat AND (p.mp OR p.sph OR p.oa) THEN i.unionid WHEN p.ads THEN i.device_id ELSE i.member_card END,
	CASE WHEN p.wechat AND p.mp THEN 'openid_mp' WHEN p.wechat AND p.sph THEN 'openid_sph'
	     WHEN p.wechat AND p.oa THEN 'openid_oa' WHEN p.has_phone THEN 'phone' END,
	CASE WHEN p.wechat AND p.mp THEN i.openid_mp WHEN p.wechat AND p.sph THEN i.openid_sph
	     WHEN p.wechat AND p.oa THEN i.openid_oa
	     WHEN p.has_phone THEN demo.phone_format(i.phone, demo.rnd(q.seed, p.pid * 64 + 40)) END,
	p.first_seen, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q
ORDER BY 7, 6, 1, 2, 3, 4, 5;

-- WeChat users whose first contact did not show their unionid with an
-- openid: the official account or Channels pairs them when they come.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'official_account', 'unionid', i.unionid, 'openid_oa', i.openid_oa, p.oa_day, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q
WHERE p.oa AND p.oa_day < q.days AND (p.mp OR p.sph)
ORDER BY 7, 6, 1, 2, 3, 4, 5;
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'channels', 'unionid', i.unionid, 'openid_sph', i.openid_sph,
	least(q.days - 1, p.first_seen + floor(60 * demo.rnd(q.seed, p.pid * 64 + 41))::int), p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q
WHERE p.sph AND p.mp
ORDER BY 7, 6, 1, 2, 3, 4, 5;
-- Mini-program users who authorise their phone.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'miniprogram', 'openid_mp', i.openid_mp, 'phone', demo.phone_format(i.phone, demo.rnd(q.seed, p.pid * 64 + 42)),
	least(q.days - 1, p.first_seen + floor(30 * demo.rnd(q.seed, p.pid * 64 + 43))::int), p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q
WHERE p.mp_phone AND p.has_phone
ORDER BY 7, 6, 1, 2, 3, 4, 5;
-- WeCom: the shopping guide's contact list pairs external_userid and unionid.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'wecom', 'wecom_external_userid', i.wecom_id, 'unionid', i.unionid, p.wecom_day, p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q
WHERE p.wecom_day < q.days
ORDER BY 7, 6, 1, 2, 3, 4, 5;
-- Ads: the lead form pairs the device with the mini-program openid or a phone.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'ads', 'device_id', i.device_id,
	CASE WHEN p.mp THEN 'openid_mp' WHEN p.has_phone THEN 'phone' END,
	CASE WHEN p.mp THEN i.openid_mp WHEN p.has_phone THEN demo.phone_format(i.phone, demo.rnd(q.seed, p.pid * 64 + 44)) END,
	least(q.days - 1, p.first_seen + floor(90 * demo.rnd(q.seed, p.pid * 64 + 45))::int), p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q
WHERE p.ads AND (p.mp OR p.has_phone)
ORDER BY 7, 6, 1, 2, 3, 4, 5;

-- Store till: the member card with the phone typed at the first store order;
-- 4% of the time the cashier types the till's default number instead.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'store', 'member_card', i.member_card,
	CASE WHEN p.has_phone OR demo.rnd(q.seed, p.pid * 64 + 46) < 0.04 THEN 'phone' END,
	CASE WHEN demo.rnd(q.seed, p.pid * 64 + 46) < 0.04
	     THEN (ARRAY['13800000000', '13888888888', '00000000000', '13912345678'])[1 + floor(4 * demo.rnd(q.seed, p.pid * 64 + 47))::int]
	     WHEN p.has_phone THEN demo.phone_format(i.phone, demo.rnd(q.seed, p.pid * 64 + 48)) END,
	f.day, p.pid
FROM (SELECT true_pid AS pid, min(day) AS day FROM demo.orders WHERE channel = 'store' GROUP BY 1) f
	JOIN demo.person p USING (pid) JOIN demo.person_id i USING (pid), demo.param q
ORDER BY 7, 6, 1, 2, 3, 4, 5;
-- WeChat users register the store's membership card in WeChat (微信會員卡):
-- the till then knows their unionid too.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'store', 'member_card', i.member_card, 'unionid', i.unionid, f.day, p.pid
FROM (SELECT true_pid AS pid, min(day) AS day FROM demo.orders WHERE channel = 'store' GROUP BY 1) f
	JOIN demo.person p USING (pid) JOIN demo.person_id i USING (pid), demo.param q
WHERE p.wechat AND demo.rnd(q.seed, p.pid * 64 + 54) < 0.70
ORDER BY 7, 6, 1, 2, 3, 4, 5;
-- People with two phones give the second one at a later visit.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'store', 'member_card', i.member_card, 'phone', demo.phone_format(i.phone2, demo.rnd(q.seed, p.pid * 64 + 49)),
	least(q.days - 1, p.first_seen + 30 + floor(300 * demo.rnd(q.seed, p.pid * 64 + 50))::int), p.pid
FROM demo.person p JOIN demo.person_id i USING (pid), demo.param q
WHERE p.two_phones
ORDER BY 7, 6, 1, 2, 3, 4, 5;
-- Marketplaces: the buyer id with the delivery phone, masked a third of the time.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT f.channel, f.channel || '_buyer', CASE f.channel WHEN 'tmall' THEN i.tmall_buyer ELSE i.jd_buyer END,
	CASE WHEN p.has_phone THEN 'phone' END,
	CASE WHEN NOT p.has_phone THEN NULL
	     WHEN demo.rnd(q.seed, p.pid * 64 + 51 + (f.channel = 'jd')::int) < 0.35
	     THEN substr(i.phone, 1, 3) || '****' || substr(i.phone, 8)
	     ELSE demo.phone_format(i.phone, demo.rnd(q.seed, p.pid * 64 + 53)) END,
	f.day, p.pid
FROM (SELECT true_pid AS pid, channel, min(day) AS day FROM demo.orders
      WHERE channel IN ('tmall', 'jd') GROUP BY 1, 2) f
	JOIN demo.person p USING (pid) JOIN demo.person_id i USING (pid), demo.param q
ORDER BY 7, 6, 1, 2, 3, 4, 5;
-- Mini-program orders by people whose first contact was elsewhere still
-- show their openid with the unionid at checkout.
INSERT INTO demo.obs (channel, type1, value1, type2, value2, day, true_pid)
SELECT 'miniprogram', 'openid_mp', i.openid_mp, 'unionid', i.unionid, f.day, f.pid
FROM (SELECT true_pid AS pid, min(day) AS day FROM demo.orders WHERE channel = 'miniprogram' GROUP BY 1) f
	JOIN demo.person_id i USING (pid)
ORDER BY 7, 6, 1, 2, 3, 4, 5;

CREATE INDEX ON demo.obs (true_pid);
SELECT channel, count(*) AS observations FROM demo.obs GROUP BY 1 ORDER BY 2 DESC;
