--
-- Upgrade chain: install 0.1.0 from its frozen script, store audiences and
-- identities, ALTER EXTENSION quanyu UPDATE, and check that every stored
-- value and answer is unchanged and the catalog equals a fresh install.
--
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS quanyu_upgrade;
CREATE DATABASE quanyu_upgrade;
\c quanyu_upgrade
SET client_min_messages = warning;
SET search_path = quanyu, public;
CREATE EXTENSION quanyu VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'quanyu';
-- Values stored by 0.1.0: every container kind, the edges, a TOASTed one.
CREATE TABLE stored (k text PRIMARY KEY, a audience);
INSERT INTO stored VALUES
	('empty', '{}'),
	('small', '{0,1,2,65535,65536,4294967295}'),
	('runs', audience_from_range(1000, 500000)),
	('bitset', (SELECT audience_agg(i * 3) FROM generate_series(0, 60000) i)),
	('mixed', (SELECT audience_agg(i) FROM generate_series(0, 3000000, 7) i) | audience_from_range(4000000000, 4000100000)),
	('null', NULL);
CREATE TABLE identity_pairs (type_a text, value_a text, type_b text, value_b text);
INSERT INTO identity_pairs VALUES
	('phone', '+86 138-0000-0001', 'openid', 'o1'),
	('openid', 'o1', 'unionid', 'u1'),
	('email', 'A@X.COM', 'phone', '13800000002'),
	('phone', '13800000002', 'openid', 'o2'),
	('unionid', 'u1', 'openid', 'o2');
SELECT pairs_read, identifiers_new, merges FROM identity_link_table('identity_pairs');
-- The answers 0.1.0 gives, kept to compare after the update.
CREATE TABLE answers_010 AS
SELECT k, a::text AS txt, md5(a::bytea::text) AS portable, cardinality(a) AS n,
	audience_min(a) AS lo, audience_max(a) AS hi, audience_rank(a, 70000) AS r,
	cardinality(a & audience_from_range(0, 100000)) AS n_and,
	a @> 65536::bigint AS has_65536, audience_stats(a)::text AS stats
FROM stored;
CREATE TABLE identity_010 AS
SELECT id_type, id_value, person_id FROM identity_identifier;
CREATE TABLE merges_010 AS
SELECT loser, current_survivor FROM identity_merge;
ALTER EXTENSION quanyu UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'quanyu';
-- Every stored value reads back with the same answers.
SELECT k FROM (
	SELECT k, a::text AS txt, md5(a::bytea::text) AS portable, cardinality(a) AS n,
		audience_min(a) AS lo, audience_max(a) AS hi, audience_rank(a, 70000) AS r,
		cardinality(a & audience_from_range(0, 100000)) AS n_and,
		a @> 65536::bigint AS has_65536, audience_stats(a)::text AS stats
	FROM stored
	EXCEPT SELECT * FROM answers_010) changed;
SELECT count(*) AS values_checked FROM answers_010;
SELECT * FROM identity_010 EXCEPT SELECT id_type, id_value, person_id FROM identity_identifier;
SELECT * FROM merges_010 EXCEPT SELECT loser, current_survivor FROM identity_merge;
SELECT identity_person('phone', '13800000001') = identity_person('unionid', 'u1') AS same_person;
SELECT cardinality(audience_canonicalize(audience_agg(person_id))) AS persons FROM identity_010;
-- The upgraded catalog equals a fresh install of the same version.
CREATE FUNCTION public.quanyu_catalog() RETURNS TABLE (what text, detail text)
LANGUAGE sql AS $$
	WITH m AS (
		SELECT d.classid, d.objid, pg_describe_object(d.classid, d.objid, 0) AS what
		FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
		WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'quanyu')
	SELECT m.what, 'comment: ' || coalesce(obj_description(m.objid, m.classid::regclass::text), '-') FROM m
	UNION ALL
	SELECT m.what, format('function: %s %s %s strict=%s secdef=%s leak=%s set=%s cost=%s rows=%s returns=%s%s args=%s acl=%s src=%s bin=%s',
		l.lanname, p.prokind, p.provolatile::text || p.proparallel::text, p.proisstrict, p.prosecdef, p.proleakproof,
		p.proconfig, p.procost, p.prorows, CASE WHEN p.proretset THEN 'setof ' ELSE '' END,
		p.prorettype::regtype, pg_get_function_arguments(p.oid), p.proacl, p.prosrc, p.probin)
	FROM m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
	JOIN pg_language l ON l.oid = p.prolang
	UNION ALL
	SELECT m.what, format('aggregate: %s %s %s %s %s %s %s %s %s %s %s',
		a.aggkind, a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn,
		a.aggfinalextra, a.aggfinalmodify, a.aggtranstype::regtype, a.aggtransspace, a.agginitval)
	FROM m JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid
	UNION ALL
	SELECT m.what, format('relation: %s acl=%s rls=%s cols=%s', c.relkind, c.relacl, c.relrowsecurity,
		(SELECT string_agg(format('%s %s %s %s', t.attname, format_type(t.atttypid, t.atttypmod),
			t.attnotnull, pg_get_expr(ad.adbin, ad.adrelid)), ', ' ORDER BY t.attnum)
		 FROM pg_attribute t LEFT JOIN pg_attrdef ad ON ad.adrelid = t.attrelid AND ad.adnum = t.attnum
		 WHERE t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped))
	FROM m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
	UNION ALL
	SELECT m.what, 'view: ' || pg_get_viewdef(m.objid)
	FROM m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid AND c.relkind = 'v'
	UNION ALL
	SELECT 'index ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
	FROM m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
	UNION ALL
	SELECT 'constraint ' || co.conname, pg_get_constraintdef(co.oid)
	FROM m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
	UNION ALL
	SELECT m.what, format('operator: %s %s %s %s %s %s %s',
		o.oprcode, o.oprcom::regoperator, o.oprnegate::regoperator, o.oprrest, o.oprjoin, o.oprcanmerge, o.oprcanhash)
	FROM m JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid
	UNION ALL
	SELECT m.what, format('type: %s %s %s %s %s %s %s %s', t.typinput, t.typoutput, t.typreceive, t.typsend,
		t.typstorage, t.typalign, t.typlen, t.typacl)
	FROM m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
	UNION ALL
	SELECT 'schema ' || n.nspname, format('acl=%s', n.nspacl) FROM pg_namespace n WHERE n.nspname = 'quanyu'
$$;
CREATE TABLE upgraded_catalog AS SELECT * FROM public.quanyu_catalog();
DROP EXTENSION quanyu CASCADE;
CREATE EXTENSION quanyu;
SELECT count(*) > 100 AS catalog_rows FROM upgraded_catalog;
-- In the upgraded catalog, not in a fresh one:
SELECT * FROM upgraded_catalog EXCEPT SELECT * FROM public.quanyu_catalog() ORDER BY 1, 2;
-- In a fresh catalog, not in the upgraded one:
SELECT * FROM public.quanyu_catalog() EXCEPT SELECT * FROM upgraded_catalog ORDER BY 1, 2;
\c :regress_db
SET client_min_messages = warning;
DROP DATABASE quanyu_upgrade;
