-- clv_metrics: clv_metrics_agg and clv_cohort_retention.
SET TimeZone = 'UTC';
CREATE TABLE met_orders (customer int, ts timestamptz, amount numeric);
INSERT INTO met_orders VALUES
  (1, '2024-01-05', 10), (1, '2024-02-10', 20), (1, '2024-04-01', 30),
  (2, '2024-01-20', 50),
  (3, '2024-02-03', 5), (3, '2024-02-04', 5), (3, '2024-03-15', 15),
  (4, '2024-03-30', 40), (4, '2024-04-02', 8);

-- normal: AOV = revenue / orders, frequency = orders / customers, repeat rate = share with > 1 order, LTV = AOV x frequency
SELECT (clv_metrics_agg((r).frequency, (r).monetary)).* FROM (SELECT rfm_agg(ts, amount, '2024-04-30') r FROM met_orders GROUP BY customer) s;
-- edge: no customers; a single one-order customer; NULL rows skipped
SELECT clv_metrics_agg(o, r) IS NULL AS empty_is_null FROM (VALUES (1::bigint, 1::numeric)) v(o, r) WHERE false;
SELECT (clv_metrics_agg(o, r)).* FROM (VALUES (1::bigint, 9.99::numeric), (NULL, 3)) v(o, r);
-- errors
SELECT clv_metrics_agg(0, 10);
SELECT clv_metrics_agg(1, 'NaN');

-- cohort retention: cohorts by first-purchase month; NULL where the data ends (April is the last month)
SELECT * FROM clv_cohort_retention('met_orders', 'customer', 'ts');
-- data_end cuts the data: orders after it are ignored and later months are NULL
SELECT * FROM clv_cohort_retention('met_orders', 'customer', 'ts', '2024-02-29') WHERE month_offset <= 2;
-- edge: an empty table gives no rows
CREATE TABLE met_empty (c int, t timestamptz);
SELECT count(*) FROM clv_cohort_retention('met_empty', 'c', 't');
-- errors
SELECT * FROM clv_cohort_retention('met_orders', 'nope', 'ts');
SELECT * FROM clv_cohort_retention(NULL, 'customer', 'ts');
DROP TABLE met_orders, met_empty;
