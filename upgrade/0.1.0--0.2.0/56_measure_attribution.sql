-- attribution and holdout uplift (src/metrics/measure_attribution.sql): new in 0.2.0.

-- Attribution -----------------------------------------------------------------

CREATE TYPE attribution_credit AS (
	touch text,
	orders bigint,
	credit double precision,
	gmv double precision
);
COMMENT ON TYPE attribution_credit IS
	'one line of attribution: a touch value (NULL = unattributed orders), the orders it got credit from, its fractional credit in orders and its credited amount';

CREATE FUNCTION attribution_trans(internal, bigint, timestamptz, text, double precision, text, interval) RETURNS internal
	AS 'MODULE_PATHNAME', 'attribution_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION attribution_trans(internal, bigint, timestamptz, text, double precision, text, interval) IS 'transition function of attribution';
CREATE FUNCTION attribution_trans(internal, bigint, timestamptz, text, double precision, text, interval, interval) RETURNS internal
	AS 'MODULE_PATHNAME', 'attribution_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION attribution_trans(internal, bigint, timestamptz, text, double precision, text, interval, interval) IS 'transition function of attribution with a half-life';
CREATE FUNCTION attribution_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'attribution_combine' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION attribution_combine(internal, internal) IS 'combine function of attribution (partial states must hold disjoint persons)';
CREATE FUNCTION attribution_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'attribution_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION attribution_serialize(internal) IS 'serial function of attribution';
CREATE FUNCTION attribution_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'attribution_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION attribution_deserialize(bytea, internal) IS 'deserial function of attribution';
CREATE FUNCTION attribution_final(internal) RETURNS attribution_credit[]
	AS 'MODULE_PATHNAME', 'attribution_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION attribution_final(internal) IS 'final function of attribution';

CREATE AGGREGATE attribution(person_id bigint, ts timestamptz, touch text, amount double precision,
		model text, time_window interval) (
	SFUNC = attribution_trans, STYPE = internal, SSPACE = 4096,
	FINALFUNC = attribution_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = attribution_combine,
	SERIALFUNC = attribution_serialize, DESERIALFUNC = attribution_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE attribution(bigint, timestamptz, text, double precision, text, interval) IS
	'credit each order (row with an amount) to the touches (rows with a touch value) of the same person in [order time - time_window, order time]; model last, first, linear or position (40/20/40); rows grouped by person (ORDER BY person_id); one attribution_credit per touch value plus the unattributed orders';

CREATE AGGREGATE attribution(person_id bigint, ts timestamptz, touch text, amount double precision,
		model text, time_window interval, half_life interval) (
	SFUNC = attribution_trans, STYPE = internal, SSPACE = 4096,
	FINALFUNC = attribution_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = attribution_combine,
	SERIALFUNC = attribution_serialize, DESERIALFUNC = attribution_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE attribution(bigint, timestamptz, text, double precision, text, interval, interval) IS
	'attribution with model time_decay: a touch weighs 2^(-(its age at the latest touch of the window) / half_life), weights normalised per order';

-- Holdout uplift --------------------------------------------------------------

CREATE TYPE holdout_uplift_row AS (
	metric text,
	treated double precision,
	holdout double precision,
	uplift double precision,
	uplift_low double precision,
	uplift_high double precision,
	relative_uplift double precision,
	relative_low double precision,
	relative_high double precision,
	p_value double precision,
	incremental double precision,
	incremental_low double precision,
	incremental_high double precision
);
COMMENT ON TYPE holdout_uplift_row IS
	'one line of holdout_uplift: metric (persons, conversion, gmv_per_person, contacted, overlap_excluded), the value in each group, treated - holdout with its interval, treated / holdout - 1 with its interval, the p-value, and the uplift times the treated persons with its interval';

CREATE FUNCTION holdout_uplift_trans(internal, bigint, boolean, double precision, audience, audience, audience) RETURNS internal
	AS 'MODULE_PATHNAME', 'holdout_uplift_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION holdout_uplift_trans(internal, bigint, boolean, double precision, audience, audience, audience) IS 'transition function of holdout_uplift';
CREATE FUNCTION holdout_uplift_trans(internal, bigint, boolean, double precision, audience, audience, audience,
		double precision, integer, bigint, text) RETURNS internal
	AS 'MODULE_PATHNAME', 'holdout_uplift_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION holdout_uplift_trans(internal, bigint, boolean, double precision, audience, audience, audience, double precision, integer, bigint, text) IS 'transition function of holdout_uplift with options';
CREATE FUNCTION holdout_uplift_final(internal) RETURNS holdout_uplift_row[]
	AS 'MODULE_PATHNAME', 'holdout_uplift_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION holdout_uplift_final(internal) IS 'final function of holdout_uplift';

CREATE AGGREGATE holdout_uplift(person_id bigint, converted boolean, gmv double precision,
		treated audience, holdout audience, contacts audience) (
	SFUNC = holdout_uplift_trans, STYPE = internal, SSPACE = 65536,
	FINALFUNC = holdout_uplift_final, FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE holdout_uplift(bigint, boolean, double precision, audience, audience, audience) IS
	'holdout test result from one outcome row per person (persons of a group without a row count as not converted, gmv 0): persons, conversion (two-proportion z), GMV per person (Welch t), 95% intervals, incremental conversions and GMV, and contacted persons per group (contacts may be NULL); treated and holdout must not overlap';

CREATE AGGREGATE holdout_uplift(person_id bigint, converted boolean, gmv double precision,
		treated audience, holdout audience, contacts audience,
		confidence double precision, bootstrap integer, seed bigint, overlap text) (
	SFUNC = holdout_uplift_trans, STYPE = internal, SSPACE = 65536,
	FINALFUNC = holdout_uplift_final, FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE holdout_uplift(bigint, boolean, double precision, audience, audience, audience, double precision, integer, bigint, text) IS
	'holdout_uplift with options: confidence level, bootstrap resamples (0 = analytic intervals; else percentile bootstrap with the seed), overlap error or exclude';
