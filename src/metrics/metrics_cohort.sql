-- Referral (裂变) graphs ------------------------------------------------------------

CREATE FUNCTION referral_edges(referrers bigint[], referees bigint[], times timestamptz[],
	OUT edge integer, OUT referrer bigint, OUT referee bigint, OUT referred_at timestamptz, OUT status text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'referral_edges' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION referral_edges(bigint[], bigint[], timestamptz[]) IS
	'what became of each (referrer, referee, time) edge: accepted, self, duplicate, second_referrer, cycle or null (first edge in time per referee wins)';

CREATE FUNCTION referral_tree(referrers bigint[], referees bigint[], times timestamptz[],
	OUT person bigint, OUT parent bigint, OUT root bigint, OUT generation integer,
	OUT referred_at timestamptz, OUT joined_at timestamptz, OUT direct_referees bigint, OUT downline bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'referral_tree' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION referral_tree(bigint[], bigint[], timestamptz[]) IS
	'the referral forest of the accepted edges: per person its parent, root, generation (0 = root), when referred, when first in an accepted edge, direct referees and whole downline';

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
j AS MATERIALIZED (
    -- a person is in the network from their first accepted edge, as
    -- referee or as referrer (materialized: computed once, not per period)
    SELECT pg_catalog.date_trunc(period, t.joined_at) AS p, pg_catalog.count(*) AS n
    FROM t GROUP BY 1),
e AS (
    SELECT pg_catalog.date_trunc(period, t.referred_at) AS p, pg_catalog.count(DISTINCT t.parent) AS referrers,
           pg_catalog.count(*) AS referees
    FROM t WHERE t.parent IS NOT NULL GROUP BY 1)
SELECT e.p, e.referrers, e.referees,
       e.referees::double precision OPERATOR(pg_catalog./) e.referrers,
       b.n,
       CASE WHEN b.n OPERATOR(pg_catalog.>) 0
            THEN e.referees::double precision OPERATOR(pg_catalog./) b.n::double precision END
FROM e, LATERAL (
    -- few periods: a sum over the earlier ones for each
    SELECT COALESCE(pg_catalog.sum(j.n), 0)::bigint AS n FROM j WHERE j.p OPERATOR(pg_catalog.<) e.p) b
ORDER BY e.p
$$;
COMMENT ON FUNCTION referral_k_factor(bigint[], bigint[], timestamptz[], text) IS
	'per period with accepted referrals: active referrers, new referees, K-factor = new referees / active referrers, network size before the period and new referees / that size';

-- Cohort value curves -----------------------------------------------------------------

CREATE FUNCTION cohort_orders_check(orders regclass, customer_column name, ts_column name,
        amount_column name, channel_column name DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
    SET search_path = pg_catalog, quanyu, pg_temp
AS $$
-- The checks every cohort function makes on the order table it is given:
-- it exists, the caller may read the columns (checked here, before any lock
-- on the table is taken), the columns exist and have usable types.  Returns
-- the table's schema-qualified, quoted name.
DECLARE
    rel text;
    cols name[] := ARRAY[customer_column, ts_column, amount_column, channel_column];
    col_type oid;
BEGIN
    IF orders IS NULL OR customer_column IS NULL OR ts_column IS NULL OR amount_column IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'orders, customer_column, ts_column and amount_column must not be null',
            DETAIL = 'Cohort curves need the order table, its customer, time and amount columns.';
    END IF;
    SELECT format('%I.%I', n.nspname, c.relname) INTO rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = orders AND c.relkind IN ('r', 'v', 'm', 'p', 'f');
    IF rel IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'wrong_object_type',
            MESSAGE = format('%s is not a table, view, materialized view or foreign table', orders),
            DETAIL = 'orders names the table of orders.';
    END IF;
    FOR i IN 1..4 LOOP
        CONTINUE WHEN cols[i] IS NULL;
        SELECT a.atttypid INTO col_type FROM pg_attribute a
        WHERE a.attrelid = orders AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = cols[i];
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = format('column "%s" does not exist in %s', cols[i], orders),
                DETAIL = 'customer_column, ts_column, amount_column and channel_column name columns of the orders table.';
        END IF;
        IF NOT has_column_privilege(orders, cols[i], 'SELECT') THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                MESSAGE = format('permission denied for table %s', orders),
                DETAIL = format('Reading column "%s" needs the SELECT privilege on it.', cols[i]);
        END IF;
        -- a domain is checked by its base type
        WHILE (SELECT t.typtype FROM pg_type t WHERE t.oid = col_type) = 'd' LOOP
            SELECT t.typbasetype INTO col_type FROM pg_type t WHERE t.oid = col_type;
        END LOOP;
        IF i = 1 AND NOT EXISTS (
                SELECT 1 FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
                WHERE am.amname = 'btree' AND oc.opcdefault
                  AND (oc.opcintype = col_type
                       OR EXISTS (SELECT 1 FROM pg_cast ca
                                  WHERE ca.castsource = col_type AND ca.casttarget = oc.opcintype
                                    AND ca.castmethod = 'b'))) THEN
            RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                MESSAGE = format('column "%s" of %s has type %s, which cannot be sorted',
                                 cols[i], orders, col_type::regtype),
                DETAIL = 'The customer column needs a type with a default btree operator class, such as bigint, text or uuid.';
        END IF;
        IF i = 2 AND col_type NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
            RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                MESSAGE = format('column "%s" of %s has type %s, not date, timestamp or timestamptz',
                                 cols[i], orders, col_type::regtype),
                DETAIL = 'Cohorts are calendar months of the order time.';
        END IF;
        IF i = 3 AND col_type NOT IN ('numeric'::regtype, 'int2'::regtype, 'int4'::regtype, 'int8'::regtype,
                                      'float4'::regtype, 'float8'::regtype, 'money'::regtype) THEN
            RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                MESSAGE = format('column "%s" of %s has type %s, not a number',
                                 cols[i], orders, col_type::regtype),
                DETAIL = 'The amount column holds the value of each order (numeric, integer or float).';
        END IF;
    END LOOP;
    RETURN rel;
END
$$;
COMMENT ON FUNCTION cohort_orders_check(regclass, name, name, name, name) IS
    'checks an order table for the cohort functions (relation kind, columns, types, SELECT privilege) and returns its qualified name';

CREATE FUNCTION cohort_value_curve(orders regclass, customer_column name, ts_column name, amount_column name,
        channel_column name DEFAULT NULL, months integer DEFAULT 12, data_end timestamptz DEFAULT NULL,
        calibration_end timestamptz DEFAULT NULL, unit interval DEFAULT '7 days', forecast boolean DEFAULT true)
    RETURNS TABLE (cohort date, channel text, customers bigint, month_offset integer, active bigint,
                   retained double precision, revenue numeric, cumulative_revenue numeric,
                   revenue_per_customer double precision, forecast_per_customer double precision)
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
    SET search_path = pg_catalog, quanyu, pg_temp
AS $$
-- Reads a relation the caller names: PARALLEL RESTRICTED, pinned search_path,
-- checked columns (cohort_orders_check).  Customers are grouped and
-- partitioned, never joined, so no = operator is looked up for their type.
DECLARE
    rel text;
    last_ts timestamptz;
    first_ts timestamptz;
    cal_end timestamptz;
    bg quanyu.bgnbd_params;
    gg quanyu.gammagamma_params;
    fits record;
    unit_days double precision;
BEGIN
    rel := quanyu.cohort_orders_check(orders, customer_column, ts_column, amount_column, channel_column);
    IF months IS NULL OR months < 0 OR months > 1200 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('months must be between 0 and 1200, got %s', coalesce(months::text, 'NULL')),
            DETAIL = 'The curve runs from month 0 (the acquisition month) to month "months".';
    END IF;
    IF forecast IS NULL OR (forecast AND (unit IS NULL OR unit <= interval '0')) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('unit must be a positive interval, got %s', coalesce(unit::text, 'NULL')),
            DETAIL = 'The BG/NBD forecast measures time in this unit (months count 30 days).';
    END IF;
    IF (data_end IS NOT NULL AND NOT isfinite(data_end))
       OR (calibration_end IS NOT NULL AND NOT isfinite(calibration_end)) THEN
        RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
            MESSAGE = format('data_end and calibration_end must be finite timestamps, got %s and %s', data_end, calibration_end),
            DETAIL = 'Cohort months end at a finite point in time.';
    END IF;
    EXECUTE format('SELECT min(%2$I)::timestamptz, max(%2$I)::timestamptz FROM %3$s
                    WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND ($1 IS NULL OR %2$I::timestamptz <= $1)',
                   customer_column, ts_column, rel)
        INTO first_ts, last_ts USING data_end;
    IF first_ts IS NULL THEN
        RETURN;
    END IF;
    IF NOT isfinite(first_ts) OR NOT isfinite(last_ts) THEN
        RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
            MESSAGE = format('column "%s" of %s holds %s, not a finite time', ts_column, orders,
                             CASE WHEN isfinite(first_ts) THEN last_ts ELSE first_ts END),
            DETAIL = 'Cohorts are calendar months of the order time.';
    END IF;
    -- The models: BG/NBD and Gamma-Gamma fitted on the orders up to the
    -- calibration end (by default the end of the data).  Gamma-Gamma
    -- describes positive spend: customers whose repeat days sum to 0 or less
    -- (free orders, refunds) are left out of its fit, not an error.
    IF forecast THEN
        cal_end := coalesce(calibration_end, data_end, last_ts);
        unit_days := extract(epoch FROM unit) / 86400.0;
        EXECUTE format($q$
            SELECT quanyu.bgnbd_fit((s).frequency, (s).recency, (s).t) AS bg,
                   quanyu.gammagamma_fit((s).frequency, (s).monetary_value)
                       FILTER (WHERE (s).monetary_value > 0) AS gg
            FROM (SELECT quanyu.clv_summary_agg(%2$I::timestamptz, %3$I::numeric, $1, $2) AS s
                  FROM %4$s
                  WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND %3$I IS NOT NULL
                    AND %2$I::timestamptz <= $1
                  GROUP BY %1$I) c
        $q$, customer_column, ts_column, amount_column, rel) INTO fits USING cal_end, unit;
        -- a fit that did not converge forecasts nothing (its parameters
        -- may have run off to where the expectations cannot be computed)
        IF (fits.bg).converged AND (fits.gg).converged THEN
            bg := fits.bg;
            gg := fits.gg;
        END IF;
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH o AS (
            SELECT %2$I::timestamptz AS ts, %3$I::numeric AS amount,
                   first_value(%2$I::timestamptz) OVER w AS first_ts,
                   first_value(%5$s) OVER w AS ch,
                   %1$I AS c
            FROM %4$s
            WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND ($1 IS NULL OR %2$I::timestamptz <= $1)
            WINDOW w AS (PARTITION BY %1$I ORDER BY %2$I::timestamptz, %5$s)),
        cm AS (
            -- one row per customer and month of activity
            SELECT date_trunc('month', first_ts)::date AS cohort, ch, first_ts::date AS d0,
                   -- date_part (float8) rather than extract (numeric): cheaper per row
                   ((date_part('year', ts) - date_part('year', first_ts)) * 12 +
                    date_part('month', ts) - date_part('month', first_ts))::int AS k,
                   coalesce(sum(amount), 0) AS rev,
                   coalesce(sum(amount) FILTER (WHERE ts::date = first_ts::date), 0) AS first_day_value
            FROM o GROUP BY c, first_ts, ch, k),
        sizes AS (SELECT cm.cohort, cm.ch, count(*) AS n FROM cm WHERE cm.k = 0 GROUP BY 1, 2),
        act AS (SELECT cm.cohort, cm.ch, cm.k, count(*) AS active, sum(cm.rev) AS revenue FROM cm GROUP BY 1, 2, 3),
        days AS (
            -- customers by first purchase day: the forecast's t depends only on it
            SELECT cm.cohort, cm.ch, cm.d0, count(*) AS n, sum(cm.first_day_value) AS v
            FROM cm WHERE cm.k = 0 GROUP BY 1, 2, 3),
        lim AS (SELECT date_trunc('month', $2)::date AS last_m),
        g AS (
            SELECT s.cohort, s.ch, s.n, k, (s.cohort + make_interval(months => k))::date <= lim.last_m AS known
            FROM sizes s, lim, generate_series(0, $3) AS k),
        fc AS (
            SELECT g.cohort, g.ch, g.k,
                   sum(d.v + d.n * $5 * quanyu.bgnbd_expected_purchases_new($4,
                       ((g.cohort + make_interval(months => g.k + 1))::date - d.d0) / $6)) AS value
            FROM g JOIN days d ON d.cohort = g.cohort AND d.ch IS NOT DISTINCT FROM g.ch
            WHERE $4 IS NOT NULL AND $5 IS NOT NULL
            GROUP BY 1, 2, 3),
        cur AS (
            SELECT g.cohort, g.ch, g.n, g.k, g.known,
                   coalesce(a.active, 0) AS active, coalesce(a.revenue, 0) AS revenue,
                   sum(coalesce(a.revenue, 0)) OVER (PARTITION BY g.cohort, g.ch ORDER BY g.k) AS cumulative
            FROM g LEFT JOIN act a ON a.cohort = g.cohort AND a.ch IS NOT DISTINCT FROM g.ch AND a.k = g.k)
        SELECT cur.cohort, cur.ch, cur.n, cur.k,
               CASE WHEN cur.known THEN cur.active END,
               CASE WHEN cur.known THEN cur.active::double precision / cur.n END,
               CASE WHEN cur.known THEN cur.revenue END,
               CASE WHEN cur.known THEN cur.cumulative END,
               CASE WHEN cur.known THEN (cur.cumulative / cur.n)::double precision END,
               (fc.value / cur.n)::double precision
        FROM cur LEFT JOIN fc ON fc.cohort = cur.cohort AND fc.ch IS NOT DISTINCT FROM cur.ch AND fc.k = cur.k
        ORDER BY cur.cohort, cur.ch, cur.k
    $q$, customer_column, ts_column, amount_column, rel,
         CASE WHEN channel_column IS NULL THEN 'NULL::text' ELSE format('%I::text', channel_column) END)
    USING data_end, coalesce(data_end, last_ts), months, bg,
          CASE WHEN gg IS NOT NULL THEN quanyu.gammagamma_expected_spend(gg, 0, 0) END, unit_days;
END
$$;
COMMENT ON FUNCTION cohort_value_curve(regclass, name, name, name, name, integer, timestamptz, timestamptz, interval, boolean) IS
    'LTV curves: per acquisition month (and channel) and month 0..N, retained share, cumulative revenue per acquired customer and the BG/NBD + Gamma-Gamma forecast of it';

CREATE FUNCTION cohort_revenue_mix(orders regclass, customer_column name, ts_column name, amount_column name,
        period text DEFAULT 'month', data_end timestamptz DEFAULT NULL)
    RETURNS TABLE (period_start timestamptz, new_customers bigint, returning_customers bigint,
                   new_revenue numeric, returning_revenue numeric, returning_share double precision)
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
    SET search_path = pg_catalog, quanyu, pg_temp
AS $$
-- 老客贡献: per period, the buyers whose first order fell in the period (new)
-- and those who had ordered before (returning), and the revenue of each.
DECLARE
    rel text;
    bad timestamptz;
BEGIN
    rel := quanyu.cohort_orders_check(orders, customer_column, ts_column, amount_column);
    IF period IS NULL OR period NOT IN ('day', 'week', 'month', 'quarter', 'year') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('period must be day, week, month, quarter or year, got %s', coalesce(period, 'NULL')),
            DETAIL = 'Periods are date_trunc units of the session time zone.';
    END IF;
    IF data_end IS NOT NULL AND NOT isfinite(data_end) THEN
        RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
            MESSAGE = format('data_end must be a finite timestamp, got %s', data_end),
            DETAIL = 'Periods end at a finite point in time.';
    END IF;
    EXECUTE format('SELECT %2$I::timestamptz FROM %3$s WHERE %1$I IS NOT NULL AND NOT isfinite(%2$I) LIMIT 1',
                   customer_column, ts_column, rel) INTO bad;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
            MESSAGE = format('column "%s" of %s holds %s, not a finite time', ts_column, orders, bad),
            DETAIL = 'Periods are date_trunc units of the order time.';
    END IF;
    RETURN QUERY EXECUTE format($q$
        WITH o AS (
            SELECT date_trunc($2, %2$I::timestamptz) AS p,
                   date_trunc($2, min(%2$I::timestamptz) OVER (PARTITION BY %1$I)) AS first_p,
                   %3$I::numeric AS amount, %1$I AS c
            FROM %4$s
            WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND ($1 IS NULL OR %2$I::timestamptz <= $1)),
        pc AS (
            SELECT o.p, o.first_p < o.p AS returning, coalesce(sum(o.amount), 0) AS revenue
            FROM o GROUP BY o.p, o.first_p, o.c)
        SELECT pc.p, count(*) FILTER (WHERE NOT pc.returning), count(*) FILTER (WHERE pc.returning),
               coalesce(sum(pc.revenue) FILTER (WHERE NOT pc.returning), 0),
               coalesce(sum(pc.revenue) FILTER (WHERE pc.returning), 0),
               CASE WHEN sum(pc.revenue) <> 0
                    THEN (coalesce(sum(pc.revenue) FILTER (WHERE pc.returning), 0) / sum(pc.revenue))::double precision END
        FROM pc GROUP BY pc.p ORDER BY pc.p
    $q$, customer_column, ts_column, amount_column, rel) USING data_end, period;
END
$$;
COMMENT ON FUNCTION cohort_revenue_mix(regclass, name, name, name, text, timestamptz) IS
    'per period: new buyers (first order in the period) and returning buyers (ordered before), the revenue of each and the returning share (老客贡献)';

-- Metric names of the trade -------------------------------------------------------------

CREATE FUNCTION trade_metrics(m clv_metrics,
        OUT buyers bigint, OUT orders bigint, OUT gmv numeric,
        OUT revenue_per_buyer numeric, OUT revenue_per_order numeric,
        OUT orders_per_buyer double precision, OUT repeat_purchase_rate double precision)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, quanyu, pg_temp
AS $$
-- clv_metrics under the names of Chinese retail: 客單價 is GMV per paying
-- buyer, 筆單價 GMV per order (clv_metrics.average_order_value), 復購率 the
-- share of the period's buyers with two or more orders in it.
SELECT (m).customers, (m).orders, (m).revenue,
       (m).revenue / NULLIF((m).customers, 0),
       (m).revenue / NULLIF((m).orders, 0),
       (m).purchase_frequency,
       (m).repeat_rate
$$;
COMMENT ON FUNCTION trade_metrics(clv_metrics) IS
    'clv_metrics (fed one row per paying buyer of a period) under the trade''s names: revenue_per_buyer = 客單價 (GMV / buyers), revenue_per_order = 筆單價 (GMV / orders), repeat_purchase_rate = 復購率';

CREATE FUNCTION return_purchase_rate(buyers audience, next_buyers audience) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, quanyu, pg_temp
AS $$
SELECT quanyu.audience_rate(next_buyers, buyers)
$$;
COMMENT ON FUNCTION return_purchase_rate(audience, audience) IS
    '回購率: the share of one period''s buyers who buy again in the next period, |buyers & next_buyers| / |buyers| (NULL for no buyers)';
