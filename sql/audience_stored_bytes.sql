-- The stored bytes of audiences made by every path that builds one, as
-- md5 of their portable bytes with the header fields.  The expected output
-- was produced by the code before the value/aggregate split of issue 11
-- (commit 4baff99): the split must not change a stored byte.
SET search_path = quanyu, public;
SET extra_float_digits = 0;
CREATE TEMP TABLE ids AS
	SELECT g AS id, g % 7 AS grp FROM generate_series(0, 199999) g
	UNION ALL SELECT 1000000 + g * 97, g % 7 FROM generate_series(0, 49999) g
	UNION ALL SELECT 2000000000 - g * 65537, g % 7 FROM generate_series(0, 29999) g;
CREATE TEMP TABLE stored_in (k int, a audience);
INSERT INTO stored_in SELECT grp, audience_agg(id) FROM ids GROUP BY grp;
INSERT INTO stored_in SELECT 10 + g, audience_agg((g::bigint * 19997 + x * 200) % 20000000)
	FROM generate_series(1, 40) g, generate_series(0, 2999) x GROUP BY g;
INSERT INTO stored_in SELECT 100, audience_from_range(0, 3000000);
CREATE TEMP TABLE made (path text, a audience);
INSERT INTO made SELECT 'agg bigint', audience_agg(id) FROM ids;
INSERT INTO made SELECT 'agg int4', audience_agg(id::int) FROM ids;
INSERT INTO made SELECT 'agg grouped ' || grp, audience_agg(id) FROM ids GROUP BY grp;
INSERT INTO made SELECT 'agg spread', audience_agg((g::bigint * 214748) % 2147483648) FROM generate_series(1, 300000) g;
INSERT INTO made SELECT 'agg window ' || k, audience_union_agg(a) OVER (ORDER BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
	FROM stored_in WHERE k < 14;
INSERT INTO made SELECT 'union_agg', audience_union_agg(a ORDER BY k) FROM stored_in;
INSERT INTO made SELECT 'union_agg small', audience_union_agg(a ORDER BY k) FROM stored_in WHERE k < 7;
INSERT INTO made SELECT 'intersect_agg', audience_intersect_agg(a ORDER BY k) FROM stored_in WHERE k IN (0, 100);
INSERT INTO made SELECT 'intersect_agg empty', audience_intersect_agg(a ORDER BY k) FROM stored_in WHERE k BETWEEN 10 AND 20;
INSERT INTO made SELECT 'xor_agg', audience_xor_agg(a ORDER BY k) FROM stored_in;
INSERT INTO made SELECT 'xor_agg expanded', audience_xor_agg(a | '{5}' ORDER BY k) FROM stored_in;
INSERT INTO made SELECT 'text ids', '{1,2,3,70000,70001,4000000000}'::audience;
INSERT INTO made SELECT 'text ranges', '{0-99999,200000-200010,65535,65536}'::audience;
INSERT INTO made SELECT 'text many', ('{' || string_agg(id::text, ',') || '}')::audience FROM ids WHERE id % 3 = 0;
INSERT INTO made SELECT 'hex', ('\x' || encode(a::bytea, 'hex'))::audience FROM stored_in WHERE k = 3;
INSERT INTO made SELECT 'bytea', (a::bytea)::audience FROM stored_in WHERE k = 4;
INSERT INTO made SELECT 'int8[]', array_agg(id)::audience FROM ids WHERE grp = 5;
INSERT INTO made SELECT 'int4[]', array_agg(id::int)::audience FROM ids WHERE grp = 6;
INSERT INTO made SELECT 'sample', audience_sample(a, 0.3, 7) FROM stored_in WHERE k = 100;
INSERT INTO made SELECT 'split ' || bucket, members FROM stored_in, audience_split(a, 3, 11) WHERE k = 100;
INSERT INTO made SELECT 'page', audience_page(a, 1000, 150000) FROM stored_in WHERE k = 0;
INSERT INTO made SELECT 'range', audience_range(a, 5000, 2000000) FROM stored_in WHERE k = 1;
INSERT INTO made SELECT 'from_range', audience_from_range(123, 456789);
INSERT INTO made SELECT 'and', x.a & y.a FROM stored_in x, stored_in y WHERE x.k = 0 AND y.k = 100;
INSERT INTO made SELECT 'or', x.a | y.a FROM stored_in x, stored_in y WHERE x.k = 0 AND y.k = 11;
INSERT INTO made SELECT 'andnot', x.a - y.a FROM stored_in x, stored_in y WHERE x.k = 100 AND y.k = 2;
INSERT INTO made SELECT 'xor', x.a # y.a FROM stored_in x, stored_in y WHERE x.k = 100 AND y.k = 2;
INSERT INTO made SELECT 'add', a | 2999999999::bigint FROM stored_in WHERE k = 1;
INSERT INTO made SELECT 'remove', a - 1500000::bigint FROM stored_in WHERE k = 100;
INSERT INTO made SELECT 'eval', audience_eval('x - y', ARRAY['x', 'y'], ARRAY[x.a, y.a])
	FROM stored_in x, stored_in y WHERE x.k = 100 AND y.k = 0;
-- Parallel partial states, flattened by the workers and combined.
CREATE TEMP TABLE big AS SELECT g AS id FROM generate_series(1, 400000) g;
ANALYZE big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
INSERT INTO made SELECT 'agg parallel', audience_agg(id * 3) FROM big;
RESET max_parallel_workers_per_gather;
SELECT path, cardinality(a) AS n, audience_min(a) AS lo, audience_max(a) AS hi,
	md5(a::bytea::text) AS portable, pg_column_size(a) AS stored_size
FROM made ORDER BY path;
