-- Signature fuzzer, set-up (run as a superuser in a fresh database with quanyu):
-- a normal role qy_fuzz, its schema fuzz with tables for regclass arguments
-- (right and wrong column types), the edge values of every argument type, and
-- fuzz.calls: the statements test/safety/fuzz_signatures.sh runs as qy_fuzz,
-- one group per function or aggregate of the extension read from the catalog.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS fuzz CASCADE;
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qy_fuzz') THEN
		CREATE ROLE qy_fuzz LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
	END IF;
END $$;
-- What a DBA grants an ordinary user of quanyu: the schema and its tables.
GRANT USAGE ON SCHEMA quanyu TO qy_fuzz;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA quanyu TO qy_fuzz;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA quanyu TO qy_fuzz;
CREATE SCHEMA fuzz AUTHORIZATION qy_fuzz;
ALTER ROLE qy_fuzz SET search_path = quanyu, fuzz, public;

SET ROLE qy_fuzz;
SET search_path = quanyu, fuzz, public;
-- Tables a regclass argument may name: the expected columns with right and
-- wrong types, empty, and NULLs where a value is expected.
CREATE TABLE fuzz.seg_ok (name text, members audience);
INSERT INTO fuzz.seg_ok VALUES ('a', '{1,2,3}'), ('b', audience_from_range(0, 4294967296)),
	('c', NULL), (NULL, '{4}'), ('a', '{5}'), ('', '{}');
CREATE TABLE fuzz.seg_bigint (name text, members bigint);
INSERT INTO fuzz.seg_bigint VALUES ('a', 123456789), ('b', -1), ('c', 0);
CREATE TABLE fuzz.seg_bytea (name text, members bytea);
INSERT INTO fuzz.seg_bytea VALUES ('a', '\xdeadbeefdeadbeefdeadbeef'), ('b', '\x3b30ffffffff'),
	('c', '\x'), ('d', substr(audience_to_bytea('{1,2,3,70000}'), 1, 9));
CREATE TABLE fuzz.seg_text (name text, members text);
INSERT INTO fuzz.seg_text VALUES ('a', '{1,2}'), ('b', 'junk');
CREATE TABLE fuzz.seg_int (name integer, members integer[]);
INSERT INTO fuzz.seg_int VALUES (1, '{1,2}');
CREATE TABLE fuzz.seg_onecol (members audience);
INSERT INTO fuzz.seg_onecol VALUES ('{1}');
CREATE TABLE fuzz.pairs_ok (type_a text, value_a text, type_b text, value_b text, seen_at timestamptz);
INSERT INTO fuzz.pairs_ok VALUES ('phone', '13800138000', 'email', 'a@example.com', '2024-01-01'),
	('email', 'a@example.com', 'member_id', 'VIP1', 'infinity'), (NULL, NULL, NULL, NULL, NULL),
	('phone', '', 'phone', '', '-infinity'), ('nosuchtype', 'x', 'email', 'b@example.com', NULL);
CREATE TABLE fuzz.pairs_wrong (type_a integer, value_a bytea, type_b bigint, value_b audience, seen_at text);
INSERT INTO fuzz.pairs_wrong VALUES (1, '\xff', 2, '{1}', 'junk');
CREATE TABLE fuzz.pairs_short (type_a text, value_a text);
INSERT INTO fuzz.pairs_short VALUES ('phone', '1');
CREATE TABLE fuzz.orders_ok (customer bigint, ts timestamptz, amount numeric);
INSERT INTO fuzz.orders_ok VALUES (1, '2024-01-05', 10), (1, '2024-03-05', 5), (2, '2024-02-01', 1),
	(3, 'infinity', 1), (4, '-infinity', 1), (NULL, '2024-01-01', 1), (5, NULL, 1);
CREATE TABLE fuzz.orders_wrong (customer audience, ts text, amount text);
INSERT INTO fuzz.orders_wrong VALUES ('{1}', 'junk', 'x');
CREATE TABLE fuzz.empty (x integer);
CREATE VIEW fuzz.seg_view AS SELECT name, members FROM fuzz.seg_ok;
RESET ROLE;

