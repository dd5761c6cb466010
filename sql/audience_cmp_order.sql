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
    UNION ALL SELECT generate_series(131072, 131072 + 4094 + g % 3) WHERE g % 8 = 0
    UNION ALL SELECT generate_series(196608, 262143) WHERE g % 50 = 0) s ORDER BY x)
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
ALTER TABLE ref_aud ADD h int, ADD he bigint;
UPDATE ref_aud SET h = audience_hash_support(a), he = audience_hash_support_extended(a, 7);
SELECT count(*) > 300 AS enough_sets, count(DISTINCT ids) > 250 AS distinct_sets FROM ref_aud;
-- Every pair: the sign of audience_cmp is the sign of the array comparison.
CREATE TEMP TABLE ref_pairs AS
SELECT x.n AS xn, y.n AS yn, sign(audience_cmp(x.a, y.a)) AS c, sign(btarraycmp(x.ids, y.ids)) AS r,
       x.a < y.a AS lt, x.a <= y.a AS le, x.a > y.a AS gt, x.a >= y.a AS ge, x.a = y.a AS eq,
       x.h = y.h AND x.he = y.he AS same_hash
FROM ref_aud x, ref_aud y;
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE c <> r) AS order_mismatches,
       count(*) FILTER (WHERE lt <> (r < 0) OR le <> (r <= 0) OR gt <> (r > 0) OR ge <> (r >= 0)) AS operator_mismatches,
       count(*) FILTER (WHERE eq <> (r = 0)) AS equality_mismatches,
       count(*) FILTER (WHERE r = 0 AND NOT same_hash) AS hash_mismatches,
       count(*) FILTER (WHERE r < 0) > 1000 AND count(*) FILTER (WHERE r > 0) > 1000 AND count(*) FILTER (WHERE r = 0 AND xn <> yn) > 10 AS all_outcomes
FROM ref_pairs;
-- The same with one side decoded from the array in memory (arrays and
-- bitsets, no runs) against the stored form (runs), and the other way round.
SELECT count(*) FILTER (WHERE sign(audience_cmp(x.ids::audience, y.a)) <> sign(btarraycmp(x.ids, y.ids))) AS mixed_mismatches,
       count(*) FILTER (WHERE sign(audience_cmp(x.a, y.ids::audience)) <> sign(btarraycmp(x.ids, y.ids))) AS mixed_mismatches_2
FROM ref_aud x, ref_aud y WHERE x.n % 7 = 0;
-- ORDER BY audience gives the order of ORDER BY the arrays.
SELECT count(*) AS rank_mismatches FROM
    (SELECT n, row_number() OVER (ORDER BY a, n) AS r1 FROM ref_aud) s1
    JOIN (SELECT n, row_number() OVER (ORDER BY ids, n) AS r2 FROM ref_aud) s2 USING (n)
WHERE r1 <> r2;
-- A btree index agrees with the order.
CREATE TEMP TABLE ref_idx AS SELECT n, a FROM ref_aud;
CREATE INDEX ON ref_idx (a);
SET enable_seqscan = off;
CREATE TEMP TABLE ref_rank AS SELECT yn AS n, count(*) FILTER (WHERE r < 0) AS below FROM ref_pairs GROUP BY yn;
SELECT count(*) AS index_mismatches FROM ref_aud r JOIN ref_rank k USING (n)
WHERE (SELECT count(*) FROM ref_idx i WHERE i.a < r.a) <> k.below;
RESET enable_seqscan;
-- Runs against bitsets of the same ids, in memory: equal; one id apart: ordered.
SELECT audience_cmp(audience_from_range(0, 200000), ARRAY(SELECT generate_series(0, 199999))::bigint[]::audience) AS same_ids;
SELECT audience_cmp(audience_from_range(0, 200000), ARRAY(SELECT generate_series(0, 199998))::bigint[]::audience) AS prefix_last,
       audience_cmp(audience_from_range(0, 200000), ARRAY(SELECT g FROM generate_series(0, 199999) g WHERE g <> 100000)::bigint[]::audience) AS hole;
-- Full-range audiences compare in milliseconds now (35 s each in 0.1.0,
-- which did not notice the timeout: these statements failed with it).
SET statement_timeout = '5s';
SELECT audience_from_range(0, 4294967296) > audience_from_range(0, 4294967295) AS full_gt,
       audience_cmp(audience_from_range(0, 4294967296), audience_remove(audience_from_range(0, 4294967296), 2147483648)) AS full_hole,
       audience_from_range(0, 4294967296) = audience_from_range(0, 4294967296) AS full_eq;
SELECT count(*) FROM (SELECT audience_from_range(0, 4294967296 - g) AS a FROM generate_series(0, 3) g ORDER BY 1) s;
RESET statement_timeout;
