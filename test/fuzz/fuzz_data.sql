-- test/fuzz/fuzz_data.sql: data for the in-server fuzzers and sqlsmith
-- (test/run_fuzz.sh): audiences of every container kind, events, identity
-- rules and a linked identity graph, and the fuzz_try() helper.
SET client_min_messages = warning;

-- Run statements in a subtransaction; return the SQLSTATE of an error (or NULL).
CREATE FUNCTION public.fuzz_try(stmts text[], a bytea, b text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, quanyu, public AS $$
DECLARE
	s text;
BEGIN
	FOREACH s IN ARRAY stmts LOOP
		EXECUTE s USING a, b;
	END LOOP;
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;

CREATE TABLE public.fz_audience (name text PRIMARY KEY, members quanyu.audience);
INSERT INTO public.fz_audience VALUES
	('empty', '{}'),
	('small', '{1,2,3,1000,65536,4294967295}'),
	('range', quanyu.audience_from_range(0, 200000)),
	('runs', '{0-99,200-300,70000-80000}'),
	('scattered', (SELECT quanyu.audience_agg(g * 7919 % 4000000) FROM generate_series(1, 20000) g)),
	('dense', (SELECT quanyu.audience_agg(g) FROM generate_series(1, 100000, 2) g)),
	('vip', '{1,5,9,13}'), ('wecom', '{5,6,7}'), ('group', '{9,10}'), ('churned', '{13}');

CREATE TABLE public.fz_events (person_id bigint, ts timestamptz, kind text, amount numeric, seg quanyu.audience);
INSERT INTO public.fz_events
SELECT g % 500, timestamptz '2024-01-01' + g * interval '37 minutes',
	(ARRAY['view', 'cart', 'buy'])[1 + g % 3], (g % 97) * 1.5,
	CASE WHEN g % 50 = 0 THEN quanyu.audience_from_range(g, g + 100) END
FROM generate_series(1, 3000) g;

INSERT INTO quanyu.identity_rule (id_type, normalizer, blocked_values, blocked_pattern, max_per_person)
VALUES ('phone', 'phone', '{00000000000}', '^1{11}$', 3),
	('email', 'email', '{null@example.com}', '^test', NULL),
	('fz', 'trim', '{}', NULL, NULL)
ON CONFLICT (id_type) DO NOTHING;

SELECT * FROM quanyu.identity_link($$
	SELECT 'phone', '+86 138-0013-' || lpad((g % 700)::text, 4, '0'),
		'email', 'user' || (g % 900) || '@Example.com', timestamptz '2024-01-01' + g * interval '1 hour'
	FROM generate_series(1, 2000) g
$$);

-- retention_agg's bytea state, kept by an aggregate without the final function
CREATE AGGREGATE public.fz_retention_state(VARIADIC boolean[]) (
	SFUNC = quanyu.retention_agg_trans, STYPE = bytea);

CREATE TABLE public.fz_ids AS SELECT * FROM quanyu.identity_identifier LIMIT 1000;
ANALYZE;
