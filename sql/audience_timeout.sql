-- Long audience operations notice statement_timeout (and query cancel):
-- each statement below runs for much longer than 1 s when uninterrupted.
SET search_path = quanyu, public;
SET quanyu.max_audience_memory = '2GB';
SET statement_timeout = '1s';
-- hashing every id of the full range (hash joins, hash indexes)
SELECT audience_hash_support(audience_from_range(0, 4294967296));
-- a draw per id: sample and split
SELECT cardinality(audience_sample(audience_from_range(0, 4294967296), 0.5, 1));
SELECT count(*) FROM audience_split(audience_from_range(0, 4294967296), 2, 1);
-- a page of every id
SELECT cardinality(audience_page(audience_from_range(0, 4294967296), 0, 4294967296));
-- text output of 60 million ids
SELECT length(audience_from_range(0, 60000000)::text);
-- streaming every id
SELECT count(*) FROM audience_ids(audience_from_range(0, 4294967296));
-- an array of 130 million ids (about 0.5 s on an idle machine)
SET statement_timeout = '100ms';
SELECT cardinality(audience_to_int4_array(audience_from_range(0, 130000000)));
SET statement_timeout = '1s';
-- the full range is too large for an array at all: a clean error at once
SELECT cardinality(audience_to_int8_array(audience_from_range(0, 4294967296)));
RESET statement_timeout;
RESET quanyu.max_audience_memory;
