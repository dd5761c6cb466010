-- Segment snapshots (doc/activation.md): a year of daily refreshes of a
-- segment of 1M persons (ids in [0, 5M)) with 1% daily churn: each day 1%
-- of the members leave (audience_sample) and about as many new ids enter.
-- Storage is set against 365 full copies of the segment (the target: under
-- 20%); every state is then read back and compared with the truth kept
-- aside, and the time of segment_at and segment_changes is shown beside
-- reading a stored copy of the same state.
SET work_mem = '1GB';
SET client_min_messages = warning;
CREATE TABLE seg_bench_truth (day int PRIMARY KEY, members audience);
DO $$
DECLARE
	m quanyu.audience;
	enter quanyu.audience;
	t0 timestamptz := clock_timestamp();
BEGIN
	SELECT quanyu.audience_agg(p) INTO m FROM (
		SELECT (hashint8(g) & 2147483647)::bigint % 5000000 AS p FROM generate_series(1, 1300000) g) s;
	m := quanyu.audience_sample(m, 1000000.0 / quanyu.audience_cardinality(m), 7);
	FOR d IN 0..364 LOOP
		IF d > 0 THEN
			SELECT quanyu.audience_agg((hashint8(d::bigint * 100000000 + g) & 2147483647)::bigint % 5000000) INTO enter
			FROM generate_series(1, 15000) g;
			enter := enter - m;
			m := (m - quanyu.audience_sample(m, 0.01, d)) | quanyu.audience_sample(enter, least(1.0, 10000.0 / quanyu.audience_cardinality(enter)), d);
		END IF;
		INSERT INTO seg_bench_truth VALUES (d, m);
		PERFORM quanyu.segment_import('bench_year', m, NULL, '2026-01-01'::timestamptz + d * interval '1 day');
	END LOOP;
	RAISE WARNING 'segment snapshots: 365 daily refreshes of a 1M segment in % s',
		round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1);
END $$;
DO $$
DECLARE
	s record;
	avg_full double precision;
	churn double precision;
BEGIN
	SELECT * INTO s FROM quanyu.segment_storage WHERE segment = 'bench_year';
	SELECT avg(pg_column_size(members)) INTO avg_full FROM seg_bench_truth;
	SELECT avg(quanyu.audience_cardinality(entered) + quanyu.audience_cardinality(exited)) / 2 / 1e6 INTO churn
	FROM quanyu.segment_snapshot WHERE segment = 'bench_year' AND taken_at > '2026-01-01';
	RAISE WARNING 'segment snapshots: % snapshots (% full), daily churn % %%, stored % MB (table with TOAST and index % MB) vs 365 full copies % MB: % %% (target < 20 %%)',
		s.snapshots, s.full_snapshots, round((churn * 100)::numeric, 2),
		round(s.stored_bytes / 1e6, 1), round(pg_total_relation_size('quanyu.segment_snapshot') / 1e6, 1),
		round((365 * avg_full / 1e6)::numeric, 1),
		round((100 * s.stored_bytes / (365 * avg_full))::numeric, 1);
END $$;
DO $$
DECLARE
	bad int;
BEGIN
	SELECT count(*) INTO bad FROM seg_bench_truth t
	WHERE quanyu.segment_at('bench_year', '2026-01-01'::timestamptz + t.day * interval '1 day') <> t.members;
	RAISE WARNING 'segment snapshots: segment_at of every day of the year: % wrong', bad;
END $$;
RESET client_min_messages;
SELECT quanyu_bench.compare('segment_at, day 29 of 30 (full copy + 29 changes), 1M',
	$q$SELECT quanyu.audience_max(quanyu.segment_at('bench_year', '2026-12-29'))$q$,
	$b$SELECT quanyu.audience_max(members) FROM seg_bench_truth WHERE day = 362$b$, 3);
SELECT quanyu_bench.compare('segment_changes over a month, 1M',
	$q$SELECT * FROM quanyu.segment_changes('bench_year', '2026-06-01', '2026-07-01')$q$,
	$b$SELECT b.members - a.members, a.members - b.members FROM seg_bench_truth a, seg_bench_truth b WHERE a.day = 151 AND b.day = 181$b$, 3);
DO $$ BEGIN PERFORM quanyu.segment_drop('bench_year'); END $$;
DROP TABLE seg_bench_truth;
