-- Aggregates: audience_agg, audience_union_agg, audience_intersect_agg.
SELECT audience_agg(g) FROM generate_series(1, 10) g;
SELECT audience_agg(g::int) FROM generate_series(1, 10) g;
SELECT audience_agg(g) FROM generate_series(1, 10) g WHERE false;
SELECT audience_agg(v) FROM (VALUES (1), (NULL), (3)) t(v);
SELECT audience_agg(v) FROM (VALUES (NULL::bigint)) t(v);
SELECT audience_agg(v) FROM (VALUES (0::bigint), (4294967295)) t(v);
SELECT audience_agg(v) FROM (VALUES (1::bigint), (-1)) t(v);
SELECT audience_agg(v) FROM (VALUES (1::bigint), (4294967296)) t(v);
SELECT cardinality(audience_agg(g % 1000)) FROM generate_series(1, 100000) g;
SELECT k, audience_agg(g) FROM generate_series(1, 9) g, LATERAL (SELECT g % 3 AS k) s GROUP BY k ORDER BY k;
-- union and intersection
SELECT audience_union_agg(a) FROM (VALUES ('{1,2}'::audience), ('{2,3}'), (NULL), ('{9}')) t(a);
SELECT audience_union_agg(a) FROM (VALUES (NULL::audience)) t(a);
SELECT audience_union_agg(a) FROM (VALUES ('{1}'::audience)) t(a) WHERE false;
SELECT audience_intersect_agg(a) FROM (VALUES ('{1,2,3}'::audience), ('{2,3,4}'), (NULL), ('{3,2,9}')) t(a);
SELECT audience_intersect_agg(a) FROM (VALUES ('{1,2,3}'::audience), ('{}')) t(a);
SELECT audience_intersect_agg(a) FROM (VALUES ('{1}'::audience)) t(a) WHERE false;
SELECT cardinality(audience_union_agg(audience_from)) FROM (SELECT audience_agg(g) AS audience_from FROM generate_series(1, 200000) g GROUP BY g % 7) s;
-- window use: the final function may run more than once on one state
SELECT g, audience_agg(g) OVER (ORDER BY g) FROM generate_series(1, 4) g;
-- a transition function outside an aggregate is an error, not a crash
SELECT audience_agg_trans(NULL, 1);
-- parallel plans: partial aggregates combined in the leader give the same answer
CREATE TABLE aud_par AS SELECT g AS id, g % 10 AS k FROM generate_series(1, 300000) g;
ANALYZE aud_par;
CREATE TABLE aud_par_sets AS SELECT k, audience_agg(id) AS members FROM aud_par GROUP BY k;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT audience_agg(id) FROM aud_par;
SELECT cardinality(audience_agg(id)), audience_agg(id) = (SELECT audience_agg(g) FROM generate_series(1, 300000) g) FROM aud_par;
EXPLAIN (COSTS OFF) SELECT audience_union_agg(members) FROM aud_par_sets;
SELECT cardinality(audience_union_agg(members)) FROM aud_par_sets;
SELECT cardinality(audience_intersect_agg(members)) FROM aud_par_sets;
SELECT audience_intersect_agg(members | '{1,2}'::audience) FROM aud_par_sets;
CREATE TABLE aud_par_parallel AS SELECT k, audience_agg(id) AS members FROM aud_par GROUP BY k;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM aud_par_parallel p JOIN (SELECT k, audience_agg(id) AS members FROM aud_par GROUP BY k) s USING (k) WHERE p.members = s.members;
RESET max_parallel_workers_per_gather;
DROP TABLE aud_par, aud_par_sets, aud_par_parallel;
