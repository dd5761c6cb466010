-- Referral graphs: referral_edges, referral_tree, referral_k_factor against a
-- plain-SQL reference (DISTINCT ON for the first edge per referee, recursive
-- CTEs for cycles, generations and downlines) on random graphs with
-- self-referrals, repeated edges, second referrers, cycles and ties in time.
SET timezone = 'UTC';
-- A small graph by hand: a cycle 1 -> 2 -> 3 -> 1, a self-referral, a
-- repeated edge, a second referrer and a NULL.
SELECT * FROM referral_edges('{1,2,3,4,5,6,6,9,9,NULL}', '{2,3,1,4,6,7,7,10,7,11}',
    ARRAY['2024-01-01','2024-01-02','2024-01-03','2024-01-04','2024-01-05','2024-01-06','2024-01-07','2024-02-01','2024-02-02','2024-02-03']::timestamptz[]);
SELECT * FROM referral_tree('{1,2,3,4,5,6,6,9,9,NULL}', '{2,3,1,4,6,7,7,10,7,11}',
    ARRAY['2024-01-01','2024-01-02','2024-01-03','2024-01-04','2024-01-05','2024-01-06','2024-01-07','2024-02-01','2024-02-02','2024-02-03']::timestamptz[])
ORDER BY root, generation, person;
SELECT * FROM referral_k_factor('{1,2,3,4,5,6,6,9,9,NULL}', '{2,3,1,4,6,7,7,10,7,11}',
    ARRAY['2024-01-01','2024-01-02','2024-01-03','2024-01-04','2024-01-05','2024-01-06','2024-01-07','2024-02-01','2024-02-02','2024-02-03']::timestamptz[]);
-- Edge cases: empty arrays, ids 0 and 4294967295, equal times (ties by
-- referrer then referee), a long chain (no recursion in C).
SELECT count(*) FROM referral_tree('{}', '{}', '{}');
SELECT * FROM referral_edges('{0,4294967295}', '{4294967295,0}', ARRAY['2024-01-01','2024-01-01']::timestamptz[]);
SELECT * FROM referral_edges('{3,2}', '{1,1}', ARRAY['2024-01-01','2024-01-01']::timestamptz[]);
SELECT max(generation), max(downline), count(*) FROM referral_tree(
    ARRAY(SELECT g FROM generate_series(1, 100000) g), ARRAY(SELECT g + 1 FROM generate_series(1, 100000) g),
    ARRAY(SELECT timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series(1, 100000) g));
-- Closing a long chain into a cycle is refused.
SELECT status, count(*) FROM referral_edges(
    ARRAY(SELECT g % 1000 + 1 FROM generate_series(1, 1000) g), ARRAY(SELECT (g + 1) % 1000 + 1 FROM generate_series(1, 1000) g),
    ARRAY(SELECT timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series(1, 1000) g)) GROUP BY 1 ORDER BY 1;
-- Errors.
SELECT * FROM referral_tree('{1,2}', '{2}', ARRAY['2024-01-01']::timestamptz[]);
SELECT * FROM referral_tree('{-1}', '{2}', ARRAY['2024-01-01']::timestamptz[]);
SELECT * FROM referral_tree('{1}', '{4294967296}', ARRAY['2024-01-01']::timestamptz[]);
SELECT * FROM referral_tree('{{1}}', '{{2}}', ARRAY[['2024-01-01']]::timestamptz[]);
SELECT * FROM referral_k_factor('{1}', '{2}', ARRAY['2024-01-01']::timestamptz[], 'fortnight');

-- Random graphs: 40 persons, 200 edges each, times on 30 days (many ties).
CREATE TEMP TABLE edges (g int, edge int, referrer bigint, referee bigint, ts timestamptz);
SELECT setseed(0.14);
INSERT INTO edges
SELECT g, e, CASE WHEN random() < 0.01 THEN NULL ELSE (random() * 39)::int + 1 END,
       (random() * 39)::int + 1, timestamptz '2024-01-01' + (random() * 29)::int * interval '1 day'
