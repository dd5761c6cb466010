-- The btree order of audiences, computed a container at a time, must be the
-- order 0.1.0 computed id by id: the sorted id lists compared element by
-- element, a proper prefix first.  That is exactly PostgreSQL's order of the
-- sorted bigint[] arrays, which serves as the reference here.
SET search_path = quanyu, public;
SELECT setseed(0.1603);
-- Sorted, distinct id lists: random ids in a few containers (so pairs
-- share prefixes and keys), the edge ids, dense stretches (bitsets), whole
-- containers (runs) and their variants with one id more, less or moved.
CREATE TEMP TABLE ref_sets (n int, ids bigint[]);
INSERT INTO ref_sets
SELECT g, ARRAY(SELECT DISTINCT x FROM (
    SELECT (floor(random() * 3) * 65536 + floor(random() * (CASE g % 3 WHEN 0 THEN 8 WHEN 1 THEN 30 ELSE 70000 END)))::bigint AS x
    FROM generate_series(1, (g % 7) * 3)
    UNION ALL SELECT 0 WHERE g % 5 = 0
    UNION ALL SELECT 4294967295 WHERE g % 4 = 0
    UNION ALL SELECT 65535 WHERE g % 6 = 0
    UNION ALL SELECT 65536 WHERE g % 9 = 0
    UNION ALL SELECT generate_series(131072, 131072 + 5000 + g % 3) WHERE g % 8 = 0
    UNION ALL SELECT generate_series(196608, 262143) WHERE g % 10 = 0) s ORDER BY x)
FROM generate_series(1, 150) g;
INSERT INTO ref_sets SELECT 1000 + n, ids[1:cardinality(ids) - 1] FROM ref_sets WHERE cardinality(ids) > 0 AND n % 2 = 0;
INSERT INTO ref_sets SELECT 2000 + n, ids[2:] FROM ref_sets WHERE cardinality(ids) > 0 AND n % 3 = 0 AND n < 1000;
INSERT INTO ref_sets SELECT 3000 + n, ARRAY(SELECT DISTINCT x FROM unnest(ids || ids[cardinality(ids)] + 1) x ORDER BY x)
    FROM ref_sets WHERE cardinality(ids) > 0 AND ids[cardinality(ids)] < 4294967295 AND n % 5 = 0 AND n < 1000;
INSERT INTO ref_sets SELECT 4000 + n, ARRAY(SELECT DISTINCT x FROM unnest(ids[1:cardinality(ids) - 1] || ids[cardinality(ids)] + 70000) x ORDER BY x)
    FROM ref_sets WHERE cardinality(ids) > 1 AND ids[cardinality(ids)] < 4294000000 AND n % 4 = 0 AND n < 1000;
INSERT INTO ref_sets VALUES (5000, '{}'), (5001, '{0}'), (5002, '{4294967295}'), (5003, '{0,4294967295}'),
    (5004, ARRAY(SELECT generate_series(0, 65535))), (5005, ARRAY(SELECT generate_series(0, 65536))),
    (5006, ARRAY(SELECT generate_series(1, 65535))), (5007, ARRAY(SELECT generate_series(0, 65534)));
-- Stored (run-optimised on the way to disk) and in-memory forms.
CREATE TEMP TABLE ref_aud AS SELECT n, ids, ids::audience AS a FROM ref_sets;
SELECT count(*) > 300 AS enough_sets, count(DISTINCT ids) > 250 AS distinct_sets FROM ref_aud;
-- Every pair: the sign of audience_cmp is the sign of the array comparison.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE sign(audience_cmp(x.a, y.a)) <> sign(btarraycmp(x.ids, y.ids))) AS order_mismatches,
       count(*) FILTER (WHERE (x.a < y.a) <> (x.ids < y.ids) OR (x.a <= y.a) <> (x.ids <= y.ids)
                           OR (x.a > y.a) <> (x.ids > y.ids) OR (x.a >= y.a) <> (x.ids >= y.ids)) AS operator_mismatches,
       count(*) FILTER (WHERE (x.a = y.a) <> (x.ids = y.ids) OR (audience_cmp(x.a, y.a) = 0) <> (x.ids = y.ids)) AS equality_mismatches,
       count(*) FILTER (WHERE x.ids = y.ids AND (audience_hash_support(x.a) <> audience_hash_support(y.a)
                           OR audience_hash_support_extended(x.a, 7) <> audience_hash_support_extended(y.a, 7))) AS hash_mismatches
FROM ref_aud x, ref_aud y;
-- The same with one side decoded from the array in memory (arrays and
-- bitsets, no runs) against the stored form (runs), and the other way round.
SELECT count(*) FILTER (WHERE sign(audience_cmp(x.ids::audience, y.a)) <> sign(btarraycmp(x.ids, y.ids))) AS mixed_mismatches,
       count(*) FILTER (WHERE sign(audience_cmp(x.a, y.ids::audience)) <> sign(btarraycmp(x.ids, y.ids))) AS mixed_mismatches_2
FROM ref_aud x, ref_aud y WHERE x.n % 3 = 0;
-- ORDER BY audience gives the order of ORDER BY the arrays.
SELECT count(*) AS rank_mismatches FROM
    (SELECT n, row_number() OVER (ORDER BY a, n) AS r1, row_number() OVER (ORDER BY ids, n) AS r2 FROM ref_aud) s
WHERE r1 <> r2;
-- A btree index agrees with the order.
CREATE TEMP TABLE ref_idx AS SELECT n, a FROM ref_aud;
CREATE INDEX ON ref_idx (a);
SET enable_seqscan = off;
SELECT count(*) AS index_mismatches FROM ref_aud r
WHERE (SELECT count(*) FROM ref_idx i WHERE i.a < r.a) <> (SELECT count(*) FROM ref_aud s WHERE s.ids < r.ids);
RESET enable_seqscan;
-- Runs against bitsets of the same ids, in memory: equal; one id apart: ordered.
SELECT audience_cmp(audience_from_range(0, 200000), ARRAY(SELECT generate_series(0, 199999))::bigint[]::audience) AS same_ids;
SELECT audience_cmp(audience_from_range(0, 200000), ARRAY(SELECT generate_series(0, 199998))::bigint[]::audience) AS prefix_last,
       audience_cmp(audience_from_range(0, 200000), ARRAY(SELECT g FROM generate_series(0, 199999) g WHERE g <> 100000)::bigint[]::audience) AS hole;
-- Full-range audiences compare in milliseconds now (35 s in 0.1.0, which
-- did not notice the timeout: this statement failed with it).
SET statement_timeout = '1s';
SELECT audience_from_range(0, 4294967296) > audience_from_range(0, 4294967295) AS full_gt,
       audience_cmp(audience_from_range(0, 4294967296), audience_remove(audience_from_range(0, 4294967296), 2147483648)) AS full_hole,
       audience_from_range(0, 4294967296) = audience_from_range(0, 4294967296) AS full_eq;
SELECT count(*) FROM (SELECT audience_from_range(0, 4294967296 - g) AS a FROM generate_series(0, 3) g ORDER BY 1) s;
RESET statement_timeout;
