-- src/identity/identity.sql: identity merge (OneID) tables and functions.

-- Tables --------------------------------------------------------------------

-- User rules per identifier type.  Types without a row use the built-in
-- defaults of the identity_rules view; the row '*' holds the junk values
-- blocked for every type.  The table starts empty so pg_dump/restore never
-- collides with rows the install script made.
CREATE TABLE identity_rule (
	id_type text COLLATE "C" PRIMARY KEY,
	normalizer text NOT NULL DEFAULT 'trim'
		CHECK (normalizer IN ('trim', 'phone', 'email', 'none')),
	blocked_values text[] NOT NULL DEFAULT '{}',
	blocked_pattern text,
	max_per_person integer CHECK (max_per_person > 0),
	priority integer NOT NULL DEFAULT 50
);
COMMENT ON TABLE identity_rule IS 'identity merge rules per identifier type (overrides of the built-in defaults; id_type ''*'' applies to every type)';

-- Every identifier ever linked, with the person it belongs to now.
CREATE TABLE identity_identifier (
	id_type text COLLATE "C" NOT NULL,
	id_value text COLLATE "C" NOT NULL,
	person_id bigint NOT NULL CHECK (person_id BETWEEN 0 AND 4294967295),
	first_seen timestamptz NOT NULL,
	last_seen timestamptz NOT NULL,
	PRIMARY KEY (id_type, id_value)
) WITH (fillfactor = 90);	-- room for HOT updates of last_seen
CREATE INDEX identity_identifier_person ON identity_identifier (person_id);
COMMENT ON TABLE identity_identifier IS 'identity merge: every normalised identifier and its current person id';

-- One row per person id that was merged away.
CREATE TABLE identity_merge (
	loser bigint PRIMARY KEY,
	survivor bigint NOT NULL,
	current_survivor bigint NOT NULL,
	merged_at timestamptz NOT NULL,
	evidence_type_a text COLLATE "C" NOT NULL,
	evidence_value_a text COLLATE "C" NOT NULL,
	evidence_type_b text COLLATE "C" NOT NULL,
	evidence_value_b text COLLATE "C" NOT NULL
);
CREATE INDEX identity_merge_current ON identity_merge (current_survivor);
COMMENT ON TABLE identity_merge IS 'identity merge log: loser merged into survivor because of the evidence pair; current_survivor follows later merges';

-- Pairs that were not applied because a rule forbids the merge.
CREATE TABLE identity_refusal (
	refused_at timestamptz NOT NULL,
	type_a text COLLATE "C" NOT NULL,
	value_a text COLLATE "C" NOT NULL,
	type_b text COLLATE "C" NOT NULL,
	value_b text COLLATE "C" NOT NULL,
	person_a bigint,
	person_b bigint,
	reason text NOT NULL
);
COMMENT ON TABLE identity_refusal IS 'identity merge: pairs refused by a rule, with the reason';

-- The next person id to hand out; empty until the first ingest.
CREATE TABLE identity_state (
	next_person_id bigint NOT NULL,
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton)
);
COMMENT ON TABLE identity_state IS 'identity merge: the next dense person id (one row)';

SELECT pg_catalog.pg_extension_config_dump('identity_rule', '');
SELECT pg_catalog.pg_extension_config_dump('identity_identifier', '');
SELECT pg_catalog.pg_extension_config_dump('identity_merge', '');
SELECT pg_catalog.pg_extension_config_dump('identity_refusal', '');
SELECT pg_catalog.pg_extension_config_dump('identity_state', '');

-- The effective rules: user rows first, built-in defaults for the rest.
-- Names are qualified: nothing resolves through the search_path of whoever
-- installs the extension (a temp table named identity_rule, say).
CREATE VIEW identity_rules AS
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
COMMENT ON VIEW identity_rules IS 'effective identity merge rules: identity_rule rows plus the built-in defaults';

-- Functions -------------------------------------------------------------------

-- Every change of identity_rule tells each backend to drop its cached rules.
CREATE FUNCTION identity_rule_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'identity_rule_changed' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION identity_rule_changed() IS 'trigger on identity_rule: invalidate the identity rules every backend keeps in memory';
CREATE TRIGGER identity_rule_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON identity_rule
	FOR EACH STATEMENT EXECUTE FUNCTION quanyu.identity_rule_changed();

CREATE FUNCTION identity_normalize(id_type text, id_value text) RETURNS text
	AS 'MODULE_PATHNAME', 'identity_normalize' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION identity_normalize(text, text) IS 'the identifier value as identity merge stores it (phone digits, lower-case email, trimmed), or NULL when a rule blocks it';

CREATE FUNCTION identity_link(query text,
	OUT pairs_read bigint, OUT identifiers_new bigint, OUT persons_new bigint,
	OUT merges bigint, OUT pairs_refused bigint, OUT values_blocked bigint)
	AS 'MODULE_PATHNAME', 'identity_link' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION identity_link(text) IS 'ingest identifier pairs (type_a, value_a, type_b, value_b [, seen_at]) returned by a query: normalise, block junk, merge persons; returns counts';

CREATE FUNCTION identity_link_arrays(type_a text[], value_a text[], type_b text[], value_b text[],
	seen_at timestamptz[] DEFAULT NULL,
	OUT pairs_read bigint, OUT identifiers_new bigint, OUT persons_new bigint,
	OUT merges bigint, OUT pairs_refused bigint, OUT values_blocked bigint)
	AS 'MODULE_PATHNAME', 'identity_link_arrays' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION identity_link_arrays(text[], text[], text[], text[], timestamptz[]) IS 'identity_link over pairs given as parallel arrays (element i of each is one pair), for drivers to bind as parameters; seen_at NULL means now';

CREATE FUNCTION identity_link_table(source regclass,
	OUT pairs_read bigint, OUT identifiers_new bigint, OUT persons_new bigint,
	OUT merges bigint, OUT pairs_refused bigint, OUT values_blocked bigint)
	LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
	AS $$ SELECT l.* FROM quanyu.identity_link(
		(SELECT pg_catalog.format('SELECT * FROM %I.%I', n.nspname, c.relname)
		 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		 WHERE c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid)) AS l $$;
COMMENT ON FUNCTION identity_link_table(regclass) IS 'identity_link over every row of a table whose columns are (type_a, value_a, type_b, value_b [, seen_at])';

CREATE FUNCTION identity_person(id_type text, id_value text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'identity_person' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION identity_person(text, text) IS 'current person id of an identifier (after normalisation), NULL when unknown';

CREATE FUNCTION identity_resolve(person_id bigint) RETURNS bigint
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	AS $$ SELECT COALESCE((SELECT m.current_survivor FROM quanyu.identity_merge m
		WHERE m.loser OPERATOR(pg_catalog.=) $1), $1) $$;
COMMENT ON FUNCTION identity_resolve(bigint) IS 'the surviving person id for a person id that may have been merged away';

CREATE FUNCTION identity_register(id_type text, id_value text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'identity_register' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION identity_register(text, text) IS 'person id of one identifier, created when new (the exact string to dense id dictionary); NULL when a rule blocks the value';

CREATE FUNCTION identity_explain(person_id bigint)
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
COMMENT ON FUNCTION identity_explain(bigint) IS 'a person''s identifiers, and the persons merged into it with the evidence pair and time';

CREATE FUNCTION audience_canonicalize(a audience) RETURNS audience
	AS 'MODULE_PATHNAME', 'audience_canonicalize' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION audience_canonicalize(audience) IS 'rewrite an audience stored before identity merges: every merged-away id is replaced by its surviving id';
