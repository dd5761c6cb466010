-- Erasure (src/segment/segment.sql): identity_forget removes a person from
-- the identifiers, the merge log, the refusals, every segment and snapshot,
-- every registered audience column and the consent records, leaves an audit
-- row without personal data, is idempotent, and never hands the id out
-- again.  Afterwards a search of every text, number and audience column of
-- every user table finds nothing of the person.
\set SHOW_CONTEXT never
SET search_path = "$user", quanyu, public;
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state, identity_rule, erasure_column, erasure_log;
SELECT segment_drop(name) FROM segment ORDER BY name;
-- Person ids from 1000001 on, so a search of number columns means something.
INSERT INTO identity_state (next_person_id) VALUES (1000001);
SET client_min_messages = warning;
DROP ROLE IF EXISTS quanyu_test_erase_writer;
DROP ROLE IF EXISTS quanyu_test_erase_reader;
RESET client_min_messages;
CREATE ROLE quanyu_test_erase_writer LOGIN IN ROLE quanyu_writer;
CREATE ROLE quanyu_test_erase_reader LOGIN IN ROLE quanyu_reader;
CREATE TABLE public.erase_campaign (id int, sent audience, clicked audience, note text);
GRANT SELECT, UPDATE ON public.erase_campaign TO quanyu_test_erase_writer;
CREATE TABLE public.erase_other (id int, members audience);
INSERT INTO public.erase_campaign VALUES (1, '{1000001,1000002,1000003}', '{1000002}', 'spring'), (2, '{1000003}', '{}', 'summer');
SET SESSION AUTHORIZATION quanyu_test_erase_writer;
SET search_path = "$user", quanyu, public;
-- Ann: a phone and an openid; a second person (email, openid) is merged into
-- her; a second member_id is refused (the refusal names her phone and makes
-- m-2 a person of its own).  Bo and Cy stay.
SELECT * FROM identity_link($$VALUES ('phone', '13800000001', 'openid', 'o-ann'), ('openid', 'o-ann2', 'email', 'ann@example.com'), ('phone', '13900000002', 'openid', 'o-bo'), ('phone', '13700000003', 'email', 'cy@example.com')$$);
SELECT id_type, id_value, person_id FROM identity_identifier ORDER BY person_id, id_type;
SELECT * FROM identity_link($$VALUES ('openid', 'o-ann', 'email', 'ann@example.com'), ('phone', '13800000001', 'member_id', 'm-1'), ('phone', '13800000001', 'member_id', 'm-2')$$);
SELECT loser, survivor, current_survivor, evidence_value_a, evidence_value_b FROM identity_merge;
SELECT value_a, value_b, person_a, person_b, reason FROM identity_refusal;
SELECT consent_record('phone', '13800000001', 'marketing', true, 'store till', '2026-01-01') IS NOT NULL AS ann_consented;
SELECT segment_import('all_three', '{1000001,1000002,1000003,1000004}', NULL, '2026-01-01');
SELECT segment_import('all_three', '{1000001,1000003,1000004}', NULL, '2026-01-02');
SELECT segment_define('ann_only', 'rule', 'all_three - all_three');
SELECT * FROM segment_refresh('ann_only', '2026-01-03');
SELECT erasure_register('erase_campaign', 'sent'), erasure_register('erase_campaign', 'clicked'), erasure_register('erase_campaign', 'sent');
-- Registering needs the right column type and privileges.
SELECT erasure_register('erase_campaign', 'note');
SELECT erasure_register('erase_campaign', 'nope');
SELECT erasure_register('erase_other', 'members');
RESET SESSION AUTHORIZATION;
-- Every place where a person's ids or identifiers are stored in any user
-- table of this database: text-like columns holding one of the values (or
-- the id as text), integer columns equal to an id, audience columns holding
-- an id.
CREATE FUNCTION pg_temp.where_is(ids bigint[], idents text[]) RETURNS TABLE (place text, hits bigint)
LANGUAGE plpgsql AS $$
DECLARE
	c record;
	n bigint;
	needles text[] := idents || ids::text[];
BEGIN
	FOR c IN SELECT a.attrelid::regclass AS rel, a.attname, a.atttypid, t.typcategory
		FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace s ON s.oid = r.relnamespace
		JOIN pg_type t ON t.oid = a.atttypid
		WHERE r.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
		  AND s.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND s.nspname !~ '^pg_temp'
		ORDER BY 1, 2 LOOP
		IF c.typcategory = 'S' OR c.atttypid IN ('jsonb'::regtype, 'json'::regtype) THEN
			EXECUTE format('SELECT count(*) FROM %s x WHERE EXISTS (SELECT 1 FROM unnest($1) v WHERE strpos(x.%I::text, v) > 0)', c.rel, c.attname) INTO n USING needles;
		ELSIF c.atttypid IN ('int8'::regtype, 'int4'::regtype) THEN
			EXECUTE format('SELECT count(*) FROM %s x WHERE x.%I = ANY ($1)', c.rel, c.attname) INTO n USING ids;
		ELSIF c.atttypid = 'quanyu.audience'::regtype THEN
			EXECUTE format('SELECT count(*) FROM %s x WHERE x.%I && $1::quanyu.audience', c.rel, c.attname) INTO n USING ids;
		ELSE
			CONTINUE;
		END IF;
		IF n > 0 THEN
			place := c.rel::text || '.' || c.attname;
			hits := n;
			RETURN NEXT;
		END IF;
	END LOOP;
