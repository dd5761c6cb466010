-- 40_clv.sql: RFM/CLV changes from 0.1.0 to 0.2.0 (issue 16).
-- The C support functions keep their SQL signatures and labels; their
-- internal states now carry tags and their serialised bytes a header, which
-- only matters inside one query.
--
-- clv_cohort_retention reads a relation the caller names: PARALLEL
-- RESTRICTED (was SAFE), a pinned search_path, type-checked columns, a
-- qualified relation name and no = operator looked up on the customer type.
CREATE OR REPLACE FUNCTION clv_cohort_retention(orders regclass, customer_column name, ts_column name,
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
