-- test/bench/activation_gin.sql: all tags of one person (issue 13, part 3).
--
-- Bar: over 500 stored tag audiences of 1M ids each, "which tags hold person
-- p" through the GIN index (audience_gin_ops) at least 30x faster than the
-- same query scanning every tag.  Index build time and size are printed.
--
-- Each tag is a seeded half of the ids below 2M (1M ids, 31 bitset
-- containers, about 250 kB, out of line), so each person is in about 250
-- tags: the index returns 250 rows per lookup, the scan decodes 500 values.

SET search_path = quanyu, public;
SET max_parallel_workers_per_gather = 0;

CREATE TABLE activation_tags (tag text, members audience);
INSERT INTO activation_tags
	SELECT 'tag_' || k, audience_sample(audience_from_range(0, 2000000), 0.5, k)
	FROM generate_series(1, 500) k;
VACUUM ANALYZE activation_tags;
SELECT count(*) AS tags, min(cardinality(members)) AS min_ids, max(cardinality(members)) AS max_ids,
	pg_size_pretty(pg_total_relation_size('activation_tags')) AS table_size FROM activation_tags;

-- A copy to scan (no index), and the indexed table.
CREATE TABLE activation_tags_scan AS SELECT * FROM activation_tags;
VACUUM ANALYZE activation_tags_scan;

-- Build: maintenance_work_mem bounds GIN's in-memory accumulation of keys;
-- more memory means fewer, larger flushes into the index.
SET maintenance_work_mem = '1GB';
DO $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	CREATE INDEX activation_tags_members ON activation_tags USING gin (members);
	RAISE NOTICE 'GIN index over 500 tags of 1M ids: build % s, size %, table %',
		round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1),
		pg_size_pretty(pg_relation_size('activation_tags_members')),
		pg_size_pretty(pg_total_relation_size('activation_tags'));
END $$;
VACUUM ANALYZE activation_tags;
RESET maintenance_work_mem;

-- Same answer both ways.
SELECT (SELECT array_agg(tag ORDER BY tag) FROM activation_tags WHERE members @> 1234567)
	= (SELECT array_agg(tag ORDER BY tag) FROM activation_tags_scan WHERE members @> 1234567) AS same_tags,
	(SELECT count(*) FROM activation_tags WHERE members @> 1234567) AS tags_of_person;
EXPLAIN (COSTS OFF) SELECT array_agg(tag) FROM activation_tags WHERE members @> 1234567;

-- Best of 20 runs; different persons so no answer is cached.
SELECT quanyu_bench.compare('all tags of one person, 500 tags of 1M ids: GIN index vs scan',
	'SELECT array_agg(tag) FROM activation_tags WHERE members @> 1234567',
	'SELECT array_agg(tag) FROM activation_tags_scan WHERE members @> 1234567', 20);
DROP TABLE activation_tags, activation_tags_scan;