-- Edge values by type: typical = the value an argument takes while another varies.
CREATE TABLE fuzz.vals (typ regtype, expr text, typical boolean DEFAULT false);
INSERT INTO fuzz.vals (typ, expr, typical) VALUES
	('audience', $$'{1,2,3,1000000}'::audience$$, true),
	('audience', 'NULL::audience', false), ('audience', $$'{}'::audience$$, false),
	('audience', $$'{0}'::audience$$, false), ('audience', $$'{4294967295}'::audience$$, false),
	('audience', $$'{0,4294967295}'::audience$$, false),
	('audience', 'audience_from_range(0, 4294967296)', false),
	('audience', 'audience_from_range(4294900000, 4294967296)', false),
	('audience', 'audience(ARRAY(SELECT generate_series(0, 300000, 2)::bigint))', false),
	('bigint', '3::bigint', true), ('bigint', 'NULL::bigint', false), ('bigint', '0::bigint', false),
	('bigint', '(-1)::bigint', false), ('bigint', '4294967295::bigint', false),
	('bigint', '4294967296::bigint', false), ('bigint', '(-9223372036854775807 - 1)::bigint', false),
	('bigint', '9223372036854775807::bigint', false), ('bigint', '1000000000::bigint', false),
	('integer', '2', true), ('integer', 'NULL::integer', false), ('integer', '0', false),
	('integer', '(-1)', false), ('integer', '2147483647', false), ('integer', '(-2147483648)', false),
	('integer', '65536', false),
	('double precision', '2::float8', true), ('double precision', 'NULL::float8', false),
	('double precision', '1.5::float8', false), ('double precision', '0.5::float8', false),
	('double precision', '0::float8', false), ('double precision', '(-1)::float8', false),
	('double precision', $$'NaN'::float8$$, false), ('double precision', $$'Infinity'::float8$$, false),
	('double precision', $$'-Infinity'::float8$$, false), ('double precision', '1e308::float8', false),
	('double precision', '(-1e308)::float8', false), ('double precision', '1e-308::float8', false),
	('double precision', '1e7::float8', false),
	('numeric', '10.5::numeric', true), ('numeric', 'NULL::numeric', false), ('numeric', '0::numeric', false),
	('numeric', '(-1)::numeric', false), ('numeric', $$'NaN'::numeric$$, false),
	('numeric', $$'Infinity'::numeric$$, false), ('numeric', $$'-Infinity'::numeric$$, false),
	('numeric', '1e300::numeric', false),
	('timestamp with time zone', $$'2024-01-15 10:00:00+00'::timestamptz$$, true),
	('timestamp with time zone', 'NULL::timestamptz', false),
	('timestamp with time zone', $$'infinity'::timestamptz$$, false),
	('timestamp with time zone', $$'-infinity'::timestamptz$$, false),
	('timestamp with time zone', $$'4713-01-01 00:00:00+00 BC'::timestamptz$$, false),
	('timestamp with time zone', $$'294276-12-31 23:59:59+00'::timestamptz$$, false),
	('timestamp with time zone', $$'1970-01-01 00:00:00+00'::timestamptz$$, false),
	('timestamp without time zone', $$'2024-01-15 10:00:00'::timestamp$$, true),
	('timestamp without time zone', 'NULL::timestamp', false),
	('timestamp without time zone', $$'infinity'::timestamp$$, false),
	('timestamp without time zone', $$'-infinity'::timestamp$$, false),
	('timestamp without time zone', $$'4713-01-01 00:00:00 BC'::timestamp$$, false),
	('timestamp without time zone', $$'294276-12-31 23:59:59'::timestamp$$, false),
	('interval', $$'1 day'::interval$$, true), ('interval', 'NULL::interval', false),
	('interval', $$'0'::interval$$, false), ('interval', $$'-1 day'::interval$$, false),
	('interval', $$'1 microsecond'::interval$$, false), ('interval', $$'178000000 years'::interval$$, false),
	('interval', $$'-178000000 years'::interval$$, false), ('interval', $$'2147483647 days 2147483647 months'::interval$$, false),
	('text', $$'a'::text$$, true), ('text', 'NULL::text', false), ('text', $$''::text$$, false),
	('text', $$'email'::text$$, false), ('text', $$'phone'::text$$, false),
	('text', $$repeat('(', 100000)$$, false), ('text', $$repeat('a & ', 50000) || 'a'$$, false),
	('text', $$'a & (b | "c") - d ^ e'$$, false), ('text', $$'"'::text$$, false),
	('text', $$E'\\x01\\x7f\u00e9\u4e2d'::text$$, false), ('text', $$repeat('x', 1000000)$$, false),
	('text', $$'SELECT 1'::text$$, false), ('text', $$'SELECT 1, 2, 3, 4, 5, 6, 7'::text$$, false),
	('text', $$'SELECT NULL::text, NULL::text, NULL::text, NULL::text'::text$$, false),
	('text', $$'SELECT * FROM fuzz.pairs_ok'::text$$, false),
	('text', $$'SELECT * FROM fuzz.pairs_wrong'::text$$, false),
	('text', $$'SELECT * FROM fuzz.pairs_short'::text$$, false),
	('text', $$'SELECT ''phone'', g::text, ''email'', g::text FROM generate_series(1, 3) g'::text$$, false),
	('text', $$'DELETE FROM fuzz.empty'::text$$, false), ('text', $$'junk junk ;;'::text$$, false),
	('text[]', $$'{a,b}'::text[]$$, true), ('text[]', 'NULL::text[]', false), ('text[]', $$'{}'::text[]$$, false),
	('text[]', $$'{NULL}'::text[]$$, false), ('text[]', $$'{a,a}'::text[]$$, false),
	('text[]', $$'{{a,b},{c,d}}'::text[]$$, false), ('text[]', $$array_fill('a'::text, ARRAY[100000])$$, false),
	('text[]', $$'{"",""}'::text[]$$, false),
	('bigint[]', $$'{1,2,3}'::bigint[]$$, true), ('bigint[]', 'NULL::bigint[]', false),
	('bigint[]', $$'{}'::bigint[]$$, false), ('bigint[]', $$'{NULL}'::bigint[]$$, false),
	('bigint[]', $$'{-1}'::bigint[]$$, false), ('bigint[]', $$'{0,4294967295}'::bigint[]$$, false),
	('bigint[]', $$'{4294967296}'::bigint[]$$, false), ('bigint[]', $$'{{1,2},{3,4}}'::bigint[]$$, false),
	('bigint[]', $$'[5:6]={1,2}'::bigint[]$$, false),
	('bigint[]', 'ARRAY(SELECT generate_series(1, 1000000)::bigint)', false),
	('integer[]', $$'{1,2,3}'::int[]$$, true), ('integer[]', 'NULL::int[]', false),
	('integer[]', $$'{}'::int[]$$, false), ('integer[]', $$'{NULL}'::int[]$$, false),
	('integer[]', $$'{-1,-2147483648}'::int[]$$, false), ('integer[]', $$'{{1,2},{3,4}}'::int[]$$, false),
	('integer[]', 'ARRAY(SELECT generate_series(1, 1000000))', false),
	('boolean', 'true', true), ('boolean', 'NULL::boolean', false), ('boolean', 'false', false),
	('boolean[]', $$'{t,f,t}'::boolean[]$$, true), ('boolean[]', 'NULL::boolean[]', false),
	('boolean[]', $$'{}'::boolean[]$$, false), ('boolean[]', $$'{NULL}'::boolean[]$$, false),
	('boolean[]', $$'{t}'::boolean[]$$, false), ('boolean[]', $$'{{t,f},{f,t}}'::boolean[]$$, false),
	('boolean[]', $$'[0:2]={t,t,t}'::boolean[]$$, false),
	('boolean[]', 'array_fill(true, ARRAY[100000])', false),
	('double precision[]', $$'{1,2,3,4}'::float8[]$$, true), ('double precision[]', 'NULL::float8[]', false),
	('double precision[]', $$'{}'::float8[]$$, false), ('double precision[]', $$'{NaN}'::float8[]$$, false),
	('double precision[]', $$'{Infinity,-Infinity}'::float8[]$$, false),
	('double precision[]', $$'{4,3,2,1}'::float8[]$$, false), ('double precision[]', $$'{NULL,1}'::float8[]$$, false),
	('double precision[]', $$'{{1,2},{3,4}}'::float8[]$$, false),
	('double precision[]', $$'{-1,-1,-1,-1,-1,-1,-1,-1}'::float8[]$$, false),
	('double precision[]', 'array_fill(1.0::float8, ARRAY[100000])', false),
	('audience[]', $$ARRAY['{1,2}'::audience, '{2,3}'::audience]$$, true),
	('audience[]', 'NULL::audience[]', false), ('audience[]', $$'{}'::audience[]$$, false),
	('audience[]', 'ARRAY[NULL::audience]', false), ('audience[]', $$ARRAY['{1}'::audience, NULL]$$, false),
	('audience[]', $$ARRAY['{}'::audience, '{}'::audience]$$, false),
	('audience[]', 'ARRAY[audience_from_range(0, 4294967296), audience_from_range(0, 4294967296)]', false),
	('audience[]', $$ARRAY[ARRAY['{1}'::audience, '{2}'::audience], ARRAY['{3}'::audience, '{4}'::audience]]$$, false),
	('audience[]', $$array_fill('{1,2}'::audience, ARRAY[3000])$$, false),
	('bytea', $$audience_to_bytea('{1,2,3}')$$, true), ('bytea', 'NULL::bytea', false),
	('bytea', $$'\x'::bytea$$, false), ('bytea', $$'\x00'::bytea$$, false),
	('bytea', $$'\xffffffffffffffffffffffffffffffff'::bytea$$, false),
	('bytea', $$substr(audience_to_bytea('{1,2,3,70000}'), 1, 9)$$, false),
	('bytea', $$substr(audience_to_bytea(audience_from_range(0, 300000)), 1, 20)$$, false),
	('bytea', $$overlay(audience_to_bytea('{1,2,3}') placing '\xffff'::bytea from 5)$$, false),
	('bytea', $$overlay(audience_to_bytea('{1,2,3}') placing '\xffffff7f'::bytea from 9)$$, false),
	('bytea', $$'\x0100000000000000'::bytea$$, false), ('bytea', $$'\x7fffffff'::bytea$$, false),
	('bytea', $$decode(repeat('ff', 100000), 'hex')$$, false),
	('bytea', $$decode(repeat('00', 4096), 'hex')$$, false),
	('cstring', $$'{1,2,3}'::cstring$$, true), ('cstring', $$'junk'::cstring$$, false),
	('cstring', $$''::cstring$$, false), ('cstring', $$'{'::cstring$$, false),
	('cstring', $$'{-1}'::cstring$$, false), ('cstring', $$'{4294967296}'::cstring$$, false),
	('cstring', $$'{1,,2}'::cstring$$, false), ('cstring', $$repeat('{', 100000)::cstring$$, false),
	('cstring', $$'{0-4294967295}'::cstring$$, false),
	('regclass', 'NULL::regclass', false), ('regclass', $$'fuzz.seg_ok'::regclass$$, false),
	('regclass', $$'fuzz.seg_bigint'::regclass$$, false), ('regclass', $$'fuzz.seg_bytea'::regclass$$, false),
	('regclass', $$'fuzz.seg_text'::regclass$$, false), ('regclass', $$'fuzz.seg_int'::regclass$$, false),
	('regclass', $$'fuzz.seg_onecol'::regclass$$, false), ('regclass', $$'fuzz.seg_view'::regclass$$, false),
	('regclass', $$'fuzz.pairs_ok'::regclass$$, false), ('regclass', $$'fuzz.pairs_wrong'::regclass$$, false),
	('regclass', $$'fuzz.pairs_short'::regclass$$, false), ('regclass', $$'fuzz.orders_ok'::regclass$$, false),
	('regclass', $$'fuzz.orders_wrong'::regclass$$, false), ('regclass', $$'fuzz.empty'::regclass$$, false),
	('regclass', $$'pg_catalog.pg_class'::regclass$$, false), ('regclass', '0::oid::regclass', false),
	('regclass', '1::oid::regclass', false),
	('name', 'NULL::name', false), ('name', $$'customer'::name$$, false), ('name', $$'ts'::name$$, false),
	('name', $$'amount'::name$$, false), ('name', $$'nosuchcolumn'::name$$, false), ('name', $$''::name$$, false),
	('name', $$'x'::name$$, false);

