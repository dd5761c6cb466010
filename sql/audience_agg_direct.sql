-- The aggregate support functions called directly from SQL: they work on
-- our own validated audience type, so each either gives a correct result or
-- a clean error, never a NULL pointer as a value, and never changes an
-- argument in place outside an aggregate.
SET search_path = quanyu, public;
-- transition functions need an aggregate
SELECT audience_agg_trans(NULL::audience, 1::bigint);
SELECT audience_agg_trans('{1}'::audience, 2::bigint);
SELECT audience_agg_trans(NULL::audience, 1::integer);
SELECT audience_agg_trans('{}'::audience, NULL::bigint);
SELECT audience_union_trans('{1}', '{2}');
SELECT audience_union_trans(NULL, '{2}');
SELECT audience_union_trans(audience_from_range(0, 4294967296), audience_from_range(0, 10));
SELECT audience_union_combine('{1}', '{2}');
SELECT audience_intersect_trans('{1,2}', '{2}');
SELECT audience_intersect_trans(NULL, '{2}');
SELECT audience_intersect_combine('{1,2}', '{2}');
SELECT audience_xor_trans('{1,2}', '{2}');
SELECT audience_xor_trans(NULL, NULL);
-- with a NULL input they return the state they were given (or NULL)
SELECT audience_union_trans(NULL, NULL) IS NULL AS union_null;
SELECT audience_union_trans('{1,2}', NULL);
SELECT audience_intersect_trans(NULL, NULL) IS NULL AS intersect_null;
SELECT audience_intersect_trans('{}', NULL);
SELECT cardinality(audience_union_combine(audience_from_range(0, 4294967296), NULL));
-- final functions: read-only, any audience
SELECT audience_agg_final(NULL);
SELECT audience_agg_final('{}');
SELECT audience_agg_final('{1,5,9}');
SELECT cardinality(audience_agg_final(audience_from_range(0, 4294967296)));
SELECT audience_union_count_final(NULL);
SELECT audience_union_count_final('{}');
SELECT audience_union_count_final(audience_from_range(0, 4294967296));
-- the argument is unchanged after a direct call
CREATE TEMP TABLE direct_arg AS SELECT '{1,2,3}'::audience AS a;
SELECT audience_agg_final(a), a FROM direct_arg;
SELECT a = '{1,2,3}' AS unchanged FROM direct_arg;
-- our transition functions in a user's aggregate, with an initial state
CREATE AGGREGATE pg_temp.my_union(audience) (SFUNC = quanyu.audience_union_trans, STYPE = quanyu.audience, INITCOND = '{7,8}');
SELECT pg_temp.my_union(a) FROM (VALUES ('{1}'::audience), ('{2}'), (NULL)) v(a);
SELECT pg_temp.my_union(a) FROM (VALUES ('{1}'::audience)) v(a) WHERE false;
CREATE AGGREGATE pg_temp.my_xor(audience) (SFUNC = quanyu.audience_xor_trans, STYPE = quanyu.audience, INITCOND = '{1-3}', FINALFUNC = quanyu.audience_union_count_final);
SELECT pg_temp.my_xor(a) FROM (VALUES ('{1}'::audience), ('{5}')) v(a);
CREATE AGGREGATE pg_temp.my_ids(bigint) (SFUNC = quanyu.audience_agg_trans, STYPE = quanyu.audience, INITCOND = '{100}', FINALFUNC = quanyu.audience_agg_final);
SELECT pg_temp.my_ids(g) FROM generate_series(1, 3) g;
-- a bad initial state is rejected by the type's input
CREATE AGGREGATE pg_temp.my_bad(audience) (SFUNC = quanyu.audience_union_trans, STYPE = quanyu.audience, INITCOND = '\x00112233');
-- the initial state is not changed from one group to the next
SELECT k, pg_temp.my_union(a) FROM (VALUES (1, '{1}'::audience), (2, '{2}'), (1, '{3}')) v(k, a) GROUP BY k ORDER BY k;
-- window use: the final function runs once per row on the same state
SELECT g, audience_union_agg(audience_from_range(g, g + 1)) OVER (ORDER BY g) FROM generate_series(1, 4) g;
SELECT g, audience_intersect_agg(audience_from_range(g, 10)) OVER (ORDER BY g) FROM generate_series(1, 3) g;
SELECT g, audience_xor_agg(audience_from_range(0, g)) OVER (ORDER BY g) FROM generate_series(1, 4) g;
SELECT g, audience_agg(g) OVER (ORDER BY g ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM generate_series(1, 4) g;
