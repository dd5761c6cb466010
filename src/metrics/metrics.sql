-- src/metrics/metrics.sql: full-domain metrics (doc/metrics.md).

-- Tier assets and flow --------------------------------------------------------

CREATE FUNCTION tier_flow(from_tiers audience[], to_tiers audience[], waterfall boolean DEFAULT true,
	OUT from_tier integer, OUT to_tier integer, OUT persons bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tier_flow' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 30;
COMMENT ON FUNCTION tier_flow(audience[], audience[], boolean) IS
	'flow matrix between the tiers of two periods (tiers listed lowest first, index 0 = in no tier): persons per non-empty (from_tier, to_tier) cell; waterfall counts each person in their highest tier only';

CREATE FUNCTION tier_flow_rate(from_tiers audience[], to_tiers audience[], waterfall boolean DEFAULT true,
	OUT from_tier integer, OUT to_tier integer, OUT persons bigint, OUT rate double precision)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'tier_flow' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 30;
COMMENT ON FUNCTION tier_flow_rate(audience[], audience[], boolean) IS
	'tier_flow with rate = persons / size of the from tier (for from_tier 0: the number of arrivals)';

CREATE FUNCTION tier_waterfall(tiers audience[]) RETURNS audience[]
	AS 'MODULE_PATHNAME', 'tier_waterfall' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tier_waterfall(audience[]) IS
	'the tiers (listed lowest first) made disjoint: each person kept only in the highest tier holding them';

-- Overlaps and rates ----------------------------------------------------------

CREATE FUNCTION audience_overlap(audiences audience[],
	OUT mask bigint, OUT members integer[], OUT degree integer, OUT persons bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'audience_overlap' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION audience_overlap(audience[]) IS
	'k-way overlap (Venn/UpSet regions, up to 32 audiences): persons in exactly each non-empty combination of the audiences';

CREATE FUNCTION audience_rate(part audience, base audience) RETURNS double precision
	AS 'MODULE_PATHNAME', 'audience_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience_rate(audience, audience) IS
	'share of base that is also in part: |part & base| / |base|, NULL for an empty base (conversion, penetration)';

-- Segment lift --------------------------------------------------------------------

CREATE TYPE segment_lift_result AS (
	in_persons bigint,
	out_persons bigint,
	in_mean double precision,
	out_mean double precision,
	lift double precision,
	t_stat double precision,
	df double precision
);
COMMENT ON TYPE segment_lift_result IS 'result of segment_lift: group sizes and means, lift = in_mean / out_mean, Welch t statistic and degrees of freedom';

CREATE FUNCTION segment_lift_trans(double precision[], bigint, double precision, audience) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'segment_lift_trans' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION segment_lift_trans(double precision[], bigint, double precision, audience) IS 'transition function of segment_lift';
CREATE FUNCTION segment_lift_combine(double precision[], double precision[]) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'segment_lift_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION segment_lift_combine(double precision[], double precision[]) IS 'combine function of segment_lift';
CREATE FUNCTION segment_lift_final(double precision[]) RETURNS segment_lift_result
	AS 'MODULE_PATHNAME', 'segment_lift_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION segment_lift_final(double precision[]) IS 'final function of segment_lift';

CREATE AGGREGATE segment_lift(person_id bigint, measure double precision, segment audience) (
	SFUNC = segment_lift_trans,
	STYPE = double precision[],
	INITCOND = '{0,0,0,0,0,0}',
	COMBINEFUNC = segment_lift_combine,
	FINALFUNC = segment_lift_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE segment_lift(bigint, double precision, audience) IS
	'compare a per-person measure between persons in the segment and the others: sizes, means, lift, Welch t and df (one row per person; the segment must be the same for every row of a group)';

-- Segment expressions -------------------------------------------------------------

CREATE FUNCTION audience_eval(expr text, names text[], audiences audience[]) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_eval' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience_eval(text, text[], audience[]) IS
	'evaluate a segment expression such as vip & (wecom | "group") - churned over named audiences, with SQL''s precedence (- before & | #, each level left to right)';

CREATE FUNCTION audience_eval(expr text, source regclass) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_eval_table' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION audience_eval(text, regclass) IS
	'evaluate a segment expression over the named audiences of a table or view with columns name text, members audience';

-- Retention -------------------------------------------------------------------

CREATE FUNCTION audience_retention(cohort audience, periods audience[], continuous boolean DEFAULT false)
	RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'audience_retention' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience_retention(audience, audience[], boolean) IS
	'persons of the cohort present in each period (continuous: in every period up to it)';

CREATE FUNCTION audience_retention_rate(cohort audience, periods audience[], continuous boolean DEFAULT false)
	RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'audience_retention_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience_retention_rate(audience, audience[], boolean) IS
	'share of the cohort present in each period (continuous: in every period up to it); NULL elements for an empty cohort';

CREATE FUNCTION retention_agg_trans(bytea, boolean[]) RETURNS bytea
	AS 'MODULE_PATHNAME', 'retention_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION retention_agg_trans(bytea, boolean[]) IS 'transition function of retention_agg';
CREATE FUNCTION retention_agg_combine(bytea, bytea) RETURNS bytea
	AS 'MODULE_PATHNAME', 'retention_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION retention_agg_combine(bytea, bytea) IS 'combine function of retention_agg';
CREATE FUNCTION retention_agg_final(bytea) RETURNS integer[]
	AS 'MODULE_PATHNAME', 'retention_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION retention_agg_final(bytea) IS 'final function of retention_agg';

CREATE AGGREGATE retention_agg(VARIADIC conditions boolean[]) (
	SFUNC = retention_agg_trans,
	STYPE = bytea,
	COMBINEFUNC = retention_agg_combine,
	FINALFUNC = retention_agg_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE retention_agg(boolean[]) IS
	'event-level retention (Doris/ClickHouse retention): element 1 = some row met condition 1, element i = some row met condition 1 and some row met condition i; 1 to 64 conditions';

-- Window funnels -----------------------------------------------------------------

CREATE FUNCTION window_funnel_trans(internal, interval, timestamptz, boolean[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'window_funnel_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION window_funnel_trans(internal, interval, text, timestamptz, boolean[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'window_funnel_trans_mode' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION window_funnel_trans(internal, interval, timestamp, boolean[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'window_funnel_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION window_funnel_trans(internal, interval, text, timestamp, boolean[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'window_funnel_trans_mode' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION window_funnel_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'window_funnel_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION window_funnel_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'window_funnel_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION window_funnel_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'window_funnel_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION window_funnel_final(internal) RETURNS integer
	AS 'MODULE_PATHNAME', 'window_funnel_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION window_funnel_times_final(internal) RETURNS timestamptz[]
	AS 'MODULE_PATHNAME', 'window_funnel_times_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION window_funnel_times_final_ts(internal) RETURNS timestamp[]
	AS 'MODULE_PATHNAME', 'window_funnel_times_final_ts' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION window_funnel_trans(internal, interval, timestamptz, boolean[]) IS 'transition function of window_funnel and window_funnel_times';
COMMENT ON FUNCTION window_funnel_trans(internal, interval, text, timestamptz, boolean[]) IS 'transition function of window_funnel and window_funnel_times with a mode';
COMMENT ON FUNCTION window_funnel_trans(internal, interval, timestamp, boolean[]) IS 'transition function of window_funnel and window_funnel_times over timestamp';
COMMENT ON FUNCTION window_funnel_trans(internal, interval, text, timestamp, boolean[]) IS 'transition function of window_funnel and window_funnel_times over timestamp with a mode';
COMMENT ON FUNCTION window_funnel_combine(internal, internal) IS 'combine function of window_funnel and window_funnel_times';
COMMENT ON FUNCTION window_funnel_serialize(internal) IS 'serial function of window_funnel and window_funnel_times';
COMMENT ON FUNCTION window_funnel_deserialize(bytea, internal) IS 'deserial function of window_funnel and window_funnel_times';
COMMENT ON FUNCTION window_funnel_final(internal) IS 'final function of window_funnel: the deepest step reached';
COMMENT ON FUNCTION window_funnel_times_final(internal) IS 'final function of window_funnel_times: the step times of the deepest chain';
COMMENT ON FUNCTION window_funnel_times_final_ts(internal) IS 'final function of window_funnel_times over timestamp';

CREATE AGGREGATE window_funnel(time_window interval, ts timestamptz, VARIADIC steps boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, SSPACE = 256,
	FINALFUNC = window_funnel_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = window_funnel_combine,
	SERIALFUNC = window_funnel_serialize, DESERIALFUNC = window_funnel_deserialize,
	PARALLEL = SAFE
);
CREATE AGGREGATE window_funnel(time_window interval, mode text, ts timestamptz, VARIADIC steps boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, SSPACE = 256,
	FINALFUNC = window_funnel_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = window_funnel_combine,
	SERIALFUNC = window_funnel_serialize, DESERIALFUNC = window_funnel_deserialize,
	PARALLEL = SAFE
);
CREATE AGGREGATE window_funnel(time_window interval, ts timestamp, VARIADIC steps boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, SSPACE = 256,
	FINALFUNC = window_funnel_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = window_funnel_combine,
	SERIALFUNC = window_funnel_serialize, DESERIALFUNC = window_funnel_deserialize,
	PARALLEL = SAFE
);
CREATE AGGREGATE window_funnel(time_window interval, mode text, ts timestamp, VARIADIC steps boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, SSPACE = 256,
	FINALFUNC = window_funnel_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = window_funnel_combine,
	SERIALFUNC = window_funnel_serialize, DESERIALFUNC = window_funnel_deserialize,
	PARALLEL = SAFE
);
CREATE AGGREGATE window_funnel_times(time_window interval, ts timestamptz, VARIADIC steps boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, SSPACE = 256,
	FINALFUNC = window_funnel_times_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = window_funnel_combine,
	SERIALFUNC = window_funnel_serialize, DESERIALFUNC = window_funnel_deserialize,
	PARALLEL = SAFE
);
CREATE AGGREGATE window_funnel_times(time_window interval, mode text, ts timestamptz, VARIADIC steps boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, SSPACE = 256,
	FINALFUNC = window_funnel_times_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = window_funnel_combine,
	SERIALFUNC = window_funnel_serialize, DESERIALFUNC = window_funnel_deserialize,
	PARALLEL = SAFE
);
CREATE AGGREGATE window_funnel_times(time_window interval, ts timestamp, VARIADIC steps boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, SSPACE = 256,
	FINALFUNC = window_funnel_times_final_ts, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = window_funnel_combine,
	SERIALFUNC = window_funnel_serialize, DESERIALFUNC = window_funnel_deserialize,
	PARALLEL = SAFE
);
CREATE AGGREGATE window_funnel_times(time_window interval, mode text, ts timestamp, VARIADIC steps boolean[]) (
	SFUNC = window_funnel_trans, STYPE = internal, SSPACE = 256,
	FINALFUNC = window_funnel_times_final_ts, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = window_funnel_combine,
	SERIALFUNC = window_funnel_serialize, DESERIALFUNC = window_funnel_deserialize,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE window_funnel(interval, timestamptz, boolean[]) IS
	'deepest step (0 to N, N <= 64) a person reached in order within the window of their step 1 (ClickHouse windowFunnel)';
COMMENT ON AGGREGATE window_funnel(interval, text, timestamptz, boolean[]) IS
	'window_funnel with a mode: comma-separated strict_order, strict_increase, strict_deduplication';
COMMENT ON AGGREGATE window_funnel(interval, timestamp, boolean[]) IS
	'window_funnel over timestamp without time zone';
COMMENT ON AGGREGATE window_funnel(interval, text, timestamp, boolean[]) IS
	'window_funnel with a mode over timestamp without time zone';
COMMENT ON AGGREGATE window_funnel_times(interval, timestamptz, boolean[]) IS
	'the time each step of the deepest window_funnel chain was reached (length = the window_funnel level)';
COMMENT ON AGGREGATE window_funnel_times(interval, text, timestamptz, boolean[]) IS
	'window_funnel_times with a mode: comma-separated strict_order, strict_increase, strict_deduplication';
COMMENT ON AGGREGATE window_funnel_times(interval, timestamp, boolean[]) IS
	'window_funnel_times over timestamp without time zone';
COMMENT ON AGGREGATE window_funnel_times(interval, text, timestamp, boolean[]) IS
	'window_funnel_times with a mode over timestamp without time zone';
