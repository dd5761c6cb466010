-- test/scale/data.sql: the scale-out suites' data set, deterministic.
-- psql variables: persons (how many), nshards and shard: the rows of persons
-- with person_id % nshards = shard, or every row when shard is -1.
-- Members with a tier, orders (BG/NBD-like, 8 categories, Jan-Sep 2024),
-- web events for a 3-step funnel and a monthly retention question.
\set ON_ERROR_STOP 1
CREATE TABLE members AS
SELECT p::bigint AS person_id, (abs(hashint4(p)) % 5) AS tier, (abs(hashint4(p + 7)) % 5) AS tier_next
FROM generate_series(1, :persons) p
WHERE :shard < 0 OR p % :nshards = :shard;

-- orders follow a BG/NBD process (quanyu.bgnbd_sample: repeat purchases x,
-- recency and age T in weeks up to the calibration end 2024-10-01): the
-- first purchase T weeks before it, the repeats spread up to the recency
CREATE TABLE orders AS
WITH s AS (SELECT row_number() OVER () AS person_id, frequency::int AS x, recency, t
           FROM quanyu.bgnbd_sample(:persons, 0.25, 4, 0.8, 2.5, 39, 7))
SELECT m.person_id,
       timestamptz '2024-10-01 00:00+00' - make_interval(secs => s.t * 604800)
           + make_interval(secs => CASE WHEN s.x = 0 THEN 0 ELSE s.recency * 604800 * k / s.x END) AS ts,
       round(5 + (abs(hashint4(m.person_id::int * 17 + k)) % 20000) / 100.0 * (1 + m.tier), 2) AS amount,
       abs(hashint4(m.person_id::int + k * 1000003)) % 8 AS category
FROM members m JOIN s ON s.person_id = m.person_id, generate_series(0, s.x) k;

CREATE TABLE events AS
SELECT m.person_id,
       timestamptz '2024-03-01 00:00+00' + make_interval(mins => abs(hashint4(m.person_id::int * 13 + j)) % (60 * 24 * 60)) AS ts,
       (ARRAY['view', 'cart', 'buy', 'view'])[1 + abs(hashint4(m.person_id::int * 11 + j)) % 4] AS event
FROM members m, generate_series(1, abs(hashint4(m.person_id::int * 5)) % 9) j;
ANALYZE members;
ANALYZE orders;
ANALYZE events;
