-- attribution over orders and touches, against the plain SQL a user writes
-- without quanyu: a join of each order to the person's touches in the
-- window, then DISTINCT ON (last, first) or window functions (linear,
-- position, time_decay), then GROUP BY touch value.  Both sides read the
-- same two tables and return one row per touch value.
--
-- Scaled down from the issue's 10M orders x 50M touches to :orders orders x
-- 5 touches per order (default 500k x 2.5M) so the file runs in a few minutes on
-- 2 shared cores; pass -v orders=10000000 for the full size.
\if :{?orders}
\else
\set orders 500000
\endif
SET work_mem = '1GB';
SET max_parallel_workers_per_gather = 0;	-- attribution needs its rows in person order
SELECT setseed(0.5);
CREATE TABLE attr_bench_touches AS
	SELECT (random() * (:orders / 2))::bigint AS person_id,
		'2026-01-01'::timestamptz + random() * interval '180 days' AS ts,
		(ARRAY['guide', 'wecom', 'sms', 'store', 'live', 'app', 'mini', 'ads'])[1 + (random() * 7)::int] AS channel
	FROM generate_series(1, :orders * 5);
CREATE TABLE attr_bench_orders AS
	SELECT g AS order_id, (random() * (:orders / 2))::bigint AS person_id,
		'2026-01-01'::timestamptz + random() * interval '180 days' AS ts,
		round((random() * 500)::numeric, 2)::float8 AS amount
	FROM generate_series(1, :orders) g;
VACUUM ANALYZE attr_bench_touches, attr_bench_orders;
CREATE VIEW attr_bench_events AS
	SELECT person_id, ts, channel AS touch, NULL::float8 AS amount FROM attr_bench_touches
	UNION ALL
	SELECT person_id, ts, NULL, amount FROM attr_bench_orders;
-- Warm the caches once for both sides (each comparison is a single run).
SELECT count(*) FROM attr_bench_events;

SELECT quanyu_bench.compare(format('attribution last, %s orders x %s touches, 30 days', :orders, :orders * 5),
	$q$SELECT count(*), sum(c.gmv) FROM unnest((SELECT attribution(person_id, ts, touch, amount, 'last', '30 days' ORDER BY person_id)
		FROM attr_bench_events)) c$q$,
	$b$SELECT count(*), sum(gmv) FROM (SELECT channel, count(*), sum(amount) AS gmv FROM (
		SELECT DISTINCT ON (o.order_id) o.order_id, o.amount, t.channel
		FROM attr_bench_orders o LEFT JOIN attr_bench_touches t
			ON t.person_id = o.person_id AND t.ts <= o.ts AND t.ts >= o.ts - interval '30 days'
		ORDER BY o.order_id, t.ts DESC, t.channel COLLATE "C" DESC) x GROUP BY channel) y$b$, 1);
SELECT quanyu_bench.compare(format('attribution first, %s orders x %s touches, 30 days', :orders, :orders * 5),
	$q$SELECT count(*), sum(c.gmv) FROM unnest((SELECT attribution(person_id, ts, touch, amount, 'first', '30 days' ORDER BY person_id)
		FROM attr_bench_events)) c$q$,
	$b$SELECT count(*), sum(gmv) FROM (SELECT channel, count(*), sum(amount) AS gmv FROM (
		SELECT DISTINCT ON (o.order_id) o.order_id, o.amount, t.channel
		FROM attr_bench_orders o LEFT JOIN attr_bench_touches t
			ON t.person_id = o.person_id AND t.ts <= o.ts AND t.ts >= o.ts - interval '30 days'
		ORDER BY o.order_id, t.ts, t.channel COLLATE "C") x GROUP BY channel) y$b$, 1);
SELECT quanyu_bench.compare(format('attribution linear, %s orders x %s touches, 30 days', :orders, :orders * 5),
	$q$SELECT count(*), sum(c.gmv) FROM unnest((SELECT attribution(person_id, ts, touch, amount, 'linear', '30 days' ORDER BY person_id)
		FROM attr_bench_events)) c$q$,
	$b$SELECT count(*), sum(gmv) FROM (SELECT channel, count(DISTINCT order_id), sum(w), sum(w * amount) AS gmv FROM (
		SELECT o.order_id, o.amount, t.channel, 1.0 / count(*) OVER (PARTITION BY o.order_id) AS w
		FROM attr_bench_orders o LEFT JOIN attr_bench_touches t
			ON t.person_id = o.person_id AND t.ts <= o.ts AND t.ts >= o.ts - interval '30 days') x GROUP BY channel) y$b$, 1);
SELECT quanyu_bench.compare(format('attribution position, %s orders x %s touches, 30 days', :orders, :orders * 5),
	$q$SELECT count(*), sum(c.gmv) FROM unnest((SELECT attribution(person_id, ts, touch, amount, 'position', '30 days' ORDER BY person_id)
		FROM attr_bench_events)) c$q$,
	$b$SELECT count(*), sum(gmv) FROM (SELECT channel, count(DISTINCT order_id), sum(w), sum(w * amount) AS gmv FROM (
		SELECT order_id, amount, channel,
			CASE WHEN n = 1 THEN 1.0 WHEN n = 2 THEN 0.5 WHEN pos = 1 OR pos = n THEN 0.4 ELSE 0.2 / (n - 2) END AS w
		FROM (SELECT o.order_id, o.amount, t.channel,
				row_number() OVER (PARTITION BY o.order_id ORDER BY t.ts, t.channel COLLATE "C") AS pos,
				count(*) OVER (PARTITION BY o.order_id) AS n
			FROM attr_bench_orders o LEFT JOIN attr_bench_touches t
				ON t.person_id = o.person_id AND t.ts <= o.ts AND t.ts >= o.ts - interval '30 days') p) x GROUP BY channel) y$b$, 1);
SELECT quanyu_bench.compare(format('attribution time_decay, %s orders x %s touches, 30 days, half-life 7 days', :orders, :orders * 5),
	$q$SELECT count(*), sum(c.gmv) FROM unnest((SELECT attribution(person_id, ts, touch, amount, 'time_decay', '30 days', '7 days' ORDER BY person_id)
		FROM attr_bench_events)) c$q$,
	$b$SELECT count(*), sum(gmv) FROM (SELECT channel, count(DISTINCT order_id), sum(w), sum(w * amount) AS gmv FROM (
		SELECT order_id, amount, channel, d / sum(d) OVER (PARTITION BY order_id) AS w
		FROM (SELECT o.order_id, o.amount, t.channel,
				power(2.0, -extract(epoch FROM max(t.ts) OVER (PARTITION BY o.order_id) - t.ts)::float8 / 604800) AS d
			FROM attr_bench_orders o LEFT JOIN attr_bench_touches t
				ON t.person_id = o.person_id AND t.ts <= o.ts AND t.ts >= o.ts - interval '30 days') p) x GROUP BY channel) y$b$, 1);
DROP VIEW attr_bench_events;
DROP TABLE attr_bench_touches, attr_bench_orders;
