-- 00_setup.sql: the demo schema, its parameters and a deterministic
-- pseudo-random function.
--
-- psql variables: scale (1 = 200,000 persons) and seed (any integer).
-- Everything the demo builds lives in schema demo; a rerun starts afresh.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS demo CASCADE;
CREATE SCHEMA demo;
SET client_min_messages = notice;

-- One row: the size of the brand, the seed and the calendar of the data.
CREATE TABLE demo.param AS
SELECT greatest(1000, round(200000 * :'scale'::numeric))::bigint AS persons,
       (:'seed')::bigint AS seed,
       date '2024-01-01' AS start_day,
       731 AS days,                    -- 24 months: 2024-01-01 .. 2025-12-31
       24 AS months;

-- A uniform number in [0, 1) from a seed and a key: the same on every run
-- and every (little-endian) machine, unlike random().  hashint8extended is
-- PostgreSQL's own 64-bit hash, so SQL inlines this and it stays fast.
CREATE FUNCTION demo.rnd(seed bigint, k bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (hashint8extended(k, seed) & 140737488355327)::double precision / 140737488355328.0;

-- An exponential draw with mean 1 from a uniform u in [0, 1).
CREATE FUNCTION demo.exp1(u double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN -ln(1.0 - u);

-- A 32-character hex token, for openids and other opaque identifiers.
CREATE FUNCTION demo.token(seed bigint, kind text, k bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN md5(seed::text || kind || k::text);

-- The month index (0 .. 23) of a day number.
CREATE FUNCTION demo.month_of(day integer) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (extract(year FROM date '2024-01-01' + day)::int - 2024) * 12
       + extract(month FROM date '2024-01-01' + day)::int - 1;

-- The relationship ladder: five tiers, Chinese name with English beside it.
CREATE TABLE demo.tier_label (tier int PRIMARY KEY, code text, zh text, en text, color text);
INSERT INTO demo.tier_label VALUES
	(1, 'prospect',   '潛客', 'prospect',   '#c7d2e0'),
	(2, 'follower',   '粉絲', 'follower',   '#8fb3de'),
	(3, 'customer',   '顧客', 'customer',   '#4f8fd6'),
	(4, 'regular',    '熟客', 'regular',    '#1f5fae'),
	(5, 'ambassador', '大使', 'ambassador', '#e0913a');

-- Stores: cities with their share of store shoppers.
CREATE TABLE demo.city (city_no int PRIMARY KEY, zh text, en text, share float8);
INSERT INTO demo.city VALUES
	(0, '上海', 'Shanghai', 0.24), (1, '北京', 'Beijing', 0.20), (2, '廣州', 'Guangzhou', 0.16),
	(3, '深圳', 'Shenzhen', 0.15), (4, '杭州', 'Hangzhou', 0.13), (5, '成都', 'Chengdu', 0.12);

-- Product categories of the brand (a beauty brand) with their price level.
CREATE TABLE demo.category (cat_no int PRIMARY KEY, zh text, en text, price float8, share float8);
INSERT INTO demo.category VALUES
	(0, '護膚', 'skincare', 1.2, 0.38), (1, '彩妝', 'makeup', 0.8, 0.24),
	(2, '香水', 'fragrance', 1.5, 0.12), (3, '身體護理', 'body care', 0.6, 0.16),
	(4, '禮盒', 'gift sets', 2.2, 0.10);

-- Sales channels (where orders are placed) and the identifier each keys orders by.
CREATE TABLE demo.channel (channel text PRIMARY KEY, zh text, quadrant text);
INSERT INTO demo.channel VALUES
	('store', '門店', 'public store / 公域門店'),
	('miniprogram', '小程序商城', 'private store / 私域商城'),
	('tmall', '天貓旗艦店', 'public traffic / 公域平台'),
	('jd', '京東旗艦店', 'public traffic / 公域平台');
