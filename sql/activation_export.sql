-- Consent per identifier and purpose, audience_consented, audience_export
-- (plain and hashed, in chunks) and incremental exports, with merges,
-- withdrawals, out-of-order decisions, erasure and bad input.
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state, consent, audience_export_log;
-- Six persons: 1..5 with a phone and an openid, 6 with an email only.
SELECT * FROM identity_link($$SELECT 'phone', '+86 138-0000-000' || i, 'openid', 'o' || i, '2024-01-01'::timestamptz FROM generate_series(1, 5) i$$);
SELECT identity_register('email', 'Six@Example.com') AS six;
-- Consent: persons 1, 2, 3 grant marketing through their phone, 4 through
-- its openid; person 5 never decided; 6 grants sms only.
SELECT consent_record('phone', '13800000001', 'marketing', source => 'store till', decided_at => '2024-02-01');
SELECT consent_record('phone', '+86 138 0000 0002', 'marketing', true, 'mini-program', '2024-02-01');
SELECT consent_record('phone', '13800000003', 'marketing', decided_at => '2024-02-01');
SELECT consent_record('openid', 'o4', 'marketing', decided_at => '2024-02-01');
SELECT consent_record('email', ' six@example.com ', 'sms', decided_at => '2024-02-01');
-- Consent before the identifier is linked: kept, no person yet.
SELECT consent_record('phone', '13900000009', 'marketing', decided_at => '2024-02-01') AS not_linked_yet;
SELECT id_type, id_value, purpose, granted, decided_at, source FROM consent ORDER BY id_type, id_value, purpose;
SELECT consent_persons('marketing') AS marketing, consent_persons('sms') AS sms, consent_persons('ads') AS ads;
SELECT audience_consented('{1,2,3,4,5,6,7}', 'marketing') AS consented;
-- Person 3 withdraws through its openid later: the latest decision wins.
SELECT consent_withdraw('openid', 'o3', 'marketing', 'wecom guide', '2024-03-01');
-- A late-arriving older grant never overrides a newer withdrawal.
SELECT consent_record('openid', 'o3', 'marketing', true, 'old batch', '2024-01-15');
SELECT granted, source FROM consent WHERE id_value = 'o3';
-- A withdrawal and a grant at the same time: withdrawn.
SELECT consent_withdraw('openid', 'o2', 'marketing', 'call centre', '2024-02-01');
SELECT audience_consented('{1,2,3,4,5,6}', 'marketing') AS consented;
SELECT consent_record('openid', 'o2', 'marketing', true, 'call centre', '2024-02-02');
SELECT audience_consented('{1,2,3,4,5,6}', 'marketing') AS consented;
-- Export: phones as stored, md5 and sha256 of the normalised value.
SELECT * FROM audience_export('{1,2,3,4,5,6}', 'phone');
SELECT person_id, identifier, identifier = md5('1380000000' || person_id) AS md5_ok FROM audience_export('{1,2,3,4,5,6}', 'phone', 'md5');
SELECT person_id, identifier FROM audience_export('{1,2}', 'phone', 'sha256');
SELECT encode(sha256('13800000001'), 'hex') AS expected_sha256;
SELECT * FROM audience_export('{1,2,3,4,5,6}', 'openid', purpose => 'marketing');
SELECT * FROM audience_export('{1,2,3,4,5,6}', 'email', NULL, 'sms');
SELECT count(*) AS none FROM audience_export('{1,2,3,4,5,6}', 'phone', NULL, 'ads');
SELECT count(*) AS none FROM audience_export('{}', 'phone');
SELECT count(*) AS none FROM audience_export(NULL, 'phone');
-- Merges: person 5 (no consent) and person 4 (consent via o4) become one;
-- the consent given under o4 now belongs to the survivor.
SELECT * FROM identity_link($$VALUES ('openid', 'o4', 'openid', 'o5')$$);
SELECT identity_person('openid', 'o4') AS o4, identity_person('openid', 'o5') AS o5;
SELECT audience_consented('{1,2,3,4,5,6}', 'marketing') AS consented;
SELECT * FROM audience_export('{1,2,3,4,5,6}', 'phone');
-- An audience built before the merge names person 5: it is person 4 now.
SELECT * FROM audience_export('{5}', 'phone');
-- The identifier consented before linking joins a person when linked.
SELECT * FROM identity_link($$VALUES ('phone', '13900000009', 'openid', 'o9')$$);
SELECT audience_consented('{1,2,3,4,5,6,7,8,9}', 'marketing') AS consented;
-- Chunks and progress notices (audience_export sends 100000 persons per chunk).
SELECT * FROM audience_export_rows(audience_consented('{1,2,3,4,5,6,7}', 'marketing'), 'phone', NULL, 'chunked', 2);
-- Incremental export: the first run adds everyone consenting.
SELECT * FROM audience_export_changes('wechat_ads', '{1,2,3,4}', 'phone', 'md5') ORDER BY change, person_id;
SELECT name, id_type, hash, purpose, last_audience, exports FROM audience_export_log;
-- Nothing changed: nothing to send.
SELECT count(*) AS nothing FROM audience_export_changes('wechat_ads', '{1,2,3,4}', 'phone', 'md5');
-- Person 1 withdraws, person 7 joins the audience: one removal, one addition.
SELECT consent_withdraw('phone', '13800000001', 'marketing', 'sms reply TD', '2024-04-01');
SELECT * FROM audience_export_changes('wechat_ads', '{1,2,3,4,7}', 'phone', 'md5') ORDER BY change, person_id;
SELECT name, last_audience, exports FROM audience_export_log;
-- Bad input.
SELECT * FROM audience_export('{1}', 'passport');
SELECT * FROM audience_export('{1}', '*');
SELECT * FROM audience_export('{1}', 'phone', 'sha1');
SELECT * FROM audience_export('{1}', 'phone', 'MD5');
SELECT * FROM audience_export('{1}', 'phone', NULL, 'Marketing');
SELECT * FROM audience_export('{1}', NULL);
SELECT * FROM audience_export('{1}', 'phone', NULL, NULL);
SELECT * FROM audience_export_rows('{1,2}', 'phone', NULL, 'chunked', 0);
SELECT * FROM audience_export_rows('{1,2}', 'phone', NULL, 'chunked', NULL);
SELECT * FROM audience_export_changes('wechat_ads', '{1}', 'phone', 'sha256');
SELECT * FROM audience_export_changes('wechat_ads', '{1}', 'openid', 'md5');
SELECT * FROM audience_export_changes(NULL, '{1}', 'phone');
SELECT * FROM audience_export_changes('x', '{1}', 'fax');
SELECT consent_record('phone', 'unknown', 'marketing');
SELECT consent_record('phone', '13800000001', 'SMS');
SELECT consent_record('phone', '13800000001', 'sms', NULL);
SELECT consent_record('phone', NULL, 'sms');
-- Reset: the next run sends everyone again.
SELECT audience_export_reset('wechat_ads') AS reset, audience_export_reset('wechat_ads') AS again;
SELECT change, count(*) FROM audience_export_changes('wechat_ads', '{1,2,3,4,7}', 'phone', 'sha256') GROUP BY change;
-- Erasure: the consent records of persons 2 and 4 (o2, o4, and the phones),
-- and the persons leave the export log.
SELECT consent_forget(ARRAY[2, 4, -1, 4294967296, NULL]) AS forgotten;
SELECT id_type, id_value, purpose, granted FROM consent ORDER BY id_type, id_value, purpose;
SELECT name, last_audience FROM audience_export_log;
SELECT consent_forget('{}') AS nothing, consent_forget(ARRAY[12345]) AS unknown_person;
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state, consent, audience_export_log;
