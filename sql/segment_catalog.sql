-- Segments and tags as managed objects (src/segment/segment.sql): the
-- catalog, refresh in dependency order, cycles, refresh policies, owners,
-- and the roles of doc/security.md.  Every refresh names its as-of time so
-- the output does not depend on the clock.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
DROP ROLE IF EXISTS quanyu_test_seg_writer;
DROP ROLE IF EXISTS quanyu_test_seg_writer2;
DROP ROLE IF EXISTS quanyu_test_seg_reader;
DROP ROLE IF EXISTS quanyu_test_seg_nobody;
RESET client_min_messages;
CREATE ROLE quanyu_test_seg_writer LOGIN IN ROLE quanyu_writer;
CREATE ROLE quanyu_test_seg_writer2 LOGIN IN ROLE quanyu_writer;
CREATE ROLE quanyu_test_seg_reader LOGIN IN ROLE quanyu_reader;
CREATE ROLE quanyu_test_seg_nobody LOGIN;
CREATE TABLE public.seg_orders (person_id bigint, tier int, amount numeric, ordered_at timestamptz);
INSERT INTO public.seg_orders SELECT g, g % 10, g, '2026-01-01'::timestamptz + (g % 60) * interval '1 day' FROM generate_series(1, 1000) g;
GRANT SELECT ON public.seg_orders TO quanyu_test_seg_writer;
-- The parser of audience_eval names what a rule refers to.
SELECT audience_eval_names('vip & (wecom | "group") - churned - vip');
SELECT audience_eval_names('a |');
-- A writer defines query, imported and rule segments.
SET SESSION AUTHORIZATION quanyu_test_seg_writer;
SET search_path = "$user", quanyu, public;
SELECT segment_define_query('buyers', 'SELECT person_id FROM seg_orders WHERE tier >= 5', 'tier 5 and up');
SELECT segment_define_query('vip', 'SELECT person_id FROM seg_orders WHERE tier = 9 AND ordered_at < $1', 'tier 9, ordered before the as-of time');
SELECT * FROM segment_import('wecom', '{1-100}', 'WeCom friends', '2026-01-01');
SELECT segment_define('vip_wecom', 'rule', 'vip & wecom', 'VIPs in WeCom');
SELECT segment_define('core', 'rule', 'buyers - vip_wecom');
SELECT segment_define('manual_tag', 'rule', 'wecom - vip', NULL, 'manual');
SELECT name, kind, definition, query_search_path, owner, description, refresh_policy, full_every, version FROM segment ORDER BY name;
SELECT * FROM segment_order('{core}');
SELECT * FROM segment_refresh('core', '2026-02-01');
SELECT * FROM segment_refresh_all('2026-03-01');
SELECT name, cardinality(members), refreshed_at FROM segment ORDER BY name;
-- A manual segment is refreshed only when named.
SELECT * FROM segment_refresh('manual_tag', '2026-03-02');
-- Redefining bumps the version when the definition changes.
SELECT segment_define('core', 'rule', 'buyers - vip_wecom', 'everyone else');
SELECT segment_define('core', 'rule', 'buyers - vip', NULL);
SELECT name, version, description FROM segment WHERE name = 'core';
-- Bad input.
SELECT * FROM segment_refresh('nope');
SELECT * FROM segment_refresh_all('2026-03-01');
SELECT segment_define('x', 'rule', 'vip & nope');
SELECT segment_define('x', 'rule', 'vip &');
SELECT segment_define('x', 'tag', 'vip');
SELECT segment_define('x', 'rule', NULL);
SELECT segment_define('x', 'imported', 'vip');
SELECT segment_define('vip', 'rule', 'core');
SELECT segment_define_query('x', 'SELECT no_such_column FROM seg_orders');
SELECT segment_define_query('x', 'SELECT ''a''::text');
SELECT segment_define('self', 'rule', 'self');
SELECT * FROM segment_import('vip', '{1}');
SELECT segment_drop('vip_wecom');
-- Cycles made behind the functions' back are refused at refresh.
SELECT segment_define('a', 'rule', 'wecom');
SELECT segment_define('b', 'rule', 'a');
UPDATE segment SET definition = 'b | core' WHERE name = 'a';
SELECT * FROM segment_refresh('b', '2026-04-01');
SELECT * FROM segment_refresh_all('2026-04-01');
DELETE FROM segment WHERE name IN ('a', 'b');
-- One failing segment in refresh_all: rolled back alone, dependents skipped.
SELECT segment_define_query('fragile', 'SELECT person_id FROM seg_orders WHERE 1 / (tier - 9) > 0 OR tier < 9');
SELECT segment_define('needs_fragile', 'rule', 'fragile & vip');
SELECT * FROM segment_refresh_all('2026-05-01');
SELECT * FROM segment_refresh('fragile', '2026-05-02');
SELECT segment_drop('needs_fragile'), segment_drop('fragile'), segment_drop('fragile');
RESET SESSION AUTHORIZATION;
-- Another writer may refresh rules and imports, but a query segment's SQL
-- runs as its owner: a role that is not a member of it cannot run it.
SET SESSION AUTHORIZATION quanyu_test_seg_writer2;
SELECT * FROM segment_refresh('vip', '2026-06-01');
SELECT * FROM segment_refresh('manual_tag', '2026-06-01');
-- Writing the SQL makes the writer its owner (also behind the functions' back).
UPDATE segment SET definition = 'SELECT 1' WHERE name = 'vip';
RESET SESSION AUTHORIZATION;
SELECT name, owner FROM segment WHERE name = 'vip';
UPDATE segment SET definition = 'SELECT person_id FROM seg_orders WHERE tier = 9 AND ordered_at < $1', owner = 'quanyu_test_seg_writer' WHERE name = 'vip';
SELECT name, owner FROM segment WHERE name = 'vip';
-- A superuser's refresh runs the SQL as the owner, with the owner's privileges.
SELECT segment_define_query('who', 'SELECT 1 WHERE current_user = ''quanyu_test_seg_writer''');
UPDATE segment SET owner = 'x' WHERE name = 'who';
SELECT owner FROM segment WHERE name = 'who';
SET SESSION AUTHORIZATION quanyu_test_seg_writer;
SELECT segment_define_query('who', 'SELECT 1 WHERE current_user = ''quanyu_test_seg_writer''');
SELECT segment_define_query('secret', 'SELECT 1 FROM pg_authid');
RESET SESSION AUTHORIZATION;
SELECT segment, cardinality FROM segment_refresh('who', '2026-06-01');
SELECT current_user;
-- The owner's SQL cannot take back the refreshing role's privileges: it runs
-- in a security-restricted operation, where SET ROLE and RESET ROLE fail.
SET SESSION AUTHORIZATION quanyu_test_seg_writer;
SELECT segment_define_query('sneaky', 'SELECT 1 FROM (SELECT set_config(''role'', ''none'', true)) x');
RESET SESSION AUTHORIZATION;
SELECT * FROM segment_refresh('sneaky', '2026-06-01');
SELECT current_user, current_setting('role');
SELECT segment_drop('sneaky');
-- The runner itself checks membership and takes one query only.
SET SESSION AUTHORIZATION quanyu_test_seg_writer2;
SELECT segment_query_run('SELECT 1', 'quanyu_test_seg_writer', 'public', NULL, false);
RESET SESSION AUTHORIZATION;
SELECT segment_query_run('SELECT 1; SELECT 2', 'quanyu_test_seg_writer', 'public', NULL, false);
SELECT segment_query_run('SELECT 1 -- a comment', 'quanyu_test_seg_writer', 'public', NULL, false);
SELECT segment_query_run('SELECT 1', 'no_such_role', 'public', NULL, false);
SELECT segment_query_run('SELECT 1', 'quanyu_test_seg_writer', NULL, NULL, false);
-- Readers read; they cannot define or refresh.
SET SESSION AUTHORIZATION quanyu_test_seg_reader;
SELECT name, cardinality(members) FROM segment ORDER BY name;
SELECT count(*) FROM segment_snapshot;
SELECT cardinality(segment_at('core', '2026-03-01'));
SELECT segment_define('r', 'rule', 'vip');
SELECT * FROM segment_refresh('core', '2026-07-01');
SELECT * FROM segment_import('wecom', '{1}', NULL, '2026-07-01');
SELECT * FROM identity_forget(1);
RESET SESSION AUTHORIZATION;
-- Roles without quanyu get nothing.
SET SESSION AUTHORIZATION quanyu_test_seg_nobody;
SELECT count(*) FROM quanyu.segment;
RESET SESSION AUTHORIZATION;
-- The catalog is dumped with the data of the extension.
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) t JOIN pg_class c ON c.oid = t WHERE e.extname = 'quanyu' AND c.relname ~ '^(segment|erasure)' ORDER BY 1;
SELECT segment_drop(name) FROM (VALUES ('manual_tag'), ('core'), ('vip_wecom'), ('who')) v (name);
SELECT segment_drop(name) FROM segment ORDER BY name;
DROP TABLE public.seg_orders;
DROP ROLE quanyu_test_seg_writer, quanyu_test_seg_writer2, quanyu_test_seg_reader, quanyu_test_seg_nobody;
