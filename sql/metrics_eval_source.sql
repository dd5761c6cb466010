-- audience_eval(expr, source regclass): the source's columns are checked
-- before they are read, the query names every object with its schema and
-- runs as the caller under a pinned search_path, the function is not
-- PARALLEL SAFE; and the expression parser's bounds.
CREATE SCHEMA metrics_evs;
SET search_path = metrics_evs, quanyu;
CREATE TABLE metrics_src (name text, members audience);
INSERT INTO metrics_src VALUES ('vip', '{1-10}'), ('wecom', '{5-15}'), ('churned', '{9}');
SELECT audience_eval('vip & wecom - churned', 'metrics_src');
-- members of the wrong type: a bigint used to be dereferenced (crash), bytea
-- reached CRoaring unchecked
CREATE TABLE metrics_src_bigint (name text, members bigint);
INSERT INTO metrics_src_bigint VALUES ('vip', 12345);
SELECT audience_eval('vip', 'metrics_src_bigint');
CREATE TABLE metrics_src_bytea (name text, members bytea);
INSERT INTO metrics_src_bytea VALUES ('vip', '\x0100000000000000ffffffff00000000ffffffff3b30000001000000ffff0000');
SELECT audience_eval('vip', 'metrics_src_bytea');
CREATE TABLE metrics_src_text (name text, members text);
INSERT INTO metrics_src_text VALUES ('vip', '{1,2}');
SELECT audience_eval('vip', 'metrics_src_text');
-- a type of another schema named audience is not ours
CREATE SCHEMA metrics_fake;
CREATE DOMAIN metrics_fake.audience AS bytea;
CREATE TABLE metrics_fake.src (name text, members metrics_fake.audience);
INSERT INTO metrics_fake.src VALUES ('vip', '\x01');
SELECT audience_eval('vip', 'metrics_fake.src');
DROP SCHEMA metrics_fake CASCADE;
-- name of the wrong type, missing columns, relations that are not tables
CREATE TABLE metrics_src_intname (name int, members audience);
INSERT INTO metrics_src_intname VALUES (1, '{1}');
SELECT audience_eval('"1"', 'metrics_src_intname');
CREATE TABLE metrics_src_nomembers (name text, m audience);
SELECT audience_eval('vip', 'metrics_src_nomembers');
CREATE TABLE metrics_src_noname (n text, members audience);
SELECT audience_eval('vip', 'metrics_src_noname');
ALTER TABLE metrics_src_noname ADD COLUMN name text;
ALTER TABLE metrics_src_noname DROP COLUMN name;
SELECT audience_eval('vip', 'metrics_src_noname');
CREATE INDEX metrics_src_idx ON metrics_src (name);
SELECT audience_eval('vip', 'metrics_src_idx');
CREATE SEQUENCE metrics_src_seq;
SELECT audience_eval('vip', 'metrics_src_seq');
SELECT audience_eval('vip', 0::regclass);
SELECT audience_eval('vip', 'pg_class');
-- other string types and domains are fine
CREATE DOMAIN metrics_src_dom AS audience CHECK (cardinality(VALUE) < 100);
CREATE DOMAIN metrics_src_name AS varchar(20);
CREATE TABLE metrics_src_domains (name metrics_src_name, members metrics_src_dom);
INSERT INTO metrics_src_domains VALUES ('vip', '{1-10}'), ('wecom', '{5-15}');
SELECT audience_eval('vip & wecom', 'metrics_src_domains');
CREATE MATERIALIZED VIEW metrics_src_mv AS SELECT name::char(10) AS name, members FROM metrics_src;
SELECT audience_eval('vip | churned', 'metrics_src_mv');
CREATE TABLE metrics_src_part (name text, members audience) PARTITION BY LIST (name);
CREATE TABLE metrics_src_part_a PARTITION OF metrics_src_part FOR VALUES IN ('vip');
CREATE TABLE metrics_src_part_b PARTITION OF metrics_src_part DEFAULT;
INSERT INTO metrics_src_part SELECT * FROM metrics_src;
SELECT audience_eval('vip - churned', 'metrics_src_part');
-- a relation whose schema and name need quoting, not on the search_path
CREATE SCHEMA "Metrics Src";
CREATE TABLE "Metrics Src"."seg ""table""" (name text, members audience);
INSERT INTO "Metrics Src"."seg ""table""" VALUES ('a', '{1,2,3}'), ('b', '{2}');
SELECT audience_eval('a - b', '"Metrics Src"."seg ""table"""');
-- a temp table shadowing a permanent one of the same name: the oid decides
CREATE TEMP TABLE metrics_src (name text, members audience);
INSERT INTO metrics_src VALUES ('vip', '{100}');
SELECT audience_eval('vip', 'metrics_evs.metrics_src'), audience_eval('vip', 'pg_temp.metrics_src'), audience_eval('vip', 'metrics_src');
DROP TABLE pg_temp.metrics_src;
-- Nothing planted on the caller's search_path runs: an = on text ahead of
-- pg_catalog would be the one the query's unqualified = found.
CREATE SCHEMA metrics_hostile;
CREATE FUNCTION metrics_hostile.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'planted = ran'; RETURN $1 OPERATOR(pg_catalog.=) $2; END$$;
CREATE OPERATOR metrics_hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = metrics_hostile.texteq);
CREATE FUNCTION metrics_hostile.text(text) RETURNS text LANGUAGE plpgsql AS
	$$BEGIN RAISE NOTICE 'planted text() ran'; RETURN $1; END$$;
