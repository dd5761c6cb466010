-- audience_retention, audience_retention_rate, retention_agg.
-- cohort {1-10}; month 1: 1-6 and 20; month 2: 2-4, 8; month 3: 1, 2, 9, 10
SELECT audience_retention('{1-10}', ARRAY['{1-6,20}','{2-4,8}','{1,2,9,10}']::audience[]);
SELECT audience_retention('{1-10}', ARRAY['{1-6,20}','{2-4,8}','{1,2,9,10}']::audience[], true);
SELECT audience_retention_rate('{1-10}', ARRAY['{1-6,20}','{2-4,8}','{1,2,9,10}']::audience[]);
SELECT audience_retention_rate('{1-10}', ARRAY['{1-6,20}','{2-4,8}','{1,2,9,10}']::audience[], continuous => true);
-- edge cases: empty periods, empty cohort, ids 0 and 4294967295
SELECT audience_retention('{1-10}', '{}'::audience[]);
SELECT audience_retention_rate('{1-10}', '{}'::audience[]);
SELECT audience_retention('{}', ARRAY['{1}','{}']::audience[]);
SELECT audience_retention_rate('{}', ARRAY['{1}','{}']::audience[]);
SELECT audience_retention('{0,4294967295}', ARRAY['{0}','{4294967295}','{0,4294967295}']::audience[], true);
SELECT audience_retention(NULL, ARRAY['{1}']::audience[]);
SELECT audience_retention('{1}', NULL);
SELECT audience_retention_rate('{1}', ARRAY['{1}']::audience[], NULL);
-- errors
SELECT audience_retention('{1}', ARRAY['{1}', NULL]::audience[]);
SELECT audience_retention_rate('{1}', ARRAY[['{1}'],['{1}']]::audience[]);
-- retention_agg: events (person, day); anchor = visited on day 1, then day 2, day 3
CREATE TABLE metrics_ret_ev (person int, day int);
INSERT INTO metrics_ret_ev VALUES (1, 1), (1, 2), (1, 3), (2, 1), (2, 3), (3, 2), (3, 3), (4, 1), (4, 1), (5, 3);
SELECT person, retention_agg(day = 1, day = 2, day = 3) FROM metrics_ret_ev GROUP BY person ORDER BY person;
-- summed per condition: the day-1 cohort, and how many of it came back on days 2 and 3
SELECT sum(r[1]) AS day1, sum(r[2]) AS day2, sum(r[3]) AS day3 FROM (SELECT retention_agg(day = 1, day = 2, day = 3) r FROM metrics_ret_ev GROUP BY person) s;
-- one condition; NULL conditions count as false; a NULL array is skipped
SELECT person, retention_agg(day = 1) FROM metrics_ret_ev GROUP BY person ORDER BY person;
SELECT retention_agg(day = 1, CASE WHEN day = 3 THEN NULL ELSE false END) FROM metrics_ret_ev WHERE person = 2;
SELECT retention_agg(VARIADIC NULL::boolean[]) FROM metrics_ret_ev;
SELECT retention_agg(day = 1) FROM metrics_ret_ev WHERE false;
-- 64 conditions (the limit): only conditions 1 and 64 are ever true
SELECT retention_agg(VARIADIC (SELECT array_agg(day = 1 AND i IN (1, 64) ORDER BY i) FROM generate_series(1, 64) i)) FROM metrics_ret_ev WHERE person = 4;
-- parallel plan gives the same answer
CREATE TABLE metrics_ret_big AS SELECT i % 1000 AS person, i % 7 AS day FROM generate_series(1, 200000) i;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT retention_agg(day = 0, day = 1, day = 7) FROM metrics_ret_big WHERE person < 10;
SELECT retention_agg(day = 0, day = 1, day = 7) FROM metrics_ret_big WHERE person < 10;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- errors: no conditions, 65 conditions, a changing number of conditions
SELECT retention_agg(VARIADIC ARRAY[]::boolean[]) FROM metrics_ret_ev;
SELECT retention_agg(VARIADIC array_fill(true, ARRAY[65])) FROM metrics_ret_ev;
SELECT retention_agg(VARIADIC array_fill(true, ARRAY[person])) FROM metrics_ret_ev;
SELECT retention_agg_trans(NULL, ARRAY[true]);
DROP TABLE metrics_ret_ev, metrics_ret_big;
