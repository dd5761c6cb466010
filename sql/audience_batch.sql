-- Batched building and union (audience_merge.c): results must equal sets
-- built one id at a time, in canonical stored form (the bytea round trip
-- re-validates every container), for every shape of container.
CREATE FUNCTION batch_same(built audience, expected audience) RETURNS text LANGUAGE sql AS $$
	SELECT CASE
		WHEN built IS DISTINCT FROM expected THEN 'different sets'
		WHEN audience(built::bytea) <> built THEN 'bytes do not round-trip'
		WHEN audience_to_array(built) <> audience_to_array(expected) THEN 'different ids'
		ELSE 'same' END $$;

-- ids of several distributions, with repeats, in batches of up to 65536:
-- spread (array containers growing into bitsets), dense (full containers
-- and runs), sparse over the whole id range (small arrays), and boundaries.
CREATE TABLE batch_ids (shape text, v bigint);
INSERT INTO batch_ids
	SELECT 'spread', (g::bigint * 7919) % 30000000 FROM generate_series(1, 300000) g
	UNION ALL SELECT 'dense', g % 200000 FROM generate_series(1, 300000) g
	UNION ALL SELECT 'sparse', (g::bigint * 2654435761) % 4294967296 FROM generate_series(1, 200000) g
	UNION ALL SELECT 'boundaries', v FROM (VALUES (0), (1), (65535), (65536), (4294967294), (4294967295)) t(v),
		generate_series(1, 2000) g
	UNION ALL SELECT 'mixed', CASE WHEN g % 3 = 0 THEN g ELSE (g::bigint * 104729) % 5000000 END FROM generate_series(1, 250000) g
	UNION ALL SELECT 'growing', (g % 3000) * 65536 + (g / 3000) FROM generate_series(1, 600000) g;
SELECT shape, count(DISTINCT v) AS distinct_ids,
	cardinality(audience_agg(v)) AS cardinality,
	batch_same(audience_agg(v), audience(array_agg(DISTINCT v))) AS verdict
FROM batch_ids GROUP BY shape ORDER BY shape;
-- the same ids in another order give the same set
SELECT batch_same((SELECT audience_agg(v ORDER BY v DESC) FROM batch_ids),
				  (SELECT audience_agg(v ORDER BY v) FROM batch_ids)) AS any_order;

-- Stored inputs of each container kind, large enough to be queued (8 kB
-- and more) and small ones OR-ed at once, in more than one batch (64).
CREATE TABLE batch_inputs (k int, members audience);
INSERT INTO batch_inputs
	-- arrays: 50 ids in each of 200 containers
	SELECT k, audience_agg(k + 1000 * i + 65536 * (i % 200)) FROM generate_series(1, 70) k, generate_series(0, 9999) i GROUP BY k
	-- bitsets: every 3rd id of 8 containers, shifted per row
	UNION ALL SELECT 100 + k, audience_agg(k + 3 * i) FROM generate_series(0, 39) k, generate_series(0, 170000) i GROUP BY k
	-- runs: ranges that overlap, touch and nest
	UNION ALL SELECT 200 + k, audience_from_range(k * 50000, k * 50000 + 70000) | audience_from_range(3000000 + k * 10, 3000000 + k * 10 + 9) FROM generate_series(0, 39) k
	-- full containers
	UNION ALL SELECT 300, audience_from_range(0, 65536 * 4)
	-- small values, not queued
	UNION ALL SELECT 400 + k, audience_agg(k * 1000003 + i) FROM generate_series(0, 99) k, generate_series(0, 20) i GROUP BY k
	-- the edges of the id range
	UNION ALL SELECT 500, '{0,4294967295}'::audience
	UNION ALL SELECT 501, audience_from_range(4294901760, 4294967296);
SELECT count(*) AS inputs, count(*) FILTER (WHERE octet_length(members::bytea) >= 8192) AS queued FROM batch_inputs;

CREATE TABLE batch_expected AS
	SELECT audience_agg(id) AS members FROM batch_inputs, audience_ids(members) id;
SELECT cardinality(members) FROM batch_expected;
SELECT batch_same(audience_union_agg(members), (SELECT members FROM batch_expected)) AS union_all FROM batch_inputs;
SELECT batch_same(audience_union_agg(members ORDER BY k DESC), (SELECT members FROM batch_expected)) AS union_reversed FROM batch_inputs;
SELECT audience_union_count_agg(members) = (SELECT cardinality(members) FROM batch_expected) AS union_count FROM batch_inputs;
-- per kind, and every kind against every other kind on shared containers
SELECT kind, batch_same(u.members, e.members) AS verdict
FROM (SELECT k / 100 AS kind, audience_union_agg(members) AS members FROM batch_inputs GROUP BY 1) u
JOIN (SELECT k / 100 AS kind, audience_agg(id) AS members FROM batch_inputs, audience_ids(members) id GROUP BY 1) e USING (kind)
ORDER BY kind;
SELECT a.kind, b.kind, batch_same(audience_union_agg(i.members),
	audience_union_agg(i.members) FILTER (WHERE i.k / 100 = a.kind) | audience_union_agg(i.members) FILTER (WHERE i.k / 100 = b.kind)) AS verdict
