-- 10_generate.sql: the demo brand's raw data, as a brand receives it.
--
-- A beauty brand with stores in six cities, a mini-program mall, an official
-- account, Channels video, WeCom shopping guides, customer groups and two
-- marketplace shops (Tmall, JD).  The true person behind every row is kept
-- in true_pid so the identity merge can be checked; the demo's analytics
-- never read it.
--
-- Purchases follow the BG/NBD story: each customer buys at a personal rate
-- (Gamma distributed) and, after each purchase, drops out with a personal
-- probability (Beta distributed).  Calendar time is warped by a seasonal
-- intensity with the 618 and Double 11 peaks, so orders bunch there.

\set ON_ERROR_STOP 1
\echo '   persons: attributes of every true person'

-- Key layout of demo.rnd: pid * 64 + stream, one stream per attribute.
CREATE TABLE demo.person AS
WITH base AS (
	SELECT pid, p.seed, p.days,
		demo.rnd(p.seed, pid * 64 + 0) AS u_seen,
		demo.rnd(p.seed, pid * 64 + 1) AS u_buyer,
		demo.rnd(p.seed, pid * 64 + 2) AS u_delay,
		demo.exp1(demo.rnd(p.seed, pid * 64 + 3)) + demo.exp1(demo.rnd(p.seed, pid * 64 + 4)) AS g_rate,
		demo.rnd(p.seed, pid * 64 + 5) AS u_drop,
		demo.rnd(p.seed, pid * 64 + 6) AS u_repeat,
		demo.rnd(p.seed, pid * 64 + 7) AS u_wechat,
		demo.rnd(p.seed, pid * 64 + 8) AS u_oa,
		demo.rnd(p.seed, pid * 64 + 9) AS u_mp,
		demo.rnd(p.seed, pid * 64 + 10) AS u_mp_phone,
		demo.rnd(p.seed, pid * 64 + 11) AS u_wecom,
		demo.rnd(p.seed, pid * 64 + 12) AS u_group,
		demo.rnd(p.seed, pid * 64 + 13) AS u_sph,
		demo.rnd(p.seed, pid * 64 + 14) AS u_ads,
		demo.rnd(p.seed, pid * 64 + 15) AS u_junk_device,
		demo.rnd(p.seed, pid * 64 + 16) AS u_phone,
		demo.rnd(p.seed, pid * 64 + 17) AS u_phone2,
		demo.rnd(p.seed, pid * 64 + 18) AS u_channel,
		demo.rnd(p.seed, pid * 64 + 19) AS u_city,
		demo.rnd(p.seed, pid * 64 + 20) AS u_advocate,
		demo.exp1(demo.rnd(p.seed, pid * 64 + 21)) + demo.exp1(demo.rnd(p.seed, pid * 64 + 22))
			+ demo.exp1(demo.rnd(p.seed, pid * 64 + 23)) AS g_spend,
		demo.rnd(p.seed, pid * 64 + 24) AS u_engage,
		demo.rnd(p.seed, pid * 64 + 25) AS u_first,
		demo.rnd(p.seed, pid * 64 + 26) AS u_lag1,
		demo.rnd(p.seed, pid * 64 + 27) AS u_lag2,
		demo.rnd(p.seed, pid * 64 + 28) AS u_lag3
	FROM demo.param p, generate_series(1, p.persons) AS pid
), seen AS (
	SELECT b.*,
		-- a quarter is the existing base, met in the first month; the rest arrive evenly
		CASE WHEN u_seen < 0.25 THEN floor(u_seen * 4 * 31)
		     ELSE floor((u_seen - 0.25) / 0.75 * days) END::int AS first_seen,
		u_wechat < 0.80 AS wechat,
		u_phone < 0.85 AS has_phone,
		CASE WHEN u_channel < 0.45 THEN 'store' WHEN u_channel < 0.72 THEN 'miniprogram'
		     WHEN u_channel < 0.88 THEN 'tmall' ELSE 'jd' END AS pref_channel
	FROM base b
), attr AS (
	SELECT s.*,
		wechat AND (pref_channel = 'miniprogram' OR u_mp < 0.45) AS mp,
		wechat AND u_oa < 0.50 AS oa,
		wechat AND u_sph < 0.30 AS sph,
		u_ads < 0.40 AS ads,
		u_advocate < 0.12 AS advocate,
		u_buyer < 0.30 + CASE WHEN pref_channel = 'store' THEN 0.08 ELSE 0 END
			+ CASE WHEN wechat AND u_oa < 0.50 THEN 0.15 ELSE 0 END AS buyer
	FROM seen s
)
SELECT pid,
	-- cities by their share of shoppers (demo.city)
	CASE WHEN u_city < 0.24 THEN 0 WHEN u_city < 0.44 THEN 1 WHEN u_city < 0.60 THEN 2
	     WHEN u_city < 0.75 THEN 3 WHEN u_city < 0.88 THEN 4 ELSE 5 END AS city_no,
	first_seen, wechat, has_phone, has_phone AND u_phone2 < 0.06 AS two_phones,
	pref_channel, mp, mp AND u_mp_phone < 0.60 AS mp_phone, oa, sph, ads,
	ads AND u_junk_device < 0.03 AS junk_device, advocate,
	CASE WHEN buyer THEN first_seen + floor(45 * demo.exp1(u_delay))::int END AS first_buy,
	-- purchase rate per day: Gamma(2) with mean 1/80, higher for WeCom-added and advocates
	g_rate / 2 / 80 * CASE WHEN wechat AND u_wecom < 0.30 THEN 2.4 ELSE 1 END
		* CASE WHEN advocate THEN 1.5 ELSE 1 END AS rate,
	-- dropout after each purchase: Beta(1, 2.5)
	1 - power(1 - u_drop, 1 / 2.5) AS p_drop,
	u_repeat,
	-- WeCom: a shopping guide adds 30% of WeChat users who buy, 5% of the others
	CASE WHEN wechat AND u_wecom < CASE WHEN buyer THEN 0.30 ELSE 0.05 END
	     THEN first_seen + floor(20 * demo.exp1(u_lag1))::int END AS wecom_day,
	CASE WHEN wechat AND u_oa < 0.50 THEN first_seen + floor(10 * demo.exp1(u_lag2))::int END AS oa_day,
	u_group < 0.35 AS group_if_wecom,
	-- mean spend per order (Gamma-Gamma story): Gamma(3) around 60 yuan x price level
	60 * g_spend * CASE WHEN wechat AND u_wecom < 0.30 THEN 1.3 ELSE 1 END AS spend_mean,
	power(u_engage, 3) AS engage,
	u_first, u_lag3
