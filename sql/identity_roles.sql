-- The role model (src/security/roles.sql) and the non-superuser journey:
-- CREATE EXTENSION once as superuser, then login roles granted quanyu_writer
-- or quanyu_reader do what their role allows and nothing more.  Also: the
-- privileges, row-level security and triggers of the identity tables hold
-- for identity_link, whose writes go past the executor.
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
-- The roles the extension made: group roles that cannot log in.
SELECT rolname, rolcanlogin, rolsuper, pg_has_role(rolname, 'quanyu_reader', 'MEMBER') AS reads FROM pg_roles WHERE rolname IN ('quanyu_reader', 'quanyu_writer') ORDER BY rolname;
SET client_min_messages = warning;
DROP ROLE IF EXISTS quanyu_test_writer;
DROP ROLE IF EXISTS quanyu_test_reader;
DROP ROLE IF EXISTS quanyu_test_nobody;
DROP ROLE IF EXISTS quanyu_test_noinsert;
RESET client_min_messages;
CREATE ROLE quanyu_test_writer LOGIN IN ROLE quanyu_writer;
CREATE ROLE quanyu_test_reader LOGIN IN ROLE quanyu_reader;
CREATE ROLE quanyu_test_nobody LOGIN;
-- The writer's journey.  The first load is a bulk one (120,000 new
-- identifiers into the empty table) by a role that does not own the table.
SET SESSION AUTHORIZATION quanyu_test_writer;
SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser, pg_has_role('quanyu_test_writer', (SELECT relowner FROM pg_class WHERE oid = 'identity_identifier'::regclass), 'USAGE') AS owns_identity_tables;
SELECT * FROM identity_link($$SELECT 'phone', (13000000000 + i)::text, 'openid', 'o' || i, '2024-01-01'::timestamptz FROM generate_series(1, 60000) i$$);
SELECT count(*) AS identifiers, count(DISTINCT person_id) AS persons FROM identity_identifier;
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'identity_identifier'::regclass ORDER BY 1;
-- Incremental batches: a merge, and a table as the source.
SELECT * FROM identity_link($$VALUES ('openid', 'o1', 'buyer_id', 'tb-1'), ('buyer_id', 'tb-1', 'openid', 'o2')$$);
CREATE TEMP TABLE journey_pairs (type_a text, value_a text, type_b text, value_b text);
INSERT INTO journey_pairs VALUES ('email', 'A@Example.com', 'phone', '+86 130-0000-0003');
SELECT * FROM identity_link_table('journey_pairs');
SELECT identity_register('buyer_id', 'tb-new') AS registered, identity_register('buyer_id', ' tb-new ') AS again;
-- Rule changes, and a batch they refuse.
INSERT INTO identity_rule (id_type, max_per_person) VALUES ('wecom', 1);
UPDATE identity_rule SET priority = 55 WHERE id_type = 'wecom';
SELECT id_type, max_per_person, priority FROM identity_rules WHERE id_type = 'wecom';
SELECT * FROM identity_link($$VALUES ('wecom', 'w1', 'phone', '13000000004'), ('wecom', 'w2', 'phone', '13000000004')$$);
SELECT type_a, value_a, type_b, value_b, reason FROM identity_refusal;
DELETE FROM identity_rule WHERE id_type = 'wecom';
-- Lookups and audiences.
SELECT identity_person('phone', '+86 130 0000 0001') AS person, identity_person('openid', 'o2') AS merged, identity_resolve(2) AS resolved;
SELECT kind, id_type, id_value, merged_person, evidence FROM identity_explain(1);
SELECT audience_canonicalize('{1,2,3,60001}') AS canonical;
SELECT cardinality(audience_agg(person_id)) AS persons, audience_rate('{1,2}', '{1,2,3,4}') AS rate FROM identity_identifier;
SELECT * FROM tier_flow(ARRAY['{1,2,3}', '{4}']::audience[], ARRAY['{1}', '{2,4,5}']::audience[]) WHERE persons > 0;
-- RFM and CLV over the writer's own (temporary) orders.
CREATE TEMP TABLE journey_orders AS SELECT (i % 20) + 1 AS person, '2024-01-01'::timestamptz + (i * interval '37 hours') AS ts, (i % 7 + 1) * 10.0 AS amount FROM generate_series(0, 399) i;
SELECT count(*) AS customers, sum((s).frequency) > 0 AS repeat_buyers FROM (SELECT clv_summary_agg(ts, amount, '2024-12-31', '7 days') s FROM journey_orders GROUP BY person) x;
SELECT count(*) AS scored FROM (SELECT person, rfm_agg(ts, amount, '2025-01-01') FROM journey_orders GROUP BY person) x;
SELECT (bgnbd_fit(frequency, recency, t)).n AS fitted FROM (SELECT (clv_summary_agg(ts, amount, '2024-12-31', '7 days')).* FROM journey_orders GROUP BY person) s;
DROP TABLE journey_pairs, journey_orders;
RESET SESSION AUTHORIZATION;
-- The reader reads everything and writes nothing.
SET SESSION AUTHORIZATION quanyu_test_reader;
SELECT count(*) AS identifiers FROM identity_identifier;
SELECT count(*) AS merges FROM identity_merge;
SELECT count(*) > 0 AS rules FROM identity_rules;
SELECT identity_person('phone', '13000000001') AS person, identity_normalize('email', ' X@Y.COM ') AS normalized, audience_canonicalize('{2}') AS canonical;
SELECT * FROM identity_link($$VALUES ('phone', '13900000000', NULL, NULL)$$);
SELECT identity_register('phone', '13900000001');
INSERT INTO identity_rule (id_type) VALUES ('x');
DELETE FROM identity_identifier;
RESET SESSION AUTHORIZATION;
-- A role without either role cannot reach the schema.
SET SESSION AUTHORIZATION quanyu_test_nobody;
SELECT quanyu.identity_person('phone', '13000000001');
SELECT quanyu.audience_rate('{1}', '{1,2}');
RESET SESSION AUTHORIZATION;
-- Every privilege identity_link needs except INSERT on identity_identifier:
-- the rows it would have written through the heap AM are refused.
CREATE ROLE quanyu_test_noinsert LOGIN;
GRANT USAGE ON SCHEMA quanyu TO quanyu_test_noinsert;
GRANT SELECT ON identity_rule, identity_rules, identity_merge, identity_refusal TO quanyu_test_noinsert;
GRANT SELECT, UPDATE ON identity_identifier TO quanyu_test_noinsert;
GRANT SELECT, INSERT, UPDATE ON identity_state, identity_merge TO quanyu_test_noinsert;
GRANT INSERT ON identity_refusal TO quanyu_test_noinsert;
SELECT count(*) AS before FROM identity_identifier;
SET SESSION AUTHORIZATION quanyu_test_noinsert;
SELECT * FROM identity_link($$VALUES ('phone', '13900000002', 'openid', 'no-insert')$$);
RESET SESSION AUTHORIZATION;
SELECT count(*) AS after FROM identity_identifier;
-- Row-level security on an identity table: refused, not silently bypassed.
ALTER TABLE identity_identifier ENABLE ROW LEVEL SECURITY;
CREATE POLICY identity_test_policy ON identity_identifier USING (person_id < 10);
SET SESSION AUTHORIZATION quanyu_test_writer;
SELECT * FROM identity_link($$VALUES ('phone', '13900000003', NULL, NULL)$$);
RESET SESSION AUTHORIZATION;
DROP POLICY identity_test_policy ON identity_identifier;
ALTER TABLE identity_identifier DISABLE ROW LEVEL SECURITY;
-- Triggers on identity_identifier fire for the rows identity_link inserts.
CREATE TABLE public.identity_test_trigger_log (id_type text, id_value text);
GRANT INSERT ON public.identity_test_trigger_log TO PUBLIC;
CREATE FUNCTION public.identity_test_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.identity_test_trigger_log VALUES (NEW.id_type, NEW.id_value);
	RETURN NEW;
