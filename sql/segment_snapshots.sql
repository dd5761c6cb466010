-- Snapshots and changes (src/segment/segment.sql): every refresh keeps the
-- segment as of that time; segment_at and segment_changes read them back.
-- A segment with random churn is refreshed 40 times with a full copy every
-- 7 snapshots, and every state is checked against the truth kept aside.
\set SHOW_CONTEXT never
SET search_path = "$user", quanyu, public;
CREATE TABLE public.snap_truth (day int, members audience);
-- Day d: about 2,400 persons of 0..2999, changing by a deterministic hash per day.
INSERT INTO public.snap_truth
SELECT d, audience_agg(p) FROM generate_series(0, 39) d, generate_series(0, 2999) p
WHERE (hashint8(p * 1000 + d / 3) & 3) <> 0 OR p < 500
GROUP BY d;
SELECT * FROM segment_import('churny', (SELECT members FROM public.snap_truth WHERE day = 0), 'imported daily', '2026-01-01');
UPDATE segment SET full_every = 7 WHERE name = 'churny';
DO $$
DECLARE
	t record;
BEGIN
	FOR t IN SELECT * FROM public.snap_truth WHERE day > 0 ORDER BY day LOOP
		PERFORM quanyu.segment_import('churny', t.members, NULL, '2026-01-01'::timestamptz + t.day * interval '1 day');
	END LOOP;
END $$;
-- Full copies on day 0 and every 7th snapshot after it; changes on every row.
SELECT count(*) AS snapshots, count(full_members) AS full_copies, string_agg(CASE WHEN full_members IS NOT NULL THEN extract(day FROM taken_at - '2026-01-01')::text END, ',' ORDER BY taken_at) AS full_days FROM segment_snapshot WHERE segment = 'churny';
-- Every state as of its day, and as of a moment later the same day.
SELECT count(*) AS days, count(*) FILTER (WHERE segment_at('churny', '2026-01-01'::timestamptz + t.day * interval '1 day') = t.members) AS exact, count(*) FILTER (WHERE segment_at('churny', '2026-01-01'::timestamptz + t.day * interval '1 day' + interval '23 hours') = t.members) AS exact_later FROM public.snap_truth t;
-- Changes between any two days are the set differences of the truth.
SELECT count(*) AS pairs, count(*) FILTER (WHERE c.entered = b.members - a.members AND c."left" = a.members - b.members) AS exact
FROM public.snap_truth a JOIN public.snap_truth b ON a.day <= b.day AND (b.day - a.day) % 5 = 0,
	LATERAL segment_changes('churny', '2026-01-01'::timestamptz + a.day * interval '1 day', '2026-01-01'::timestamptz + b.day * interval '1 day') c;
SELECT cardinality(entered) AS entered, cardinality("left") AS left FROM segment_changes('churny', '2026-01-03', '2026-01-04');
-- Before the first refresh there is no state: NULL, and changes from then are everything.
SELECT segment_at('churny', '2025-12-31') IS NULL AS before_first;
SELECT cardinality(entered) = (SELECT cardinality(members) FROM public.snap_truth WHERE day = 3) AS all_entered, cardinality("left") AS left FROM segment_changes('churny', '2025-01-01', '2026-01-04');
SELECT segment_at('churny', 'infinity') = (SELECT members FROM public.snap_truth WHERE day = 39) AS latest;
-- Storage: the changes are small beside a full copy per snapshot.
SELECT segment, snapshots, full_snapshots, stored_bytes < snapshots * current_bytes / 2 AS under_half FROM segment_storage WHERE segment = 'churny';
-- A refresh must move forward in time.
SELECT * FROM segment_import('churny', '{1}', NULL, '2026-01-05');
-- Bad input.
SELECT segment_at('nope', now());
SELECT * FROM segment_changes('nope', now(), now());
SELECT * FROM segment_changes('churny', '2026-02-01', '2026-01-01');
SELECT segment_at('churny', NULL) IS NULL AS strict;
-- Dropping a segment drops its snapshots.
SELECT segment_drop('churny');
SELECT count(*) FROM segment_snapshot WHERE segment = 'churny';
DROP TABLE public.snap_truth;
