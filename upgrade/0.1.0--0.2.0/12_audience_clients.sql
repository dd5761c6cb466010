-- upgrade/0.1.0--0.2.0/12_audience_clients.sql: audience from smallint[]
-- (issue 15: psycopg 3 sends a Python list of small ints as smallint[]).
-- Each text is the exact text of src/audience/audience.sql.

CREATE FUNCTION audience(smallint[]) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_from_int2_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience(smallint[]) IS 'the audience of the ids in an int2 array, as psycopg 3 sends a list of small ints (nulls and negative ids are errors)';
CREATE CAST (smallint[] AS audience) WITH FUNCTION audience(smallint[]);
COMMENT ON CAST (smallint[] AS audience) IS 'the audience of the ids in an int2 array';
