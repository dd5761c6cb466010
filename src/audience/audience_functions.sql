-- src/audience/audience_functions.sql: the audience function set beyond the
-- core type (counting, inspection, slicing, hashing, sampling, aggregates).
-- Reference: doc/audience-functions.md.

-- Counting without materialising --------------------------------------------------

CREATE FUNCTION audience_and_count(audience, audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_and_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_or_count(audience, audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_or_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_andnot_count(audience, audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_andnot_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_xor_count(audience, audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_xor_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_jaccard(audience, audience) RETURNS double precision
	AS 'MODULE_PATHNAME', 'audience_jaccard' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION audience_and_count(audience, audience) IS 'cardinality(a & b), counted without building the intersection';
COMMENT ON FUNCTION audience_or_count(audience, audience) IS 'cardinality(a | b), counted without building the union';
COMMENT ON FUNCTION audience_andnot_count(audience, audience) IS 'cardinality(a - b), counted without building the difference';
COMMENT ON FUNCTION audience_xor_count(audience, audience) IS 'cardinality(a # b), counted without building the symmetric difference';
COMMENT ON FUNCTION audience_jaccard(audience, audience) IS 'Jaccard similarity |a & b| / |a | b| in [0, 1]; 1 for two empty audiences';

-- Inspection ------------------------------------------------------------------------

CREATE FUNCTION audience_is_empty(audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_is_empty' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_min(audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_min' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_max(audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_max' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_rank(audience, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_rank' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_nth(audience, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_nth' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_contains_any(audience, bigint[]) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_contains_any' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_contains_all(audience, bigint[]) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_contains_all' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_stats(audience,
	OUT cardinality bigint, OUT containers integer,
	OUT array_containers integer, OUT bitset_containers integer, OUT run_containers integer,
	OUT array_ids bigint, OUT bitset_ids bigint, OUT run_ids bigint,
	OUT stored_bytes bigint, OUT memory_bytes bigint)
	AS 'MODULE_PATHNAME', 'audience_stats' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION audience_is_empty(audience) IS 'true when the audience has no person (reads the header only)';
COMMENT ON FUNCTION audience_min(audience) IS 'smallest person id, NULL when empty (reads the header only)';
COMMENT ON FUNCTION audience_max(audience) IS 'largest person id, NULL when empty (reads the header only)';
COMMENT ON FUNCTION audience_rank(audience, bigint) IS 'number of person ids less than or equal to the id';
COMMENT ON FUNCTION audience_nth(audience, bigint) IS 'the n-th smallest person id, counting from 1; NULL when the audience has fewer than n';
COMMENT ON FUNCTION audience_contains_any(audience, bigint[]) IS 'true when at least one of the ids is in the audience (false for an empty array)';
COMMENT ON FUNCTION audience_contains_all(audience, bigint[]) IS 'true when every one of the ids is in the audience (true for an empty array)';
COMMENT ON FUNCTION audience_stats(audience) IS 'storage statistics: cardinality, containers by kind, ids per kind, stored and in-memory bytes';

-- Slicing and construction ----------------------------------------------------------

CREATE FUNCTION audience_range(audience, bigint, bigint) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_range' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_page(audience, bigint, bigint) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_page' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_to_array(audience) RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'audience_to_int8_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_ids(audience) RETURNS SETOF bigint
	AS 'MODULE_PATHNAME', 'audience_ids' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
CREATE FUNCTION audience_from_range(bigint, bigint) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_from_range' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION audience_range(audience, bigint, bigint) IS 'the persons with ids in [lo, hi); hi may be 4294967296';
COMMENT ON FUNCTION audience_page(audience, bigint, bigint) IS 'the persons at sorted positions [offset, offset + limit), positions from 0, for export in chunks';
COMMENT ON FUNCTION audience_to_array(audience) IS 'the sorted person ids as bigint[] (same as the cast to bigint[])';
COMMENT ON FUNCTION audience_ids(audience) IS 'the person ids in ascending order, one row each, streamed without building an array';
COMMENT ON FUNCTION audience_from_range(bigint, bigint) IS 'the audience of every id in [lo, hi); hi may be 4294967296';

-- Hashing, sampling and splits ----------------------------------------------------------

CREATE FUNCTION audience_hash(text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_sample(audience, double precision, integer) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_sample' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_split(audience, integer, integer,
	OUT bucket integer, OUT members audience) RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'audience_split' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION audience_hash(text) IS 'a person id in [0, 4294967295] for a string id: low 32 bits of XXH3-64 (seed 0), fixed forever; collisions possible, identity_register is exact';
COMMENT ON FUNCTION audience_sample(audience, double precision, integer) IS 'deterministic sample: the persons whose XXH3 draw for the seed is below fraction; same person, same answer in every audience';
COMMENT ON FUNCTION audience_split(audience, integer, integer) IS 'deterministic A/B/n split into buckets 0 .. n-1 by the XXH3 draw of each person for the seed: disjoint and covering';

-- Aggregates -------------------------------------------------------------------------------

CREATE FUNCTION audience_xor_trans(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_xor_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION audience_union_count_final(audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_union_count_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION audience_xor_trans(audience, audience) IS 'transition and combine function of audience_xor_agg: in-place symmetric difference';
COMMENT ON FUNCTION audience_union_count_final(audience) IS 'final function of audience_union_count_agg: the size of the union, 0 for no rows';

CREATE AGGREGATE audience_xor_agg(audience) (
	SFUNC = audience_xor_trans, STYPE = audience,
	FINALFUNC = audience_agg_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = audience_xor_trans, PARALLEL = SAFE
);
CREATE AGGREGATE audience_union_count_agg(audience) (
	SFUNC = audience_union_trans, STYPE = audience,
	FINALFUNC = audience_union_count_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = audience_union_combine, PARALLEL = SAFE
);

COMMENT ON AGGREGATE audience_xor_agg(audience) IS 'persons in an odd number of the non-null audiences (empty for no rows)';
COMMENT ON AGGREGATE audience_union_count_agg(audience) IS 'number of persons in the union of the non-null audiences, without returning the union (0 for no rows)';
