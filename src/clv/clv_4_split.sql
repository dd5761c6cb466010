-- clv_4_split.sql: splittable forms of the whole-table CLV aggregates (doc/scale-out.md).
-- Their state is agg_state, a type with a text form, so Citus runs them
-- partially on every shard and combines the states on the coordinator.

CREATE TYPE agg_state;

CREATE FUNCTION agg_state_in(cstring)
    RETURNS agg_state AS 'MODULE_PATHNAME', 'agg_state_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION agg_state_in(cstring) IS 'input function of agg_state: checks every byte of the hex text form';

CREATE FUNCTION agg_state_out(agg_state)
    RETURNS cstring AS 'MODULE_PATHNAME', 'agg_state_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION agg_state_out(agg_state) IS 'output function of agg_state: hex of the header and the merged entries';

CREATE TYPE agg_state (
    INPUT = agg_state_in,
    OUTPUT = agg_state_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE agg_state IS 'partial state of a splittable quanyu aggregate (bgnbd_fit, pareto_nbd_fit, gammagamma_fit over clv_summary, rfm_breaks over rfm_value, clv_metrics_agg over rfm_summary); its text form travels between nodes';

CREATE TYPE rfm_value AS (
    value double precision,
    k integer
);
COMMENT ON TYPE rfm_value IS 'one value and the number of levels k, the single argument of the splittable rfm_breaks';

CREATE TYPE agg_state_summary AS (
    aggregate text,
    entries bigint,
    rows bigint,
    text_bytes bigint
);
COMMENT ON TYPE agg_state_summary IS 'what an agg_state holds: its aggregate, distinct entries, rows and the size of its text form';

CREATE FUNCTION agg_state_info(agg_state)
    RETURNS agg_state_summary AS 'MODULE_PATHNAME', 'agg_state_info'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION agg_state_info(agg_state) IS 'the aggregate, distinct entries, rows and text size of a partial state';

CREATE FUNCTION agg_state_combine(agg_state, agg_state)
    RETURNS agg_state AS 'MODULE_PATHNAME', 'agg_state_combine'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION agg_state_combine(agg_state, agg_state) IS 'combine function of every splittable aggregate: adds two partial states of the same aggregate';

CREATE FUNCTION clv_split_purchases_trans(agg_state, clv_summary)
    RETURNS agg_state AS 'MODULE_PATHNAME', 'clv_split_purchases_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_purchases_trans(agg_state, clv_summary) IS 'transition function of bgnbd_fit(clv_summary) and pareto_nbd_fit(clv_summary)';

CREATE FUNCTION clv_split_spend_trans(agg_state, clv_summary)
    RETURNS agg_state AS 'MODULE_PATHNAME', 'clv_split_spend_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_spend_trans(agg_state, clv_summary) IS 'transition function of gammagamma_fit(clv_summary)';

CREATE FUNCTION clv_split_breaks_trans(agg_state, rfm_value)
    RETURNS agg_state AS 'MODULE_PATHNAME', 'clv_split_breaks_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_breaks_trans(agg_state, rfm_value) IS 'transition function of rfm_breaks(rfm_value)';

CREATE FUNCTION clv_split_metrics_trans(agg_state, rfm_summary)
    RETURNS agg_state AS 'MODULE_PATHNAME', 'clv_split_metrics_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_metrics_trans(agg_state, rfm_summary) IS 'transition function of clv_metrics_agg(rfm_summary)';

CREATE FUNCTION clv_split_bgnbd_final(agg_state)
    RETURNS bgnbd_params AS 'MODULE_PATHNAME', 'clv_split_bgnbd_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_bgnbd_final(agg_state) IS 'final function of bgnbd_fit(clv_summary)';

CREATE FUNCTION clv_split_pareto_final(agg_state)
    RETURNS pareto_nbd_params AS 'MODULE_PATHNAME', 'clv_split_pareto_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_pareto_final(agg_state) IS 'final function of pareto_nbd_fit(clv_summary)';

CREATE FUNCTION clv_split_gammagamma_final(agg_state)
    RETURNS gammagamma_params AS 'MODULE_PATHNAME', 'clv_split_gammagamma_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_gammagamma_final(agg_state) IS 'final function of gammagamma_fit(clv_summary)';

CREATE FUNCTION clv_split_breaks_final(agg_state)
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'clv_split_breaks_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_breaks_final(agg_state) IS 'final function of rfm_breaks(rfm_value)';

CREATE FUNCTION clv_split_metrics_final(agg_state)
    RETURNS clv_metrics AS 'MODULE_PATHNAME', 'clv_split_metrics_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_split_metrics_final(agg_state) IS 'final function of clv_metrics_agg(rfm_summary)';

CREATE AGGREGATE bgnbd_fit(s clv_summary) (
    SFUNC = clv_split_purchases_trans, STYPE = agg_state,
    FINALFUNC = clv_split_bgnbd_final, COMBINEFUNC = agg_state_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE bgnbd_fit(clv_summary) IS 'maximum-likelihood BG/NBD fit over one clv_summary per customer; splittable across shards (same answer as bgnbd_fit(frequency, recency, T))';

CREATE AGGREGATE pareto_nbd_fit(s clv_summary) (
    SFUNC = clv_split_purchases_trans, STYPE = agg_state,
    FINALFUNC = clv_split_pareto_final, COMBINEFUNC = agg_state_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE pareto_nbd_fit(clv_summary) IS 'maximum-likelihood Pareto/NBD fit over one clv_summary per customer; splittable across shards';

CREATE AGGREGATE gammagamma_fit(s clv_summary) (
    SFUNC = clv_split_spend_trans, STYPE = agg_state,
    FINALFUNC = clv_split_gammagamma_final, COMBINEFUNC = agg_state_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE gammagamma_fit(clv_summary) IS 'maximum-likelihood Gamma-Gamma fit over one clv_summary per customer (frequency, monetary_value); splittable across shards';

CREATE AGGREGATE rfm_breaks(v rfm_value) (
    SFUNC = clv_split_breaks_trans, STYPE = agg_state,
    FINALFUNC = clv_split_breaks_final, COMBINEFUNC = agg_state_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm_breaks(rfm_value) IS 'k-tile break points of (value, k) rows, as rfm_breaks(value, k); splittable across shards';

CREATE AGGREGATE clv_metrics_agg(s rfm_summary) (
    SFUNC = clv_split_metrics_trans, STYPE = agg_state,
    FINALFUNC = clv_split_metrics_final, COMBINEFUNC = agg_state_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE clv_metrics_agg(rfm_summary) IS 'clv_metrics over one rfm_summary per customer (frequency as orders, monetary as revenue); splittable across shards';