END $$;
CREATE TEMP TABLE ann AS SELECT ARRAY[1000001, 1000002]::bigint[] AS ids, ARRAY['13800000001', 'o-ann', 'o-ann2', 'ann@example.com', 'm-1'] AS idents;
SELECT w.* FROM ann, pg_temp.where_is(ann.ids, ann.idents) w ORDER BY 1;
-- Readers cannot erase.
SET SESSION AUTHORIZATION quanyu_test_erase_reader;
SELECT * FROM identity_forget(1000002);
RESET SESSION AUTHORIZATION;
-- The writer erases Ann by the id merged into her (the batch form, with an
-- unknown id): her current id and every id merged into her go.
SET SESSION AUTHORIZATION quanyu_test_erase_writer;
SELECT * FROM identity_forget(ARRAY[1000002, 4000000000]);
RESET SESSION AUTHORIZATION;
SELECT w.* FROM ann, pg_temp.where_is(ann.ids, ann.idents) w ORDER BY 1;
-- Everyone else is untouched.
SELECT id_type, id_value, person_id FROM identity_identifier ORDER BY person_id, id_type;
SELECT id, sent, clicked FROM erase_campaign ORDER BY id;
SELECT name, members FROM segment ORDER BY name;
SELECT segment_at('all_three', '2026-01-01') AS jan_1, segment_at('all_three', '2026-01-02') AS jan_2;
-- The audit row: counts, who, no ids and no identifiers.
SELECT erased_by, persons_requested, person_ids_erased, removed FROM erasure_log;
-- Idempotent: again, nothing is left to remove.
SET SESSION AUTHORIZATION quanyu_test_erase_writer;
SELECT * FROM identity_forget(1000001);
-- The same identifiers linked again make a new person, never an old id.
SELECT persons_new FROM identity_link($$VALUES ('phone', '13800000001', 'openid', 'o-ann')$$);
SELECT identity_person('phone', '13800000001') AS new_id, identity_person('phone', '13800000001') > 1000005 AS beyond_every_old_id;
-- Bad input: an unknown person, ids out of range.
SELECT * FROM identity_forget(999);
SELECT * FROM identity_forget(-1);
SELECT * FROM identity_forget(ARRAY[1, NULL]);
SELECT * FROM identity_forget(4294967296);
SELECT count(*) FROM identity_forget(NULL::bigint);
RESET SESSION AUTHORIZATION;
-- Consent records go too (through quanyu.consent_forget, before the
-- identifiers they are found by): Bo consented under his phone.
SELECT consent_record('phone', '13900000002', 'marketing', true, 'test', '2026-01-01') IS NOT NULL AS recorded;
SELECT count(*) AS bo_consents FROM quanyu.consent WHERE id_value = '13900000002';
SELECT * FROM identity_forget(1000003) WHERE erased_from = 'consent';
SELECT count(*) AS bo_consents_left FROM quanyu.consent WHERE id_value = '13900000002';
-- A registered table's triggers run as its owner, not as the role that
-- erases (a superuser here): the update is a security-restricted operation
-- of the table's owner, after the caller's privileges were checked.
CREATE SCHEMA erase_w AUTHORIZATION quanyu_test_erase_writer;
SET SESSION AUTHORIZATION quanyu_test_erase_writer;
CREATE TABLE erase_w.trojan (members audience);
CREATE TABLE erase_w.seen (who text, restricted_set_role text);
CREATE FUNCTION erase_w.note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	msg text;
BEGIN
	BEGIN
		PERFORM set_config('role', 'none', true);
		msg := 'allowed';
	EXCEPTION WHEN OTHERS THEN
		msg := SQLERRM;
	END;
	INSERT INTO erase_w.seen VALUES (current_user, msg);
	RETURN NEW;
END $$;
CREATE TRIGGER note BEFORE UPDATE ON erase_w.trojan FOR EACH ROW EXECUTE FUNCTION erase_w.note();
INSERT INTO erase_w.trojan VALUES ('{1000004,7}');
SELECT erasure_register('erase_w.trojan', 'members');
GRANT USAGE ON SCHEMA erase_w TO quanyu_test_erase_reader;
GRANT SELECT ON erase_w.trojan TO quanyu_test_erase_reader;
RESET SESSION AUTHORIZATION;
SELECT * FROM identity_forget(1000004) WHERE erased_from LIKE 'erase_w.%';
SELECT * FROM erase_w.seen;
SELECT members FROM erase_w.trojan;
-- A role without UPDATE on a registered column cannot erase through it.
SET SESSION AUTHORIZATION quanyu_test_erase_reader;
SELECT erasure_update_column('erase_w.trojan', 'members', '{7}');
RESET SESSION AUTHORIZATION;
SELECT erasure_unregister('erase_w.trojan', 'members');
DROP SCHEMA erase_w CASCADE;
-- A registered table that was dropped is an error, not a silent skip.
DROP TABLE public.erase_campaign;
SELECT * FROM identity_forget(1000004);
DELETE FROM erasure_column WHERE table_name = 'erase_campaign';
CREATE TABLE public.erase_campaign (sent audience);
SELECT erasure_register('public.erase_campaign', 'sent'), erasure_unregister('public.erase_campaign', 'sent'), erasure_unregister('public.erase_campaign', 'sent');
SELECT count(*) AS audit_rows FROM erasure_log;
SELECT segment_drop(name) FROM segment ORDER BY name DESC;
DROP TABLE public.erase_campaign, public.erase_other;
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state, erasure_log;
DROP ROLE quanyu_test_erase_writer, quanyu_test_erase_reader;
