-- audience_xor_agg over queued stored inputs (audience_roaring.c,
-- audience_xor_flats): inputs are XOR-ed a container key at a time, array
-- values flipped straight into bitset containers and counted once per
-- batch.  The result must be the ids in an odd number of inputs, with the
-- bytes of XOR-ing in-memory inputs one at a time (members & members), for
-- every mix of container kinds a key can see in one batch and across
-- batches (64 queued inputs a batch).
CREATE FUNCTION xor_same(built audience, expected audience) RETURNS text LANGUAGE sql AS $$
	SELECT CASE
		WHEN built IS DISTINCT FROM expected THEN 'different sets'
		WHEN audience(built::bytea) <> built THEN 'bytes do not round-trip'
		WHEN audience_to_array(built) <> audience_to_array(expected) THEN 'different ids'
		ELSE 'same' END $$;

-- xor_id(c, low): the id with container key c and low 16 bits low
CREATE FUNCTION xor_id(c int, low bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT c * 65536::bigint + low $$;

-- 130 stored inputs of 12 kB or more (queued), in three batches by k:
--  keys 0-19: arrays of 297-300 ids (not a multiple of four), different per
--    input, the edges 0 and 65535 in every third; 130 of them per key
--    (upper bound 39,000 ids, so flipped into a new bitset);
--  key 20: the same array in every input: empties in every batch;
--  key 21: the same array in inputs 1-128, plus one in input 129: an array;
--  key 22: arrays in inputs 1-64 repeated in inputs 65-128: the bitset of
--    the first batch empties in the second;
--  key 23: as key 22 with input 128's left out: the bitset becomes an array;
--  key 24: runs, bitsets and arrays mixed in one key (CRoaring's XOR);
--  key 25: bitsets (every third id, shifted) and arrays only;
--  key 26: the full container in every seventh input, arrays in the others;
--  key 27: runs only;
--  key 28: arrays in the first batch (a bitset), then runs, full
--    containers and bitsets flipped into it;
--  key 29: 8 ids in each input of the first batch (an array of 512), 64
--    in each of the second (a bitset of 4,608), and the first batch's ids
--    again in the third (an array of 4,096).
CREATE TABLE xor_inputs (k int, members audience);
INSERT INTO xor_inputs
SELECT k, audience_agg(id) FROM (
	SELECT k, xor_id(c, (k * 7919 + j * 211) % 65536) AS id
		FROM generate_series(1, 130) k, generate_series(0, 19) c, generate_series(0, 295 + k % 4) j
	UNION ALL SELECT k, xor_id(c, e) FROM generate_series(3, 130, 3) k, generate_series(0, 19) c, (VALUES (0), (65535)) v(e)
	UNION ALL SELECT k, xor_id(20, j * 97) FROM generate_series(1, 130) k, generate_series(0, 499) j
	UNION ALL SELECT k, xor_id(21, j * 89) FROM generate_series(1, 128) k, generate_series(0, 499) j
	UNION ALL SELECT 129, xor_id(21, 1 + j * 3) FROM generate_series(0, 99) j
	UNION ALL SELECT k, xor_id(22, ((k - 1) % 64 * 331 + j * 173) % 65536) FROM generate_series(1, 128) k, generate_series(0, 299) j
	UNION ALL SELECT k, xor_id(23, ((k - 1) % 64 * 331 + j * 173) % 65536) FROM generate_series(1, 127) k, generate_series(0, 299) j
	UNION ALL SELECT k, xor_id(24, CASE k % 3 WHEN 0 THEN k * 300 + j WHEN 1 THEN (k + 3 * j) % 65536 ELSE (k * 13 + j * 37) % 65536 END)
		FROM generate_series(1, 130) k, generate_series(0, CASE WHEN k % 3 = 1 THEN 21000 ELSE 999 END) j
	UNION ALL SELECT k, xor_id(25, CASE WHEN k % 4 = 0 THEN (k + 3 * j) % 65536 ELSE (k * 17 + j * 41) % 65536 END)
		FROM generate_series(1, 130) k, generate_series(0, CASE WHEN k % 4 = 0 THEN 21000 ELSE 399 END) j
	UNION ALL SELECT k, xor_id(26, CASE WHEN k % 7 = 0 THEN j ELSE (k * 19 + j * 43) % 65536 END)
		FROM generate_series(1, 130) k, generate_series(0, CASE WHEN k % 7 = 0 THEN 65535 ELSE 299 END) j
	UNION ALL SELECT k, xor_id(27, (k * 500 + r * 3000 + j) % 65536)
		FROM generate_series(1, 130) k, generate_series(0, 9) r, generate_series(0, 99 + k) j
	UNION ALL SELECT k, xor_id(28, (k * 23 + j * 47) % 65536) FROM generate_series(1, 64) k, generate_series(0, 299) j
	UNION ALL SELECT k, xor_id(28, (k * 700 + j) % 65536) FROM generate_series(65, 130, 2) k, generate_series(0, 1999) j
	UNION ALL SELECT k, xor_id(28, j) FROM generate_series(66, 130, 10) k, generate_series(0, 65535) j
	UNION ALL SELECT k, xor_id(28, (k + 3 * j) % 65536) FROM generate_series(68, 130, 10) k, generate_series(0, 21000) j
	UNION ALL SELECT k, xor_id(29, k * 8 + j) FROM generate_series(1, 64) k, generate_series(0, 7) j
	UNION ALL SELECT k, xor_id(29, 10000 + k * 64 + j) FROM generate_series(65, 128) k, generate_series(0, 63) j
	UNION ALL SELECT k, xor_id(29, i * 8 + j) FROM generate_series(129, 130) k, generate_series(1, 32) i0,
		LATERAL (SELECT (k - 129) * 32 + i0 AS i) s, generate_series(0, 7) j
) s GROUP BY k ORDER BY k;
-- small inputs (XOR-ed at once, one container at a time) after the queued
-- ones, hitting a few of many keys; and one of 1 MB or more (at once too):
-- bitsets of every 15th id in keys 10-139
INSERT INTO xor_inputs
	SELECT 200 + k, audience(ARRAY[xor_id(k % 30, k), xor_id(k % 30, 65535 - k), xor_id(1000 + k, 5), xor_id(60000 + k, 0)])
	FROM generate_series(0, 39) k
	UNION ALL SELECT 300, audience_agg(xor_id(c, 15 * j)) FROM generate_series(10, 139) c, generate_series(0, 4368) j
	ORDER BY 1;
SELECT count(*) AS inputs,
	count(*) FILTER (WHERE octet_length(members::bytea) BETWEEN 8192 AND 1048575) AS queued,
	count(*) FILTER (WHERE octet_length(members::bytea) >= 1048576) AS large
FROM xor_inputs;

CREATE TABLE xor_expected AS
	SELECT audience_agg(id) AS members FROM (
		SELECT id FROM xor_inputs, audience_ids(members) id GROUP BY id HAVING count(*) % 2 = 1) s;
SELECT cardinality(members), (audience_stats(members)).containers FROM xor_expected;

-- the queued inputs alone: the keys that empty are gone, the others hold
-- what an odd count leaves
CREATE TABLE xor_queued_expected AS
	SELECT audience_agg(id) AS members FROM (
		SELECT id FROM xor_inputs, audience_ids(members) id WHERE k < 200 GROUP BY id HAVING count(*) % 2 = 1) s;
SELECT c AS key, cardinality(audience_range(members, xor_id(c, 0), xor_id(c + 1, 0))) AS ids,
	(audience_stats(audience_range(members, xor_id(c, 0), xor_id(c + 1, 0)))).containers
FROM xor_queued_expected, generate_series(18, 30) c ORDER BY c;

-- queued inputs only, in order, reversed, and shuffled across batches
SELECT xor_same(audience_xor_agg(members ORDER BY k), (SELECT members FROM xor_queued_expected)) AS queued_in_order
FROM xor_inputs WHERE k < 200;
SELECT xor_same(audience_xor_agg(members ORDER BY k), (SELECT members FROM xor_expected)) AS all_in_order FROM xor_inputs;
SELECT xor_same(audience_xor_agg(members ORDER BY k DESC), (SELECT members FROM xor_expected)) AS all_reversed FROM xor_inputs;
SELECT xor_same(audience_xor_agg(members ORDER BY (k * 37) % 331), (SELECT members FROM xor_expected)) AS all_shuffled FROM xor_inputs;
-- the same bytes as in-memory inputs XOR-ed one at a time (so the same
-- container kinds: a small result is an array, not a bitset or runs).
-- Without ORDER BY, both aggregates read the rows in the order they were
-- stored (by k, or reversed); with it, in-memory inputs would be flattened
-- by the sort and take the stored path too.
SET max_parallel_workers_per_gather = 0;
CREATE TABLE xor_reversed AS SELECT * FROM xor_inputs ORDER BY k DESC;
SELECT (SELECT audience_xor_agg(members)::bytea = audience_xor_agg(members & members)::bytea FROM xor_inputs WHERE k < 200) AS queued_same_bytes,
	(SELECT audience_xor_agg(members)::bytea = audience_xor_agg(members & members)::bytea FROM xor_reversed WHERE k < 200) AS queued_reversed_same_bytes,
	(SELECT audience_xor_agg(members)::bytea = audience_xor_agg(members & members)::bytea FROM xor_inputs) AS all_same_bytes,
	(SELECT audience_xor_agg(members)::bytea = audience_xor_agg(members & members)::bytea FROM xor_reversed) AS all_reversed_same_bytes;
RESET max_parallel_workers_per_gather;
-- every input twice, in one batch and in two: the result is empty
SELECT cardinality(audience_xor_agg(members ORDER BY k, n)) AS twice_together,
	cardinality(audience_xor_agg(members ORDER BY n, k)) AS twice_apart
FROM (SELECT 1 AS n, k, members FROM xor_inputs UNION ALL SELECT 2, k, members FROM xor_inputs) s;
-- three times is once
SELECT xor_same(audience_xor_agg(members ORDER BY n, k), (SELECT members FROM xor_expected)) AS thrice
FROM xor_inputs, generate_series(1, 3) n;
-- the full id range, stored (65,536 full run containers, queued), an odd
-- and an even number of times, and with the other inputs
CREATE TABLE xor_full AS SELECT n, audience_from_range(0, 4294967296) AS a FROM generate_series(1, 3) n;
SELECT octet_length(a::bytea) BETWEEN 8192 AND 1048575 AS queued FROM xor_full WHERE n = 1;
SELECT cardinality(audience_xor_agg(a ORDER BY n)) AS full_thrice, cardinality(audience_xor_agg(a ORDER BY n) FILTER (WHERE n < 3)) AS full_twice
FROM xor_full;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE xor_with_full AS
	SELECT k, members FROM xor_inputs UNION ALL SELECT 1000, a FROM xor_full WHERE n = 1 ORDER BY 1;
SELECT x = audience_from_range(0, 4294967296) - (SELECT members FROM xor_expected) AS full_and_all,
	x::bytea = y::bytea AS same_bytes, cardinality(x)
FROM (SELECT audience_xor_agg(members) AS x, audience_xor_agg(members & members) AS y FROM xor_with_full) s;
RESET max_parallel_workers_per_gather;

DROP TABLE xor_inputs, xor_reversed, xor_full, xor_with_full, xor_expected, xor_queued_expected;
DROP FUNCTION xor_same(audience, audience);
DROP FUNCTION xor_id(int, bigint);