-- Composite parameter types of the extension: each double precision field
-- takes each double precision edge value (the other fields stay typical).
INSERT INTO fuzz.vals (typ, expr, typical)
SELECT t.oid::regtype,
	format('ROW(%s)::%s', string_agg(
		CASE WHEN a.atttypid = 'float8'::regtype THEN coalesce(v.expr, '2::float8')
			 WHEN a.atttypid = 'int8'::regtype THEN '100::bigint'
			 WHEN a.atttypid = 'int4'::regtype THEN '10'
			 WHEN a.atttypid = 'bool'::regtype THEN 'true' END, ', ' ORDER BY a.attnum), t.oid::regtype),
	v.expr IS NULL
FROM pg_type t
JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0
LEFT JOIN (SELECT expr FROM fuzz.vals WHERE typ = 'float8'::regtype AND NOT typical UNION ALL SELECT NULL) v ON true
WHERE t.typnamespace = 'quanyu'::regnamespace AND t.typtype = 'c'
  AND EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = t.typnamespace AND t.oid = ANY (p.proargtypes))
GROUP BY t.oid, v.expr;
INSERT INTO fuzz.vals (typ, expr)
SELECT t.oid::regtype, format('NULL::%s', t.oid::regtype) FROM pg_type t
WHERE t.typnamespace = 'quanyu'::regnamespace AND t.typtype = 'c';

