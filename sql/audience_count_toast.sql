-- Counts and containment of stored audiences read in place from their TOAST
-- chunks (audience_toast_read.c) agree with the same counts on the decoded
-- sets (quanyu.audience_count_from_bytes = off): containers and tables that
-- straddle chunk boundaries, a run container whose 2-byte count straddles
-- one, containers skipped far ahead (a new index scan), uncompressed values
-- in TOAST (read in place), compressed ones (fetched whole) and in-line ones.
CREATE FUNCTION audience_count_toast_check(t1 regclass, t2 regclass)
RETURNS TABLE (pairs bigint, and_wrong bigint, or_wrong bigint, andnot_wrong bigint, xor_wrong bigint,
			   contains_wrong bigint, contained_wrong bigint)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('CREATE TEMP TABLE audience_count_toast_r ON COMMIT DROP AS
		SELECT x.k AS x, y.k AS y, audience_and_count(x.a, y.a) AS and_n, audience_or_count(x.a, y.a) AS or_n,
			audience_andnot_count(x.a, y.a) AS andnot_n, audience_xor_count(x.a, y.a) AS xor_n,
			x.a @> y.a AS contains, x.a <@ y.a AS contained
		FROM %s x, %s y', t1, t2);
	SET LOCAL quanyu.audience_count_from_bytes = off;
	RETURN QUERY EXECUTE format('SELECT count(*),
		count(*) FILTER (WHERE r.and_n <> audience_and_count(x.a, y.a)),
		count(*) FILTER (WHERE r.or_n <> audience_or_count(x.a, y.a)),
		count(*) FILTER (WHERE r.andnot_n <> audience_andnot_count(x.a, y.a)),
		count(*) FILTER (WHERE r.xor_n <> audience_xor_count(x.a, y.a)),
		count(*) FILTER (WHERE r.contains <> (x.a @> y.a)),
		count(*) FILTER (WHERE r.contained <> (x.a <@ y.a))
		FROM audience_count_toast_r r JOIN %s x ON x.k = r.x JOIN %s y ON y.k = r.y', t1, t2, t1, t2);
END $$;

CREATE TABLE audience_count_toast_t (k int, a audience);
-- 1-40: 12 keys of arrays, runs and bitsets of varying sizes (some keys
-- missing), so that container boundaries fall anywhere in the 1996-byte chunks
INSERT INTO audience_count_toast_t SELECT k, audience_agg(id) FROM (
	SELECT k, key * 65536 + (g * (2 * k + 1) * 37 + key) % 65536 AS id
	FROM generate_series(1, 40) k, generate_series(0, 11) key, generate_series(1, 700) g
	WHERE (k + key) % 3 = 0 AND (k * key) % 5 <> 1 AND g <= 1 + (k * 131 + key * 71) % 700
	UNION ALL
	SELECT k, key * 65536 + r * 1500 + (k * 13) % 500 + x
	FROM generate_series(1, 40) k, generate_series(0, 11) key, generate_series(0, 40) r, generate_series(0, 300) x
	WHERE (k + key) % 3 = 1 AND (k * key) % 5 <> 1 AND r <= (k * 7 + key) % 40 AND x <= (k * key) % 300 + 1
	UNION ALL
	SELECT k, key * 65536 + (g * (2 * k + 3)) % 65536
	FROM generate_series(1, 40) k, generate_series(0, 11) key, generate_series(1, 7100) g
	WHERE (k + key) % 3 = 2 AND (k * key) % 5 <> 1 AND g <= 4100 + (k * 97) % 3000) s
GROUP BY k;
-- 41: bitsets in keys 0-29; 42: small arrays in keys 0 and 29 only (reading
-- 41's key 29 after key 0 skips ~100 chunks); 43 = 41 minus some ids
INSERT INTO audience_count_toast_t SELECT 41, audience_agg(key * 65536 + g * 3) FROM generate_series(0, 29) key, generate_series(0, 9999) g;
INSERT INTO audience_count_toast_t SELECT 42, audience_agg(key * 65536 + g * 6) FROM generate_series(0, 29, 29) key, generate_series(0, 199) g;
INSERT INTO audience_count_toast_t SELECT 43, a - audience_from_range(29 * 65536, 29 * 65536 + 100) FROM audience_count_toast_t WHERE k = 41;
-- 44, 45: 3000 containers of one or two ids (the key and offset tables span
-- a dozen chunks)
INSERT INTO audience_count_toast_t SELECT 44, audience_agg(key::bigint * 65536 + key % 7) FROM generate_series(0, 2999) key;
INSERT INTO audience_count_toast_t SELECT 45, audience_agg(key::bigint * 65536 + x) FROM generate_series(0, 2999, 2) key, generate_series(0, 3) x WHERE x % 2 = 0;
-- 46: two containers, no offset table: an array of 981 ids puts the run
-- container's 2-byte run count at bytes 1995-1996 of the value, across the
-- first chunk boundary (20-byte header, 13-byte tables, 1962-byte array)
INSERT INTO audience_count_toast_t SELECT 46, audience_agg(id) FROM (
	SELECT g * 2 AS id FROM generate_series(0, 980) g
	UNION ALL SELECT 65536 + r * 20 + x FROM generate_series(0, 199) r, generate_series(0, 9) x) s;
-- 47: 46 with one id less in its run container
INSERT INTO audience_count_toast_t SELECT 47, a - '{65536}'::audience FROM audience_count_toast_t WHERE k = 46;
-- 48-50: small values, stored in line
INSERT INTO audience_count_toast_t VALUES (48, '{}'), (49, '{0,2,4,65536}'), (50, '{65536-65600}');
SELECT (audience_stats(a)).array_containers AS arrays, (audience_stats(a)).run_containers AS runs, pg_column_size(a) AS stored
FROM audience_count_toast_t WHERE k = 46;
SELECT sum(array_containers) > 0 AS arrays, sum(bitset_containers) > 0 AS bitsets, sum(run_containers) > 0 AS runs,
	count(*) FILTER (WHERE pg_column_size(a) > 2000) AS in_toast, count(*) FILTER (WHERE pg_column_size(a) < 100) AS in_line
FROM audience_count_toast_t, audience_stats(a);

-- every pair read in place (and, for the side a call site meets again, fetched whole)
SELECT * FROM audience_count_toast_check('audience_count_toast_t', 'audience_count_toast_t');

-- the same values compressed in TOAST (fetched whole, never read in place), against the uncompressed ones
CREATE TABLE audience_count_toast_z (k int, a audience);
ALTER TABLE audience_count_toast_z ALTER COLUMN a SET STORAGE extended;
INSERT INTO audience_count_toast_z SELECT k, a FROM audience_count_toast_t;
SELECT count(*) FILTER (WHERE pg_column_compression(a) IS NOT NULL AND pg_column_size(a) > 2000) > 0 AS compressed_in_toast
FROM audience_count_toast_z;
SELECT * FROM audience_count_toast_check('audience_count_toast_z', 'audience_count_toast_t');
SELECT * FROM audience_count_toast_check('audience_count_toast_t', 'audience_count_toast_z');

-- the same value on both sides, read in place twice at once
SELECT audience_and_count(a, a) = cardinality(a) AS self_and, a @> a AS self_contains, audience_xor_count(a, a) AS self_xor
FROM audience_count_toast_t WHERE k = 41;

DROP TABLE audience_count_toast_t, audience_count_toast_z;
DROP FUNCTION audience_count_toast_check(regclass, regclass);
