-- audience_intersect_agg holds its first stored input undecoded and
-- intersects a stored second input with it from the bytes: every shape of
-- the first two inputs gives the same set as the & operator.
SET search_path = quanyu, public;
CREATE TEMP TABLE ih (k int, a audience);
INSERT INTO ih SELECT 1, audience_agg(g * 2) FROM generate_series(0, 99999) g;          -- bitsets and arrays
INSERT INTO ih SELECT 2, audience_agg(g * 3) FROM generate_series(0, 99999) g;
INSERT INTO ih SELECT 3, audience_agg(g * 2 + 1) FROM generate_series(0, 99999) g;      -- disjoint from 1
INSERT INTO ih SELECT 4, audience_from_range(50000, 250000);                            -- runs
INSERT INTO ih SELECT 5, audience_agg((g::bigint * 214748) % 2147483648) FROM generate_series(1, 20000) g;  -- spread arrays
INSERT INTO ih SELECT 6, '{}';
INSERT INTO ih SELECT 7, '{7, 4000000000}';
INSERT INTO ih SELECT 8, NULL;
ANALYZE ih;
-- every ordered pair, with a third input after it
SELECT x.k AS first, y.k AS second,
	audience_intersect_agg(v.a ORDER BY v.o) = (x.a & y.a & z.a) AS same,
	cardinality(audience_intersect_agg(v.a ORDER BY v.o)) AS n
FROM ih x, ih y, ih z,
	LATERAL (VALUES (1, x.a), (2, y.a), (3, z.a)) v(o, a)
WHERE x.a IS NOT NULL AND y.a IS NOT NULL AND z.k = 4
GROUP BY x.k, y.k, x.a, y.a, z.a
HAVING NOT audience_intersect_agg(v.a ORDER BY v.o) = (x.a & y.a & z.a)
ORDER BY 1, 2;
SELECT count(*) AS pairs_checked FROM ih x, ih y WHERE x.a IS NOT NULL AND y.a IS NOT NULL;
-- a NULL between, and a single input (the held set is the answer)
SELECT cardinality(audience_intersect_agg(a ORDER BY k)) FROM ih WHERE k IN (1, 8, 2);
SELECT audience_intersect_agg(a) = (SELECT a FROM ih WHERE k = 5) AS single FROM ih WHERE k = 5;
-- the held set read by an expanded second input
SELECT cardinality(audience_intersect_agg(a ORDER BY o)) FROM (
	SELECT 1 AS o, a FROM ih WHERE k = 1 UNION ALL SELECT 2, a | 1::bigint FROM ih WHERE k = 2) s;
-- as a window aggregate: the final function reads the state row after row
SELECT k, cardinality(audience_intersect_agg(a) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS n
FROM ih WHERE k IN (1, 2, 4) ORDER BY k;
-- empty early, then any input: empty
SELECT cardinality(audience_intersect_agg(a ORDER BY k)) FROM ih WHERE k IN (1, 3, 2, 4);
