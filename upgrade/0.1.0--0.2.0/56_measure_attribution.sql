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