FROM (VALUES (0), (1), (2), (3)) a(kind), (VALUES (0), (1), (2), (3)) b(kind), batch_inputs i
WHERE a.kind < b.kind AND i.k / 100 IN (a.kind, b.kind) GROUP BY a.kind, b.kind ORDER BY 1, 2;
-- in-memory inputs (expressions) mixed with stored ones
SELECT batch_same(audience_union_agg(CASE WHEN k % 2 = 0 THEN members ELSE members | '{7}'::audience END),
	(SELECT members | '{7}' FROM batch_expected)) AS mixed_inputs FROM batch_inputs;
-- many groups (hash aggregation), each with its own queue
SELECT count(*) FILTER (WHERE verdict = 'same') AS same, count(*) AS groups FROM (
	SELECT batch_same(audience_union_agg(members), audience_union_agg(members & members)) AS verdict
	FROM batch_inputs GROUP BY k % 13) s;

-- XOR (audience_xor_agg): queued stored inputs are XOR-ed a container key
-- at a time; the result is the ids in an odd number of inputs, with the
-- same bytes as XOR-ing in-memory inputs (members & members) one at a time.
CREATE TABLE batch_xor_expected AS
	SELECT audience_agg(id) AS members FROM (
		SELECT id FROM batch_inputs, audience_ids(members) id GROUP BY id HAVING count(*) % 2 = 1) s;
SELECT cardinality(members) FROM batch_xor_expected;
SELECT batch_same(audience_xor_agg(members), (SELECT members FROM batch_xor_expected)) AS xor_all FROM batch_inputs;
SELECT batch_same(audience_xor_agg(members ORDER BY k DESC), (SELECT members FROM batch_xor_expected)) AS xor_reversed FROM batch_inputs;
SELECT audience_xor_agg(members)::bytea = audience_xor_agg(members & members)::bytea AS xor_same_bytes FROM batch_inputs;
SELECT k / 100 AS kind, batch_same(audience_xor_agg(members), audience_xor_agg(members & members)) AS verdict,
	audience_xor_agg(members)::bytea = audience_xor_agg(members & members)::bytea AS same_bytes
FROM batch_inputs GROUP BY 1 ORDER BY 1;
-- every input twice, in one batch or in two: every container empties
SELECT cardinality(audience_xor_agg(members ORDER BY k)) AS xor_twice FROM (
	SELECT k, members FROM batch_inputs UNION ALL SELECT k, members FROM batch_inputs) s;
SELECT cardinality(audience_xor_agg(members ORDER BY n, k)) AS xor_twice_apart FROM (
	SELECT 1 AS n, k, members FROM batch_inputs UNION ALL SELECT 2, k, members FROM batch_inputs) s;
-- stored and in-memory inputs alternating (the queue is merged before each in-memory one)
SELECT batch_same(audience_xor_agg(CASE WHEN k % 3 = 0 THEN members & members ELSE members END ORDER BY k),
	(SELECT members FROM batch_xor_expected)) AS xor_mixed_inputs FROM batch_inputs;




-- Many groups: the states of one aggregate context share a memory context
-- (one each made hash aggregation quadratic).  With a small work_mem the
-- hash aggregate spills to disk and starts over with new states.
CREATE TABLE batch_groups AS SELECT g % 20000 AS k, (g::bigint * 7919) % 10000000 AS v FROM generate_series(1, 200000) g;
ANALYZE batch_groups;
SET enable_sort = off;
SET max_parallel_workers_per_gather = 0;
SET work_mem = '64kB';
EXPLAIN (COSTS OFF) SELECT k, audience_agg(v) FROM batch_groups GROUP BY k;
CREATE TABLE batch_group_sets AS SELECT k, audience_agg(v) AS members, count(*) AS n FROM batch_groups GROUP BY k;
RESET work_mem;
RESET max_parallel_workers_per_gather;
RESET enable_sort;
SELECT count(*) AS groups, count(*) FILTER (WHERE cardinality(members) = n) AS sizes_right,
	sum(cardinality(members)) AS ids FROM batch_group_sets;
SELECT count(*) AS groups_equal_to_arrays FROM batch_group_sets s
	JOIN (SELECT k, audience(array_agg(v)) AS members FROM batch_groups GROUP BY k) a USING (k)
	WHERE s.members = a.members;
SELECT batch_same(audience_union_agg(members), (SELECT audience_agg(v) FROM batch_groups)) AS union_of_groups
	FROM batch_group_sets;
DROP TABLE batch_groups, batch_group_sets;
DROP TABLE batch_ids, batch_inputs, batch_expected, batch_xor_expected;
DROP FUNCTION batch_same(audience, audience);
