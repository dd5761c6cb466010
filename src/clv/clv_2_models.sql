-- clv_2_models.sql: BG/NBD, Pareto/NBD and Gamma-Gamma fits and predictions.

CREATE TYPE bgnbd_params AS (
    r double precision,
    alpha double precision,
    a double precision,
    b double precision,
    log_likelihood double precision,
    n bigint,
    converged boolean,
    iterations integer
);
COMMENT ON TYPE bgnbd_params IS 'fitted BG/NBD model: purchase rate ~ Gamma(r, alpha), dropout probability ~ Beta(a, b), with fit diagnostics';

CREATE TYPE pareto_nbd_params AS (
    r double precision,
    alpha double precision,
    s double precision,
    beta double precision,
    log_likelihood double precision,
    n bigint,
    converged boolean,
    iterations integer
);
COMMENT ON TYPE pareto_nbd_params IS 'fitted Pareto/NBD model: purchase rate ~ Gamma(r, alpha), dropout rate ~ Gamma(s, beta), with fit diagnostics';

CREATE TYPE gammagamma_params AS (
    p double precision,
    q double precision,
    v double precision,
    log_likelihood double precision,
    n bigint,
    converged boolean,
    iterations integer
);
COMMENT ON TYPE gammagamma_params IS 'fitted Gamma-Gamma spend model: transaction value ~ Gamma(p, nu), nu ~ Gamma(q, v), with fit diagnostics';

-- Support functions shared by the fitting aggregates.
CREATE FUNCTION clv_fit_trans(internal, double precision, double precision, double precision)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_fit_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_fit_trans(internal, double precision, double precision, double precision) IS 'transition function of bgnbd_fit and pareto_nbd_fit: validates and collects one customer';

CREATE FUNCTION clv_fit_combine(internal, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_fit_combine'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION clv_fit_combine(internal, internal) IS 'combine function of the model-fitting aggregates: concatenates partial states';

CREATE FUNCTION clv_fit_serialize(internal)
    RETURNS bytea AS 'MODULE_PATHNAME', 'clv_fit_serialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv_fit_serialize(internal) IS 'serial function of the model-fitting aggregates';

CREATE FUNCTION clv_fit_deserialize(bytea, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'clv_fit_deserialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clv_fit_deserialize(bytea, internal) IS 'deserial function of the model-fitting aggregates';

CREATE FUNCTION bgnbd_fit_final(internal)
    RETURNS bgnbd_params AS 'MODULE_PATHNAME', 'bgnbd_fit_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION bgnbd_fit_final(internal) IS 'final function of bgnbd_fit: maximum-likelihood BG/NBD parameters';

CREATE FUNCTION pareto_nbd_fit_final(internal)
    RETURNS pareto_nbd_params AS 'MODULE_PATHNAME', 'pareto_nbd_fit_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION pareto_nbd_fit_final(internal) IS 'final function of pareto_nbd_fit: maximum-likelihood Pareto/NBD parameters';

CREATE FUNCTION gammagamma_fit_trans(internal, double precision, double precision)
    RETURNS internal AS 'MODULE_PATHNAME', 'gammagamma_fit_trans'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION gammagamma_fit_trans(internal, double precision, double precision) IS 'transition function of gammagamma_fit: validates and collects one repeat customer';

CREATE FUNCTION gammagamma_fit_final(internal)
    RETURNS gammagamma_params AS 'MODULE_PATHNAME', 'gammagamma_fit_final'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION gammagamma_fit_final(internal) IS 'final function of gammagamma_fit: maximum-likelihood Gamma-Gamma parameters';

-- Predictions.
CREATE FUNCTION bgnbd_expected_purchases(params bgnbd_params, t double precision,
        frequency double precision, recency double precision, "T" double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bgnbd_expected_purchases(bgnbd_params, double precision, double precision, double precision, double precision) IS 'BG/NBD expected purchases in the next t time units of a customer with history (frequency, recency, T)';

CREATE FUNCTION bgnbd_expected_purchases_new(params bgnbd_params, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases_new'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bgnbd_expected_purchases_new(bgnbd_params, double precision) IS 'BG/NBD expected purchases of a newly acquired customer in the first t time units (excluding the first purchase)';

CREATE FUNCTION bgnbd_p_alive(params bgnbd_params, frequency double precision,
        recency double precision, "T" double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'bgnbd_p_alive'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION bgnbd_p_alive(bgnbd_params, double precision, double precision, double precision) IS 'BG/NBD probability that a customer with history (frequency, recency, T) is still active';

CREATE FUNCTION pareto_nbd_expected_purchases(params pareto_nbd_params, t double precision,
        frequency double precision, recency double precision, "T" double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pareto_nbd_expected_purchases'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pareto_nbd_expected_purchases(pareto_nbd_params, double precision, double precision, double precision, double precision) IS 'Pareto/NBD expected purchases in the next t time units of a customer with history (frequency, recency, T)';

CREATE FUNCTION pareto_nbd_expected_purchases_new(params pareto_nbd_params, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pareto_nbd_expected_purchases_new'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pareto_nbd_expected_purchases_new(pareto_nbd_params, double precision) IS 'Pareto/NBD expected purchases of a newly acquired customer in the first t time units';

CREATE FUNCTION pareto_nbd_p_alive(params pareto_nbd_params, frequency double precision,
        recency double precision, "T" double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pareto_nbd_p_alive'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pareto_nbd_p_alive(pareto_nbd_params, double precision, double precision, double precision) IS 'Pareto/NBD probability that a customer with history (frequency, recency, T) is still active';

CREATE FUNCTION gammagamma_expected_spend(params gammagamma_params, frequency double precision,
        monetary_value double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'gammagamma_expected_spend'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION gammagamma_expected_spend(gammagamma_params, double precision, double precision) IS 'Gamma-Gamma expected mean transaction value of a customer with frequency repeat purchases of mean monetary_value';

-- Fitting aggregates.
CREATE AGGREGATE bgnbd_fit(frequency double precision, recency double precision, "T" double precision) (
    SFUNC = clv_fit_trans,
    STYPE = internal,
    FINALFUNC = bgnbd_fit_final,
    COMBINEFUNC = clv_fit_combine,
    SERIALFUNC = clv_fit_serialize,
    DESERIALFUNC = clv_fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE bgnbd_fit(double precision, double precision, double precision) IS 'maximum-likelihood BG/NBD fit over one row per customer (frequency, recency, T)';

CREATE AGGREGATE pareto_nbd_fit(frequency double precision, recency double precision, "T" double precision) (
    SFUNC = clv_fit_trans,
    STYPE = internal,
    FINALFUNC = pareto_nbd_fit_final,
    COMBINEFUNC = clv_fit_combine,
    SERIALFUNC = clv_fit_serialize,
    DESERIALFUNC = clv_fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE pareto_nbd_fit(double precision, double precision, double precision) IS 'maximum-likelihood Pareto/NBD fit over one row per customer (frequency, recency, T)';

CREATE AGGREGATE gammagamma_fit(frequency double precision, monetary_value double precision) (
    SFUNC = gammagamma_fit_trans,
    STYPE = internal,
    FINALFUNC = gammagamma_fit_final,
    COMBINEFUNC = clv_fit_combine,
    SERIALFUNC = clv_fit_serialize,
    DESERIALFUNC = clv_fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE gammagamma_fit(double precision, double precision) IS 'maximum-likelihood Gamma-Gamma spend fit over one row per customer (frequency, mean repeat value); customers with frequency 0 are skipped';
