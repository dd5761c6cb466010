-- clv_summary: clv_summary_agg in the BG/NBD literature's conventions.
SET TimeZone = 'UTC';
CREATE TABLE sum_orders (customer int, ts timestamptz, amount numeric);
INSERT INTO sum_orders VALUES
  -- two orders on the first day are one occasion; two on 01-15 are one occasion of 30
  (1, '2024-01-01 09:00', 10), (1, '2024-01-01 20:00', 5), (1, '2024-01-15 08:00', 12), (1, '2024-01-15 09:00', 18),
  (1, '2024-01-29', 40), (1, '2024-03-01', 1000),
  -- a single purchase
  (2, '2024-01-08', 7.5),
  -- only purchases after calibration end
  (3, '2024-02-20', 9),
  -- NULLs are skipped
  (4, NULL, 3), (4, '2024-01-22', NULL), (4, '2024-01-22', 2), (4, '2024-02-05', 4);

-- normal: frequency = repeat occasions, recency and T in weeks from the first day, mean repeat value
SELECT customer, (clv_summary_agg(ts, amount, '2024-02-12', '7 days')).* FROM sum_orders GROUP BY customer ORDER BY customer;
-- the same in days
SELECT customer, (clv_summary_agg(ts, amount, '2024-02-12', '1 day')).* FROM sum_orders GROUP BY customer ORDER BY customer;
-- edge: a purchase exactly at calibration_end is included
SELECT (clv_summary_agg(ts, amount, '2024-03-01', '7 days')).* FROM sum_orders WHERE customer = 1;
-- edge: no rows
SELECT clv_summary_agg(ts, amount, '2024-02-12', '7 days') IS NULL AS empty_is_null FROM sum_orders WHERE false;
-- edge: first purchase on calibration_end
SELECT (clv_summary_agg(ts, amount, '2024-01-08', '7 days')).* FROM sum_orders WHERE customer = 2;
-- the summary feeds the fits directly
SELECT (s).frequency >= 0 AND (s).recency <= (s).t AS consistent FROM (SELECT clv_summary_agg(ts, amount, '2024-02-12', '7 days') s FROM sum_orders GROUP BY customer) x WHERE s IS NOT NULL;
-- errors
SELECT clv_summary_agg(ts, amount, '2024-02-12', '0 days') FROM sum_orders;
SELECT clv_summary_agg(ts, amount, '2024-02-12', '-7 days') FROM sum_orders;
SELECT clv_summary_agg(ts, amount, NULL, '7 days') FROM sum_orders;
SELECT clv_summary_agg(ts, amount, '2024-02-12', NULL) FROM sum_orders;
SELECT clv_summary_agg(ts, amount, ts, '7 days') FROM sum_orders WHERE customer = 1;
SELECT clv_summary_agg(ts, 'Infinity'::numeric, '2024-02-12', '7 days') FROM sum_orders;
DROP TABLE sum_orders;
