-- Casts between audience and int2[], int4[], int8[] and bytea.
SELECT ARRAY[3,1,2,3]::audience;
SELECT ARRAY[]::int[]::audience;
SELECT ARRAY[0, 4294967295]::bigint[]::audience;
SELECT ARRAY[[1,2],[3,4]]::audience;
SELECT '{1,2,3}'::audience::int[];
SELECT '{}'::audience::int[];
SELECT '{0,4294967295}'::audience::bigint[];
SELECT '{2147483647}'::audience::int[];
-- errors
SELECT ARRAY[1, NULL]::audience;
SELECT ARRAY[-1]::audience;
SELECT ARRAY[4294967296]::bigint[]::audience;
SELECT '{2147483648}'::audience::int[];
-- int2[]: psycopg 3 sends a Python list of small ints as smallint[]
SELECT '{3,1,2}'::int2[]::audience;
SELECT audience('{3,1,2}'::int2[]);
SELECT audience(ARRAY[0, 32767]::smallint[]), audience(ARRAY[]::smallint[]);
SELECT audience(ARRAY[[1,2],[3,4]]::smallint[]);
SELECT audience(ARRAY[-1]::smallint[]);
SELECT audience(ARRAY[1, NULL]::smallint[]);
SELECT ARRAY[-32768]::smallint[]::audience;
SELECT (SELECT array_agg((g % 30000)::int2) FROM generate_series(1, 100000) g)::audience = audience_from_range(0, 30000);
-- the smallint[] overload leaves the other calls unambiguous: an int array
-- picks audience(integer[]), an untyped literal or NULL is the type's input
SELECT audience(ARRAY[1,2]), audience(ARRAY[1,2]::bigint[]), audience(ARRAY[4294967295]);
SELECT audience('{1,2}'), audience('{1-3}'), audience(NULL) IS NULL AS null_is_null;
SELECT audience($$\x3b3000000100000200010001000200$$::bytea);
SELECT p.oid::regprocedure FROM pg_proc p
WHERE p.oid = to_regprocedure('quanyu.audience(smallint[])')
	AND (SELECT castfunc FROM pg_cast WHERE castsource = 'smallint[]'::regtype AND casttarget = 'quanyu.audience'::regtype) = p.oid;
-- bytea: the plain CRoaring portable format, as pg_roaringbitmap and Java/Go RoaringBitmap write it
SELECT '{1,2,3}'::audience::bytea;
SELECT '{}'::audience::bytea;
SELECT '\x3a300000010000000000020010000000010002000300'::bytea::audience;
SELECT '\x3b3000000100000200010001000200'::bytea::audience;
SELECT ('{1-70000}'::audience::bytea)::audience = '{1-70000}'::audience;
SELECT (audience_agg(g * 2)::bytea)::audience = audience_agg(g * 2) FROM generate_series(0, 100000) g;
SELECT '\x'::bytea::audience;
SELECT '\x3a30'::bytea::audience;
-- binary COPY round trip (send/recv)
CREATE TABLE aud_copy (k int, a audience);
INSERT INTO aud_copy VALUES (1, '{}'), (2, '{0,4294967295}'), (3, '{1-100000}');
INSERT INTO aud_copy SELECT 4, audience_agg(g * 7) FROM generate_series(0, 50000) g;
\copy aud_copy TO 'results/audience_copy.bin' WITH (FORMAT binary)
CREATE TABLE aud_copy2 (LIKE aud_copy);
\copy aud_copy2 FROM 'results/audience_copy.bin' WITH (FORMAT binary)
SELECT k, x.a = y.a AS same, cardinality(y.a) FROM aud_copy x JOIN aud_copy2 y USING (k) ORDER BY k;
DROP TABLE aud_copy, aud_copy2;