-- The typical regclass and name depend on the function.
CREATE FUNCTION fuzz.typical(t regtype, fn text, argname text) RETURNS text LANGUAGE sql AS $$
	SELECT CASE
		WHEN t = 'regclass'::regtype AND fn LIKE 'identity%' THEN $q$'fuzz.pairs_ok'::regclass$q$
		WHEN t = 'regclass'::regtype AND fn LIKE 'clv%' THEN $q$'fuzz.orders_ok'::regclass$q$
		WHEN t = 'regclass'::regtype THEN $q$'fuzz.seg_ok'::regclass$q$
		WHEN t = 'name'::regtype AND argname LIKE 'customer%' THEN $q$'customer'::name$q$
		WHEN t = 'name'::regtype THEN $q$'ts'::name$q$
		WHEN t = 'text'::regtype AND fn = 'identity_link' THEN $q$'SELECT * FROM fuzz.pairs_ok'$q$
		WHEN t = 'text'::regtype AND fn = 'audience_eval' THEN $q$'a & b'$q$
		WHEN t = 'text'::regtype AND fn LIKE 'identity%' AND argname LIKE '%type%' THEN $q$'email'$q$
		WHEN t = 'text'::regtype AND fn LIKE 'identity%' THEN $q$'A@Example.com'$q$
		ELSE (SELECT expr FROM fuzz.vals v WHERE v.typ = t AND v.typical LIMIT 1) END $$;

