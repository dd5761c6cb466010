-- attribution: every model against a plain-SQL reference on random data,
-- then the edges (doc/measurement.md) and the errors.
SET TimeZone = 'UTC';
SET extra_float_digits = 0;
SELECT setseed(0.14);
CREATE TABLE attr_touches AS
SELECT (1 + floor(random() * 150))::bigint AS person_id,
       timestamptz '2026-01-01' + floor(random() * 60 * 24)::int * interval '1 hour' AS ts,
       (ARRAY['guide', 'wecom', 'sms', 'store', '', 'Ä小程序'])[1 + floor(random() * 6)::int] AS channel
FROM generate_series(1, 3000);
CREATE TABLE attr_orders AS
SELECT g AS order_id, (1 + floor(random() * 170))::bigint AS person_id,
       timestamptz '2026-01-01' + floor(random() * 60 * 24)::int * interval '1 hour' AS ts,
       round((random() * 500)::numeric, 2) AS amount
FROM generate_series(1, 1500) g;
-- edges: a touch at the same instant as the order, one exactly at the window
-- start, one just outside it, one just after the order, ties in time
INSERT INTO attr_touches VALUES
  (1001, '2026-03-10 12:00', 'same_instant'), (1001, '2026-03-03 12:00', 'window_start'),
  (1001, '2026-03-03 11:59:59.999999', 'outside'), (1001, '2026-03-10 12:00:00.000001', 'after'),
  (1002, '2026-03-05', 'tie_b'), (1002, '2026-03-05', 'tie_a'), (1002, '2026-03-05', 'tie_c'),
  (1003, '2026-03-01', 'reused');
INSERT INTO attr_orders VALUES
  (5001, 1001, '2026-03-10 12:00', 100), (5002, 1002, '2026-03-06', 30),
  (5003, 1003, '2026-03-02', 10), (5004, 1003, '2026-03-03', 20),
  (5005, NULL, '2026-03-03', 7), (5006, 1004, '2026-03-03', 0.5);
CREATE VIEW attr_events AS
SELECT person_id, ts, channel AS touch, NULL::float8 AS amount FROM attr_touches
UNION ALL
SELECT person_id, ts, NULL, amount::float8 FROM attr_orders;
-- The reference: every (order, touch) pair in [order ts - window, order ts],
-- touches ranked by (ts, channel in byte order), weights per model.
CREATE FUNCTION attr_ref(model text, w interval, hl interval)
RETURNS TABLE (touch text, orders bigint, credit float8, gmv float8) LANGUAGE sql AS $$
  WITH pairs AS (
    SELECT o.order_id, o.amount::float8 AS amount, t.channel, t.ts, o.ts AS ots,
           row_number() OVER (PARTITION BY o.order_id ORDER BY t.ts, t.channel COLLATE "C") AS pos,
           count(*) OVER (PARTITION BY o.order_id) AS n,
           max(t.ts) OVER (PARTITION BY o.order_id) AS latest
    FROM attr_orders o JOIN attr_touches t
      ON t.person_id = o.person_id AND t.ts <= o.ts AND t.ts >= o.ts - w),
  weighted AS (
    SELECT order_id, amount, channel,
           CASE model
             WHEN 'last' THEN CASE WHEN pos = n THEN 1.0 END
             WHEN 'first' THEN CASE WHEN pos = 1 THEN 1.0 END
             WHEN 'linear' THEN 1.0 / n
             WHEN 'position' THEN CASE WHEN n = 1 THEN 1.0 WHEN n = 2 THEN 0.5
                                       WHEN pos = 1 OR pos = n THEN 0.4 ELSE 0.2 / (n - 2) END
             WHEN 'time_decay' THEN power(2.0, -extract(epoch FROM latest - ts)::float8 / extract(epoch FROM hl)::float8)
               / sum(power(2.0, -extract(epoch FROM latest - ts)::float8 / extract(epoch FROM hl)::float8)) OVER (PARTITION BY order_id)
           END::float8 AS weight
    FROM pairs)
  SELECT channel, count(DISTINCT order_id), sum(weight), sum(weight * amount)
  FROM weighted WHERE weight IS NOT NULL GROUP BY channel
  UNION ALL
  SELECT NULL, count(*), count(*), coalesce(sum(amount), 0)
  FROM attr_orders o WHERE NOT EXISTS (SELECT FROM pairs p WHERE p.order_id = o.order_id)
$$;
CREATE FUNCTION attr_got(model text, w interval, hl interval)
RETURNS SETOF attribution_credit LANGUAGE sql AS $$
  SELECT c.* FROM (SELECT attribution(person_id, ts, touch, amount, model, w ORDER BY person_id) AS a
    FROM attr_events WHERE hl IS NULL
    UNION ALL
    SELECT attribution(person_id, ts, touch, amount, model, w, hl ORDER BY person_id)
    FROM attr_events WHERE hl IS NOT NULL) s, unnest(s.a) c WHERE s.a IS NOT NULL
$$;
CREATE FUNCTION attr_diff(model text, w interval, hl interval DEFAULT NULL)
RETURNS TABLE (model text, values_compared bigint, mismatches bigint, orders bigint, total_credit numeric, total_gmv numeric)
LANGUAGE sql AS $$
  SELECT model, count(*), count(*) FILTER (WHERE r.orders IS DISTINCT FROM g.orders
           OR abs(r.credit - g.credit) > 1e-9 OR abs(r.gmv - g.gmv) > 1e-6
           OR r.credit IS NULL OR g.credit IS NULL),
         (SELECT count(*) FROM attr_orders),
         round(sum(g.credit)::numeric, 6), round(sum(g.gmv)::numeric, 4)
  FROM attr_ref(model, w, hl) r FULL JOIN attr_got(model, w, hl) g ON coalesce(r.touch, '<none>') = coalesce(g.touch, '<none>')
