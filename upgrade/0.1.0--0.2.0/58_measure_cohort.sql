-- 58_measure_cohort.sql: cohort value curves, referral graphs and trade-metric names (issue 14): new objects, the same text as src/metrics/metrics_cohort.sql.
-- Referral (裂变) graphs ------------------------------------------------------------

CREATE FUNCTION referral_edges(referrers bigint[], referees bigint[], times timestamptz[],
	OUT edge integer, OUT referrer bigint, OUT referee bigint, OUT referred_at timestamptz, OUT status text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'referral_edges' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION referral_edges(bigint[], bigint[], timestamptz[]) IS
	'what became of each (referrer, referee, time) edge: accepted, self, duplicate, second_referrer, cycle or null (first edge in time per referee wins)';

CREATE FUNCTION referral_tree(referrers bigint[], referees bigint[], times timestamptz[],
	OUT person bigint, OUT parent bigint, OUT root bigint, OUT generation integer,
	OUT referred_at timestamptz, OUT direct_referees bigint, OUT downline bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'referral_tree' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION referral_tree(bigint[], bigint[], timestamptz[]) IS
	'the referral forest of the accepted edges: per person its parent, root, generation (0 = root), direct referees and whole downline';

CREATE FUNCTION referral_k_factor(referrers bigint[], referees bigint[], times timestamptz[],
	period text DEFAULT 'month')
	RETURNS TABLE (period_start timestamptz, active_referrers bigint, new_referees bigint,
	               k_factor double precision, network_before bigint, viral_rate double precision)
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, quanyu, pg_temp
AS $$
-- STABLE, not IMMUTABLE: date_trunc of a timestamptz depends on TimeZone.
WITH t AS (
    SELECT * FROM quanyu.referral_tree(referrers, referees, times)),
joined AS (
    -- a referee joins the network when referred, a root with its first referral
    SELECT t.person, t.referred_at AS at FROM t WHERE t.parent IS NOT NULL
    UNION ALL
    SELECT t.parent, pg_catalog.min(t.referred_at) FROM t WHERE t.parent IS NOT NULL
      AND t.parent OPERATOR(pg_catalog.=) ANY (
          SELECT r.person FROM t AS r WHERE r.parent IS NULL)
    GROUP BY t.parent),
j AS (
    SELECT pg_catalog.date_trunc(period, joined.at) AS p, pg_catalog.count(*) AS n
    FROM joined GROUP BY 1),
e AS (
    SELECT pg_catalog.date_trunc(period, t.referred_at) AS p, pg_catalog.count(DISTINCT t.parent) AS referrers,
           pg_catalog.count(*) AS referees
    FROM t WHERE t.parent IS NOT NULL GROUP BY 1)
SELECT e.p, e.referrers, e.referees,
       e.referees::double precision OPERATOR(pg_catalog./) e.referrers,
       (pg_catalog.sum(j.n) OVER (ORDER BY j.p) OPERATOR(pg_catalog.-) j.n)::bigint,
       CASE WHEN pg_catalog.sum(j.n) OVER (ORDER BY j.p) OPERATOR(pg_catalog.>) j.n
            THEN e.referees::double precision OPERATOR(pg_catalog./)
                 (pg_catalog.sum(j.n) OVER (ORDER BY j.p) OPERATOR(pg_catalog.-) j.n)::double precision END
FROM e JOIN j ON j.p OPERATOR(pg_catalog.=) e.p
ORDER BY e.p
$$;
COMMENT ON FUNCTION referral_k_factor(bigint[], bigint[], timestamptz[], text) IS
	'per period with accepted referrals: active referrers, new referees, K-factor = new referees / active referrers, network size before the period and new referees / that size';
