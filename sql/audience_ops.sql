-- Operators on audiences: set algebra, membership, comparison, hashing.
SELECT '{1,2,3,4}'::audience & '{3,4,5}'::audience;
SELECT '{1,2,3,4}'::audience | '{3,4,5}'::audience;
SELECT '{1,2,3,4}'::audience - '{3,4,5}'::audience;
SELECT '{1,2,3,4}'::audience # '{3,4,5}'::audience;
SELECT '{}'::audience & '{1}'::audience;
SELECT '{}'::audience | '{}'::audience;
SELECT '{0,4294967295}'::audience | '{1}'::audience;
SELECT cardinality('{1-100000}'::audience & '{50001-150000}'::audience);
SELECT cardinality('{1-100000}'::audience # '{50001-150000}'::audience);
-- one id
SELECT '{1,2}'::audience | 7;
SELECT '{1,2}'::audience | 4294967295;
SELECT '{1,2}'::audience - 1;
SELECT '{1,2}'::audience - 9;
SELECT '{1,2}'::audience | -1;
SELECT '{1,2}'::audience | 4294967296;
SELECT '{1,2}'::audience - -1;
-- membership
SELECT '{1,2,3}'::audience @> 2, '{1,2,3}'::audience @> 4, 3 <@ '{1,2,3}'::audience;
SELECT '{1,2,3}'::audience @> 0, '{}'::audience @> 0, '{4294967295}'::audience @> 4294967295;
SELECT '{1,2,3}'::audience @> -5, '{1,2,3}'::audience @> 99999999999;
SELECT '{1,2,3}'::audience @> '{1,3}'::audience, '{1,3}'::audience <@ '{1,2,3}'::audience;
SELECT '{1,2,3}'::audience @> '{1,4}'::audience, '{}'::audience <@ '{1}'::audience;
SELECT '{1,2}'::audience && '{2,3}'::audience, '{1,2}'::audience && '{3}'::audience, '{}'::audience && '{}'::audience;
-- equality does not depend on the encoding (run vs array containers)
SELECT '{1-10}'::audience = '{1,2,3,4,5,6,7,8,9,10}'::audience;
SELECT '{1-10}'::audience = '{1-9}'::audience, '{1-10}'::audience <> '{1-9}'::audience;
SELECT '{}'::audience = '{}'::audience;
SELECT '\x3a300000010000000000020010000000010002000300'::audience = '\x3b3000000100000200010001000200'::audience;
-- btree order: element by element, a prefix first
SELECT '{}'::audience < '{0}'::audience, '{1,2}'::audience < '{1,2,3}'::audience, '{1,3}'::audience > '{1,2,9}'::audience;
SELECT audience_cmp('{5}', '{5}'), audience_cmp('{4}', '{5}'), audience_cmp('{6}', '{5,6}');
SELECT '{2}'::audience <= '{2}'::audience, '{2}'::audience >= '{3}'::audience;
-- grouping, DISTINCT, ORDER BY, hash join and unique index on audience columns
CREATE TABLE aud_ops (k int, a audience);
INSERT INTO aud_ops VALUES (1, '{1,2,3}'), (2, '{1-3}'), (3, '{}'), (4, '{7}'), (5, '{1,2}'), (6, '\x3b3000000100000200010001000200');
SELECT a, count(*) FROM aud_ops GROUP BY a ORDER BY a;
SELECT DISTINCT a FROM aud_ops ORDER BY a DESC;
SET enable_sort = off;
SELECT a, count(*) FROM aud_ops GROUP BY a ORDER BY 2 DESC, 1;
RESET enable_sort;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT x.k, y.k FROM aud_ops x JOIN aud_ops y ON x.a = y.a;
SELECT x.k, y.k FROM aud_ops x JOIN aud_ops y ON x.a = y.a WHERE x.k < y.k ORDER BY 1, 2;
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT audience_hash_support('{1-3}') = audience_hash_support('{1,2,3}');
SELECT audience_hash_support_extended('{1-3}', 7) = audience_hash_support_extended('{1,2,3}', 7);
SELECT audience_hash_support_extended('{1-3}', 7) <> audience_hash_support_extended('{1-3}', 8);
CREATE UNIQUE INDEX aud_ops_a ON aud_ops (a);
CREATE TABLE aud_hash (a audience);
CREATE INDEX aud_hash_idx ON aud_hash USING hash (a);
INSERT INTO aud_hash SELECT audience(ARRAY[g, g + 1]) FROM generate_series(1, 1000) g;
SET enable_seqscan = off;
SELECT count(*) FROM aud_hash WHERE a = '{500,501}';
RESET enable_seqscan;
DROP TABLE aud_ops, aud_hash;
-- cardinality reads the header; also works on a value stored out of line
CREATE TABLE aud_big (a audience);
INSERT INTO aud_big SELECT audience_agg(g * 3) FROM generate_series(0, 999999) g;
SELECT cardinality(a), audience_cardinality(a), a @> 2999997, a @> 2999998 FROM aud_big;
SELECT pg_column_size(a) > 8000 AS stored_out_of_line FROM aud_big;
DROP TABLE aud_big;
SELECT cardinality(NULL::audience);