SET search_path = metrics_hostile, pg_catalog, quanyu, metrics_evs;
SELECT 'x'::text = 'x'::text AS planted_operator_is_found;
SELECT audience_eval('vip & wecom', 'metrics_evs.metrics_src');
SET search_path = metrics_evs, quanyu;
DROP SCHEMA metrics_hostile CASCADE;
-- The caller's privileges and row security apply.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_metrics_eval;
RESET client_min_messages;
CREATE ROLE regress_metrics_eval;
GRANT USAGE ON SCHEMA quanyu, metrics_evs TO regress_metrics_eval;
CREATE TABLE metrics_src_private (name text, members audience, secret text);
INSERT INTO metrics_src_private VALUES ('vip', '{1-10}', 's'), ('hidden', '{42}', 's');
SET ROLE regress_metrics_eval;
SELECT audience_eval('vip', 'metrics_evs.metrics_src_private');
SELECT audience_eval('vip', 'metrics_evs.metrics_src_bigint');
RESET ROLE;
GRANT SELECT (name, members) ON metrics_src_private TO regress_metrics_eval;
ALTER TABLE metrics_src_private ENABLE ROW LEVEL SECURITY;
CREATE POLICY metrics_src_vip ON metrics_src_private FOR SELECT USING (name <> 'hidden');
SET ROLE regress_metrics_eval;
SELECT audience_eval('vip', 'metrics_evs.metrics_src_private');
SELECT audience_eval('vip | hidden', 'metrics_evs.metrics_src_private');
RESET ROLE;
REVOKE ALL ON metrics_src_private FROM regress_metrics_eval;
REVOKE USAGE ON SCHEMA quanyu, metrics_evs FROM regress_metrics_eval;
DROP ROLE regress_metrics_eval;
-- PARALLEL RESTRICTED: a temp table read under forced parallel mode.
SELECT proparallel FROM pg_proc WHERE oid = 'audience_eval(text, regclass)'::regprocedure;
CREATE TEMP TABLE metrics_src_temp (name text, members audience);
INSERT INTO metrics_src_temp VALUES ('a', '{1-5}'), ('b', '{4-8}');
SET force_parallel_mode = on;
SELECT audience_eval('a ^ b', 'metrics_src_temp');
SELECT audience_eval('a & b', 'metrics_src_temp') FROM generate_series(1, 2);
RESET force_parallel_mode;
-- Bounds of the expression: nesting, length.
SELECT audience_eval(repeat('(', 100000) || 'a' || repeat(')', 100000), ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval(repeat('(', 100000) || 'a' || repeat(')', 100000), 'metrics_src_temp');
SELECT audience_eval(repeat('(', 1001) || 'a' || repeat(')', 1001), ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval(repeat('(', 1000) || 'a' || repeat(')', 1000), ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval(repeat('(a & ', 1000) || 'a' || repeat(')', 1000), ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a' || repeat(' ', 1048576), ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval(repeat(' ', 1048575) || 'a', ARRAY['a'], ARRAY['{1}']::audience[]);
-- a long error hint is cut
SELECT audience_eval(repeat('a | ', 100) || '+', ARRAY['a'], ARRAY['{1}']::audience[]);
-- long chains of operators are evaluated without deep recursion
SELECT audience_eval(repeat('a | ', 200000) || 'b', ARRAY['a', 'b'], ARRAY['{1}', '{2}']::audience[]);
SELECT audience_eval(repeat('a ^ ', 200001) || 'b', ARRAY['a', 'b'], ARRAY['{1}', '{2}']::audience[]);
SELECT audience_eval(repeat('(a & b) | ', 50000) || 'b', ARRAY['a', 'b'], ARRAY['{1,2}', '{2,3}']::audience[]);
-- long '-' chains, alone and as right operands of '|' and '#' (SQL's precedence), also loop
SELECT audience_eval('a' || repeat(' - b', 200000), ARRAY['a', 'b'], ARRAY['{1,2}', '{2}']::audience[]);
SELECT audience_eval('b | a' || repeat(' - b', 200000), ARRAY['a', 'b'], ARRAY['{1,2}', '{2}']::audience[]);
SELECT audience_eval(repeat('b | a - b # ', 50000) || 'a', ARRAY['a', 'b'], ARRAY['{1,2}', '{2}']::audience[]);
SELECT audience_eval(repeat('a | ', 200000) || 'b', 'metrics_src_temp');
-- a long evaluation stops at a cancel: 400,000 unions of a 500 kB set
CREATE TEMP TABLE metrics_src_big AS SELECT 'a'::text AS name, audience_agg(i * 2) AS members FROM generate_series(0, 2000000) i;
-- (terse: on a loaded machine the cancel may land while the row is read, adding a CONTEXT line)
\set VERBOSITY terse
SET statement_timeout = '1s';
SELECT cardinality(audience_eval(repeat('a|', 400000) || 'a', 'metrics_src_big'));
RESET statement_timeout;
\set VERBOSITY default
-- many distinct names
SELECT cardinality(audience_eval(string_agg('n' || i, ' | '), array_agg('n' || i), array_agg(audience_from_range(i, i + 1))))
	FROM generate_series(1, 20000) i;
CREATE TEMP TABLE metrics_src_many AS SELECT 'n' || i AS name, audience_from_range(i * 10, i * 10 + 5) AS members FROM generate_series(1, 20000) i;
SELECT cardinality(audience_eval((SELECT string_agg('n' || i, ' | ') FROM generate_series(1, 20000, 2) i), 'metrics_src_many'));
SELECT audience_eval('n1 | n2 | nope | n3', 'metrics_src_many');
INSERT INTO metrics_src_many SELECT 'n7', '{}' FROM generate_series(1, 1000);
SELECT audience_eval('n1 | n7', 'metrics_src_many');
SET client_min_messages = warning;
DROP SCHEMA metrics_evs CASCADE;
DROP SCHEMA "Metrics Src" CASCADE;
RESET client_min_messages;
RESET search_path;