END $$;
CREATE TRIGGER identity_test_log AFTER INSERT ON identity_identifier FOR EACH ROW EXECUTE FUNCTION public.identity_test_log();
SET SESSION AUTHORIZATION quanyu_test_writer;
SELECT * FROM identity_link($$VALUES ('phone', '13900000004', 'openid', 'logged-1'), ('openid', 'logged-2', NULL, NULL)$$);
RESET SESSION AUTHORIZATION;
SELECT * FROM public.identity_test_trigger_log ORDER BY 1, 2;
DROP TRIGGER identity_test_log ON identity_identifier;
DROP TABLE public.identity_test_trigger_log;
DROP FUNCTION public.identity_test_log();
-- Long ingests honour statement_timeout and leave no trace (1M pairs).
SELECT count(*) AS before FROM identity_identifier;
SET SESSION AUTHORIZATION quanyu_test_writer;
SET statement_timeout = '1s';
SELECT * FROM identity_link($$SELECT 'phone', (14000000000 + i)::text, 'openid', 'big-' || i FROM generate_series(1, 1000000) i$$);
RESET statement_timeout;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS after FROM identity_identifier;
SELECT count(*) AS state_rows, max(next_person_id) AS next_person FROM identity_state;
-- Clean up: the roles are the cluster's, the test's own are dropped.
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
REVOKE ALL ON SCHEMA quanyu FROM quanyu_test_noinsert;
REVOKE ALL ON identity_rule, identity_rules, identity_identifier, identity_merge, identity_refusal, identity_state FROM quanyu_test_noinsert;
DROP ROLE quanyu_test_writer;
DROP ROLE quanyu_test_reader;
DROP ROLE quanyu_test_nobody;
DROP ROLE quanyu_test_noinsert;
