-- audience_rate and segment_lift.
-- conversion: 3 of the 4 fans bought; penetration: 2 of the 5 buyers bought the category
SELECT audience_rate('{1,2,3,9}', '{1,2,3,4}');
SELECT audience_rate('{2,7}', '{1,2,3,7,8}');
SELECT audience_rate('{1-10}', '{1-10}');
SELECT audience_rate('{}', '{1-10}');
-- empty base: NULL; NULL arguments: NULL; ids 0 and 4294967295
SELECT audience_rate('{1}', '{}');
SELECT audience_rate(NULL, '{1}');
SELECT audience_rate('{0,4294967295}', '{0,1,2,4294967295}');
-- segment_lift: persons 1-3 in the segment spent 10, 20, 30; persons 4-6 outside spent 1, 2, 3
-- in_mean 20, out_mean 2, lift 10; variances 100 and 1; t = 18 / sqrt(100/3 + 1/3) = 3.1022; df = 2.0400
CREATE TABLE metrics_lift (person bigint, spend float8, orders float8);
INSERT INTO metrics_lift VALUES (1, 10, 1), (2, 20, 2), (3, 30, 3), (4, 1, 1), (5, 2, 1), (6, 3, 1);
SELECT (l).in_persons, (l).out_persons, (l).in_mean, (l).out_mean, (l).lift, round((l).t_stat::numeric, 4) AS t_stat, round((l).df::numeric, 4) AS df
	FROM (SELECT segment_lift(person, spend, '{1,2,3}') l FROM metrics_lift) s;
SELECT * FROM (SELECT (segment_lift(person, orders, '{1,2,3}')).* FROM metrics_lift) s;
-- the segment from a scalar subquery and from a table
CREATE TABLE metrics_lift_seg (name text, members audience);
INSERT INTO metrics_lift_seg VALUES ('wecom', '{1,2,3}'), ('store', '{4,5,6}');
SELECT name, (segment_lift(person, spend, members)).lift FROM metrics_lift, metrics_lift_seg GROUP BY name ORDER BY name;
SELECT (segment_lift(person, spend, (SELECT members FROM metrics_lift_seg WHERE name = 'wecom'))).in_mean FROM metrics_lift;
-- a segment read from a joined table (a new datum on each row) is recognised as the same set
SELECT person % 2 AS half, (segment_lift(person, spend, members)).* FROM metrics_lift, metrics_lift_seg WHERE name = 'wecom' GROUP BY 1 ORDER BY 1;
-- large (TOASTed) segments that alternate from row to row: even and odd ids
CREATE TABLE metrics_lift_toast AS SELECT 'even' AS name, audience_agg(i) AS members FROM generate_series(0, 100000, 2) i UNION ALL SELECT 'odd', audience_agg(i) FROM generate_series(1, 100000, 2) i;
SELECT name, (l).in_persons, (l).out_persons, (l).in_mean, (l).out_mean FROM (SELECT name, segment_lift(p, p % 2, members) l FROM generate_series(1, 1000) p, metrics_lift_toast GROUP BY name) s ORDER BY name;
SELECT name, (l).in_persons, round((l).in_mean::numeric, 9) AS in_mean FROM (SELECT name, segment_lift(p, p % 2, members | p::bigint) l FROM generate_series(1, 1000) p, metrics_lift_toast GROUP BY name) s ORDER BY name;
DROP TABLE metrics_lift_toast;
-- edge cases: nobody in the segment, everybody in it, one person each side, equal values, NULL rows, no rows
SELECT (segment_lift(person, spend, '{}')).* FROM metrics_lift;
SELECT (segment_lift(person, spend, '{1-6}')).* FROM metrics_lift;
SELECT (segment_lift(person, spend, '{1}')).* FROM metrics_lift WHERE person IN (1, 4);
SELECT (segment_lift(person, 5, '{1,2}')).* FROM metrics_lift;
SELECT (segment_lift(CASE WHEN person = 3 THEN NULL ELSE person END, CASE WHEN person = 6 THEN NULL ELSE spend END, '{1,2,3}')).* FROM metrics_lift;
SELECT (segment_lift(person, spend, '{1}')).* FROM metrics_lift WHERE false;
SELECT (segment_lift(id, 1, '{0}')).* FROM unnest(ARRAY[0, 4294967295]) id;
-- parallel plan gives the same answer
CREATE TABLE metrics_lift_big AS SELECT i AS person, (i % 100)::float8 AS spend FROM generate_series(1, 200000) i;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT segment_lift(person, spend, '{1-100000}') FROM metrics_lift_big;
SELECT (l).in_persons, (l).out_persons, round((l).in_mean::numeric, 6) AS in_mean, round((l).out_mean::numeric, 6) AS out_mean FROM (SELECT segment_lift(person, spend, '{1-100000}') l FROM metrics_lift_big) s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- errors
SELECT segment_lift(-1, 1, '{1}');
SELECT segment_lift(4294967296, 1, '{1}');
SELECT segment_lift_trans('{0,0,0,0,0,0}', 1, 1, '{1}');
DROP TABLE metrics_lift, metrics_lift_seg, metrics_lift_big;
