-- audience_overlap: persons in exactly each combination of audiences.
-- A {1,2,3,4}, B {3,4,5}, C {4,5,6}: A only {1,2}; A&B only {3}; A&B&C {4}; B&C only {5}; C only {6}
SELECT * FROM audience_overlap(ARRAY['{1,2,3,4}','{3,4,5}','{4,5,6}']::audience[]);
-- the regions add up to the union, and each audience's regions add up to its size
SELECT sum(persons) FROM audience_overlap(ARRAY['{1-1000}','{500-1500}','{900-3000}']::audience[]);
SELECT i, sum(persons) FROM audience_overlap(ARRAY['{1-1000}','{500-1500}','{900-2999}']::audience[]), unnest(members) i GROUP BY i ORDER BY i;
-- agrees with per-person counting in plain SQL over many chunks (ids spread over several containers)
CREATE TABLE metrics_ov AS SELECT k, audience_agg(i) AS a FROM generate_series(1, 6) k, generate_series(0, 300000, 1) i WHERE (i::bigint * 7919 + k * 104729) % (k + 2) = 0 GROUP BY k;
CREATE TABLE metrics_ov_arr AS SELECT array_agg(a ORDER BY k) AS arr FROM metrics_ov;
SELECT count(*) AS regions, sum(persons) AS persons FROM metrics_ov_arr, audience_overlap(arr);
(SELECT o.mask, o.persons FROM metrics_ov_arr, audience_overlap(arr) o
 EXCEPT
 SELECT m, count(*) FROM (SELECT i, sum(1 << (k - 1)) m FROM metrics_ov, unnest(a::bigint[]) i GROUP BY i) s GROUP BY m)
UNION ALL
(SELECT m, count(*) FROM (SELECT i, sum(1 << (k - 1)) m FROM metrics_ov, unnest(a::bigint[]) i GROUP BY i) s GROUP BY m
 EXCEPT
 SELECT o.mask, o.persons FROM metrics_ov_arr, audience_overlap(arr) o);
DROP TABLE metrics_ov, metrics_ov_arr;
-- 16 audiences (the dense limit) and 32 (the hash table, the limit)
SELECT count(*), sum(persons), max(degree) FROM audience_overlap(ARRAY(SELECT ('{' || k || '-' || (k + 100) || '}')::audience FROM generate_series(1, 16) k));
SELECT mask, degree, persons FROM audience_overlap(ARRAY(SELECT ('{' || k || '-' || (k + 100) || '}')::audience FROM generate_series(1, 32) k)) WHERE degree = 32 OR mask = 1;
SELECT count(*), sum(persons), max(degree), max(mask) FROM audience_overlap(ARRAY(SELECT ('{' || k || '-' || (k + 100) || '}')::audience FROM generate_series(1, 32) k));
-- edge cases: empty array, empty audiences, one audience, ids 0 and 4294967295
SELECT * FROM audience_overlap('{}'::audience[]);
SELECT * FROM audience_overlap(ARRAY['{}','{}']::audience[]);
SELECT * FROM audience_overlap(ARRAY['{0,4294967295}']::audience[]);
SELECT * FROM audience_overlap(ARRAY['{0,5}','{}','{5,4294967295}']::audience[]);
SELECT * FROM audience_overlap(NULL);
-- errors
SELECT * FROM audience_overlap(ARRAY['{1}', NULL]::audience[]);
SELECT * FROM audience_overlap(array_fill('{1}'::audience, ARRAY[33]));
