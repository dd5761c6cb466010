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

CREATE FUNCTION audience(smallint[]) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_from_int2_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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

COMMENT ON FUNCTION audience(smallint[]) IS 'the audience of the ids in an int2 array, as psycopg 3 sends a list of small ints (nulls and negative ids are errors)';
COMMENT ON FUNCTION audience(integer[]) IS 'the audience of the ids in an int4 array (nulls and negative ids are errors)';
COMMENT ON FUNCTION audience(bigint[]) IS 'the audience of the ids in an int8 array (nulls and out-of-range ids are errors)';
COMMENT ON FUNCTION audience(bytea) IS 'the audience in CRoaring portable bytes (from pg_roaringbitmap, Java/Go RoaringBitmap, Doris), validated';
COMMENT ON FUNCTION audience_to_int4_array(audience) IS 'the sorted ids as int4[] (ids above 2147483647 are an error)';
COMMENT ON FUNCTION audience_to_int8_array(audience) IS 'the sorted ids as bigint[]';
COMMENT ON FUNCTION audience_to_bytea(audience) IS 'the audience as CRoaring portable bytes, readable by other roaring implementations';

CREATE CAST (smallint[] AS audience) WITH FUNCTION audience(smallint[]);
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
COMMENT ON CAST (smallint[] AS audience) IS 'the audience of the ids in an int2 array';
COMMENT ON CAST (integer[] AS audience) IS 'the audience of the ids in an int4 array';
COMMENT ON CAST (bigint[] AS audience) IS 'the audience of the ids in an int8 array';
COMMENT ON CAST (bytea AS audience) IS 'an audience from CRoaring portable bytes, validated';
COMMENT ON CAST (audience AS integer[]) IS 'the sorted ids as int4[]';
COMMENT ON CAST (audience AS bigint[]) IS 'the sorted ids as bigint[]';
COMMENT ON CAST (audience AS bytea) IS 'the audience as CRoaring portable bytes';
