-- Slicing and construction: range, page, to_array, ids, from_range, add, remove.
SELECT audience_range('{1,5,9,12,20}', 5, 12);
SELECT audience_range('{1,5,9,12,20}', 0, 4294967296);
SELECT audience_range('{1,5,9,12,20}', 13, 20);
SELECT audience_page('{1,5,9,12,20}', 0, 2), audience_page('{1,5,9,12,20}', 2, 2), audience_page('{1,5,9,12,20}', 4, 2);
SELECT audience_page('{1,5,9,12,20}', 5, 2), audience_page('{1,5,9,12,20}', 1, 0);
SELECT audience_to_array('{9,1,5}');
SELECT * FROM audience_ids('{9,1,5}');
SELECT audience_from_range(3, 8);
SELECT audience_add('{1,2}', 7), audience_remove('{1,2}', 2), audience_remove('{1,2}', 5);
-- larger sets: pages tile the audience, ranges tile the id space
CREATE TABLE audience_fn_slice_t (a audience);
INSERT INTO audience_fn_slice_t SELECT audience_agg(g * 13) FROM generate_series(0, 99999) g;
SELECT bool_and(cardinality(audience_page(a, p * 7000, 7000)) = least(7000, 100000 - p * 7000)) AS sizes_ok, audience_union_agg(audience_page(a, p * 7000, 7000)) = audience_union_agg(a) AS pages_cover, sum(cardinality(audience_page(a, p * 7000, 7000))) AS total FROM audience_fn_slice_t, generate_series(0, 14) p;
SELECT audience_nth(a, 50001) = audience_min(audience_page(a, 50000, 10)) AS page_start_ok FROM audience_fn_slice_t;
SELECT audience_range(a, 0, 500000) | audience_range(a, 500000, 4294967296) = a AS ranges_cover, cardinality(audience_range(a, 0, 500000)) AS below_500000 FROM audience_fn_slice_t;
SELECT count(*), sum(i), min(i), max(i) FROM audience_fn_slice_t, audience_ids(a) i;
SELECT audience_to_array(a) = ARRAY(SELECT audience_ids(a)) AS array_matches_ids FROM audience_fn_slice_t;
SELECT i FROM audience_fn_slice_t, audience_ids(a) i LIMIT 3;
DROP TABLE audience_fn_slice_t;
SELECT cardinality(audience_from_range(0, 4294967296)), audience_min(audience_from_range(0, 4294967296)), audience_max(audience_from_range(0, 4294967296));
SELECT count(*) FROM audience_ids(audience_from_range(1000000, 1300000));
-- empty audiences and ranges
SELECT audience_range('{}', 0, 10), audience_range('{1,2}', 5, 5), audience_page('{}', 0, 10);
SELECT audience_to_array('{}');
SELECT count(*) FROM audience_ids('{}');
SELECT audience_from_range(7, 7);
-- boundary ids
SELECT audience_range('{0,4294967295}', 0, 1), audience_range('{0,4294967295}', 4294967295, 4294967296);
SELECT audience_from_range(4294967294, 4294967296), audience_from_range(0, 2);
SELECT * FROM audience_ids('{0,4294967295}');
SELECT audience_add('{}', 4294967295), audience_add('{}', 0), audience_remove('{0,4294967295}', 0);
-- NULLs
SELECT audience_range(NULL, 0, 1) IS NULL AS range_null, audience_page('{1}', NULL, 1) IS NULL AS page_null, audience_from_range(NULL, 1) IS NULL AS from_range_null, audience_to_array(NULL) IS NULL AS array_null;
SELECT count(*) FROM audience_ids(NULL);
-- bad arguments
SELECT audience_range('{1}', 5, 3);
SELECT audience_range('{1}', -1, 3);
SELECT audience_range('{1}', 0, 4294967297);
SELECT audience_from_range(4294967296, 4294967296);
SELECT audience_page('{1}', -1, 3);
SELECT audience_page('{1}', 0, -3);
SELECT audience_add('{1}', -1);
SELECT audience_remove('{1}', 4294967296);