FROM generate_series(1, 20) g, generate_series(1, 200) e;
-- some self-referrals and short cycles on purpose
UPDATE edges SET referee = referrer WHERE edge % 37 = 0;
CREATE TEMP TABLE got_edges AS
SELECT a.g, r.* FROM (SELECT g, array_agg(referrer ORDER BY edge) f, array_agg(referee ORDER BY edge) t,
                             array_agg(ts ORDER BY edge) ts FROM edges GROUP BY g) a,
     referral_edges(a.f, a.t, a.ts) r;
CREATE TEMP TABLE got_tree AS
SELECT a.g, r.* FROM (SELECT g, array_agg(referrer ORDER BY edge) f, array_agg(referee ORDER BY edge) t,
                             array_agg(ts ORDER BY edge) ts FROM edges GROUP BY g) a,
     referral_tree(a.f, a.t, a.ts) r;
-- The reference.  Candidates: each referee's first non-self edge in
-- (time, referrer, referee, position) order.
CREATE TEMP TABLE cand AS
SELECT DISTINCT ON (g, referee) g, edge, referrer, referee, ts FROM edges
WHERE referrer IS NOT NULL AND referee IS NOT NULL AND ts IS NOT NULL AND referrer <> referee
ORDER BY g, referee, ts, referrer, edge;
-- A candidate u -> v is on a cycle when walking up the candidate parents from
-- u reaches v; the cycle's edges are the walk's edges plus itself.
CREATE TEMP TABLE cyc AS
WITH RECURSIVE walk(g, start, target, node, path) AS (
    SELECT c.g, c.edge, c.referee, c.referrer, ARRAY[c.edge] FROM cand c
    UNION ALL
    SELECT w.g, w.start, w.target, p.referrer, w.path || p.edge
    FROM walk w JOIN cand p ON p.g = w.g AND p.referee = w.node
    WHERE w.node <> w.target AND NOT p.edge = ANY (w.path)
)
SELECT g, start AS edge, path FROM walk WHERE node = target;
-- The cycle's last edge in order is the one refused.
CREATE TEMP TABLE refused_cycle AS
SELECT y.g, y.edge FROM cyc y JOIN cand c ON c.g = y.g AND c.edge = y.edge
WHERE NOT EXISTS (SELECT 1 FROM unnest(y.path) o(edge) JOIN cand d ON d.g = y.g AND d.edge = o.edge
                  WHERE (d.ts, d.referrer, d.referee, d.edge) > (c.ts, c.referrer, c.referee, c.edge));
CREATE TEMP TABLE ref_edges AS
SELECT e.g, e.edge, e.referrer, e.referee, e.ts,
       CASE WHEN e.referrer IS NULL OR e.referee IS NULL OR e.ts IS NULL THEN 'null'
            WHEN e.referrer = e.referee THEN 'self'
            WHEN c.edge IS NULL AND c2.referrer = e.referrer THEN 'duplicate'
            WHEN c.edge IS NULL THEN 'second_referrer'
            WHEN r.edge IS NOT NULL THEN 'cycle'
            ELSE 'accepted' END AS status
FROM edges e
LEFT JOIN cand c ON c.g = e.g AND c.edge = e.edge
LEFT JOIN cand c2 ON c2.g = e.g AND c2.referee = e.referee
LEFT JOIN refused_cycle r ON r.g = e.g AND r.edge = e.edge;
SELECT status, count(*) FROM ref_edges GROUP BY 1 ORDER BY 1;
SELECT count(*) AS edge_differences FROM (
    (SELECT g, edge, referrer, referee, ts, status FROM ref_edges
     EXCEPT SELECT g, edge, referrer, referee, referred_at, status FROM got_edges)
    UNION ALL
    (SELECT g, edge, referrer, referee, referred_at, status FROM got_edges
     EXCEPT SELECT g, edge, referrer, referee, ts, status FROM ref_edges)) d;
