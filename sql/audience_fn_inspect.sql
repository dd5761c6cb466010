-- Inspection: is_empty, min, max, rank, nth, contains_any/all, stats.
SELECT audience_is_empty('{}'), audience_is_empty('{7}');
SELECT audience_min('{9,3,7}'), audience_max('{9,3,7}');
SELECT audience_rank('{3,7,9}', 2), audience_rank('{3,7,9}', 3), audience_rank('{3,7,9}', 8), audience_rank('{3,7,9}', 100);
SELECT audience_nth('{3,7,9}', 1), audience_nth('{3,7,9}', 2), audience_nth('{3,7,9}', 3);
SELECT audience_nth('{3,7,9}', 4);
SELECT audience_contains_any('{3,7,9}', '{1,7}'), audience_contains_any('{3,7,9}', '{1,2}');
SELECT audience_contains_all('{3,7,9}', '{3,9}'), audience_contains_all('{3,7,9}', '{3,8}');
-- rank and nth are inverse, on a set with array, bitset and run containers
CREATE TABLE audience_fn_inspect_t (a audience);
INSERT INTO audience_fn_inspect_t SELECT audience_agg(g) FROM (SELECT generate_series(0, 199999, 7) g UNION ALL SELECT generate_series(300000, 400000) UNION ALL SELECT generate_series(1000000, 1000040)) s;
SELECT cardinality(a), audience_min(a), audience_max(a) FROM audience_fn_inspect_t;
SELECT count(*) AS checked, bool_and(audience_nth(a, audience_rank(a, i)) = i) AS nth_of_rank_ok FROM audience_fn_inspect_t, audience_ids(a) i;
SELECT bool_and(audience_rank(a, audience_nth(a, n)) = n) AS rank_of_nth_ok FROM audience_fn_inspect_t, generate_series(1, 128614, 97) n;
SELECT audience_nth(a, cardinality(a)) = audience_max(a) AS last_is_max, audience_nth(a, cardinality(a) + 1) IS NULL AS past_end_null FROM audience_fn_inspect_t;
SELECT audience_contains_all(a, ARRAY[0, 7, 300000, 400000, 1000040]::bigint[]), audience_contains_any(a, ARRAY[1, 2, 400001]::bigint[]) FROM audience_fn_inspect_t;
SELECT * FROM audience_stats((SELECT a FROM audience_fn_inspect_t));
DROP TABLE audience_fn_inspect_t;
SELECT * FROM audience_stats('{1,2,3}');
SELECT cardinality, containers, bitset_containers, bitset_ids FROM audience_stats((SELECT audience_agg(g * 2) FROM generate_series(0, 65535) g));
-- empty audiences
SELECT audience_min('{}') IS NULL AS min_null, audience_max('{}') IS NULL AS max_null;
SELECT audience_rank('{}', 5), audience_nth('{}', 1) IS NULL AS nth_null;
SELECT audience_contains_any('{}', '{1}'), audience_contains_all('{}', '{1}'), audience_contains_all('{}', '{}'), audience_contains_any('{1}', '{}');
SELECT * FROM audience_stats('{}');
-- The full id range: 2^32 ids in runs (0.1.0 counted them in 32 bits and said 0).
SELECT cardinality, run_containers, run_ids, memory_bytes FROM audience_stats(audience_from_range(0, 4294967296));
-- boundary ids
SELECT audience_min('{0,4294967295}'), audience_max('{0,4294967295}');
SELECT audience_rank('{0,4294967295}', 0), audience_rank('{0,4294967295}', 4294967294), audience_rank('{0,4294967295}', 4294967295);
SELECT audience_nth('{0,4294967295}', 2);
SELECT audience_contains_all('{0,4294967295}', '{0,4294967295}'), audience_contains_any('{1}', '{4294967296,-1}');
-- NULLs
SELECT audience_min(NULL) IS NULL AS min_null, audience_rank(NULL, 1) IS NULL AS rank_null, audience_nth('{1}', NULL) IS NULL AS nth_null, audience_contains_any('{1}', NULL) IS NULL AS any_null;
-- ids outside the id range: answered as @> answers them (no id below 0, all below 2^32)
SELECT audience_rank('{1}', -1), '{1}'::audience @> -1::bigint AS has_minus_1, audience_rank('{1,4294967295}', 4294967296), '{1}'::audience @> 4294967296::bigint AS has_2_32, audience_rank('{}', 9223372036854775807);
-- bad arguments
SELECT audience_nth('{1}', 0);
SELECT audience_nth('{1}', -5);
SELECT audience_contains_any('{1}', ARRAY[1, NULL]::bigint[]);
SELECT audience_contains_all('{1}', ARRAY[NULL]::bigint[]);
