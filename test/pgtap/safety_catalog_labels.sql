-- Catalog labels (issue 16, rule 6): PARALLEL, volatility and search_path
-- labels of every function of the extension are true.
--  * a function that reads a relation the caller names (a regclass argument,
--    a query text, SPI over caller-named tables) is not PARALLEL SAFE: a
--    parallel worker cannot see the caller's temp tables;
--  * a function that writes is VOLATILE and PARALLEL UNSAFE;
--  * a function that reads quanyu's tables is not IMMUTABLE;
--  * every function has a COMMENT;
--  * every SQL and PL/pgSQL function pins its search_path (proconfig) or its
--    body has no unqualified name that a planted object could take over.
-- The lists below come from reading src/**/*.c (SPI texts) and
-- src/**/*.sql; the regclass rule is read from the catalog, so a new
-- function with a regclass argument is covered without editing this file.
BEGIN;
SET client_min_messages = warning;
SET search_path = public, quanyu;
SELECT plan(10);

CREATE TEMP VIEW ext_functions AS
	SELECT p.oid, p.oid::regprocedure::text AS sig, p.proname, p.prokind, p.provolatile, p.proparallel,
		l.lanname, p.prosrc, p.proconfig, p.proargtypes::oid[] AS argtypes
	FROM pg_proc p
	JOIN pg_language l ON l.oid = p.prolang
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'quanyu';

-- Functions that read a relation the caller names through a query text or
-- SPI (beyond those with a regclass argument, found from the catalog).
CREATE TEMP TABLE reads_caller_relation (sig text);
INSERT INTO reads_caller_relation VALUES ('identity_link(text)');
-- Functions that write quanyu's tables.
CREATE TEMP TABLE writers (sig text);
INSERT INTO writers VALUES ('identity_link(text)'), ('identity_link_table(regclass)'), ('identity_register(text,text)');
-- Functions that read quanyu's tables (identity rules, identifiers, merges).
CREATE TEMP TABLE reads_tables (sig text);
INSERT INTO reads_tables VALUES ('identity_normalize(text,text)'), ('identity_person(text,text)'),
	('identity_resolve(bigint)'), ('identity_explain(bigint)'), ('audience_canonicalize(audience)');
-- Segments and erasure (src/segment): query segments run caller-written SQL,
-- identity_forget updates the registered tables.
INSERT INTO reads_caller_relation VALUES ('segment_query_run(text,text,text,timestamp with time zone,boolean)'),
	('segment_query_members(text,timestamp with time zone,boolean)'), ('identity_forget(bigint[])');
INSERT INTO writers VALUES ('segment_define(text,text,text,text,text,integer)'),
	('segment_define_query(text,text,text,text,integer)'), ('segment_import(text,audience,text,timestamp with time zone)'),
	('segment_store(text,audience,timestamp with time zone)'), ('segment_refresh_one(text,timestamp with time zone)'),
	('segment_refresh_list(text[],timestamp with time zone,boolean)'), ('segment_refresh(text,timestamp with time zone)'),
	('segment_refresh_all(timestamp with time zone)'), ('segment_drop(text)'), ('erasure_register(regclass,text)'),
	('erasure_unregister(regclass,text)'), ('erasure_update_column(regclass,text,audience)'), ('identity_forget(bigint)'), ('identity_forget(bigint[])');
INSERT INTO reads_tables VALUES ('segment_order(text[])'), ('segment_walk(text[])'),
	('segment_at(text,timestamp with time zone)'), ('segment_changes(text,timestamp with time zone,timestamp with time zone)');

SELECT is((SELECT count(*) FROM ext_functions f JOIN (SELECT sig FROM reads_caller_relation UNION SELECT sig FROM writers
		UNION SELECT sig FROM reads_tables) l USING (sig))::int,
	(SELECT count(*) FROM (SELECT sig FROM reads_caller_relation UNION SELECT sig FROM writers UNION SELECT sig FROM reads_tables) l)::int,
	'every function listed in this test exists (the lists are not stale)');

SELECT is_empty($$
	SELECT sig FROM ext_functions
	WHERE proparallel = 's'
	  AND ('regclass'::regtype = ANY (argtypes) OR sig IN (SELECT sig FROM reads_caller_relation))
	ORDER BY 1$$,
	'no function that reads a relation the caller names is PARALLEL SAFE');

SELECT is_empty($$
	SELECT sig, provolatile, proparallel FROM ext_functions
	WHERE sig IN (SELECT sig FROM writers) AND (provolatile <> 'v' OR proparallel <> 'u')
	ORDER BY 1$$,
	'every function that writes is VOLATILE and PARALLEL UNSAFE');

SELECT is_empty($$
	SELECT sig FROM ext_functions
	WHERE provolatile = 'i'
	  AND (sig IN (SELECT sig FROM reads_tables) OR sig IN (SELECT sig FROM writers)
	       OR 'regclass'::regtype = ANY (argtypes) OR sig IN (SELECT sig FROM reads_caller_relation))
	ORDER BY 1$$,
	'no function that reads a table is IMMUTABLE');