-- Trees: roots are endpoints of accepted edges without an accepted parent.
CREATE TEMP TABLE acc AS SELECT g, referrer, referee, ts FROM ref_edges WHERE status = 'accepted';
CREATE TEMP TABLE ref_tree AS
WITH RECURSIVE t(g, person, parent, root, generation, referred_at) AS (
    SELECT DISTINCT a.g, a.referrer, NULL::bigint, a.referrer, 0, NULL::timestamptz FROM acc a
    WHERE NOT EXISTS (SELECT 1 FROM acc b WHERE b.g = a.g AND b.referee = a.referrer)
    UNION ALL
    SELECT t.g, a.referee, a.referrer, t.root, t.generation + 1, a.ts
    FROM t JOIN acc a ON a.g = t.g AND a.referrer = t.person
),
closure(g, ancestor, person) AS (
    SELECT g, referrer, referee FROM acc
    UNION ALL
    SELECT c.g, c.ancestor, a.referee FROM closure c JOIN acc a ON a.g = c.g AND a.referrer = c.person
)
SELECT t.*, (SELECT min(a.ts) FROM acc a WHERE a.g = t.g AND t.person IN (a.referrer, a.referee)) AS joined_at,
       (SELECT count(*) FROM acc a WHERE a.g = t.g AND a.referrer = t.person) AS direct_referees,
       (SELECT count(*) FROM closure c WHERE c.g = t.g AND c.ancestor = t.person) AS downline
FROM t;
SELECT count(*) AS persons, max(generation) AS deepest, max(downline) AS largest_downline FROM ref_tree;
SELECT count(*) AS tree_differences FROM (
    (SELECT * FROM ref_tree EXCEPT SELECT * FROM got_tree)
    UNION ALL
    (SELECT * FROM got_tree EXCEPT SELECT * FROM ref_tree)) d;
-- K-factor: per week, new referees / distinct referrers among accepted
-- edges; the network before a week = persons whose first accepted edge (as
-- either end) is earlier.
CREATE TEMP TABLE ref_k AS
WITH j AS (SELECT r.g, r.person, r.joined_at AS ts FROM ref_tree r),
w AS (SELECT DISTINCT g, date_trunc('week', ts) AS p FROM acc)
SELECT w.g, w.p,
       (SELECT count(DISTINCT referrer) FROM acc a WHERE a.g = w.g AND date_trunc('week', a.ts) = w.p) AS referrers,
       (SELECT count(*) FROM acc a WHERE a.g = w.g AND date_trunc('week', a.ts) = w.p) AS referees,
       (SELECT count(*) FROM j WHERE j.g = w.g AND j.ts < w.p) AS before
FROM w;
CREATE TEMP TABLE got_k AS
SELECT a.g, k.* FROM (SELECT g, array_agg(referrer ORDER BY edge) f, array_agg(referee ORDER BY edge) t,
                             array_agg(ts ORDER BY edge) ts FROM edges GROUP BY g) a,
     referral_k_factor(a.f, a.t, a.ts, 'week') k;
SELECT count(*) AS periods, count(*) FILTER (WHERE r.g IS NULL OR k.g IS NULL
        OR (r.referrers, r.referees, r.before) IS DISTINCT FROM (k.active_referrers, k.new_referees, k.network_before)
        OR abs(k.k_factor - r.referees::float8 / r.referrers) > 1e-12
        OR (r.before > 0 AND abs(k.viral_rate - r.referees::float8 / r.before) > 1e-12)
        OR (r.before = 0 AND k.viral_rate IS NOT NULL)) AS k_differences
FROM ref_k r FULL JOIN got_k k ON k.g = r.g AND k.period_start = r.p;
-- Input order does not matter: the same edges shuffled give the same forest.
SELECT count(*) AS shuffled_differences FROM (
    SELECT a.g, r.* FROM (SELECT g, array_agg(referrer ORDER BY md5(edge::text)) f, array_agg(referee ORDER BY md5(edge::text)) t,
                                 array_agg(ts ORDER BY md5(edge::text)) ts FROM edges GROUP BY g) a,
         referral_tree(a.f, a.t, a.ts) r
    EXCEPT SELECT * FROM got_tree) d;