FROM attr;
ALTER TABLE demo.person ADD PRIMARY KEY (pid);
-- The group is joined after the WeCom add, through the guide's invitation.
ALTER TABLE demo.person ADD COLUMN group_day int;
UPDATE demo.person SET group_day = wecom_day + floor(15 * demo.exp1(u_lag3))::int
WHERE wecom_day IS NOT NULL AND group_if_wecom;
-- Relationships end too, as at every real brand: followers unfollow the
-- official account (45% of them in time, the less engaged more often),
-- 15% delete their shopping guide, 30% leave the group; each after an
-- exponential lag.  Streams 29..34 of demo.rnd.
ALTER TABLE demo.person ADD COLUMN oa_end_day int, ADD COLUMN wecom_end_day int, ADD COLUMN group_end_day int;
UPDATE demo.person p SET
	oa_end_day = CASE WHEN p.oa_day IS NOT NULL AND demo.rnd(q.seed, p.pid * 64 + 29) < 0.55 - 0.3 * p.engage
		THEN p.oa_day + 1 + floor(180 * demo.exp1(demo.rnd(q.seed, p.pid * 64 + 30)))::int END,
	wecom_end_day = CASE WHEN p.wecom_day IS NOT NULL AND demo.rnd(q.seed, p.pid * 64 + 31) < 0.15
		THEN p.wecom_day + 1 + floor(240 * demo.exp1(demo.rnd(q.seed, p.pid * 64 + 32)))::int END,
	group_end_day = CASE WHEN p.group_day IS NOT NULL AND demo.rnd(q.seed, p.pid * 64 + 33) < 0.30
		THEN p.group_day + 1 + floor(150 * demo.exp1(demo.rnd(q.seed, p.pid * 64 + 34)))::int END
FROM demo.param q;

