-- upgrade/0.1.0--0.2.0/30_identity.sql: identity merge.
-- Every name in the SQL bodies and the identity_rules view is schema-qualified
-- (issue 16: nothing resolves through the caller's search_path).  Each text
-- is the exact text of src/identity/identity.sql.

CREATE OR REPLACE VIEW identity_rules AS
SELECT u.id_type, u.normalizer, u.blocked_values, u.blocked_pattern, u.max_per_person, u.priority
FROM quanyu.identity_rule u
UNION ALL
SELECT d.id_type, d.normalizer, d.blocked_values, d.blocked_pattern, d.max_per_person, d.priority
FROM (VALUES
	('*'::pg_catalog.text, 'trim'::pg_catalog.text,
	 ARRAY['', 'unknown', 'null', 'none', 'nil', 'undefined', 'anonymous', '-1', 'n/a'], '^0+$'::pg_catalog.text, NULL::pg_catalog.int4, 50),
	('phone', 'phone', '{}', NULL, 3, 90),
	('email', 'email', '{}', NULL, 3, 80),
	('member_id', 'trim', '{}', NULL, 1, 100),
	('unionid', 'trim', '{}', NULL, 1, 70),
	('openid', 'trim', '{}', NULL, NULL, 60),
	('external_userid', 'trim', '{}', NULL, NULL, 60),
	('buyer_id', 'trim', '{}', NULL, NULL, 40),
	('device_id', 'trim', '{}', NULL, NULL, 10)
) AS d (id_type, normalizer, blocked_values, blocked_pattern, max_per_person, priority)
WHERE NOT EXISTS (SELECT 1 FROM quanyu.identity_rule r WHERE r.id_type OPERATOR(pg_catalog.=) d.id_type);

CREATE OR REPLACE FUNCTION identity_link_table(source regclass,
	OUT pairs_read bigint, OUT identifiers_new bigint, OUT persons_new bigint,
	OUT merges bigint, OUT pairs_refused bigint, OUT values_blocked bigint)
	LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
	AS $$ SELECT l.* FROM quanyu.identity_link(
		(SELECT pg_catalog.format('SELECT * FROM %I.%I', n.nspname, c.relname)
		 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		 WHERE c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid)) AS l $$;

CREATE OR REPLACE FUNCTION identity_person(id_type text, id_value text) RETURNS bigint
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$ SELECT i.person_id FROM quanyu.identity_identifier i
		WHERE i.id_type OPERATOR(pg_catalog.=) $1
		AND i.id_value OPERATOR(pg_catalog.=) quanyu.identity_normalize($1, $2) $$;

CREATE OR REPLACE FUNCTION identity_resolve(person_id bigint) RETURNS bigint
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$ SELECT COALESCE((SELECT m.current_survivor FROM quanyu.identity_merge m
		WHERE m.loser OPERATOR(pg_catalog.=) $1), $1) $$;

CREATE OR REPLACE FUNCTION identity_explain(person_id bigint)
	RETURNS TABLE (kind text, id_type text, id_value text, first_seen timestamptz,
		last_seen timestamptz, merged_person bigint, merged_at timestamptz, evidence text)
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$
	WITH p AS (SELECT quanyu.identity_resolve($1) AS id)
	SELECT e.* FROM (
		SELECT 'identifier'::pg_catalog.text, i.id_type::pg_catalog.text, i.id_value::pg_catalog.text,
			i.first_seen, i.last_seen, NULL::pg_catalog.int8, NULL::pg_catalog.timestamptz, NULL::pg_catalog.text
		FROM quanyu.identity_identifier i, p WHERE i.person_id OPERATOR(pg_catalog.=) p.id
		UNION ALL
		SELECT 'merge', NULL, NULL, NULL, NULL, m.loser, m.merged_at,
			pg_catalog.format('%s:%s = %s:%s', m.evidence_type_a, m.evidence_value_a,
				m.evidence_type_b, m.evidence_value_b)
		FROM quanyu.identity_merge m, p WHERE m.current_survivor OPERATOR(pg_catalog.=) p.id
	) e (kind, id_type, id_value, first_seen, last_seen, merged_person, merged_at, evidence)
	ORDER BY e.kind, e.first_seen, e.id_type, e.id_value, e.merged_at, e.merged_person
	$$;
