-- Casts between audience and int4[], int8[] and bytea.
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
