-- audience_xor_agg and audience_union_count_agg.
SELECT audience_xor_agg(a) FROM (VALUES ('{1,2,3}'::audience), ('{2,3,4}'), ('{3,4,5}')) v(a);
SELECT audience_union_count_agg(a) FROM (VALUES ('{1,2,3}'::audience), ('{2,3,4}'), ('{3,4,5}')) v(a);
SELECT g % 2 AS k, audience_xor_agg(a), audience_union_count_agg(a) FROM (VALUES (1, '{1,2}'::audience), (2, '{5}'), (3, '{2,3}'), (4, '{5,6}')) v(g, a) GROUP BY 1 ORDER BY 1;
-- NULL inputs are skipped; no rows give an empty audience and 0
SELECT audience_xor_agg(a), audience_union_count_agg(a) FROM (VALUES ('{1}'::audience), (NULL), ('{1,2}')) v(a);
SELECT audience_xor_agg(a), audience_union_count_agg(a) FROM (VALUES (NULL::audience)) v(a);
SELECT audience_xor_agg(a), audience_union_count_agg(a) FROM (VALUES ('{1}'::audience)) v(a) WHERE false;
SELECT audience_xor_agg(a), audience_union_count_agg(a) FROM (VALUES ('{}'::audience), ('{}')) v(a);
-- boundary ids
SELECT audience_xor_agg(a), audience_union_count_agg(a) FROM (VALUES ('{0,4294967295}'::audience), ('{0}')) v(a);
-- larger: xor of an even number of copies is empty; parallel plans give the serial answer
CREATE TABLE audience_fn_agg_t (k int, a audience);
INSERT INTO audience_fn_agg_t SELECT k, audience_agg(k * 1000 + g) FROM generate_series(1, 400) k, generate_series(0, 4999) g GROUP BY k;
SELECT audience_union_count_agg(a), cardinality(audience_union_agg(a)), cardinality(audience_xor_agg(a)) FROM audience_fn_agg_t;
SELECT cardinality(audience_xor_agg(a)) FROM (SELECT a FROM audience_fn_agg_t UNION ALL SELECT a FROM audience_fn_agg_t) s;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT audience_union_count_agg(a), audience_xor_agg(a) FROM audience_fn_agg_t;
SELECT audience_union_count_agg(a), cardinality(audience_xor_agg(a)), audience_min(audience_xor_agg(a)), audience_max(audience_xor_agg(a)) FROM audience_fn_agg_t;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP TABLE audience_fn_agg_t;
-- window use: the final function is read-only
SELECT g, audience_xor_agg(a) OVER (ORDER BY g), audience_union_count_agg(a) OVER (ORDER BY g) FROM (VALUES (1, '{1,2}'::audience), (2, '{2,3}'), (3, '{1}')) v(g, a);
-- bad arguments
SELECT audience_xor_agg(a) FROM (VALUES ('{1-}'::audience)) v(a);
SELECT audience_xor_trans('{1}', '{2}');
