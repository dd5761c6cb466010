-- Counting without materialising: and/or/andnot/xor counts and Jaccard.
SELECT audience_and_count('{1,2,3,4}', '{3,4,5}');
SELECT audience_or_count('{1,2,3,4}', '{3,4,5}');
SELECT audience_andnot_count('{1,2,3,4}', '{3,4,5}');
SELECT audience_andnot_count('{3,4,5}', '{1,2,3,4}');
SELECT audience_xor_count('{1,2,3,4}', '{3,4,5}');
SELECT audience_jaccard('{1,2,3,4}', '{3,4,5}');
SELECT audience_jaccard('{1,2}', '{1,2}');
SELECT audience_jaccard('{1,2}', '{3,4}');
-- each count equals the cardinality of the built result (large, mixed containers)
CREATE TABLE audience_fn_count_t (a audience, b audience);
INSERT INTO audience_fn_count_t SELECT audience_agg(g) FILTER (WHERE g % 3 = 0), audience_agg(g) FILTER (WHERE g % 5 = 0 OR g > 150000) FROM generate_series(0, 300000) g;
SELECT audience_and_count(a, b) = cardinality(a & b) AS and_ok, audience_or_count(a, b) = cardinality(a | b) AS or_ok, audience_andnot_count(a, b) = cardinality(a - b) AS andnot_ok, audience_xor_count(a, b) = cardinality(a # b) AS xor_ok FROM audience_fn_count_t;
SELECT audience_and_count(a, b), audience_or_count(a, b), audience_andnot_count(a, b), audience_xor_count(a, b) FROM audience_fn_count_t;
SELECT round(audience_jaccard(a, b)::numeric, 6) = round((audience_and_count(a, b)::numeric / audience_or_count(a, b)), 6) AS jaccard_ok FROM audience_fn_count_t;
DROP TABLE audience_fn_count_t;
-- empty audiences
SELECT audience_and_count('{}', '{1}'), audience_or_count('{}', '{1}'), audience_andnot_count('{}', '{1}'), audience_xor_count('{}', '{1}');
SELECT audience_and_count('{}', '{}'), audience_or_count('{}', '{}');
SELECT audience_jaccard('{}', '{}');
SELECT audience_jaccard('{}', '{1}');
-- boundary ids
SELECT audience_and_count('{0,4294967295}', '{4294967295}'), audience_or_count('{0,4294967295}', '{4294967295}'), audience_xor_count('{0}', '{4294967295}');
-- NULLs
SELECT audience_and_count(NULL, '{1}') IS NULL AS and_null, audience_or_count('{1}', NULL) IS NULL AS or_null, audience_jaccard(NULL, NULL) IS NULL AS jaccard_null;
-- bad arguments
SELECT audience_and_count('{1', '{1}');
SELECT audience_jaccard('{1}', '{-1}');
