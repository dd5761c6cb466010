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
