-- tier_flow, tier_flow_rate, tier_waterfall.
-- Ladder of 3 tiers (lowest first).  Period 1: tier1 {1,2,3,4}, tier2 {5,6}, tier3 {7}.
-- Period 2: tier1 {1,2,5}, tier2 {3,7,8}, tier3 {6,9}; 4 left, 8 and 9 arrived.
SELECT * FROM tier_flow(ARRAY['{1,2,3,4}','{5,6}','{7}']::audience[], ARRAY['{1,2,5}','{3,7,8}','{6,9}']::audience[]);
SELECT * FROM tier_flow_rate(ARRAY['{1,2,3,4}','{5,6}','{7}']::audience[], ARRAY['{1,2,5}','{3,7,8}','{6,9}']::audience[]);
-- every person is counted once per side: the flow matrix sums to |union of both periods|
SELECT sum(persons) FROM tier_flow(ARRAY['{1,2,3,4}','{5,6}','{7}']::audience[], ARRAY['{1,2,5}','{3,7,8}','{6,9}']::audience[]);
-- overlapping tiers: waterfall keeps each person in the highest tier
-- period 1: tier1 {1,2,3}, tier2 {2,3}, tier3 {3}; period 2: tier1 {1,2,3,4}, tier2 {1}
SELECT * FROM tier_flow(ARRAY['{1,2,3}','{2,3}','{3}']::audience[], ARRAY['{1,2,3,4}','{1}']::audience[]);
SELECT * FROM tier_flow_rate(ARRAY['{1,2,3}','{2,3}','{3}']::audience[], ARRAY['{1,2,3,4}','{1}']::audience[]);
-- without the waterfall every (from, to) pair of held tiers counts
SELECT * FROM tier_flow(ARRAY['{1,2,3}','{2,3}','{3}']::audience[], ARRAY['{1,2,3,4}','{1}']::audience[], false);
SELECT * FROM tier_flow_rate(ARRAY['{1,2,3}','{2,3}','{3}']::audience[], ARRAY['{1,2,3,4}','{1}']::audience[], waterfall => false);
SELECT tier_waterfall(ARRAY['{1,2,3}','{2,3}','{3}']::audience[]);
SELECT cardinality(t) FROM unnest(tier_waterfall(ARRAY['{1-100}','{50-100}','{90-200}']::audience[])) t;
-- the same matrix as a join of (person, tier) tables
CREATE TABLE metrics_tf_p1 AS SELECT i AS person, CASE WHEN i % 7 = 0 THEN 3 WHEN i % 3 = 0 THEN 2 ELSE 1 END AS tier FROM generate_series(1, 1000) i;
CREATE TABLE metrics_tf_p2 AS SELECT i AS person, CASE WHEN i % 5 = 0 THEN 3 WHEN i % 2 = 0 THEN 2 ELSE 1 END AS tier FROM generate_series(300, 1500) i;
CREATE TABLE metrics_tf_t1 AS SELECT array_agg(a ORDER BY tier) AS tiers FROM (SELECT tier, audience_agg(person) a FROM metrics_tf_p1 GROUP BY tier) s;
CREATE TABLE metrics_tf_t2 AS SELECT array_agg(a ORDER BY tier) AS tiers FROM (SELECT tier, audience_agg(person) a FROM metrics_tf_p2 GROUP BY tier) s;
SELECT count(*) AS cells, sum(persons) AS persons FROM metrics_tf_t1, metrics_tf_t2, tier_flow(metrics_tf_t1.tiers, metrics_tf_t2.tiers);
(SELECT f.* FROM metrics_tf_t1, metrics_tf_t2, tier_flow(metrics_tf_t1.tiers, metrics_tf_t2.tiers) f
 EXCEPT
 SELECT coalesce(a.tier, 0), coalesce(b.tier, 0), count(*) FROM metrics_tf_p1 a FULL JOIN metrics_tf_p2 b USING (person) GROUP BY 1, 2)
UNION ALL
(SELECT coalesce(a.tier, 0), coalesce(b.tier, 0), count(*) FROM metrics_tf_p1 a FULL JOIN metrics_tf_p2 b USING (person) GROUP BY 1, 2
 EXCEPT
 SELECT f.* FROM metrics_tf_t1, metrics_tf_t2, tier_flow(metrics_tf_t1.tiers, metrics_tf_t2.tiers) f);
DROP TABLE metrics_tf_p1, metrics_tf_p2, metrics_tf_t1, metrics_tf_t2;
-- edge cases: empty arrays, empty tiers, ids 0 and 4294967295
SELECT * FROM tier_flow('{}'::audience[], '{}'::audience[]);
SELECT * FROM tier_flow('{}'::audience[], ARRAY['{1,2}']::audience[]);
SELECT * FROM tier_flow_rate(ARRAY['{1,2}']::audience[], '{}'::audience[]);
SELECT * FROM tier_flow(ARRAY['{}','{}']::audience[], ARRAY['{}']::audience[]);
SELECT * FROM tier_flow(ARRAY['{0}','{4294967295}']::audience[], ARRAY['{4294967295}','{0}']::audience[]);
SELECT tier_waterfall('{}'::audience[]);
SELECT tier_waterfall(ARRAY['{}','{0,4294967295}']::audience[]);
-- NULLs
SELECT * FROM tier_flow(NULL, ARRAY['{1}']::audience[]);
SELECT * FROM tier_flow(ARRAY['{1}']::audience[], ARRAY['{1}']::audience[], NULL);
SELECT tier_waterfall(NULL);
-- errors
SELECT * FROM tier_flow(ARRAY['{1}', NULL]::audience[], ARRAY['{1}']::audience[]);
SELECT tier_waterfall(ARRAY[NULL]::audience[]);
SELECT * FROM tier_flow(ARRAY[['{1}'],['{2}']]::audience[], ARRAY['{1}']::audience[]);
SELECT * FROM tier_flow(array_fill('{1}'::audience, ARRAY[1001]), ARRAY['{1}']::audience[]);