-- The members of the extension: every function and aggregate.
CREATE VIEW fuzz.members AS
SELECT p.oid, p.proname::text AS fn, p.prokind,
	format('%s(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) AS sig,
	ARRAY(SELECT t::regtype FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o) ORDER BY o) AS types,
	ARRAY(SELECT coalesce(n, '') FROM unnest(coalesce(p.proargnames, '{}'), coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[cardinality(coalesce(p.proargnames, '{}'))])))
		WITH ORDINALITY u(n, m, o) WHERE m IN ('i', 'b', 'v') ORDER BY o) AS argnames,
	p.provariadic <> 0 AS variadic
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'quanyu';

CREATE TABLE fuzz.calls (sig text, ord serial, sql text);

-- Plain functions: all typical, then each argument through its edge values
-- with the others typical, then a few random combinations of edge values.
-- Functions with an internal argument are reached through aggregates below.
DO $$
DECLARE
	f record;
	i int;
	j int;
	k int;
	v record;
	args text[];
	tv text[];
	nargs int;
BEGIN
	PERFORM setseed(0.16);
	FOR f IN SELECT * FROM fuzz.members WHERE prokind = 'f' ORDER BY sig LOOP
		nargs := coalesce(array_length(f.types, 1), 0);
		CONTINUE WHEN 'internal'::regtype = ANY (f.types);
		tv := ARRAY[]::text[];
		FOR i IN 1..nargs LOOP
			tv := tv || fuzz.typical(f.types[i], f.fn, f.argnames[i]);
		END LOOP;
		IF f.variadic THEN tv[nargs] := 'VARIADIC ' || tv[nargs]; END IF;
		INSERT INTO fuzz.calls (sig, sql) VALUES (f.sig, format('SELECT quanyu.%I(%s)', f.fn, array_to_string(tv, ', ')));
		FOR i IN 1..nargs LOOP
			FOR v IN SELECT expr FROM fuzz.vals WHERE typ = f.types[i] AND expr IS DISTINCT FROM tv[i] LOOP
				args := tv;
				args[i] := CASE WHEN f.variadic AND i = nargs THEN 'VARIADIC ' ELSE '' END || v.expr;
				INSERT INTO fuzz.calls (sig, sql) VALUES (f.sig, format('SELECT quanyu.%I(%s)', f.fn, array_to_string(args, ', ')));
			END LOOP;
		END LOOP;
		FOR k IN 1..least(nargs, 3) LOOP
			args := tv;
			FOR j IN 1..nargs LOOP
				args[j] := CASE WHEN f.variadic AND j = nargs THEN 'VARIADIC ' ELSE '' END ||
					(SELECT expr FROM fuzz.vals WHERE typ = f.types[j] ORDER BY random() LIMIT 1);
			END LOOP;
			INSERT INTO fuzz.calls (sig, sql) VALUES (f.sig, format('SELECT quanyu.%I(%s)', f.fn, array_to_string(args, ', ')));
		END LOOP;
	END LOOP;