-- Identifier values of each person (canonical forms; formats vary per sighting).
CREATE TABLE demo.person_id AS
SELECT p.pid,
	CASE WHEN p.has_phone THEN '13' || lpad(((p.pid * 7919 + 104729 * (SELECT seed FROM demo.param)) % 1000000000)::text, 9, '0') END AS phone,
	CASE WHEN p.two_phones THEN '15' || lpad(((p.pid * 6007 + 13) % 1000000000)::text, 9, '0') END AS phone2,
	'M' || lpad(((p.pid * 31) % 100000000)::text, 8, '0') AS member_card,
	CASE WHEN p.wechat THEN 'oU' || substr(demo.token(q.seed, 'u', p.pid), 1, 26) END AS unionid,
	CASE WHEN p.mp THEN 'oM' || substr(demo.token(q.seed, 'm', p.pid), 1, 26) END AS openid_mp,
	CASE WHEN p.oa THEN 'oA' || substr(demo.token(q.seed, 'a', p.pid), 1, 26) END AS openid_oa,
	CASE WHEN p.sph THEN 'sph_' || substr(demo.token(q.seed, 's', p.pid), 1, 24) END AS openid_sph,
	CASE WHEN p.wecom_day IS NOT NULL THEN 'wmJ' || substr(demo.token(q.seed, 'w', p.pid), 1, 29) END AS wecom_id,
	'tb' || lpad(((p.pid * 7727 + 3) % 10000000000)::text, 10, '0') AS tmall_buyer,
	'jd_' || substr(demo.token(q.seed, 'j', p.pid), 1, 12) AS jd_buyer,
	CASE WHEN p.ads AND p.junk_device THEN '00000000-0000-0000-0000-000000000000'
	     WHEN p.ads THEN regexp_replace(demo.token(q.seed, 'd', p.pid), '(.{8})(.{4})(.{4})(.{4})(.{12})', '\1-\2-\3-\4-\5') END AS device_id
FROM demo.person p, demo.param q;
ALTER TABLE demo.person_id ADD PRIMARY KEY (pid);

-- A phone as a till, a form or a marketplace writes it.
CREATE FUNCTION demo.phone_format(phone text, u double precision) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN u < 0.55 THEN phone
	WHEN u < 0.70 THEN '+86 ' || substr(phone, 1, 3) || ' ' || substr(phone, 4, 4) || ' ' || substr(phone, 8)
	WHEN u < 0.85 THEN substr(phone, 1, 3) || '-' || substr(phone, 4, 4) || '-' || substr(phone, 8)
	ELSE '+86' || phone END;

