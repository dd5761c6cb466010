-- identity_person in C (issue 15): the same answers as the SQL body it
-- replaced, rules cached per backend but a rule change is seen by the next
-- statement of the same session (and of other sessions once committed),
-- and the caller's privileges on identity_identifier and identity_rules
-- still decide.
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
DELETE FROM identity_rule;
SELECT * FROM identity_link($$VALUES ('phone', '+86 138-0000-0001', 'email', ' Li@Example.COM '), ('openid', 'oA', 'phone', '13800000001'), ('member_id', 'M 1', 'openid', 'oB')$$);
SELECT id_type, id_value, person_id FROM identity_identifier ORDER BY 1, 2;
-- Normalisation, unknown values, blocked values.
SELECT identity_person('phone', '0086 138 0000 0001') AS phone, identity_person('email', 'li@example.com  ') AS email,
	identity_person('openid', 'oA') AS openid, identity_person('openid', ' oA ') AS trimmed,
	identity_person('phone', '13900000000') AS unknown, identity_person('nosuchtype', 'oA') AS unknown_type,
	identity_person('openid', 'unknown') AS blocked, identity_person('phone', '000') AS blocked_pattern;
-- Agrees with the plain join on the normalised value, row for row.
CREATE TEMP TABLE probe (id_type text, id_value text);
INSERT INTO probe VALUES ('phone', '+86 13800000001'), ('email', 'LI@EXAMPLE.COM'), ('openid', 'oB'), ('openid', 'null'), ('member_id', 'M 1'), ('member_id', 'm 1'), ('phone', '');
SELECT p.id_type, p.id_value, identity_person(p.id_type, p.id_value) AS person, i.person_id AS joined
FROM probe p LEFT JOIN identity_identifier i ON i.id_type = p.id_type AND i.id_value = identity_normalize(p.id_type, p.id_value)
ORDER BY 1, 2;
-- NULL arguments (STRICT).
SELECT identity_person(NULL, 'x') IS NULL AS null_type, identity_person('phone', NULL) IS NULL AS null_value;
-- A rule change in the session is seen by the next statement: block a value,
-- change the normaliser, then take the rule away again.
SELECT identity_person('openid', 'oA') AS before_block;
INSERT INTO identity_rule (id_type, normalizer, blocked_values) VALUES ('openid', 'trim', '{oa}');
SELECT identity_person('openid', 'oA') AS after_block, identity_normalize('openid', 'oA') AS normalized;
UPDATE identity_rule SET blocked_values = '{}', normalizer = 'none' WHERE id_type = 'openid';
SELECT identity_person('openid', 'oA') AS unblocked, identity_person('openid', ' oA ') AS untrimmed;
DELETE FROM identity_rule;
SELECT identity_person('openid', ' oA ') AS trimmed_again;
-- Within a transaction, and undone by a rollback.
BEGIN;
INSERT INTO identity_rule (id_type, blocked_pattern) VALUES ('phone', '^138');
SELECT identity_person('phone', '13800000001') AS blocked_in_transaction;
ROLLBACK;
SELECT identity_person('phone', '13800000001') AS after_rollback;
TRUNCATE identity_rule;
SELECT identity_person('phone', '13800000001') AS after_truncate;
-- A committed rule (autocommit statement) is seen by the next statement.
INSERT INTO identity_rule (id_type, blocked_values) VALUES ('member_id', '{m 1}');
SELECT identity_person('member_id', 'M 1') AS committed_block;
DELETE FROM identity_rule;
-- Privileges: SELECT on identity_identifier (or its columns) and on the
-- identity_rules view decide, as they did for the SQL body.
SET client_min_messages = warning;
DROP ROLE IF EXISTS quanyu_test_person;
RESET client_min_messages;
CREATE ROLE quanyu_test_person;
GRANT USAGE ON SCHEMA quanyu TO quanyu_test_person;
GRANT SELECT ON identity_rules TO quanyu_test_person;
SET ROLE quanyu_test_person;
SELECT quanyu.identity_person('phone', '13800000001');
RESET ROLE;
GRANT SELECT (id_type, id_value, person_id) ON identity_identifier TO quanyu_test_person;
SET ROLE quanyu_test_person;
SELECT quanyu.identity_person('phone', '13800000001') AS with_column_grants;
RESET ROLE;
REVOKE SELECT ON identity_rules FROM quanyu_test_person;
SET ROLE quanyu_test_person;
SELECT quanyu.identity_person('phone', '13800000001');
SELECT quanyu.identity_normalize('phone', '13800000001');
RESET ROLE;
-- Row-level security on identity_identifier is refused, not bypassed.
GRANT SELECT ON identity_rules TO quanyu_test_person;
ALTER TABLE identity_identifier ENABLE ROW LEVEL SECURITY;
SET ROLE quanyu_test_person;
SELECT quanyu.identity_person('phone', '13800000001');
RESET ROLE;
ALTER TABLE identity_identifier DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON identity_identifier FROM quanyu_test_person;
REVOKE ALL ON identity_rules FROM quanyu_test_person;
REVOKE ALL ON SCHEMA quanyu FROM quanyu_test_person;
DROP ROLE quanyu_test_person;
-- The labels.
SELECT p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c') AS is_c, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p WHERE p.oid = 'identity_person(text, text)'::regprocedure;
DROP TABLE probe;
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