END $$;

-- Aggregates: over groups whose first row carries the edge value, a group
-- where it comes last and a group of that row alone, as a window aggregate,
-- over no rows, and with an all-NULL first row.
DO $$
DECLARE
	f record;
	i int;
	nargs int;
	v record;
	tv text[];
	row_t text;
	row_e text;
	cols text;
	names text;
	args text;
BEGIN
	FOR f IN SELECT * FROM fuzz.members WHERE prokind = 'a' ORDER BY sig LOOP
		nargs := array_length(f.types, 1);
		tv := ARRAY[]::text[];
		FOR i IN 1..nargs LOOP
			tv := tv || fuzz.typical(f.types[i], f.fn, f.argnames[i]);
		END LOOP;
		SELECT string_agg(CASE WHEN f.variadic AND g = nargs THEN 'VARIADIC c' ELSE 'c' END || g, ', ') INTO cols FROM generate_series(1, nargs) g;
		SELECT string_agg('c' || g, ', ') INTO names FROM generate_series(1, nargs) g;
		row_t := array_to_string(tv, ', ');
		INSERT INTO fuzz.calls (sig, sql) VALUES (f.sig,
			format('SELECT quanyu.%I(%s) FROM (VALUES (%s), (%s)) v(%s)', f.fn, cols, row_t, row_t, names));
		INSERT INTO fuzz.calls (sig, sql) VALUES (f.sig,
			format('SELECT quanyu.%I(%s) FROM (VALUES (%s)) v(%s) WHERE false', f.fn, cols, row_t, names));
		SELECT string_agg(format('NULL::%s', t), ', ') INTO row_e FROM unnest(f.types) t;
		INSERT INTO fuzz.calls (sig, sql) VALUES (f.sig,
			format('SELECT g, quanyu.%I(%s) FROM (VALUES (1, %s), (1, %s), (2, %s)) v(g, %s) GROUP BY g ORDER BY g',
				f.fn, cols, row_e, row_t, row_e, names));
		FOR i IN 1..nargs LOOP
			FOR v IN SELECT expr FROM fuzz.vals WHERE typ = f.types[i] AND expr IS DISTINCT FROM tv[i] LOOP
				row_e := array_to_string(tv[1:i - 1] || v.expr || tv[i + 1:nargs], ', ');
				INSERT INTO fuzz.calls (sig, sql) VALUES (f.sig,
					format('SELECT g, quanyu.%I(%s) FROM (VALUES (1, %s), (1, %s), (2, %s), (2, %s), (3, %s)) v(g, %s) GROUP BY g ORDER BY g',
						f.fn, cols, row_e, row_t, row_t, row_e, row_e, names));
				INSERT INTO fuzz.calls (sig, sql) VALUES (f.sig,
					format('SELECT quanyu.%I(%s) OVER (ORDER BY n ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM (VALUES (1, %s), (2, %s), (3, %s)) v(n, %s)',
						f.fn, cols, row_e, row_t, row_e, names));
			END LOOP;
		END LOOP;
	END LOOP;
