-- The GIN operator class audience_gin_ops: every answer through the index
-- equals the answer of a sequential scan, on random (seeded) audiences with
-- NULLs, empty audiences, ids 0, 2^31-1, 2^31 and 2^32-1, after inserts
-- (pending list), updates, deletes and VACUUM.
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname = 'audience_gin_ops';
SELECT opcdefault FROM pg_opclass WHERE opcname = 'audience_gin_ops' AND opcmethod = (SELECT oid FROM pg_am WHERE amname = 'gin');
CREATE TABLE gin_tags (k int PRIMARY KEY, members audience);
-- 300 tags: samples of 0..4999 at several densities, some with the ids at
-- the edges of the range, some NULL, some empty.
INSERT INTO gin_tags SELECT k, audience_sample(audience_from_range(0, 5000), (k % 7 + 1) / 20.0, k) FROM generate_series(1, 260) k;
INSERT INTO gin_tags SELECT k, audience_sample(audience_from_range(0, 5000), 0.2, k) | audience_sample('{0,2147483647,2147483648,4294967294,4294967295}', 0.5, k) FROM generate_series(261, 280) k;
INSERT INTO gin_tags SELECT k, NULL FROM generate_series(281, 290) k;
INSERT INTO gin_tags SELECT k, '{}' FROM generate_series(291, 300) k;
CREATE INDEX gin_tags_members ON gin_tags USING gin (members);
-- Probes: single ids (edges, out of range, absent) and query audiences.
CREATE TABLE gin_ids AS SELECT g::bigint AS p FROM generate_series(0, 5100, 17) g UNION VALUES (-1), (0), (1), (2147483647), (2147483648), (4294967294), (4294967295), (4294967296);
CREATE TABLE gin_queries AS SELECT q, audience_sample(audience_from_range(0, 5000), 0.001 * q, q + 1000) AS a FROM generate_series(1, 12) q UNION ALL VALUES (13, '{}'::audience), (14, '{4294967295}'), (15, '{0,2147483648}'), (16, '{6000,7000}');
-- The planner uses the index for every operator of the class.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT k FROM gin_tags WHERE members @> 42;
EXPLAIN (COSTS OFF) SELECT k FROM gin_tags WHERE 42 <@ members;
EXPLAIN (COSTS OFF) SELECT k FROM gin_tags WHERE members @> '{1,2}'::audience;
EXPLAIN (COSTS OFF) SELECT k FROM gin_tags WHERE members && '{1,2}'::audience;
EXPLAIN (COSTS OFF) SELECT k FROM gin_tags WHERE members <@ '{1,2}'::audience;
RESET enable_seqscan;
-- The answers of one plan, as one row per probe and operator.
CREATE FUNCTION gin_answers() RETURNS TABLE (op text, probe bigint, ks int[]) LANGUAGE sql AS $$
	SELECT '@> id', p, ARRAY(SELECT k FROM gin_tags WHERE members @> p ORDER BY k) FROM gin_ids
	UNION ALL SELECT '@> a', q, ARRAY(SELECT k FROM gin_tags WHERE members @> a ORDER BY k) FROM gin_queries
	UNION ALL SELECT '&&', q, ARRAY(SELECT k FROM gin_tags WHERE members && a ORDER BY k) FROM gin_queries
	UNION ALL SELECT '<@', q, ARRAY(SELECT k FROM gin_tags WHERE members <@ a ORDER BY k) FROM gin_queries $$;
-- Compare index and scan answers; the number of differing answers must be 0.
CREATE FUNCTION gin_check() RETURNS TABLE (answers bigint, differ bigint, matches bigint) LANGUAGE plpgsql AS $$
BEGIN
	SET LOCAL enable_seqscan = off;
	SET LOCAL enable_indexscan = on;
	SET LOCAL enable_bitmapscan = on;
	CREATE TEMP TABLE by_index AS SELECT * FROM gin_answers();
	SET LOCAL enable_seqscan = on;
	SET LOCAL enable_indexscan = off;
	SET LOCAL enable_bitmapscan = off;
	CREATE TEMP TABLE by_scan AS SELECT * FROM gin_answers();
	RETURN QUERY SELECT count(*), count(*) FILTER (WHERE i.ks IS DISTINCT FROM s.ks), sum(cardinality(s.ks))::bigint
		FROM by_index i JOIN by_scan s USING (op, probe);
	DROP TABLE by_index, by_scan;
END $$;
SELECT * FROM gin_check();
-- Edge ids, through the index.
SET enable_seqscan = off;
SELECT p, ARRAY(SELECT k FROM gin_tags WHERE members @> p ORDER BY k) AS tags FROM gin_ids WHERE p < 0 OR p > 2147483646 ORDER BY p;
SELECT count(*) AS contain_empty FROM gin_tags WHERE members @> '{}'::audience;
SELECT count(*) AS overlap_empty FROM gin_tags WHERE members && '{}'::audience;
SELECT array_agg(k ORDER BY k) AS within_edges FROM gin_tags WHERE members <@ '{0,2147483647,2147483648,4294967294,4294967295}'::audience;
RESET enable_seqscan;
-- Inserts go to the pending list first; updates and deletes; then VACUUM.
INSERT INTO gin_tags SELECT k, audience_sample(audience_from_range(0, 5000), 0.3, k) FROM generate_series(301, 340) k;
INSERT INTO gin_tags VALUES (341, '{4294967295}'), (342, NULL), (343, '{}');
UPDATE gin_tags SET members = members | 4294967295 WHERE k % 10 = 0;
UPDATE gin_tags SET members = members - 1 WHERE k % 3 = 0;
UPDATE gin_tags SET members = NULL WHERE k IN (5, 6);
UPDATE gin_tags SET members = '{}' WHERE k IN (7, 8);
UPDATE gin_tags SET members = '{7}' WHERE k IN (285, 295);
DELETE FROM gin_tags WHERE k % 11 = 0;
SELECT * FROM gin_check();
VACUUM gin_tags;
SELECT * FROM gin_check();
-- Without the pending list, and rebuilt.
ALTER INDEX gin_tags_members SET (fastupdate = off);
UPDATE gin_tags SET members = members | 42 WHERE k % 4 = 0;
SELECT * FROM gin_check();
REINDEX INDEX gin_tags_members;
SELECT * FROM gin_check();
-- Without enable_seqscan = off: a small table of large tags (each value out
-- of line) is looked up through the index, because the operators cost what
-- decoding a stored audience costs.
CREATE TABLE gin_big_tags (tag text, members audience);
INSERT INTO gin_big_tags SELECT 'tag_' || k, audience_sample(audience_from_range(0, 20000), 0.5, k) FROM generate_series(1, 200) k;
CREATE INDEX ON gin_big_tags USING gin (members);
VACUUM ANALYZE gin_big_tags;
EXPLAIN (COSTS OFF) SELECT tag FROM gin_big_tags WHERE members @> 1234;
EXPLAIN (COSTS OFF) SELECT tag FROM gin_big_tags WHERE 1234 <@ members;
EXPLAIN (COSTS OFF) SELECT tag FROM gin_big_tags WHERE members && '{1234,5678}'::audience;
SELECT count(*) = (SELECT count(*) FROM gin_big_tags WHERE audience_contains_any(members, '{1234}')) AS same FROM gin_big_tags WHERE members @> 1234;
DROP TABLE gin_big_tags;
DROP FUNCTION gin_check();
DROP FUNCTION gin_answers();
DROP TABLE gin_tags, gin_ids, gin_queries;
