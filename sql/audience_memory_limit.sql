-- quanyu.max_audience_memory bounds the memory one audience operation may
-- take for its CRoaring sets, checked against an estimate before it grows.
SET search_path = quanyu, public;
SELECT cardinality('{}'::audience);
SHOW quanyu.max_audience_memory;
-- The full id range is cheap as runs (about 6 MB) ...
SELECT cardinality(audience_from_range(0, 4294967296));
SELECT cardinality('{0-4294967295}'::audience);
-- ... but a split of it is scattered ids in every bucket: 8 kB bitsets, or
-- arrays, per container and bucket (about 22 GB here).
SELECT * FROM audience_split(audience_from_range(0, 4294967296), 1024, 1);
SELECT * FROM audience_split(audience_from_range(0, 4294967296), 2, 1);
SET quanyu.max_audience_memory = '256MB';
SELECT cardinality(audience_sample(audience_from_range(0, 4294967296), 0.5, 1));
SELECT cardinality(audience_from_range(0, 4294967296) - audience_sample(audience_from_range(0, 100000000), 0.5, 1));
-- A small limit.
SET quanyu.max_audience_memory = '1MB';
SHOW quanyu.max_audience_memory;
SELECT cardinality(audience_from_range(0, 1000000));
SELECT cardinality(audience_from_range(0, 4294967296));
SELECT cardinality('{0-4294967295}'::audience);
SELECT cardinality('{1,2,3,100-200}'::audience);
SELECT cardinality(audience_sample(audience_from_range(0, 10000000), 0.5, 1));
SELECT count(*) FROM audience_split(audience_from_range(0, 10000000), 4, 1);
SELECT cardinality(audience_page(audience_from_range(0, 10000000), 0, 2000000));
SELECT cardinality(audience_from_range(0, 50000) | audience_from_range(100000, 150000));
SELECT cardinality(audience_sample(audience_from_range(0, 300000), 0.5, 1) | audience_sample(audience_from_range(0, 300000), 0.5, 2));
SELECT cardinality(audience_sample(audience_from_range(0, 300000), 0.5, 1) # audience_sample(audience_from_range(0, 300000), 0.5, 2));
SELECT cardinality(ARRAY(SELECT g * 100 FROM generate_series(1, 200000) g)::audience);
SELECT cardinality(audience_to_int8_array(audience_from_range(0, 200000)));
SELECT cardinality(audience_agg(g * 100)) FROM generate_series(1, 200000) g;
SELECT cardinality(audience_union_agg(audience_from_range(g * 300000::bigint, g * 300000::bigint + 10))) FROM generate_series(1, 14000) g;
-- Decoding stored or received bytes counts too.
SET quanyu.max_audience_memory = '1GB';
CREATE TEMP TABLE big AS SELECT audience_sample(audience_from_range(0, 200000000), 0.5, 1) AS a;
SELECT pg_column_size(a) > 20000000 AS big_enough FROM big;
SET quanyu.max_audience_memory = '16MB';
SELECT cardinality(a) FROM big;
SELECT a @> 999999999::bigint FROM big;
SELECT cardinality(a & '{1}') FROM big;
SELECT cardinality(audience(audience_to_bytea(a))) FROM big;
SET quanyu.max_audience_memory = '1GB';
SELECT cardinality(a & '{1,3,5,7}') FROM big;
-- Limits and units.
SET quanyu.max_audience_memory = 10;
SET quanyu.max_audience_memory = '2TB';
SET quanyu.max_audience_memory = '64kB';
SHOW quanyu.max_audience_memory;
RESET quanyu.max_audience_memory;
SHOW quanyu.max_audience_memory;
