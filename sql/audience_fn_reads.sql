-- Reads of stored audiences: the per-call-site cache of decoded values and
-- the membership probe on flat bytes must always give the answer of a full
-- decode (audience_ids streams without either).
CREATE TABLE audience_fn_reads_t (k int, members audience);
-- rows 1-6: large values stored out of line (TOAST), all with the same flat
-- size, so a cache keyed on size alone would mix them up
INSERT INTO audience_fn_reads_t SELECT k, audience_agg(g) FROM generate_series(1, 6) k, generate_series(0, 299999) g WHERE g % (k + 1) = 0 GROUP BY k;
INSERT INTO audience_fn_reads_t SELECT 7, audience_agg(g * 2) FROM generate_series(0, 200000) g;
UPDATE audience_fn_reads_t SET members = (members - 1::bigint) | 3::bigint WHERE k = 7;
-- rows 8-10: small values stored inline, one with run containers and no offset table
INSERT INTO audience_fn_reads_t VALUES (8, '{1,3,5,4294967295}'), (9, audience_from_range(0, 100) | audience_from_range(70000, 70010)), (10, '{}');
SELECT k, cardinality(members), audience_min(members), audience_max(members), pg_column_size(members) AS stored_bytes FROM audience_fn_reads_t ORDER BY k;
CREATE TABLE audience_fn_reads_ids (id bigint);
INSERT INTO audience_fn_reads_ids SELECT unnest(ARRAY[0, 1, 2, 3, 4, 5, 6, 7, 99, 100, 999, 1000, 1001, 1002, 70000, 70009, 70010, 65535, 65536, 131072, 299999, 300000, 4294967295]) UNION ALL SELECT g * 797 FROM generate_series(1, 400) g;
-- the expected answers, from the streamed ids (no cache, no probe)
CREATE TABLE audience_fn_reads_x AS SELECT k, audience_ids(members) AS id FROM audience_fn_reads_t;
CREATE INDEX ON audience_fn_reads_x (k, id);
ANALYZE audience_fn_reads_x;
-- one call site sees the rows one after another, each many times (nested loop)
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT count(*) AS pairs, count(*) FILTER (WHERE t.members @> i.id) AS hits, bool_and((t.members @> i.id) = EXISTS (SELECT 1 FROM audience_fn_reads_x x WHERE x.k = t.k AND x.id = i.id)) AS contains_ok, bool_and((i.id <@ t.members) = (t.members @> i.id)) AS contained_ok FROM audience_fn_reads_t t, audience_fn_reads_ids i;
SELECT k, count(*) FILTER (WHERE t.members @> i.id) AS hits FROM audience_fn_reads_t t, audience_fn_reads_ids i GROUP BY k ORDER BY k;
-- and in the other loop order: the value changes on every call
SELECT count(*) FILTER (WHERE t.members @> i.id) AS hits FROM audience_fn_reads_ids i, LATERAL (SELECT members FROM audience_fn_reads_t OFFSET 0) t;
-- two stored arguments at once, every pair of rows
SELECT bool_and(audience_and_count(a.members, b.members) = (SELECT count(*) FROM audience_fn_reads_x x JOIN audience_fn_reads_x y ON x.id = y.id WHERE x.k = a.k AND y.k = b.k)) AS and_count_ok FROM audience_fn_reads_t a, audience_fn_reads_t b WHERE a.k IN (1, 2, 7, 8, 9) AND b.k IN (2, 3, 7, 9, 10);
RESET enable_mergejoin;
RESET enable_hashjoin;
-- a value in memory (detoasted by a subquery) is probed without decoding
SELECT count(*) FILTER (WHERE (SELECT members & members FROM audience_fn_reads_t WHERE k = 2) @> i.id) AS hits FROM audience_fn_reads_ids i;
-- a PL/pgSQL variable holding a flat value that changes between calls of one
-- cached expression: same size, possibly the same address, different ids
CREATE FUNCTION audience_fn_reads_loop() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	a audience := (SELECT members FROM audience_fn_reads_t WHERE k = 1);
	result text := '';
BEGIN
	FOR i IN 1 .. 4 LOOP
		result := result || (a @> 200000)::text || '/' || audience_contains_any(a, '{200000}')::text || '/' || audience_rank(a, 200000)::text || ' ';
		-- odd i: swap 200000 for 200001; even i: swap back.  The subquery
		-- returns the result flattened, as a stored value would be.
		a := (SELECT (a - (200001 - i % 2)::bigint) | (200000 + i % 2)::bigint);
	END LOOP;
	RETURN result;
END $$;
SELECT audience_fn_reads_loop();
DROP FUNCTION audience_fn_reads_loop();
-- updated rows are read anew within one transaction
BEGIN;
UPDATE audience_fn_reads_t SET members = members - 0::bigint WHERE k = 2;
SELECT k, members @> 0 AS has_0, cardinality(members) FROM audience_fn_reads_t WHERE k IN (2, 3) ORDER BY k;
UPDATE audience_fn_reads_t SET members = members | 0::bigint WHERE k = 2;
SELECT k, members @> 0 AS has_0, cardinality(members) FROM audience_fn_reads_t WHERE k IN (2, 3) ORDER BY k;
COMMIT;
DROP TABLE audience_fn_reads_x;
DROP TABLE audience_fn_reads_ids;
DROP TABLE audience_fn_reads_t;