-- A SQL or PL/pgSQL body that calls a writer, or reads a caller-named
-- relation (EXECUTE, a regclass argument), inherits the rules above.
SELECT is_empty($$
	SELECT sig FROM ext_functions
	WHERE lanname IN ('sql', 'plpgsql') AND proparallel = 's'
	  AND (prosrc ~* '\mEXECUTE\M' OR prosrc ~ '\m(identity_link|identity_register)\s*\(')
	ORDER BY 1$$,
	'no SQL or PL/pgSQL function that runs dynamic SQL or calls a writer is PARALLEL SAFE');

SELECT is_empty($$
	SELECT sig FROM ext_functions WHERE obj_description(oid, 'pg_proc') IS NULL ORDER BY 1$$,
	'every function and aggregate has a COMMENT');

-- A pinned search_path must put pg_catalog first (or leave it implicit) and
-- name only pg_catalog, the extension's schema and pg_temp (last).
SELECT is_empty($$
	SELECT sig, c FROM ext_functions, unnest(proconfig) c
	WHERE c LIKE 'search_path=%'
	  AND NOT regexp_replace(c, '^search_path=', '') ~ '^(pg_catalog, *)?(quanyu|"?\$?extschema"?)(, *pg_catalog)?(, *pg_temp)?$'
	  AND regexp_replace(c, '^search_path=', '') NOT IN ('pg_catalog, quanyu, pg_temp', 'pg_catalog, quanyu', 'pg_catalog, pg_temp', 'pg_catalog')
	ORDER BY 1$$,
	'every pinned search_path names only pg_catalog, quanyu and pg_temp');

-- Without a pinned path, a body may not use a name a planted object can
-- take over: an unqualified function or relation we know quanyu uses, an
-- operator not written OPERATOR(pg_catalog.x), or a cast to a type name that
-- is not a keyword (::text resolves through the path; ::bigint does not).
-- String literals and comments are left out: text there resolves nothing.
SELECT is_empty($$
	SELECT sig, (regexp_match(code,
		'((?:^|[^.\w"])(?:identity_\w+|audience_\w+|rfm_\w+|clv_\w+|unnest|date_trunc|date_part|format|generate_series|make_interval|count|min|max|sum|lower|upper|btrim|regexp_\w+|now|array_\w+|string_agg|pg_attribute|pg_class)\M|\s(?:=|<>|<=|>=|<|>|\|\||\+|-|/)\s|\s\*\s*\d|::\s*(?:text|date|timestamptz|name|regclass|audience|int8|int4|float8|bool)\M)'))[1] AS first_risky
	FROM (SELECT f.*, regexp_replace(regexp_replace(prosrc, '--[^\n]*', '', 'g'), '''[^'']*''', '''''', 'g') AS code
	      FROM ext_functions f) f
	WHERE lanname IN ('sql', 'plpgsql')
	  AND NOT coalesce(proconfig, '{}') && ARRAY['search_path=pg_catalog, quanyu, pg_temp', 'search_path=pg_catalog, quanyu']
	  AND NOT EXISTS (SELECT 1 FROM unnest(proconfig) c WHERE c LIKE 'search_path=%')
	  AND code ~ '((?:^|[^.\w"])(?:identity_\w+|audience_\w+|rfm_\w+|clv_\w+|unnest|date_trunc|date_part|format|generate_series|make_interval|count|min|max|sum|lower|upper|btrim|regexp_\w+|now|array_\w+|string_agg|pg_attribute|pg_class)\M|\s(?:=|<>|<=|>=|<|>|\|\||\+|-|/)\s|\s\*\s*\d|::\s*(?:text|date|timestamptz|name|regclass|audience|int8|int4|float8|bool)\M)'
	ORDER BY 1$$,
	'every SQL and PL/pgSQL function pins its search_path or qualifies every name and operator');

-- The labels hold in practice: with parallel mode forced, the functions that
-- read caller-named relations work on the caller's temp table.
CREATE TEMP TABLE label_seg (name text, members audience);
INSERT INTO label_seg VALUES ('vip', '{1,2,3}'), ('churned', '{2}');
CREATE TEMP TABLE label_orders (customer bigint, ts timestamptz);
INSERT INTO label_orders VALUES (1, '2024-01-05'), (1, '2024-02-05'), (2, '2024-02-01');
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
-- (lives_ok runs the query with EXECUTE, which may plan it in parallel.)
SELECT lives_ok($$SELECT audience_eval('vip - churned', 'label_seg')$$,
	'audience_eval(text, regclass) reads a temp table under force_parallel_mode');
SELECT lives_ok($$SELECT * FROM clv_cohort_retention('label_orders', 'customer', 'ts', NULL)$$,
	'clv_cohort_retention reads a temp table under force_parallel_mode');
RESET force_parallel_mode;

SELECT * FROM finish();
ROLLBACK;
