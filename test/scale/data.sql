-- test/scale/data.sql: the scale-out suites' data set, deterministic.
-- psql variables: persons (how many), nshards and shard: the rows of persons
-- with person_id % nshards = shard, or every row when shard is -1.
-- Members with a tier, orders (0 to 5 per person, 8 categories, one year),
-- web events for a 3-step funnel and a monthly retention question.
\set ON_ERROR_STOP 1
CREATE TABLE members AS
SELECT p::bigint AS person_id, (abs(hashint4(p)) % 5) AS tier, (abs(hashint4(p + 7)) % 5) AS tier_next
FROM generate_series(1, :persons) p
WHERE :shard < 0 OR p % :nshards = :shard;

CREATE TABLE orders AS
SELECT m.person_id,
       timestamptz '2024-01-01 00:00+00' + make_interval(days => abs(hashint4(m.person_id::int * 31 + i)) % 365,
                                                      hours => abs(hashint4(m.person_id::int * 7 + i)) % 24) AS ts,
       round(5 + (abs(hashint4(m.person_id::int * 17 + i)) % 20000) / 100.0 * (1 + m.tier), 2) AS amount,
       abs(hashint4(m.person_id::int + i * 1000003)) % 8 AS category
FROM members m, generate_series(1, abs(hashint4(m.person_id::int * 3)) % 6) i;

CREATE TABLE events AS
SELECT m.person_id,
       timestamptz '2024-03-01 00:00+00' + make_interval(mins => abs(hashint4(m.person_id::int * 13 + j)) % (60 * 24 * 60)) AS ts,
       (ARRAY['view', 'cart', 'buy', 'view'])[1 + abs(hashint4(m.person_id::int * 11 + j)) % 4] AS event
FROM members m, generate_series(1, abs(hashint4(m.person_id::int * 5)) % 9) j;
ANALYZE members;
ANALYZE orders;
ANALYZE events;
