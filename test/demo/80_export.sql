-- 80_export.sql: the win-back campaign's audience sent to an ad platform as
-- hashed phones, for the persons who consent to marketing only.
--
-- Consent: the brand's consent history is loaded once into quanyu.consent
-- (about 70% of phones granted marketing when first seen, at the store till
-- or in the mini-program), then later withdrawals arrive one by one through
-- consent_withdraw (about 8% of those who granted, e.g. replying TD to an
-- SMS).  Consent belongs to an identifier, and counts for the person the
-- identifier belongs to now.
-- The audience: the managed segment win_back (step 80_segments, refreshed
-- for the report month) less the holdout of step 70, which gets no message.
-- The export: md5 of the 11-digit phone, one per line, to a file in the
-- demo's output directory (psql variable outdir), named in the run log.

\set ON_ERROR_STOP 1
\pset footer off

INSERT INTO quanyu.consent (id_type, id_value, purpose, granted, decided_at, source, recorded_at)
SELECT i.id_type, i.id_value, 'marketing', true, i.first_seen,
	CASE WHEN demo.rnd(q.seed, i.person_id * 64 + 50) < 0.5 THEN 'store till' ELSE 'mini-program' END, i.first_seen
FROM quanyu.identity_identifier i, demo.param q
WHERE i.id_type = 'phone' AND demo.rnd(q.seed, hashtext(i.id_value)) < 0.7;

-- Withdrawals, in order, through the API.
SET client_min_messages = warning;
CREATE TABLE demo.consent_withdrawn AS
SELECT c.id_value, consent_withdraw('phone', c.id_value, 'marketing', 'sms reply TD', c.decided_at + interval '90 days') AS person_id
FROM quanyu.consent c, demo.param q
WHERE c.id_type = 'phone' AND c.purpose = 'marketing' AND demo.rnd(q.seed, hashtext(c.id_value) + 7) < 0.08
ORDER BY c.id_value;
RESET client_min_messages;

CREATE TABLE demo.winback AS
SELECT s.members - h.members AS members
FROM quanyu.segment s, demo.holdout h WHERE s.name = 'win_back' AND h.grp LIKE 'holdout%';

-- The export, once, kept to count it and to write the file.
SET client_min_messages = warning;
CREATE TABLE demo.winback_export AS
SELECT person_id, identifier FROM audience_export((SELECT members FROM demo.winback), 'phone', 'md5', 'marketing');
RESET client_min_messages;

SELECT :'outdir' || '/winback_phones_md5.txt' AS export_file \gset
\pset format unaligned
\pset tuples_only on
\o :export_file
SELECT identifier FROM demo.winback_export ORDER BY identifier;
\o
\pset tuples_only off
\pset format aligned
\echo '   export written to' :export_file

CREATE TABLE demo.r_export AS
SELECT cardinality(w.members) AS audience,
	cardinality(audience_consented(w.members, 'marketing')) AS consented,
	(SELECT count(DISTINCT person_id) FROM demo.winback_export) AS with_phone,
	(SELECT count(*) FROM demo.winback_export) AS exported,
	(SELECT cardinality(w.members & audience_agg(wd.person_id)) FROM demo.consent_withdrawn wd) AS withdrew
FROM demo.winback w;

\echo
SELECT format('## 17. Activation export: win-back treatment group (%s) as md5 of consenting phones', label) AS title FROM demo.r_month \gset
\echo :title
SELECT audience AS "audience persons", consented AS "consent to marketing", with_phone AS "consenting with a phone",
	exported AS "phones exported", withdrew AS "withdrew consent"
FROM demo.r_export;
\echo 'file:' :export_file