END $$;

GRANT SELECT ON fuzz.members, fuzz.vals TO qy_fuzz;
GRANT INSERT ON fuzz.calls TO qy_fuzz;
GRANT USAGE ON SEQUENCE fuzz.calls_ord_seq TO qy_fuzz;

-- User aggregates built by the normal role from our support functions whose
-- state is an ordinary type, with bad INITCONDs and without one.
SET ROLE qy_fuzz;
DO $$
DECLARE
	t record;
	ic text;
	n int := 0;
	fin record;
	argtypes text;
BEGIN
	FOR t IN
		SELECT m.oid, m.fn, m.types FROM fuzz.members m
		WHERE m.prokind = 'f' AND array_length(m.types, 1) >= 2
		  AND m.types[1] <> 'internal'::regtype AND m.oid IN (
			SELECT aggtransfn FROM pg_aggregate UNION SELECT aggcombinefn FROM pg_aggregate)
	LOOP
		argtypes := array_to_string(t.types[2:], ', ');
		FOR ic IN SELECT unnest(CASE t.types[1]
				WHEN 'bytea'::regtype THEN ARRAY[NULL, '\x', '\x00', '\x01000000', '\xffffffff',
					'\xffffffffffffffffffffffffffffffff', '\x7fffffff00000000', '\x0000000000000000ffffffff']
				WHEN 'float8[]'::regtype THEN ARRAY[NULL, '{}', '{1}', '{NaN,NaN,NaN,NaN,NaN,NaN,NaN}',
					'{-1,-1,-1,-1,-1,-1,-1,-1}', '{{1,2},{3,4}}', '{1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16}']
				WHEN 'audience'::regtype THEN ARRAY[NULL, '{}', '{0,4294967295}']
				ELSE ARRAY[NULL]::text[] END)
		LOOP
			FOR fin IN
				SELECT NULL::regproc AS f
				UNION ALL
				SELECT p.oid::regproc FROM fuzz.members p
				WHERE p.prokind = 'f' AND p.types = ARRAY[t.types[1]] AND p.oid IN (SELECT aggfinalfn FROM pg_aggregate)
			LOOP
				n := n + 1;
				BEGIN
					EXECUTE format('CREATE AGGREGATE fuzz.user_agg_%s (%s) (sfunc = quanyu.%I, stype = %s%s%s)',
						n, argtypes, t.fn, t.types[1],
						CASE WHEN ic IS NULL THEN '' ELSE format(', initcond = %L', ic) END,
						CASE WHEN fin.f IS NULL THEN '' ELSE format(', finalfunc = %s', fin.f) END);
				EXCEPTION WHEN OTHERS THEN
					CONTINUE;	-- PostgreSQL refused it (a strict function needs an INITCOND)
				END;
				INSERT INTO fuzz.calls (sig, sql) VALUES (format('user aggregate on %s(%s)', t.fn, array_to_string(t.types, ', ')),
					format('SELECT fuzz.user_agg_%s(%s) FROM (VALUES (%s), (%s)) v(%s)', n,
						(SELECT string_agg('c' || g, ', ') FROM generate_series(1, array_length(t.types, 1) - 1) g),
						(SELECT string_agg(fuzz.typical(x, t.fn, ''), ', ') FROM unnest(t.types[2:]) x),
						(SELECT string_agg(format('NULL::%s', x), ', ') FROM unnest(t.types[2:]) x),
						(SELECT string_agg('c' || g, ', ') FROM generate_series(1, array_length(t.types, 1) - 1) g)));
			END LOOP;
		END LOOP;
	END LOOP;
