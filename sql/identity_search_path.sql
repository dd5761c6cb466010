-- Nothing in identity merge resolves through the caller's search_path: a
-- schema on a superuser's path holds functions and operators with the names
-- and argument types the SQL bodies and SPI text use; each would warn if it
-- ran.  A better-matching planted function (unnest(bigint[]) beats
-- pg_catalog.unnest(anyarray)) is reached even with pg_catalog first.
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
CREATE SCHEMA identity_hostile;
CREATE FUNCTION identity_hostile.unnest(a bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted unnest(bigint[]) ran'; RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
CREATE FUNCTION identity_hostile.unnest(a text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted unnest(text[]) ran'; RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
CREATE FUNCTION identity_hostile.identity_normalize(t text, v text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted identity_normalize ran'; RETURN quanyu.identity_normalize(t, v); END $$;
CREATE FUNCTION identity_hostile.identity_resolve(p bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted identity_resolve ran'; RETURN p; END $$;
CREATE FUNCTION identity_hostile.identity_link(q text, OUT a bigint, OUT b bigint, OUT c bigint, OUT d bigint, OUT e bigint, OUT f bigint) LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted identity_link ran'; END $$;
CREATE FUNCTION identity_hostile.format(f text, r regclass) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted format(text, regclass) ran'; RETURN pg_catalog.format(f, r); END $$;
CREATE FUNCTION identity_hostile.format(f text, a text, b text, c text, d text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted format(text, text, ...) ran'; RETURN pg_catalog.format(f, a, b, c, d); END $$;
CREATE FUNCTION identity_hostile.format(f text, a name, b name) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted format(text, name, name) ran'; RETURN pg_catalog.format(f, a, b); END $$;
CREATE FUNCTION identity_hostile.now() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted now() ran'; RETURN pg_catalog.now(); END $$;
CREATE FUNCTION identity_hostile.int8eq(a bigint, b bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted = (bigint, bigint) ran'; RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR identity_hostile.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = identity_hostile.int8eq);
CREATE FUNCTION identity_hostile.texteq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted = (text, text) ran'; RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR identity_hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = identity_hostile.texteq);
CREATE FUNCTION identity_hostile.oideq(a oid, b oid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted = (oid, oid) ran'; RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR identity_hostile.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = identity_hostile.oideq);
CREATE FUNCTION identity_hostile.tslt(a timestamptz, b timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'planted < (timestamptz, timestamptz) ran'; RETURN a OPERATOR(pg_catalog.<) b; END $$;
CREATE OPERATOR identity_hostile.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = identity_hostile.tslt);
CREATE TABLE identity_hostile.pairs (type_a text, value_a text, type_b text, value_b text);
INSERT INTO identity_hostile.pairs VALUES ('phone', '13800000001', 'openid', 'o1'), ('openid', 'o2', 'member_id', 'M2'), ('member_id', 'M3', NULL, NULL);
-- 1. The planted schema first, pg_catalog implicitly ahead of it.
SET search_path = identity_hostile, quanyu, public;
SELECT * FROM quanyu.identity_link_table('identity_hostile.pairs');
SELECT * FROM quanyu.identity_link($$VALUES ('openid', 'o1', 'openid', 'o2', '2024-05-01'::timestamptz), ('openid', 'o1', NULL, NULL, '2023-01-01')$$);
SELECT quanyu.identity_person('phone', '+86 138 0000 0001') AS person, quanyu.identity_resolve(2) AS resolved;
SELECT kind, id_type, id_value, merged_person, evidence FROM quanyu.identity_explain(2);
SELECT quanyu.audience_canonicalize('{1,2,3}') AS canonical;
SELECT quanyu.identity_register('buyer_id', 'b1') AS registered;
-- 2. pg_catalog placed last: every operator and built-in is then planted-first.
SET search_path = identity_hostile, quanyu, pg_catalog, public;
SELECT * FROM quanyu.identity_link_table('identity_hostile.pairs');
SELECT * FROM quanyu.identity_link($$VALUES ('member_id', 'M3', 'openid', 'o1', '2024-06-01'::timestamptz), ('openid', 'o9', NULL, NULL, '2022-01-01')$$);
SELECT quanyu.identity_person('phone', '+86 138 0000 0001') AS person, quanyu.identity_resolve(3) AS resolved;
SELECT kind, id_type, id_value, merged_person, evidence FROM quanyu.identity_explain(1);
SELECT quanyu.audience_canonicalize('{1,2,3}') AS canonical;
SELECT quanyu.identity_register('buyer_id', 'b2') AS registered;
SELECT id_type, priority FROM quanyu.identity_rules WHERE id_type OPERATOR(pg_catalog.=) 'phone';
-- The caller's own batch query still runs under the caller's search_path.
SELECT * FROM quanyu.identity_link($$SELECT 'openid', 'o' || t, NULL, NULL FROM ROWS FROM (pg_catalog.unnest('{77}'::bigint[]), identity_hostile.unnest('{x}'::text[])) AS u(n, t)$$);
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA identity_hostile CASCADE;
RESET client_min_messages;
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