\echo '   calendar: seasonal intensity with 618 and Double 11 peaks'
-- Daily purchase intensity, mean 1: peaks before 6.18 and 11.11, a December
-- lift, a dip over the Spring Festival.  cum_start is the warped time.
CREATE TABLE demo.day AS
WITH w AS (
	SELECT d AS day, date '2024-01-01' + d AS date,
		1.0
		+ 2.5 * exp(-least(50, power(((date '2024-01-01' + d) - make_date(extract(year FROM date '2024-01-01' + d)::int, 6, 18))::float8 / 5, 2)))
		+ 4.0 * exp(-least(50, power(((date '2024-01-01' + d) - make_date(extract(year FROM date '2024-01-01' + d)::int, 11, 11))::float8 / 6, 2)))
		+ CASE WHEN extract(month FROM date '2024-01-01' + d) = 12 THEN 0.3 ELSE 0 END
		- CASE WHEN (date '2024-01-01' + d) BETWEEN date '2024-02-08' AND date '2024-02-17'
		         OR (date '2024-01-01' + d) BETWEEN date '2025-01-27' AND date '2025-02-04' THEN 0.5 ELSE 0 END AS w
	FROM demo.param, generate_series(0, days - 1) AS d
), n AS (SELECT day, date, w / avg(w) OVER () AS w FROM w)
SELECT day, date, demo.month_of(day) AS month, w,
	coalesce(sum(w) OVER (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum_start,
	sum(w) OVER (ORDER BY day) AS cum_end
FROM n;
ALTER TABLE demo.day ADD PRIMARY KEY (day);
-- Inverse of the warped time in quarter steps: bucket floor(4 tau) -> day.
CREATE TABLE demo.day_inv AS
SELECT b AS bucket, day FROM demo.day, generate_series(ceil(cum_start * 4)::int, ceil(cum_end * 4)::int - 1) AS b;
ALTER TABLE demo.day_inv ADD PRIMARY KEY (bucket);

\echo '   orders: first purchases and repeat purchases until dropout'
CREATE TABLE demo.orders AS
WITH buyer AS (
	SELECT p.pid, p.rate, p.first_buy, p.spend_mean, p.pref_channel, p.mp, q.seed,
		-- repeats before dropout: geometric with the person's dropout probability
		least(60, floor(ln(1 - p.u_repeat) / ln(1 - least(0.999, greatest(p.p_drop, 0.001)))))::int AS repeats,
		d.cum_start AS tau0
	FROM demo.person p JOIN demo.day d ON d.day = p.first_buy, demo.param q
	WHERE p.first_buy < q.days
), step AS (
	SELECT b.*, k,
		b.tau0 + sum(CASE WHEN k = 0 THEN 0 ELSE demo.exp1(demo.rnd(b.seed, b.pid * 4096 + 64 * k + 1)) / b.rate END)
			OVER (PARTITION BY b.pid ORDER BY k) AS tau
	FROM buyer b, generate_series(0, b.repeats) AS k
), placed AS (
	SELECT s.pid, s.k, i.day, s.seed, s.spend_mean,
		CASE WHEN demo.rnd(s.seed, s.pid * 4096 + 64 * s.k + 2) < 0.75 THEN s.pref_channel
		     ELSE (ARRAY['store', 'miniprogram', 'tmall', 'jd'])[1 + floor(4 * demo.rnd(s.seed, s.pid * 4096 + 64 * s.k + 3))::int] END AS channel0,
		s.mp,
		demo.rnd(s.seed, s.pid * 4096 + 64 * s.k + 4) AS u_cat,
		demo.exp1(demo.rnd(s.seed, s.pid * 4096 + 64 * s.k + 5)) + demo.exp1(demo.rnd(s.seed, s.pid * 4096 + 64 * s.k + 6))
			+ demo.exp1(demo.rnd(s.seed, s.pid * 4096 + 64 * s.k + 7)) + demo.exp1(demo.rnd(s.seed, s.pid * 4096 + 64 * s.k + 8)) AS g_amount
	FROM step s JOIN demo.day_inv i ON i.bucket = floor(s.tau * 4)::int
), catd AS (
	SELECT p.*,
		CASE WHEN p.channel0 = 'miniprogram' AND NOT p.mp THEN 'store' ELSE p.channel0 END AS channel,
		-- gift sets sell around the peaks
		CASE WHEN d.w > 2 AND p.u_cat < 0.25 THEN 4
		     WHEN p.u_cat < 0.38 THEN 0 WHEN p.u_cat < 0.62 THEN 1 WHEN p.u_cat < 0.74 THEN 2
		     WHEN p.u_cat < 0.90 THEN 3 ELSE 4 END AS cat_no
	FROM placed p JOIN demo.day d USING (day)
)
SELECT row_number() OVER (ORDER BY catd.day, catd.pid, catd.k) AS order_id, catd.pid AS true_pid, catd.k, catd.day,
	catd.channel, catd.cat_no,
	round((catd.spend_mean * c.price * catd.g_amount / 4)::numeric, 2) AS amount,
	p.city_no,
	-- how the order identifies its buyer: the key its channel knows
	CASE catd.channel WHEN 'store' THEN 'member_card' WHEN 'miniprogram' THEN 'openid_mp'
	                         WHEN 'tmall' THEN 'tmall_buyer' ELSE 'jd_buyer' END AS id_type,
	CASE catd.channel WHEN 'store' THEN i.member_card WHEN 'miniprogram' THEN i.openid_mp
	                          WHEN 'tmall' THEN i.tmall_buyer ELSE i.jd_buyer END AS id_value
FROM catd JOIN demo.category c USING (cat_no) JOIN demo.person p ON p.pid = catd.pid
	JOIN demo.person_id i ON i.pid = catd.pid;
ALTER TABLE demo.orders ADD PRIMARY KEY (order_id);
CREATE INDEX ON demo.orders (true_pid);
