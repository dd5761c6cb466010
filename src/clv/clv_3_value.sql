-- clv_3_value.sql: CLV over a horizon, simulation, simple metrics, cohort retention.

CREATE TYPE clv_metrics AS (
    customers bigint,
    orders bigint,
    revenue numeric,
    average_order_value numeric,
    purchase_frequency double precision,
    repeat_rate double precision,
    historical_ltv numeric
);
COMMENT ON TYPE clv_metrics IS 'simple customer-base metrics: average order value, purchase frequency, repeat rate, historical LTV';

CREATE FUNCTION clv(model bgnbd_params, spend gammagamma_params,
        frequency double precision, recency double precision, "T" double precision,
        monetary_value double precision, horizon double precision,
        discount_rate double precision, step double precision DEFAULT 1)
    RETURNS double precision AS 'MODULE_PATHNAME', 'clv_bgnbd'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv(bgnbd_params, gammagamma_params, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS 'discounted expected value over horizon from BG/NBD and Gamma-Gamma fits; horizon and step in the model''s time unit, discount_rate per step';

CREATE FUNCTION clv(model pareto_nbd_params, spend gammagamma_params,
        frequency double precision, recency double precision, "T" double precision,
        monetary_value double precision, horizon double precision,
        discount_rate double precision, step double precision DEFAULT 1)
    RETURNS double precision AS 'MODULE_PATHNAME', 'clv_pareto_nbd'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv(pareto_nbd_params, gammagamma_params, double precision, double precision, double precision, double precision, double precision, double precision, double precision) IS 'discounted expected value over horizon from Pareto/NBD and Gamma-Gamma fits; horizon and step in the model''s time unit, discount_rate per step';

CREATE FUNCTION bgnbd_sample(n bigint, r double precision, alpha double precision,
        a double precision, b double precision, t_max double precision, seed bigint DEFAULT 0)
    RETURNS TABLE (frequency integer, recency double precision, t double precision)
    AS 'MODULE_PATHNAME', 'bgnbd_sample'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION bgnbd_sample(bigint, double precision, double precision, double precision, double precision, double precision, bigint) IS 'n customers (frequency, recency, T) simulated from a BG/NBD model with ages uniform on (0, t_max]; deterministic for a seed';

CREATE FUNCTION clv_metrics_trans(internal, bigint, numeric)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_metrics_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_metrics_trans(internal, bigint, numeric) IS 'transition function of clv_metrics_agg';

CREATE FUNCTION clv_metrics_combine(internal, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_metrics_combine'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_metrics_combine(internal, internal) IS 'combine function of clv_metrics_agg';

CREATE FUNCTION clv_metrics_serialize(internal)
    RETURNS bytea AS 'MODULE_PATHNAME', 'clv_metrics_serialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv_metrics_serialize(internal) IS 'serial function of clv_metrics_agg';

CREATE FUNCTION clv_metrics_deserialize(bytea, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_metrics_deserialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv_metrics_deserialize(bytea, internal) IS 'deserial function of clv_metrics_agg';

CREATE FUNCTION clv_metrics_final(internal)
    RETURNS clv_metrics AS 'MODULE_PATHNAME', 'clv_metrics_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_metrics_final(internal) IS 'final function of clv_metrics_agg';

CREATE AGGREGATE clv_metrics_agg(orders bigint, revenue numeric) (
    SFUNC = clv_metrics_trans,
    STYPE = internal,
    SSPACE = 96,
    FINALFUNC = clv_metrics_final,
    COMBINEFUNC = clv_metrics_combine,
    SERIALFUNC = clv_metrics_serialize,
    DESERIALFUNC = clv_metrics_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE clv_metrics_agg(bigint, numeric) IS 'average order value, purchase frequency, repeat rate and historical LTV over one row per customer (number of orders, revenue)';

CREATE FUNCTION clv_cohort_retention(orders regclass, customer_column name, ts_column name,
        data_end timestamptz DEFAULT NULL)
    RETURNS TABLE (cohort date, cohort_size bigint, month_offset integer, active bigint,
                   retention double precision)
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
    SET search_path = pg_catalog, quanyu, pg_temp
AS $$
-- Reads a relation the caller names, so PARALLEL RESTRICTED (a worker cannot
-- see the leader's temp tables); the pinned search_path keeps every name in
-- this body and in the query it builds (date_trunc, count, =, <=, ...) from
-- resolving to functions a caller planted in a schema of their own.
DECLARE
    rel text;
    col_type oid;
    first_ts timestamptz;
    last_ts timestamptz;
BEGIN
    IF orders IS NULL OR customer_column IS NULL OR ts_column IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'orders, customer_column and ts_column must not be null',
            DETAIL = 'The cohort table needs a table, its customer column and its time column.';
    END IF;
    IF data_end IS NOT NULL AND NOT isfinite(data_end) THEN
        RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
            MESSAGE = format('data_end must be a finite timestamp, got %s', data_end),
            DETAIL = 'Cohort months end at a finite point in time.';
    END IF;
    SELECT format('%I.%I', n.nspname, c.relname) INTO rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = orders;
    IF rel IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_table',
            MESSAGE = format('relation with OID %s does not exist', orders::oid),
            DETAIL = 'orders names the table of orders.';
    END IF;
    FOR i IN 1..2 LOOP
        SELECT a.atttypid INTO col_type FROM pg_attribute a
        WHERE a.attrelid = orders AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname = (ARRAY[customer_column, ts_column])[i];
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = format('column "%s" does not exist in %s', (ARRAY[customer_column, ts_column])[i], orders),
                DETAIL = 'customer_column and ts_column name columns of the orders table.';
        END IF;
        -- customers are grouped and partitioned by their type's default
        -- operator class; times must be dates or timestamps
        IF i = 1 AND NOT EXISTS (
                SELECT 1 FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
                WHERE am.amname IN ('btree', 'hash') AND oc.opcdefault
                  AND (oc.opcintype = col_type
                       OR EXISTS (SELECT 1 FROM pg_cast ca
                                  WHERE ca.castsource = col_type AND ca.casttarget = oc.opcintype
                                    AND ca.castmethod = 'b'))) THEN
            RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                MESSAGE = format('column "%s" of %s has type %s, which cannot be grouped',
                                 customer_column, orders, col_type::regtype),
                DETAIL = 'The customer column needs a type with equality, such as bigint, text or uuid.';
        END IF;
        IF i = 2 AND col_type NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
            RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                MESSAGE = format('column "%s" of %s has type %s, not date, timestamp or timestamptz',
                                 ts_column, orders, col_type::regtype),
                DETAIL = 'Cohorts are calendar months of the order time.';
        END IF;
    END LOOP;
    -- Infinite order times have no month: refuse them rather than answer
    -- with an infinite cohort table.
    EXECUTE format('SELECT min(%2$I)::timestamptz, max(%2$I)::timestamptz FROM %3$s
                    WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND ($1 IS NULL OR %2$I <= $1)',
                   customer_column, ts_column, rel)
        INTO first_ts, last_ts USING data_end;
    IF NOT isfinite(first_ts) OR NOT isfinite(last_ts) THEN
        RAISE EXCEPTION USING ERRCODE = 'datetime_field_overflow',
            MESSAGE = format('column "%s" of %s holds %s, not a finite time', ts_column, orders,
                             CASE WHEN isfinite(first_ts) THEN last_ts ELSE first_ts END),
            DETAIL = 'Cohorts are calendar months of the order time.';
    END IF;
    -- Months are calendar months of the session time zone; a cohort's cells
    -- after the last month with data (or data_end) are NULL: unknown, not 0.
    -- A customer's cohort is the first of their months (a window, so the
    -- customer column needs no = operator by name).
    RETURN QUERY EXECUTE format($q$
        WITH o AS (
            SELECT %1$I AS c, date_trunc('month', %2$I)::date AS m
            FROM %3$s
            WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND ($1 IS NULL OR %2$I <= $1)
            GROUP BY 1, 2),
        f AS (SELECT min(m) OVER (PARTITION BY c) AS cohort, m FROM o),
        a AS (
            SELECT f.cohort,
                   ((extract(year FROM f.m) - extract(year FROM f.cohort)) * 12 +
                    extract(month FROM f.m) - extract(month FROM f.cohort))::int AS k,
                   count(*) AS n
            FROM f GROUP BY 1, 2),
        s AS (SELECT a.cohort, a.n AS size FROM a WHERE a.k = 0),
        lim AS (
            SELECT coalesce(date_trunc('month', $1)::date, max(m)) AS last_m, min(m) AS first_m FROM o),
        g AS (
            SELECT s.cohort, s.size, k, (s.cohort + make_interval(months => k))::date <= lim.last_m AS known
            FROM s, lim,
                 generate_series(0, ((extract(year FROM lim.last_m) - extract(year FROM lim.first_m)) * 12 +
                                     extract(month FROM lim.last_m) - extract(month FROM lim.first_m))::int) AS k)
        SELECT g.cohort, g.size, g.k,
               CASE WHEN g.known THEN coalesce(a.n, 0) END,
               CASE WHEN g.known THEN coalesce(a.n, 0)::double precision / g.size END
        FROM g LEFT JOIN a ON a.cohort = g.cohort AND a.k = g.k
        ORDER BY g.cohort, g.k
    $q$, customer_column, ts_column, rel) USING data_end;
END
$$;
COMMENT ON FUNCTION clv_cohort_retention(regclass, name, name, timestamptz) IS 'cohort retention table: customers by first-purchase month, share active (with an order) in each later month; NULL where the data ends';