$$;
SELECT (attr_diff('last', '7 days')).*;
SELECT (attr_diff('first', '7 days')).*;
SELECT (attr_diff('linear', '7 days')).*;
SELECT (attr_diff('position', '7 days')).*;
SELECT (attr_diff('time_decay', '7 days', '2 days')).*;
SELECT (attr_diff('linear', '0 seconds')).*;
SELECT (attr_diff('position', '30 days 12:00:00')).*;
SELECT (attr_diff('time_decay', '1 mon', '36:00:00')).*;
SELECT sum(amount) AS total_gmv FROM attr_orders;
-- calendar windows follow SQL's ts - window, DST included
SET TimeZone = 'America/New_York';
SELECT (attr_diff('linear', '1 day')).*;
SELECT (attr_diff('first', '1 mon 2 days')).*;
SET TimeZone = 'UTC';
-- the edge rows, model by model (person 1001: window [03-03 12:00, 03-10 12:00])
CREATE FUNCTION attr_edge(model text, persons bigint[], hl interval DEFAULT NULL)
RETURNS SETOF attribution_credit LANGUAGE sql AS $$
  SELECT c.touch, c.orders, round(c.credit::numeric, 6)::float8, round(c.gmv::numeric, 6)::float8
  FROM (SELECT attribution(person_id, ts, touch, amount, model, '7 days' ORDER BY person_id) AS a
    FROM attr_events WHERE hl IS NULL AND (person_id = ANY (persons) OR (person_id IS NULL AND 0 = ANY (persons)))
    UNION ALL
    SELECT attribution(person_id, ts, touch, amount, model, '7 days', hl ORDER BY person_id)
    FROM attr_events WHERE hl IS NOT NULL AND person_id = ANY (persons)) s, unnest(s.a) c WHERE s.a IS NOT NULL
$$;
SELECT * FROM attr_edge('last', '{1001}');
SELECT * FROM attr_edge('first', '{1001}');
SELECT * FROM attr_edge('linear', '{1001}');
SELECT * FROM attr_edge('time_decay', '{1001}', '7 days');
-- ties in time: byte order of the values decides first and last
SELECT * FROM attr_edge('first', '{1002}');
SELECT * FROM attr_edge('last', '{1002}');
SELECT * FROM attr_edge('position', '{1002}');
-- one touch credited by two orders; an order of no person; no touch at all
SELECT * FROM attr_edge('last', '{1003,1004,0}');
-- rows in any order inside a person; a null touch and null amount row is ignored
SELECT c.* FROM (SELECT attribution(p, t, v, a, 'linear', '1 day') AS r
  FROM (VALUES (7, timestamptz '2026-01-02', NULL, 10.0), (7, '2026-01-01 12:00', 'b', NULL),
               (7, '2026-01-01 18:00', 'a', NULL), (7, '2026-01-03', NULL, NULL), (8, '2026-01-01', NULL, 4)) v(p, t, v, a)) s,
  unnest(s.r) c;
-- no rows: NULL
SELECT attribution(person_id, ts, touch, amount, 'last', '1 day') FROM attr_events WHERE false;
-- parallel plans: partial states combine when persons do not straddle them
CREATE TABLE attr_big AS
SELECT g / 4 AS person_id, timestamptz '2026-01-01' + (g % 4) * interval '1 day' AS ts,
       CASE WHEN g % 4 < 3 THEN 'c' || (g % 3) END AS touch, CASE WHEN g % 4 = 3 THEN 1.0::float8 END AS amount
FROM generate_series(0, 399999) g;
ANALYZE attr_big;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
-- a parallel scan splits a person's rows between workers: refused, not miscounted
DO $$
BEGIN
  PERFORM attribution(person_id, ts, touch, amount, 'linear', '7 days') FROM attr_big;
  RAISE NOTICE 'parallel plan: not refused (no worker started?)';
EXCEPTION WHEN invalid_parameter_value THEN
  RAISE NOTICE 'parallel plan: refused';
END $$;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT c.* FROM (SELECT attribution(person_id, ts, touch, amount, 'position', '7 days' ORDER BY person_id) AS a FROM attr_big) s, unnest(s.a) c;
-- errors
SELECT attribution(person_id, ts, touch, amount, 'last', '1 day') FROM (VALUES (1, now(), 'a', NULL::float8), (2, now(), 'a', NULL), (1, now(), 'b', NULL)) v(person_id, ts, touch, amount);
SELECT attribution(person_id, ts, touch, amount, 'shapley', '1 day') FROM attr_events;
SELECT attribution(person_id, ts, touch, amount, 'last', '-1 day') FROM attr_events;
SELECT attribution(person_id, ts, touch, amount, 'last', '1 day -25 hours') FROM attr_events;
SELECT attribution(person_id, ts, touch, amount, 'last', NULL) FROM attr_events;
SELECT attribution(person_id, ts, touch, amount, 'time_decay', '1 day') FROM attr_events;
SELECT attribution(person_id, ts, touch, amount, 'linear', '1 day', '1 day') FROM attr_events;
SELECT attribution(person_id, ts, touch, amount, 'time_decay', '1 day', '0 days') FROM attr_events;
SELECT attribution(person_id, ts, touch, amount, 'time_decay', '1 day', '1 mon') FROM attr_events;
SELECT attribution(1, now(), 'a', 1, 'last', '1 day');
SELECT attribution(-1, now(), 'a', NULL, 'last', '1 day');
SELECT attribution(person_id, ts, touch, amount, m, '1 day') FROM (VALUES (1, now(), 'a', NULL::float8, 'last'), (1, now(), NULL, 2, 'first')) v(person_id, ts, touch, amount, m);