END $$;
RESET ROLE;

-- Aggregates over internal states can only be created by a superuser, but a
-- superuser's mistake must not crash either: every transition function of an
-- internal state paired with every other internal-state final and serial function.
DO $$
DECLARE
	t record;
	fin record;
	n int := 0;
BEGIN
	FOR t IN
		SELECT DISTINCT a.aggtransfn::oid AS oid, p.fn, p.types FROM pg_aggregate a JOIN fuzz.members p ON p.oid = a.aggtransfn
		WHERE a.aggtranstype = 'internal'::regtype
	LOOP
		FOR fin IN
			SELECT DISTINCT f.oid::regproc AS f FROM fuzz.members f
			WHERE f.types = ARRAY['internal'::regtype] AND f.oid IN (
				SELECT aggfinalfn FROM pg_aggregate WHERE aggtransfn <> t.oid UNION
				SELECT aggserialfn FROM pg_aggregate WHERE aggtransfn <> t.oid)
		LOOP
			n := n + 1;
			EXECUTE format('CREATE AGGREGATE fuzz.mixed_agg_%s (%s) (sfunc = quanyu.%I, stype = internal, finalfunc = %s)',
				n, array_to_string(t.types[2:], ', '), t.fn, fin.f);
			INSERT INTO fuzz.calls (sig, sql) VALUES (format('superuser aggregate mixing %s with %s', t.fn, fin.f),
				format('SELECT fuzz.mixed_agg_%s(%s) FROM (VALUES (%s), (%s)) v(%s)', n,
					(SELECT string_agg('c' || g, ', ') FROM generate_series(1, array_length(t.types, 1) - 1) g),
					(SELECT string_agg(fuzz.typical(x, t.fn, ''), ', ') FROM unnest(t.types[2:]) x),
					(SELECT string_agg(fuzz.typical(x, t.fn, ''), ', ') FROM unnest(t.types[2:]) x),
					(SELECT string_agg('c' || g, ', ') FROM generate_series(1, array_length(t.types, 1) - 1) g)));
		END LOOP;
	END LOOP;
END $$;
GRANT SELECT ON fuzz.calls TO qy_fuzz;
SELECT count(DISTINCT sig) AS groups, count(*) AS calls FROM fuzz.calls;
