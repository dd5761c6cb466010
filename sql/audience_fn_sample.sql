-- audience_hash, audience_sample and audience_split.
-- audience_hash is part of the stored-data contract: these values must never change.
-- ('' gives the low 32 bits of the published XXH3-64 test vector 0x2D06800538D394C2.)
SELECT audience_hash(''), audience_hash('a'), audience_hash('hello'), audience_hash('13800138000'), audience_hash('user@example.com');
SELECT audience_hash('hello') = audience_hash('hel' || 'lo') AS same_text_same_id;
SELECT min(audience_hash(g::text)) >= 0 AS in_range_low, max(audience_hash(g::text)) <= 4294967295 AS in_range_high, count(DISTINCT audience_hash(g::text)) AS distinct_ids FROM generate_series(1, 100000) g;
-- the sample and split draws are part of the contract too
SELECT audience_sample(audience_from_range(0, 40), 0.25, 1);
SELECT audience_sample(audience_from_range(0, 40), 0.25, -7);
SELECT bucket, members FROM audience_split(audience_from_range(0, 20), 3, 42);
-- sampling: a subset, deterministic, the same person in or out in every audience
CREATE TABLE audience_fn_sample_t (a audience, b audience);
INSERT INTO audience_fn_sample_t SELECT audience_from_range(0, 1000000), audience_agg(g) FROM generate_series(500000, 3000000, 3) g;
SELECT audience_sample(a, 0.1, 7) <@ a AS subset, audience_sample(a, 0.1, 7) = audience_sample(a, 0.1, 7) AS repeatable, audience_sample(a, 0.1, 7) <> audience_sample(a, 0.1, 8) AS seed_matters FROM audience_fn_sample_t;
SELECT audience_sample(a, 0.3, 11) & b = audience_sample(a & b, 0.3, 11) AS same_person_same_draw, audience_sample(a, 0.3, 11) & b = audience_sample(b, 0.3, 11) & a AS across_audiences FROM audience_fn_sample_t;
SELECT audience_sample(a, 0.2, 5) <@ audience_sample(a, 0.6, 5) AS nested_fractions FROM audience_fn_sample_t;
-- 1M ids: sample size within 4 standard deviations of n p (sd = sqrt(n p (1 - p)))
SELECT abs(cardinality(audience_sample(a, 0.1, s)) - 100000) < 4 * sqrt(1000000 * 0.1 * 0.9) AS size_ok FROM audience_fn_sample_t, (VALUES (1), (2), (3)) v(s);
SELECT audience_sample(a, 0, 1) = '{}'::audience AS none, audience_sample(a, 1, 1) = a AS all_ids FROM audience_fn_sample_t;
-- splits: disjoint, covering, within 4 sd of n / k per bucket, same person same bucket
CREATE TABLE audience_fn_split_t AS SELECT s.bucket, s.members FROM audience_fn_sample_t, audience_split(a, 4, 2024) s;
SELECT count(*) AS buckets, sum(cardinality(members)) AS total, audience_union_agg(members) = (SELECT a FROM audience_fn_sample_t) AS covering, audience_union_count_agg(members) = sum(cardinality(members)) AS disjoint FROM audience_fn_split_t;
SELECT bool_and(abs(cardinality(members) - 250000) < 4 * sqrt(1000000 * 0.25 * 0.75)) AS sizes_ok FROM audience_fn_split_t;
SELECT bool_and(x.members = s.members) AS repeatable FROM audience_fn_split_t x JOIN (SELECT (audience_split(a, 4, 2024)).* FROM audience_fn_sample_t) s USING (bucket);
SELECT bool_and(x.members & t.b = s.members) AS same_bucket_in_other_audience FROM audience_fn_split_t x, audience_fn_sample_t t, LATERAL audience_split(t.a & t.b, 4, 2024) s WHERE s.bucket = x.bucket;
-- a sample of fraction k/n is buckets 0 .. k-1 of the n-way split with the same seed
SELECT audience_sample(a, 0.25, 2024) = (SELECT members FROM audience_fn_split_t WHERE bucket = 0) AS quarter_is_bucket_0, audience_sample(a, 0.5, 2024) = (SELECT audience_union_agg(members) FROM audience_fn_split_t WHERE bucket < 2) AS half_is_buckets_0_1 FROM audience_fn_sample_t;
DROP TABLE audience_fn_split_t;
DROP TABLE audience_fn_sample_t;
SELECT bucket, cardinality(members) FROM audience_split(audience_from_range(0, 1000), 1, 3);
-- empty audiences
SELECT audience_sample('{}', 0.5, 1);
SELECT bucket, members FROM audience_split('{}', 2, 1);
-- boundary ids
SELECT audience_sample('{0,4294967295}', 1, 3), audience_sample('{0,4294967295}', 0.5, 3);
SELECT bucket, members FROM audience_split('{0,4294967295}', 2, 3);
SELECT audience_hash(repeat('x', 100000)) BETWEEN 0 AND 4294967295 AS long_text_ok;
-- NULLs
SELECT audience_hash(NULL) IS NULL AS hash_null, audience_sample(NULL, 0.5, 1) IS NULL AS sample_null, audience_sample('{1}', NULL, 1) IS NULL AS fraction_null;
SELECT count(*) FROM audience_split('{1}', NULL, 1);
-- bad arguments
SELECT audience_sample('{1}', -0.1, 1);
SELECT audience_sample('{1}', 1.5, 1);
SELECT audience_sample('{1}', 'NaN', 1);
SELECT * FROM audience_split('{1}', 0, 1);
SELECT * FROM audience_split('{1}', 1025, 1);
