-- Counts and containment of two stored audiences, read from their bytes
-- (container by container, every pair of container kinds), agree with the
-- same counts on the decoded sets (quanyu.audience_count_from_bytes = off).
CREATE TABLE audience_count_bytes_t (k int, a audience);
-- keys 0-8: arrays, bitsets and runs in turn, shifted by k; key 9: a full run for even k
INSERT INTO audience_count_bytes_t SELECT k, audience_agg(id) FROM (SELECT k, key * 65536 + (g * (37 + k)) % 65536 AS id FROM generate_series(0, 5) k, generate_series(0, 8) key, generate_series(1, 300) g WHERE (key + k) % 3 = 0 UNION ALL SELECT k, key * 65536 + (g * (7 + 2 * k)) % 65536 FROM generate_series(0, 5) k, generate_series(0, 8) key, generate_series(1, 20000) g WHERE (key + k) % 3 = 1 UNION ALL SELECT k, key * 65536 + r * 1500 + k * 13 + x FROM generate_series(0, 5) k, generate_series(0, 8) key, generate_series(0, 40) r, generate_series(0, 400 + k * 70) x WHERE (key + k) % 3 = 2 UNION ALL SELECT k, 9 * 65536 + g FROM generate_series(0, 5) k, generate_series(0, 65535) g WHERE k % 2 = 0) s GROUP BY k;
-- subsets and a superset of others, an empty one, one far away, and small in-line ones
INSERT INTO audience_count_bytes_t SELECT 10, x.a & y.a FROM audience_count_bytes_t x, audience_count_bytes_t y WHERE x.k = 0 AND y.k = 3;
INSERT INTO audience_count_bytes_t SELECT 11, audience_union_agg(a) FROM audience_count_bytes_t WHERE k < 6;
INSERT INTO audience_count_bytes_t SELECT 12, a - '{0-65535}'::audience FROM audience_count_bytes_t WHERE k = 0;
INSERT INTO audience_count_bytes_t VALUES (13, '{}'), (14, '{4294967295}'), (15, '{0,1,2,196608,196609}'), (16, '{0-3,131072-131200}');
SELECT sum(array_containers) > 0 AS arrays, sum(bitset_containers) > 0 AS bitsets, sum(run_containers) > 0 AS runs FROM audience_count_bytes_t, audience_stats(a);
CREATE TABLE audience_count_bytes_r AS SELECT x.k AS x, y.k AS y, audience_and_count(x.a, y.a) AS and_n, audience_or_count(x.a, y.a) AS or_n, audience_andnot_count(x.a, y.a) AS andnot_n, audience_xor_count(x.a, y.a) AS xor_n, x.a @> y.a AS contains, x.a <@ y.a AS contained, audience_jaccard(x.a, y.a) AS jaccard FROM audience_count_bytes_t x, audience_count_bytes_t y;
SET quanyu.audience_count_from_bytes = off;
SELECT count(*) AS pairs, count(*) FILTER (WHERE r.and_n <> audience_and_count(x.a, y.a)) AS and_wrong, count(*) FILTER (WHERE r.or_n <> audience_or_count(x.a, y.a)) AS or_wrong, count(*) FILTER (WHERE r.andnot_n <> audience_andnot_count(x.a, y.a)) AS andnot_wrong, count(*) FILTER (WHERE r.xor_n <> audience_xor_count(x.a, y.a)) AS xor_wrong, count(*) FILTER (WHERE r.contains <> (x.a @> y.a)) AS contains_wrong, count(*) FILTER (WHERE r.contained <> (x.a <@ y.a)) AS contained_wrong, count(*) FILTER (WHERE r.jaccard <> audience_jaccard(x.a, y.a)) AS jaccard_wrong FROM audience_count_bytes_r r JOIN audience_count_bytes_t x ON x.k = r.x JOIN audience_count_bytes_t y ON y.k = r.y;
RESET quanyu.audience_count_from_bytes;
-- and with the built results
SELECT count(*) FILTER (WHERE r.and_n <> cardinality(x.a & y.a)) AS and_wrong, count(*) FILTER (WHERE r.xor_n <> cardinality(x.a # y.a)) AS xor_wrong, count(*) FILTER (WHERE r.contains <> ((x.a & y.a) = y.a)) AS contains_wrong FROM audience_count_bytes_r r JOIN audience_count_bytes_t x ON x.k = r.x JOIN audience_count_bytes_t y ON y.k = r.y;
SELECT count(*) FILTER (WHERE contains) AS containing_pairs, count(*) FILTER (WHERE and_n = 0) AS disjoint_pairs FROM audience_count_bytes_r;
-- a decoded (expanded) argument takes CRoaring's path, with the same answer
SELECT bool_and(audience_and_count(x.a | '{}'::audience, y.a) = r.and_n) AS expanded_and, bool_and((x.a | '{}'::audience) @> y.a = r.contains) AS expanded_contains FROM audience_count_bytes_r r JOIN audience_count_bytes_t x ON x.k = r.x JOIN audience_count_bytes_t y ON y.k = r.y;
-- an audience with itself
SELECT audience_and_count(a, a) = cardinality(a) AS self_and, a @> a AS self_contains, audience_xor_count(a, a) AS self_xor FROM audience_count_bytes_t WHERE k = 0;
-- audience_intersect_agg: only containers the state still has are decoded; once empty, inputs are not read;
-- the stored bytes (::bytea) are those the decoding path (inputs made expanded by | '{}') gives
SELECT count(*) AS pairs, count(*) FILTER (WHERE (SELECT audience_intersect_agg(t.a ORDER BY t.k) FROM audience_count_bytes_t t WHERE t.k IN (x.k, y.k)) <> x.a & y.a) AS wrong FROM audience_count_bytes_t x, audience_count_bytes_t y WHERE x.k < y.k;
SELECT count(*) AS triples, count(*) FILTER (WHERE (SELECT audience_intersect_agg(t.a ORDER BY t.k) FROM audience_count_bytes_t t WHERE t.k IN (x.k, y.k, z.k)) <> x.a & y.a & z.a) AS wrong, count(*) FILTER (WHERE (SELECT audience_intersect_agg(t.a ORDER BY t.k) FROM audience_count_bytes_t t WHERE t.k IN (x.k, y.k, z.k))::bytea <> (SELECT audience_intersect_agg(t.a | '{}'::audience ORDER BY t.k) FROM audience_count_bytes_t t WHERE t.k IN (x.k, y.k, z.k))::bytea) AS bytes_differ FROM audience_count_bytes_t x, audience_count_bytes_t y, audience_count_bytes_t z WHERE x.k < y.k AND y.k < z.k;
SELECT audience_intersect_agg(a ORDER BY k) FROM audience_count_bytes_t WHERE k IN (13, 0, 1);
SELECT audience_intersect_agg(a ORDER BY k) FROM audience_count_bytes_t WHERE k IN (15, 16);
-- audience_xor_agg XORs stored inputs in place from their bytes (containers that empty are dropped);
-- the stored bytes (::bytea) are those the decoding path (inputs made expanded by | '{}') gives
SELECT count(*) AS triples, count(*) FILTER (WHERE (SELECT audience_xor_agg(t.a ORDER BY t.k) FROM audience_count_bytes_t t WHERE t.k IN (x.k, y.k, z.k)) <> x.a # y.a # z.a) AS wrong, count(*) FILTER (WHERE (SELECT audience_xor_agg(t.a ORDER BY t.k) FROM audience_count_bytes_t t WHERE t.k IN (x.k, y.k, z.k))::bytea <> (SELECT audience_xor_agg(t.a | '{}'::audience ORDER BY t.k) FROM audience_count_bytes_t t WHERE t.k IN (x.k, y.k, z.k))::bytea) AS bytes_differ FROM audience_count_bytes_t x, audience_count_bytes_t y, audience_count_bytes_t z WHERE x.k < y.k AND y.k < z.k;
SELECT audience_xor_agg(a) = (SELECT a FROM audience_count_bytes_t WHERE k = 1) AS x_y_x_is_y FROM (SELECT a FROM audience_count_bytes_t WHERE k = 0 UNION ALL SELECT a FROM audience_count_bytes_t WHERE k = 1 UNION ALL SELECT a FROM audience_count_bytes_t WHERE k = 0) s;
SELECT cardinality(audience_xor_agg(a)) AS x_x_empty, audience_stats(audience_xor_agg(a)) FROM (SELECT a FROM audience_count_bytes_t WHERE k = 11 UNION ALL SELECT a FROM audience_count_bytes_t WHERE k = 11) s;
SELECT audience_xor_agg(a ORDER BY k)::bytea = (SELECT audience_xor_agg(a | '{}'::audience ORDER BY k) FROM audience_count_bytes_t)::bytea AS same_bytes_as_decoded FROM audience_count_bytes_t;
DROP TABLE audience_count_bytes_r, audience_count_bytes_t;
