-- upgrade/0.1.0--0.2.0/32_identity_everyday.sql: identity in everyday queries
-- (issue 15).  identity_person is C with the rules cached per backend; a
-- statement trigger on identity_rule invalidates that cache.  Each text is
-- the exact text of src/identity/identity.sql.

CREATE FUNCTION identity_rule_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'identity_rule_changed' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION identity_rule_changed() IS 'trigger on identity_rule: invalidate the identity rules every backend keeps in memory';
CREATE TRIGGER identity_rule_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON identity_rule
	FOR EACH STATEMENT EXECUTE FUNCTION quanyu.identity_rule_changed();

CREATE OR REPLACE FUNCTION identity_person(id_type text, id_value text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'identity_person' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- Pairs as parallel arrays, for drivers to bind as parameters.
CREATE FUNCTION identity_link_arrays(type_a text[], value_a text[], type_b text[], value_b text[],
	seen_at timestamptz[] DEFAULT NULL,
	OUT pairs_read bigint, OUT identifiers_new bigint, OUT persons_new bigint,
	OUT merges bigint, OUT pairs_refused bigint, OUT values_blocked bigint)
	AS 'MODULE_PATHNAME', 'identity_link_arrays' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION identity_link_arrays(text[], text[], text[], text[], timestamptz[]) IS 'identity_link over pairs given as parallel arrays (element i of each is one pair), for drivers to bind as parameters; seen_at NULL means now';
