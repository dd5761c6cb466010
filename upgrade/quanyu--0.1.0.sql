-- quanyu install script, assembled by the Makefile from src/<module>/*.sql.

\echo Use "CREATE EXTENSION quanyu" to load this file. \quit
-- src/audience/audience.sql: the audience type, its operators and aggregates.

-- Type shell and I/O --------------------------------------------------------

CREATE TYPE audience;

CREATE FUNCTION audience_in(cstring) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_out(audience) RETURNS cstring
	AS 'MODULE_PATHNAME', 'audience_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_recv(internal) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_send(audience) RETURNS bytea
	AS 'MODULE_PATHNAME', 'audience_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- EXTERNAL storage: no compression (CRoaring already compresses), so the
-- header can be read from the first TOAST chunk without the rest.
CREATE TYPE audience (
	INPUT = audience_in,
	OUTPUT = audience_out,
	RECEIVE = audience_recv,
	SEND = audience_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = external
);

COMMENT ON TYPE audience IS 'a set of person ids in [0, 4294967295], stored as a compressed (roaring) bitmap';
COMMENT ON FUNCTION audience_in(cstring) IS 'text input of audience: {1,2,3}, ranges {1-1000}, or \x followed by the hex of CRoaring portable bytes';
COMMENT ON FUNCTION audience_out(audience) IS 'text output of audience: the sorted ids, or hex when quanyu.audience_output = hex';
COMMENT ON FUNCTION audience_recv(internal) IS 'binary input of audience: CRoaring portable bytes, validated';
COMMENT ON FUNCTION audience_send(audience) IS 'binary output of audience: CRoaring portable bytes';

-- Functions -----------------------------------------------------------------

CREATE FUNCTION cardinality(audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cardinality(audience) IS 'number of persons in the audience, read from the header without decoding the set';

CREATE FUNCTION audience_cardinality(audience) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience_cardinality(audience) IS 'number of persons in the audience (same as cardinality(audience))';

-- Operator functions ----------------------------------------------------------

CREATE FUNCTION audience_and(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_and' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_or(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_or' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_andnot(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_andnot' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_xor(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_xor' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_add(audience, bigint) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_remove(audience, bigint) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_remove' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_contains(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_contained(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_contained' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_contains(audience, bigint) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_contains_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_contained(bigint, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_id_contained' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_overlaps(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_overlaps' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_eq(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_ne(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_lt(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_le(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_gt(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_ge(audience, audience) RETURNS boolean
	AS 'MODULE_PATHNAME', 'audience_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_cmp(audience, audience) RETURNS integer
	AS 'MODULE_PATHNAME', 'audience_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_hash_support(audience) RETURNS integer
	AS 'MODULE_PATHNAME', 'audience_hash_support' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_hash_support_extended(audience, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'audience_hash_support_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION audience_and(audience, audience) IS 'persons in both audiences (operator &)';
COMMENT ON FUNCTION audience_or(audience, audience) IS 'persons in either audience (operator |)';
COMMENT ON FUNCTION audience_andnot(audience, audience) IS 'persons in the first audience but not the second (operator -)';
COMMENT ON FUNCTION audience_xor(audience, audience) IS 'persons in exactly one of the audiences (operator #)';
COMMENT ON FUNCTION audience_add(audience, bigint) IS 'the audience with one more person (operator | with a bigint)';
COMMENT ON FUNCTION audience_remove(audience, bigint) IS 'the audience without one person (operator - with a bigint)';
COMMENT ON FUNCTION audience_contains(audience, audience) IS 'true when every person of the second audience is in the first (operator @>)';
COMMENT ON FUNCTION audience_contained(audience, audience) IS 'true when every person of the first audience is in the second (operator <@)';
COMMENT ON FUNCTION audience_contains(audience, bigint) IS 'true when the person is in the audience (operator @>)';
COMMENT ON FUNCTION audience_contained(bigint, audience) IS 'true when the person is in the audience (operator <@)';
COMMENT ON FUNCTION audience_overlaps(audience, audience) IS 'true when the audiences share at least one person (operator &&)';
COMMENT ON FUNCTION audience_eq(audience, audience) IS 'true when the audiences hold the same persons (operator =)';
COMMENT ON FUNCTION audience_ne(audience, audience) IS 'true when the audiences differ (operator <>)';
COMMENT ON FUNCTION audience_lt(audience, audience) IS 'btree order: sorted id lists compared element by element (operator <)';
COMMENT ON FUNCTION audience_le(audience, audience) IS 'btree order (operator <=)';
COMMENT ON FUNCTION audience_gt(audience, audience) IS 'btree order (operator >)';
COMMENT ON FUNCTION audience_ge(audience, audience) IS 'btree order (operator >=)';
COMMENT ON FUNCTION audience_cmp(audience, audience) IS 'btree support: -1, 0 or 1 comparing sorted id lists';
COMMENT ON FUNCTION audience_hash_support(audience) IS 'hash support: XXH3 of the sorted ids, equal for equal audiences';
COMMENT ON FUNCTION audience_hash_support_extended(audience, bigint) IS 'extended hash support with a 64-bit seed';

-- Operators -------------------------------------------------------------------

CREATE OPERATOR & (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_and, COMMUTATOR = &);
CREATE OPERATOR | (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_or, COMMUTATOR = |);
CREATE OPERATOR - (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_andnot);
CREATE OPERATOR # (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_xor, COMMUTATOR = #);
CREATE OPERATOR | (LEFTARG = audience, RIGHTARG = bigint, FUNCTION = audience_add);
CREATE OPERATOR - (LEFTARG = audience, RIGHTARG = bigint, FUNCTION = audience_remove);
CREATE OPERATOR @> (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_contains,
	COMMUTATOR = <@, RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR <@ (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_contained,
	COMMUTATOR = @>, RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR @> (LEFTARG = audience, RIGHTARG = bigint, FUNCTION = audience_contains,
	COMMUTATOR = <@, RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR <@ (LEFTARG = bigint, RIGHTARG = audience, FUNCTION = audience_contained,
	COMMUTATOR = @>, RESTRICT = contsel, JOIN = contjoinsel);
CREATE OPERATOR && (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_overlaps,
	COMMUTATOR = &&, RESTRICT = areasel, JOIN = areajoinsel);
CREATE OPERATOR = (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR < (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR > (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR >= (LEFTARG = audience, RIGHTARG = audience, FUNCTION = audience_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);

COMMENT ON OPERATOR & (audience, audience) IS 'intersection: persons in both';
COMMENT ON OPERATOR | (audience, audience) IS 'union: persons in either';
COMMENT ON OPERATOR - (audience, audience) IS 'difference: persons in the left but not the right';
COMMENT ON OPERATOR # (audience, audience) IS 'symmetric difference: persons in exactly one';
COMMENT ON OPERATOR | (audience, bigint) IS 'add one person';
COMMENT ON OPERATOR - (audience, bigint) IS 'remove one person';
COMMENT ON OPERATOR @> (audience, audience) IS 'contains every person of';
COMMENT ON OPERATOR <@ (audience, audience) IS 'is contained in';
COMMENT ON OPERATOR @> (audience, bigint) IS 'contains the person';
COMMENT ON OPERATOR <@ (bigint, audience) IS 'person is in';
COMMENT ON OPERATOR && (audience, audience) IS 'share at least one person';
COMMENT ON OPERATOR = (audience, audience) IS 'hold the same persons';
COMMENT ON OPERATOR <> (audience, audience) IS 'hold different persons';
COMMENT ON OPERATOR < (audience, audience) IS 'sorts before (sorted id lists, element by element)';
COMMENT ON OPERATOR <= (audience, audience) IS 'sorts before or equal';
COMMENT ON OPERATOR > (audience, audience) IS 'sorts after';
COMMENT ON OPERATOR >= (audience, audience) IS 'sorts after or equal';

-- Aggregates ------------------------------------------------------------------

CREATE FUNCTION audience_agg_trans(audience, bigint) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION audience_agg_trans(audience, integer) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_agg_trans_int4' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION audience_union_trans(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_union_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION audience_union_combine(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_union_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION audience_intersect_trans(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_intersect_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION audience_intersect_combine(audience, audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_intersect_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION audience_agg_final(audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION audience_agg_trans(audience, bigint) IS 'transition function of audience_agg(bigint): queues ids, added in batches';
COMMENT ON FUNCTION audience_agg_trans(audience, integer) IS 'transition function of audience_agg(integer)';
COMMENT ON FUNCTION audience_union_trans(audience, audience) IS 'transition function of audience_union_agg: lazy in-place union';
COMMENT ON FUNCTION audience_union_combine(audience, audience) IS 'combine function of audience_agg and audience_union_agg (parallel and distributed plans)';
COMMENT ON FUNCTION audience_intersect_trans(audience, audience) IS 'transition function of audience_intersect_agg';
COMMENT ON FUNCTION audience_intersect_combine(audience, audience) IS 'combine function of audience_intersect_agg';
COMMENT ON FUNCTION audience_agg_final(audience) IS 'final function of the audience aggregates: the state, or an empty audience for no rows';

CREATE AGGREGATE audience_agg(bigint) (
	SFUNC = audience_agg_trans, STYPE = audience,
	FINALFUNC = audience_agg_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = audience_union_combine, PARALLEL = SAFE
);
CREATE AGGREGATE audience_agg(integer) (
	SFUNC = audience_agg_trans, STYPE = audience,
	FINALFUNC = audience_agg_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = audience_union_combine, PARALLEL = SAFE
);
CREATE AGGREGATE audience_union_agg(audience) (
	SFUNC = audience_union_trans, STYPE = audience,
	FINALFUNC = audience_agg_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = audience_union_combine, PARALLEL = SAFE
);
CREATE AGGREGATE audience_intersect_agg(audience) (
	SFUNC = audience_intersect_trans, STYPE = audience,
	FINALFUNC = audience_agg_final, FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = audience_intersect_combine, PARALLEL = SAFE
);

COMMENT ON AGGREGATE audience_agg(bigint) IS 'the audience of all non-null person ids (empty for no rows)';
COMMENT ON AGGREGATE audience_agg(integer) IS 'the audience of all non-null person ids (empty for no rows)';
COMMENT ON AGGREGATE audience_union_agg(audience) IS 'union of all non-null audiences (empty for no rows)';
COMMENT ON AGGREGATE audience_intersect_agg(audience) IS 'intersection of all non-null audiences (empty for no rows)';

-- Casts -------------------------------------------------------------------------

CREATE FUNCTION audience(integer[]) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_from_int4_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience(bigint[]) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_from_int8_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience(bytea) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_from_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_to_int4_array(audience) RETURNS integer[]
	AS 'MODULE_PATHNAME', 'audience_to_int4_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_to_int8_array(audience) RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'audience_to_int8_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION audience_to_bytea(audience) RETURNS bytea
	AS 'MODULE_PATHNAME', 'audience_to_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION audience(integer[]) IS 'the audience of the ids in an int4 array (nulls and negative ids are errors)';
COMMENT ON FUNCTION audience(bigint[]) IS 'the audience of the ids in an int8 array (nulls and out-of-range ids are errors)';
COMMENT ON FUNCTION audience(bytea) IS 'the audience in CRoaring portable bytes (from pg_roaringbitmap, Java/Go RoaringBitmap, Doris), validated';
COMMENT ON FUNCTION audience_to_int4_array(audience) IS 'the sorted ids as int4[] (ids above 2147483647 are an error)';
COMMENT ON FUNCTION audience_to_int8_array(audience) IS 'the sorted ids as bigint[]';
COMMENT ON FUNCTION audience_to_bytea(audience) IS 'the audience as CRoaring portable bytes, readable by other roaring implementations';

CREATE CAST (integer[] AS audience) WITH FUNCTION audience(integer[]);
CREATE CAST (bigint[] AS audience) WITH FUNCTION audience(bigint[]);
CREATE CAST (bytea AS audience) WITH FUNCTION audience(bytea);
CREATE CAST (audience AS integer[]) WITH FUNCTION audience_to_int4_array(audience);
CREATE CAST (audience AS bigint[]) WITH FUNCTION audience_to_int8_array(audience);
CREATE CAST (audience AS bytea) WITH FUNCTION audience_to_bytea(audience);

-- Operator classes ----------------------------------------------------------------

CREATE OPERATOR CLASS audience_ops DEFAULT FOR TYPE audience USING btree AS
	OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
	FUNCTION 1 audience_cmp(audience, audience);
CREATE OPERATOR CLASS audience_hash_ops DEFAULT FOR TYPE audience USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 audience_hash_support(audience),
	FUNCTION 2 audience_hash_support_extended(audience, bigint);

COMMENT ON OPERATOR CLASS audience_ops USING btree IS 'btree ordering of audiences, for ORDER BY, GROUP BY and unique indexes';
COMMENT ON OPERATOR CLASS audience_hash_ops USING hash IS 'hashing of audiences, for hash joins, hash aggregation and DISTINCT';
COMMENT ON OPERATOR FAMILY audience_ops USING btree IS 'btree ordering of audiences';
COMMENT ON OPERATOR FAMILY audience_hash_ops USING hash IS 'hashing of audiences';
COMMENT ON CAST (integer[] AS audience) IS 'the audience of the ids in an int4 array';
COMMENT ON CAST (bigint[] AS audience) IS 'the audience of the ids in an int8 array';
COMMENT ON CAST (bytea AS audience) IS 'an audience from CRoaring portable bytes, validated';
COMMENT ON CAST (audience AS integer[]) IS 'the sorted ids as int4[]';
COMMENT ON CAST (audience AS bigint[]) IS 'the sorted ids as bigint[]';
COMMENT ON CAST (audience AS bytea) IS 'the audience as CRoaring portable bytes';
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
-- src/identity/identity.sql: identity merge (OneID) tables and functions.

-- Tables --------------------------------------------------------------------

-- User rules per identifier type.  Types without a row use the built-in
-- defaults of the identity_rules view; the row '*' holds the junk values
-- blocked for every type.  The table starts empty so pg_dump/restore never
-- collides with rows the install script made.
CREATE TABLE identity_rule (
	id_type text COLLATE "C" PRIMARY KEY,
	normalizer text NOT NULL DEFAULT 'trim'
		CHECK (normalizer IN ('trim', 'phone', 'email', 'none')),
	blocked_values text[] NOT NULL DEFAULT '{}',
	blocked_pattern text,
	max_per_person integer CHECK (max_per_person > 0),
	priority integer NOT NULL DEFAULT 50
);
COMMENT ON TABLE identity_rule IS 'identity merge rules per identifier type (overrides of the built-in defaults; id_type ''*'' applies to every type)';

-- Every identifier ever linked, with the person it belongs to now.
CREATE TABLE identity_identifier (
	id_type text COLLATE "C" NOT NULL,
	id_value text COLLATE "C" NOT NULL,
	person_id bigint NOT NULL CHECK (person_id BETWEEN 0 AND 4294967295),
	first_seen timestamptz NOT NULL,
	last_seen timestamptz NOT NULL,
	PRIMARY KEY (id_type, id_value)
) WITH (fillfactor = 90);	-- room for HOT updates of last_seen
CREATE INDEX identity_identifier_person ON identity_identifier (person_id);
COMMENT ON TABLE identity_identifier IS 'identity merge: every normalised identifier and its current person id';

-- One row per person id that was merged away.
CREATE TABLE identity_merge (
	loser bigint PRIMARY KEY,
	survivor bigint NOT NULL,
	current_survivor bigint NOT NULL,
	merged_at timestamptz NOT NULL,
	evidence_type_a text COLLATE "C" NOT NULL,
	evidence_value_a text COLLATE "C" NOT NULL,
	evidence_type_b text COLLATE "C" NOT NULL,
	evidence_value_b text COLLATE "C" NOT NULL
);
CREATE INDEX identity_merge_current ON identity_merge (current_survivor);
COMMENT ON TABLE identity_merge IS 'identity merge log: loser merged into survivor because of the evidence pair; current_survivor follows later merges';

-- Pairs that were not applied because a rule forbids the merge.
CREATE TABLE identity_refusal (
	refused_at timestamptz NOT NULL,
	type_a text COLLATE "C" NOT NULL,
	value_a text COLLATE "C" NOT NULL,
	type_b text COLLATE "C" NOT NULL,
	value_b text COLLATE "C" NOT NULL,
	person_a bigint,
	person_b bigint,
	reason text NOT NULL
);
COMMENT ON TABLE identity_refusal IS 'identity merge: pairs refused by a rule, with the reason';

-- The next person id to hand out; empty until the first ingest.
CREATE TABLE identity_state (
	next_person_id bigint NOT NULL,
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton)
);
COMMENT ON TABLE identity_state IS 'identity merge: the next dense person id (one row)';

SELECT pg_catalog.pg_extension_config_dump('identity_rule', '');
SELECT pg_catalog.pg_extension_config_dump('identity_identifier', '');
SELECT pg_catalog.pg_extension_config_dump('identity_merge', '');
SELECT pg_catalog.pg_extension_config_dump('identity_refusal', '');
SELECT pg_catalog.pg_extension_config_dump('identity_state', '');

-- The effective rules: user rows first, built-in defaults for the rest.
CREATE VIEW identity_rules AS
SELECT id_type, normalizer, blocked_values, blocked_pattern, max_per_person, priority
FROM identity_rule
UNION ALL
SELECT d.id_type, d.normalizer, d.blocked_values, d.blocked_pattern, d.max_per_person, d.priority
FROM (VALUES
	('*'::text, 'trim'::text,
	 ARRAY['', 'unknown', 'null', 'none', 'nil', 'undefined', 'anonymous', '-1', 'n/a'], '^0+$'::text, NULL::integer, 50),
	('phone', 'phone', '{}', NULL, 3, 90),
	('email', 'email', '{}', NULL, 3, 80),
	('member_id', 'trim', '{}', NULL, 1, 100),
	('unionid', 'trim', '{}', NULL, 1, 70),
	('openid', 'trim', '{}', NULL, NULL, 60),
	('external_userid', 'trim', '{}', NULL, NULL, 60),
	('buyer_id', 'trim', '{}', NULL, NULL, 40),
	('device_id', 'trim', '{}', NULL, NULL, 10)
) AS d (id_type, normalizer, blocked_values, blocked_pattern, max_per_person, priority)
WHERE NOT EXISTS (SELECT 1 FROM identity_rule r WHERE r.id_type = d.id_type);
COMMENT ON VIEW identity_rules IS 'effective identity merge rules: identity_rule rows plus the built-in defaults';

-- Functions -------------------------------------------------------------------

CREATE FUNCTION identity_normalize(id_type text, id_value text) RETURNS text
	AS 'MODULE_PATHNAME', 'identity_normalize' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION identity_normalize(text, text) IS 'the identifier value as identity merge stores it (phone digits, lower-case email, trimmed), or NULL when a rule blocks it';

CREATE FUNCTION identity_link(query text,
	OUT pairs_read bigint, OUT identifiers_new bigint, OUT persons_new bigint,
	OUT merges bigint, OUT pairs_refused bigint, OUT values_blocked bigint)
	AS 'MODULE_PATHNAME', 'identity_link' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION identity_link(text) IS 'ingest identifier pairs (type_a, value_a, type_b, value_b [, seen_at]) returned by a query: normalise, block junk, merge persons; returns counts';

CREATE FUNCTION identity_link_table(source regclass,
	OUT pairs_read bigint, OUT identifiers_new bigint, OUT persons_new bigint,
	OUT merges bigint, OUT pairs_refused bigint, OUT values_blocked bigint)
	LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
	AS $$ SELECT * FROM identity_link(format('SELECT * FROM %s', source)) $$;
COMMENT ON FUNCTION identity_link_table(regclass) IS 'identity_link over every row of a table whose columns are (type_a, value_a, type_b, value_b [, seen_at])';

CREATE FUNCTION identity_person(id_type text, id_value text) RETURNS bigint
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$ SELECT i.person_id FROM identity_identifier i
		WHERE i.id_type = $1 AND i.id_value = identity_normalize($1, $2) $$;
COMMENT ON FUNCTION identity_person(text, text) IS 'current person id of an identifier (after normalisation), NULL when unknown';

CREATE FUNCTION identity_resolve(person_id bigint) RETURNS bigint
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$ SELECT coalesce((SELECT m.current_survivor FROM identity_merge m WHERE m.loser = $1), $1) $$;
COMMENT ON FUNCTION identity_resolve(bigint) IS 'the surviving person id for a person id that may have been merged away';

CREATE FUNCTION identity_register(id_type text, id_value text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'identity_register' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION identity_register(text, text) IS 'person id of one identifier, created when new (the exact string to dense id dictionary); NULL when a rule blocks the value';

CREATE FUNCTION identity_explain(person_id bigint)
	RETURNS TABLE (kind text, id_type text, id_value text, first_seen timestamptz,
		last_seen timestamptz, merged_person bigint, merged_at timestamptz, evidence text)
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$
	WITH p AS (SELECT identity_resolve($1) AS id)
	SELECT * FROM (
		SELECT 'identifier'::text, i.id_type::text, i.id_value::text, i.first_seen, i.last_seen,
			NULL::bigint, NULL::timestamptz, NULL::text
		FROM identity_identifier i, p WHERE i.person_id = p.id
		UNION ALL
		SELECT 'merge', NULL, NULL, NULL, NULL, m.loser, m.merged_at,
			format('%s:%s = %s:%s', m.evidence_type_a, m.evidence_value_a,
				m.evidence_type_b, m.evidence_value_b)
		FROM identity_merge m, p WHERE m.current_survivor = p.id
	) e (kind, id_type, id_value, first_seen, last_seen, merged_person, merged_at, evidence)
	ORDER BY kind, first_seen, id_type, id_value, merged_at, merged_person
	$$;
COMMENT ON FUNCTION identity_explain(bigint) IS 'a person''s identifiers, and the persons merged into it with the evidence pair and time';

CREATE FUNCTION audience_canonicalize(a audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_canonicalize' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience_canonicalize(audience) IS 'rewrite an audience stored before identity merges: every merged-away id is replaced by its surviving id';
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
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
AS $$
BEGIN
    IF orders IS NULL OR customer_column IS NULL OR ts_column IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'orders, customer_column and ts_column must not be null',
            DETAIL = 'The cohort table needs a table, its customer column and its time column.';
    END IF;
    FOR i IN 1..2 LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute
                       WHERE attrelid = orders AND attnum > 0 AND NOT attisdropped
                         AND attname = (ARRAY[customer_column, ts_column])[i]) THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = format('column "%s" does not exist in %s', (ARRAY[customer_column, ts_column])[i], orders),
                DETAIL = 'customer_column and ts_column name columns of the orders table.';
        END IF;
    END LOOP;
    -- Months are calendar months of the session time zone; a cohort's cells
    -- after the last month with data (or data_end) are NULL: unknown, not 0.
    RETURN QUERY EXECUTE format($q$
        WITH o AS (
            SELECT %1$I AS c, date_trunc('month', %2$I)::date AS m
            FROM %3$s
            WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND ($1 IS NULL OR %2$I <= $1)
            GROUP BY 1, 2),
        f AS (SELECT c, min(m) AS cohort FROM o GROUP BY c),
        a AS (
            SELECT f.cohort,
                   ((extract(year FROM o.m) - extract(year FROM f.cohort)) * 12 +
                    extract(month FROM o.m) - extract(month FROM f.cohort))::int AS k,
                   count(*) AS n
            FROM o JOIN f USING (c) GROUP BY 1, 2),
        s AS (SELECT cohort, count(*) AS size FROM f GROUP BY cohort),
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
    $q$, customer_column, ts_column, orders) USING data_end;
END
$$;
COMMENT ON FUNCTION clv_cohort_retention(regclass, name, name, timestamptz) IS 'cohort retention table: customers by first-purchase month, share active (with an order) in each later month; NULL where the data ends';
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
	'evaluate a segment expression such as vip & (wecom | "group") - churned over named audiences (& before | - ^, left to right)';

CREATE FUNCTION audience_eval(expr text, source regclass) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_eval_table' LANGUAGE C STABLE STRICT PARALLEL SAFE;
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
