-- clv_rfm: rfm_agg, rfm_breaks, rfm_score, rfm_class, rfm_segment.
SET TimeZone = 'UTC';
CREATE TABLE rfm_orders (customer int, ts timestamptz, amount numeric);
INSERT INTO rfm_orders VALUES
  (1, '2024-01-01 10:00', 10.50), (1, '2024-01-01 18:00', 4.25), (1, '2024-02-15', 20),
  (2, '2024-03-01', 99.999), (3, '2024-01-20', -5.00), (3, '2024-01-21', 5.00),
  (4, NULL, 7), (4, '2024-02-01', NULL), (4, '2024-02-02', 1e-6);

-- normal: recency in days to as_of, orders, sum, first/last, average order value
SELECT customer, (rfm_agg(ts, amount, '2024-03-31')).* FROM rfm_orders GROUP BY customer ORDER BY customer;
-- edge: no rows gives NULL; only NULL rows gives NULL; a single purchase
SELECT rfm_agg(ts, amount, '2024-03-31') IS NULL AS empty_is_null FROM rfm_orders WHERE false;
SELECT rfm_agg(ts, amount, '2024-03-31') IS NULL AS all_null_is_null FROM rfm_orders WHERE customer = 4 AND (ts IS NULL OR amount IS NULL);
SELECT (rfm_agg(ts, amount, '2024-01-01 12:00')).* FROM (VALUES ('2024-01-01 00:00'::timestamptz, 3::numeric)) v(ts, amount);
-- edge: amounts beyond the fast path (huge, very precise) are summed exactly as numeric
SELECT (rfm_agg(ts, amount, '2024-12-31')).monetary FROM (VALUES ('2024-01-01'::timestamptz, 123456789012345678901234567890.5::numeric), ('2024-01-02', 0.5)) v(ts, amount);
SELECT (rfm_agg(ts, amount, '2024-12-31')).monetary FROM (VALUES ('2024-01-01'::timestamptz, 0.1234567890123456789012::numeric), ('2024-01-02', 1)) v(ts, amount);
SELECT (rfm_agg(ts, amount, '2024-12-31')).monetary = sum(amount) AS matches_sum FROM (SELECT '2024-01-01'::timestamptz AS ts, (i * 1.37 - 500)::numeric(12,3) AS amount FROM generate_series(1, 1000) i) v;
-- errors
SELECT rfm_agg(ts, amount, NULL) FROM rfm_orders;
SELECT rfm_agg(ts, 'NaN'::numeric, '2024-03-31') FROM rfm_orders;
SELECT rfm_agg(ts, amount, ts) FROM rfm_orders WHERE customer = 1;

-- rfm_breaks: k-1 break points at percentile_disc(j/k)
SELECT rfm_breaks(v, 5) FROM generate_series(1, 10) v;
SELECT rfm_breaks(v, 4) FROM (VALUES (1.0), (1.0), (1.0), (2.0), (NULL)) t(v);
SELECT rfm_breaks(v, 3) IS NULL AS empty_is_null FROM generate_series(1, 10) v WHERE false;
SELECT rfm_breaks(v, 1) FROM generate_series(1, 10) v;
SELECT rfm_breaks(v, 3) FROM (VALUES (1.0), ('NaN')) t(v);

-- rfm_score: ties always share a score; reverse for recency
SELECT v, rfm_score(v, ARRAY[2, 4, 6, 8]::float8[]) AS score, rfm_score(v, ARRAY[2, 4, 6, 8]::float8[], true) AS reversed FROM generate_series(1, 10) v;
SELECT rfm_score(5, ARRAY[5, 5, 5]::float8[]) AS all_ties, rfm_score(6, ARRAY[5, 5, 5]::float8[]) AS above_ties;
SELECT count(DISTINCT rfm_score(v, b)) FILTER (WHERE v = 1) AS scores_of_ties
FROM (VALUES (1.0), (1.0), (1.0), (1.0), (2.0), (3.0)) t(v), (SELECT rfm_breaks(v, 5) b FROM (VALUES (1.0), (1.0), (1.0), (1.0), (2.0), (3.0)) t(v)) s;
SELECT rfm_score(1, ARRAY[3, 2]::float8[]);
SELECT rfm_score(1, ARRAY[]::float8[]);
SELECT rfm_score(1, ARRAY[1, NULL]::float8[]);
SELECT rfm_score('NaN', ARRAY[1, 2]::float8[]);

-- rfm_class: all 8 classes
SELECT r, f, m, (rfm_class(r, f, m)).* FROM (VALUES (true), (false)) a(r), (VALUES (true), (false)) b(f), (VALUES (true), (false)) c(m) ORDER BY m DESC, r DESC, f DESC;
SELECT rfm_class(NULL, true, true) IS NULL AS null_in_null_out;

-- rfm_segment: every one of the 25 cells has exactly one segment
SELECT r, string_agg(rfm_segment(r, f), ' | ' ORDER BY f) AS f1_to_f5 FROM generate_series(5, 1, -1) r, generate_series(1, 5) f GROUP BY r ORDER BY r DESC;
SELECT rfm_segment(s, f) AS segment, count(*) AS cells FROM generate_series(1, 5) s, generate_series(1, 5) f GROUP BY 1 ORDER BY 1;
SELECT rfm_segment(0, 3);
SELECT rfm_segment(3, 6);

-- end to end: scores from breaks, class by above-mean score, segment
WITH s AS (SELECT customer, rfm_agg(ts, amount, '2024-03-31') AS r FROM rfm_orders GROUP BY customer HAVING rfm_agg(ts, amount, '2024-03-31') IS NOT NULL),
b AS (SELECT rfm_breaks((r).recency, 3) rb, rfm_breaks((r).frequency, 3) fb, rfm_breaks((r).monetary::float8, 3) mb FROM s),
sc AS (SELECT customer, rfm_score((r).recency, rb, true) rs, rfm_score((r).frequency, fb) fs, rfm_score((r).monetary::float8, mb) ms FROM s, b)
SELECT customer, rs, fs, ms, (rfm_class(rs > avg(rs) OVER (), fs > avg(fs) OVER (), ms > avg(ms) OVER ())).name_en FROM sc ORDER BY customer;
DROP TABLE rfm_orders;
