-- clv_1_rfm.sql: per-customer summaries (RFM and the CLV-literature summary),
-- RFM scores, the 8-class model and the named 5x5 segments.

CREATE TYPE rfm_summary AS (
    recency double precision,
    frequency bigint,
    monetary numeric,
    first_purchase timestamptz,
    last_purchase timestamptz,
    avg_order_value numeric
);
COMMENT ON TYPE rfm_summary IS 'one customer''s RFM summary: recency in days up to as_of, number of orders, total amount, first and last purchase, average order value';

CREATE TYPE clv_summary AS (
    frequency integer,
    recency double precision,
    t double precision,
    monetary_value double precision
);
COMMENT ON TYPE clv_summary IS 'one customer''s calibration summary in the BG/NBD conventions: repeat occasions, recency and T (age) in units, mean repeat occasion value';

CREATE TYPE rfm_class_label AS (
    name_zh text,
    name_en text
);
COMMENT ON TYPE rfm_class_label IS 'an 8-class RFM label in Chinese and English';

-- rfm_agg support.
CREATE FUNCTION rfm_agg_trans(internal, timestamptz, numeric, timestamptz)
    RETURNS internal AS 'MODULE_PATHNAME', 'rfm_agg_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_agg_trans(internal, timestamptz, numeric, timestamptz) IS 'transition function of rfm_agg';

CREATE FUNCTION rfm_agg_combine(internal, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'rfm_agg_combine'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_agg_combine(internal, internal) IS 'combine function of rfm_agg';

CREATE FUNCTION rfm_agg_serialize(internal)
    RETURNS bytea AS 'MODULE_PATHNAME', 'rfm_agg_serialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_agg_serialize(internal) IS 'serial function of rfm_agg';

CREATE FUNCTION rfm_agg_deserialize(bytea, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'rfm_agg_deserialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_agg_deserialize(bytea, internal) IS 'deserial function of rfm_agg';

CREATE FUNCTION rfm_agg_final(internal)
    RETURNS rfm_summary AS 'MODULE_PATHNAME', 'rfm_agg_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_agg_final(internal) IS 'final function of rfm_agg';

-- clv_summary_agg support (STABLE: calendar days follow the session time zone).
CREATE FUNCTION clv_summary_trans(internal, timestamptz, numeric, timestamptz, interval)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_summary_trans'
    LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_summary_trans(internal, timestamptz, numeric, timestamptz, interval) IS 'transition function of clv_summary_agg';

CREATE FUNCTION clv_summary_combine(internal, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_summary_combine'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_summary_combine(internal, internal) IS 'combine function of clv_summary_agg';

CREATE FUNCTION clv_summary_serialize(internal)
    RETURNS bytea AS 'MODULE_PATHNAME', 'clv_summary_serialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv_summary_serialize(internal) IS 'serial function of clv_summary_agg';

CREATE FUNCTION clv_summary_deserialize(bytea, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_summary_deserialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv_summary_deserialize(bytea, internal) IS 'deserial function of clv_summary_agg';

CREATE FUNCTION clv_summary_final(internal)
    RETURNS clv_summary AS 'MODULE_PATHNAME', 'clv_summary_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_summary_final(internal) IS 'final function of clv_summary_agg';

-- rfm_breaks support.
CREATE FUNCTION rfm_breaks_trans(internal, double precision, integer)
    RETURNS internal AS 'MODULE_PATHNAME', 'rfm_breaks_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_breaks_trans(internal, double precision, integer) IS 'transition function of rfm_breaks';

CREATE FUNCTION rfm_breaks_combine(internal, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'rfm_breaks_combine'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_breaks_combine(internal, internal) IS 'combine function of rfm_breaks';

CREATE FUNCTION rfm_breaks_serialize(internal)
    RETURNS bytea AS 'MODULE_PATHNAME', 'rfm_breaks_serialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_breaks_serialize(internal) IS 'serial function of rfm_breaks';

CREATE FUNCTION rfm_breaks_deserialize(bytea, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'rfm_breaks_deserialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_breaks_deserialize(bytea, internal) IS 'deserial function of rfm_breaks';

CREATE FUNCTION rfm_breaks_final(internal)
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'rfm_breaks_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_breaks_final(internal) IS 'final function of rfm_breaks';

-- Scores, classes, segments.
CREATE FUNCTION rfm_score(value double precision, breaks double precision[], reverse boolean DEFAULT false)
    RETURNS integer AS 'MODULE_PATHNAME', 'rfm_score'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_score(double precision, double precision[], boolean) IS 'score 1..k of a value against k-1 break points (1 + breaks strictly below it); reverse gives k + 1 - score, for recency';

CREATE FUNCTION rfm_class(r_high boolean, f_high boolean, m_high boolean)
    RETURNS rfm_class_label AS 'MODULE_PATHNAME', 'rfm_class'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_class(boolean, boolean, boolean) IS 'the 8-class RFM model (重要價值客戶 ... 一般挽留客戶) from high/low R score (recent), F and M';

CREATE FUNCTION rfm_segment(r integer, f integer)
    RETURNS text AS 'MODULE_PATHNAME', 'rfm_segment'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_segment(integer, integer) IS 'named segment (Champions, Loyal, ..., Hibernating) of an R score and an F score, each 1..5';

-- Aggregates.
CREATE AGGREGATE rfm_agg(ts timestamptz, amount numeric, as_of timestamptz) (
    SFUNC = rfm_agg_trans,
    STYPE = internal,
    -- the state is a small struct: tell the planner, or it assumes 8 kB per
    -- group and avoids hash aggregation over many customers
    SSPACE = 96,
    FINALFUNC = rfm_agg_final,
    COMBINEFUNC = rfm_agg_combine,
    SERIALFUNC = rfm_agg_serialize,
    DESERIALFUNC = rfm_agg_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm_agg(timestamptz, numeric, timestamptz) IS 'one customer''s RFM summary from their orders (ts, amount) as of a reference time';

CREATE AGGREGATE clv_summary_agg(ts timestamptz, amount numeric, calibration_end timestamptz, unit interval) (
    SFUNC = clv_summary_trans,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = clv_summary_final,
    COMBINEFUNC = clv_summary_combine,
    SERIALFUNC = clv_summary_serialize,
    DESERIALFUNC = clv_summary_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE clv_summary_agg(timestamptz, numeric, timestamptz, interval) IS 'one customer''s (frequency, recency, T, monetary_value) for BG/NBD and Gamma-Gamma: same-day orders merged, times in units from the first purchase';

CREATE AGGREGATE rfm_breaks(value double precision, k integer) (
    SFUNC = rfm_breaks_trans,
    STYPE = internal,
    FINALFUNC = rfm_breaks_final,
    COMBINEFUNC = rfm_breaks_combine,
    SERIALFUNC = rfm_breaks_serialize,
    DESERIALFUNC = rfm_breaks_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm_breaks(double precision, integer) IS 'k-tile break points of a column (k-1 values, percentile_disc at j/k) for rfm_score';
