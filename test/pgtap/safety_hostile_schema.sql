-- Hostile schemas (issue 16, rule 3): nothing quanyu runs resolves through
-- the caller's search_path.  A normal role plants, in a schema ahead of
-- quanyu and one behind it, functions, aggregates, operators and views with
-- the names and exact argument types that quanyu's SQL bodies and SPI texts
-- use (read from src/**/*.c and src/**/*.sql) and every quanyu function's own
-- name and signature; each records that it ran in a sequence of its own
-- (sequences survive the rollback of an error).  Then a superuser runs every
-- quanyu function with valid arguments under
--   search_path = hostile_ahead, quanyu, hostile_behind   (pg_catalog implicitly first)
--   search_path = hostile_ahead, pg_catalog, quanyu, hostile_behind
-- and no planted object may have run.
BEGIN;
SET client_min_messages = warning;
SET search_path = public, quanyu;

CREATE ROLE qy_hostile NOLOGIN NOSUPERUSER;
CREATE SCHEMA hostile_ahead AUTHORIZATION qy_hostile;
CREATE SCHEMA hostile_behind AUTHORIZATION qy_hostile;
GRANT USAGE ON SCHEMA quanyu TO qy_hostile;
-- A reader of the identity tables, so that its look-alike views work when resolved.
GRANT SELECT ON ALL TABLES IN SCHEMA quanyu TO qy_hostile;

-- Data the calls use (made before anything is planted).
CREATE TABLE hostile_seg (name text, members quanyu.audience);
INSERT INTO hostile_seg VALUES ('vip', '{1,2,3,4}'), ('churned', '{3}'), ('wecom', '{2,5}');
CREATE TABLE hostile_orders (customer bigint, ts timestamptz, amount numeric);
INSERT INTO hostile_orders VALUES (1, '2024-01-05', 10), (1, '2024-03-05', 5), (2, '2024-02-01', 1), (3, '2024-02-10', 7);
CREATE TABLE hostile_pairs (type_a text, value_a text, type_b text, value_b text, seen_at timestamptz);
INSERT INTO hostile_pairs VALUES ('phone', '+86 138-0013-9001', 'email', 'H1@Example.com', '2024-01-02'),
	('email', 'h2@example.com', 'member_id', 'HVIP2', '2024-01-03');

-- The calls: every function of the extension with typical arguments, then
-- realistic calls of the ones that run SQL (identity, eval, cohorts).  The
-- calls are parsed under the hostile path too, so their own type names and
-- operators are qualified: only what quanyu resolves may hit a plant.
CREATE TABLE hostile_calls (k serial, sql text);
CREATE FUNCTION pg_temp.typical(t regtype, fn text, argname text) RETURNS text LANGUAGE sql AS $$
	SELECT CASE t
		WHEN 'quanyu.audience'::regtype THEN $q$'{1,2,3,1000000}'::quanyu.audience$q$
		WHEN 'bigint'::regtype THEN '3::bigint'
		WHEN 'integer'::regtype THEN '2'
		WHEN 'double precision'::regtype THEN CASE WHEN fn = 'audience_sample' THEN '0.5::pg_catalog.float8' ELSE '2::pg_catalog.float8' END
		WHEN 'numeric'::regtype THEN '10.5::pg_catalog.numeric'
		WHEN 'timestamptz'::regtype THEN $q$'2024-01-15 10:00:00+00'::pg_catalog.timestamptz$q$
		WHEN 'timestamp'::regtype THEN $q$'2024-01-15 10:00:00'::pg_catalog.timestamp$q$
		WHEN 'interval'::regtype THEN $q$'1 day'::pg_catalog.interval$q$
		WHEN 'text'::regtype THEN CASE
			WHEN fn = 'identity_link' THEN $q$'SELECT * FROM public.hostile_pairs'$q$
			WHEN fn = 'audience_eval' THEN $q$'vip & wecom'$q$
			WHEN fn LIKE 'window_funnel%' THEN $q$'strict_order'$q$
			WHEN argname = 'period' THEN $q$'month'$q$
			WHEN argname LIKE '%type%' THEN $q$'email'$q$
			ELSE $q$'H1@Example.com'$q$ END
		WHEN 'text[]'::regtype THEN $q$'{vip,wecom}'::pg_catalog.text[]$q$
		WHEN 'bigint[]'::regtype THEN $q$'{1,2,3}'::bigint[]$q$
		WHEN 'integer[]'::regtype THEN $q$'{1,2,3}'::int[]$q$
		WHEN 'timestamptz[]'::regtype THEN $q$'{2024-01-05,2024-02-01,2024-02-10}'::pg_catalog.timestamptz[]$q$
		WHEN 'boolean'::regtype THEN 'true'
		WHEN 'boolean[]'::regtype THEN $q$'{t,f,t}'::boolean[]$q$
		WHEN 'double precision[]'::regtype THEN $q$'{1,2,3,4}'::pg_catalog.float8[]$q$
		WHEN 'quanyu.audience[]'::regtype THEN $q$ARRAY['{1,2}'::quanyu.audience, '{2,3}'::quanyu.audience]$q$
		WHEN 'bytea'::regtype THEN $q$quanyu.audience_to_bytea('{1,2,3}')$q$
		WHEN 'cstring'::regtype THEN $q$'{1,2,3}'::pg_catalog.cstring$q$
		WHEN 'regclass'::regtype THEN CASE
			WHEN fn LIKE 'identity%' THEN $q$'public.hostile_pairs'::pg_catalog.regclass$q$
			WHEN fn LIKE 'clv%' OR fn LIKE 'cohort%' THEN $q$'public.hostile_orders'::pg_catalog.regclass$q$
			ELSE $q$'public.hostile_seg'::pg_catalog.regclass$q$ END
		WHEN 'name'::regtype THEN CASE WHEN argname LIKE 'customer%' THEN $q$'customer'::pg_catalog.name$q$
			WHEN argname LIKE 'amount%' THEN $q$'amount'::pg_catalog.name$q$ ELSE $q$'ts'::pg_catalog.name$q$ END
		WHEN 'quanyu.bgnbd_params'::regtype THEN 'ROW(0.24, 4.41, 0.79, 2.43, 0, 100, true, 10)::quanyu.bgnbd_params'
		WHEN 'quanyu.pareto_nbd_params'::regtype THEN 'ROW(0.55, 10.6, 0.61, 11.7, 0, 100, true, 10)::quanyu.pareto_nbd_params'
		WHEN 'quanyu.gammagamma_params'::regtype THEN 'ROW(6.25, 3.74, 15.4, 0, 100, true, 10)::quanyu.gammagamma_params'
		END $$;
DO $do$
DECLARE
	f record;
	args text[];
	cols text;
BEGIN
	FOR f IN
		SELECT p.oid, p.proname::pg_catalog.text AS fn, p.prokind, p.provariadic <> 0 AS variadic,
			ARRAY(SELECT t::regtype FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o) ORDER BY o) AS types,
			ARRAY(SELECT coalesce(n, '') FROM unnest(coalesce(p.proargnames, '{}'),
				coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[cardinality(coalesce(p.proargnames, '{}'))])))
				WITH ORDINALITY u(n, m, o) WHERE m IN ('i', 'b', 'v') ORDER BY o) AS argnames
		FROM pg_proc p
		JOIN pg_depend d ON d.classid = 'pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e'
		JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'quanyu'
		WHERE p.prokind IN ('f', 'a') AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[]::regtype[])
		  -- Aggregate support functions run through their aggregates (their
		  -- states are not typical values: the signature fuzzer forges them).
		  AND p.oid NOT IN (SELECT unnest(ARRAY[aggtransfn, aggfinalfn, aggcombinefn, aggserialfn, aggdeserialfn])::oid FROM pg_aggregate)
		  -- pareto_nbd_fit runs no SQL, and its cost on small inputs is not
		  -- bounded in 0.1.0 (minutes for 2 to 6 customers whose fit diverges).
		  AND p.proname <> 'pareto_nbd_fit'
		ORDER BY p.proname, p.oid
	LOOP
		args := ARRAY(SELECT pg_temp.typical(f.types[i], f.fn, f.argnames[i]) FROM generate_series(1, cardinality(f.types)) i);
		IF f.prokind = 'f' THEN
			IF f.variadic THEN args[cardinality(args)] := 'VARIADIC ' || args[cardinality(args)]; END IF;
			INSERT INTO hostile_calls (sql) VALUES (format('SELECT quanyu.%I(%s)', f.fn, array_to_string(args, ', ')));
		ELSE
			SELECT string_agg(CASE WHEN f.variadic AND i = cardinality(f.types) THEN 'VARIADIC c' ELSE 'c' END || i, ', '),
				string_agg('c' || i, ', ') INTO cols
			FROM generate_series(1, cardinality(f.types)) i;
			INSERT INTO hostile_calls (sql) VALUES (format('SELECT quanyu.%I(%s) FROM (VALUES (%s), (%s)) v(%s)',
				f.fn, (SELECT string_agg(CASE WHEN f.variadic AND i = cardinality(f.types) THEN 'VARIADIC c' ELSE 'c' END || i, ', ')
					   FROM generate_series(1, cardinality(f.types)) i),
				array_to_string(args, ', '), array_to_string(args, ', '),
				(SELECT string_agg('c' || i, ', ') FROM generate_series(1, cardinality(f.types)) i)));
		END IF;
	END LOOP;
END $do$;
INSERT INTO hostile_calls (sql) VALUES
	($$SELECT * FROM quanyu.identity_link($q$VALUES ('phone', '+86 138-0013-8000', 'member_id', 'HVIP1', '2024-01-05'::pg_catalog.timestamptz),
		('member_id', 'HVIP1', 'email', 'Hx@Example.com', '2024-01-06'::pg_catalog.timestamptz), ('email', 'hy@example.com', 'phone', '13800138000', NULL::pg_catalog.timestamptz)$q$)$$),
	($$SELECT * FROM quanyu.identity_link_table('public.hostile_pairs')$$),
	($$SELECT quanyu.identity_person('phone', '13800138000')$$),
	($$SELECT quanyu.identity_resolve(quanyu.identity_person('email', 'hx@example.com'))$$),
	($$SELECT * FROM quanyu.identity_explain(quanyu.identity_person('phone', '13800138000'))$$),
	($$SELECT quanyu.identity_register('member_id', 'HVIP9')$$),
	($$SELECT quanyu.identity_normalize('phone', '+86 138 0013 8000')$$),
	($$SELECT quanyu.audience_canonicalize(quanyu.audience_agg(person_id)) FROM quanyu.identity_identifier$$),
	($$SELECT quanyu.audience_canonicalize('{}'::quanyu.audience)$$),
	($$SELECT quanyu.audience_canonicalize(quanyu.audience_from_range(0, 100000))$$),
	($$SELECT quanyu.audience_eval('vip & (wecom | "churned") - churned', 'public.hostile_seg')$$),
	($$SELECT quanyu.audience_eval('vip ^ wecom', ARRAY['vip', 'wecom'], ARRAY['{1,2}'::quanyu.audience, '{2,3}'])$$),
	($$SELECT * FROM quanyu.clv_cohort_retention('public.hostile_orders', 'customer', 'ts', NULL)$$),
	($$SELECT * FROM quanyu.clv_cohort_retention('public.hostile_orders', 'customer', 'ts', '2024-02-15')$$),
	($$SELECT quanyu.rfm_agg(ts, amount, '2024-06-01') FROM public.hostile_orders GROUP BY customer$$),
	($$SELECT quanyu.clv_summary_agg(ts, amount, '2024-06-01', '1 day') FROM public.hostile_orders GROUP BY customer$$),
	($$SELECT quanyu.clv_metrics_agg(customer, amount) FROM public.hostile_orders$$),
	($$SELECT quanyu.window_funnel('1 day', ts, amount OPERATOR(pg_catalog.>) 1, amount OPERATOR(pg_catalog.>) 5) FROM public.hostile_orders GROUP BY customer$$),
	($$SELECT quanyu.retention_agg(true, amount OPERATOR(pg_catalog.>) 5) FROM public.hostile_orders$$),
	($$SELECT quanyu.segment_lift(customer, amount::pg_catalog.float8, '{1,2}'::quanyu.audience) FROM public.hostile_orders$$),
	($$SELECT quanyu.tier_flow(ARRAY['{1,2}'::quanyu.audience, '{3}'], ARRAY['{1}'::quanyu.audience, '{2,3}'], true)$$),
	($$SELECT quanyu.audience_overlap(ARRAY['{1,2}'::quanyu.audience, '{2,3}', '{3}'])$$),
	($$SELECT quanyu.audience_retention('{1,2,3}', ARRAY['{1,2}'::quanyu.audience, '{2}'], true)$$);

-- What to plant, as (kind, name, argument types, result, how the real one is reached).
SET ROLE qy_hostile;
SET search_path = pg_catalog;
CREATE TABLE hostile_ahead.plants (k serial, where_ text, what text);
-- Every planted object calls hit(k): one sequence per object.
CREATE FUNCTION hostile_ahead.hit(k integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_catalog.nextval(pg_catalog.format('hostile_ahead.ran_%s', k)::pg_catalog.regclass);
	RAISE WARNING 'hostile object % ran', k;
END $$;
CREATE FUNCTION hostile_ahead.hit_b(k integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	PERFORM hostile_ahead.hit(k);
	RETURN true;
END $$;
DO $do$
DECLARE
	s text;
	k int;
	f record;
	body text;
	fns text[][] := ARRAY[
		-- name, arguments, result (SETOF for set-returning), real expression
		['unnest', 'bigint[]', 'SETOF bigint', 'SELECT pg_catalog.unnest($1)'],
		['unnest', 'text[]', 'SETOF text', 'SELECT pg_catalog.unnest($1)'],
		['unnest', 'integer[]', 'SETOF integer', 'SELECT pg_catalog.unnest($1)'],
		['unnest', 'timestamptz[]', 'SETOF timestamptz', 'SELECT pg_catalog.unnest($1)'],
		['unnest', 'boolean[]', 'SETOF boolean', 'SELECT pg_catalog.unnest($1)'],
		['unnest', 'anyarray', 'SETOF anyelement', 'SELECT pg_catalog.unnest($1)'],
		['lower', 'text', 'text', 'SELECT pg_catalog.lower($1)'],
		['upper', 'text', 'text', 'SELECT pg_catalog.upper($1)'],
		['btrim', 'text', 'text', 'SELECT pg_catalog.btrim($1)'],
		['btrim', 'text, text', 'text', 'SELECT pg_catalog.btrim($1, $2)'],
		['length', 'text', 'integer', 'SELECT pg_catalog.length($1)'],
		['replace', 'text, text, text', 'text', 'SELECT pg_catalog.replace($1, $2, $3)'],
		['translate', 'text, text, text', 'text', 'SELECT pg_catalog.translate($1, $2, $3)'],
		['regexp_replace', 'text, text, text', 'text', 'SELECT pg_catalog.regexp_replace($1, $2, $3)'],
		['regexp_replace', 'text, text, text, text', 'text', 'SELECT pg_catalog.regexp_replace($1, $2, $3, $4)'],
		['regexp_match', 'text, text', 'text[]', 'SELECT pg_catalog.regexp_match($1, $2)'],
		['regexp_matches', 'text, text', 'SETOF text[]', 'SELECT pg_catalog.regexp_matches($1, $2)'],
		['regexp_like', 'text, text', 'boolean', 'SELECT pg_catalog.regexp_like($1, $2)'],
		['date_trunc', 'text, timestamptz', 'timestamptz', 'SELECT pg_catalog.date_trunc($1, $2)'],
		['date_trunc', 'text, timestamp', 'timestamp', 'SELECT pg_catalog.date_trunc($1, $2)'],
		['date_trunc', 'text, date', 'timestamptz', 'SELECT pg_catalog.date_trunc($1, $2::timestamptz)'],
		['date_part', 'text, timestamptz', 'double precision', 'SELECT pg_catalog.date_part($1, $2)'],
		['date_part', 'text, date', 'double precision', 'SELECT pg_catalog.date_part($1, $2)'],
		['extract', 'text, date', 'numeric', 'SELECT pg_catalog.extract($1, $2)'],
		['extract', 'text, timestamptz', 'numeric', 'SELECT pg_catalog.extract($1, $2)'],
		['generate_series', 'integer, integer', 'SETOF integer', 'SELECT pg_catalog.generate_series($1, $2)'],
		['generate_series', 'bigint, bigint', 'SETOF bigint', 'SELECT pg_catalog.generate_series($1, $2)'],
		['make_interval', 'years integer DEFAULT 0, months integer DEFAULT 0, weeks integer DEFAULT 0, days integer DEFAULT 0, hours integer DEFAULT 0, mins integer DEFAULT 0, secs double precision DEFAULT 0',
			'interval', 'SELECT pg_catalog.make_interval($1, $2, $3, $4, $5, $6, $7)'],
		['now', '', 'timestamptz', 'SELECT pg_catalog.now()'],
		['format', 'text, text', 'text', 'SELECT pg_catalog.format($1, $2)'],
		['format', 'text, text, text', 'text', 'SELECT pg_catalog.format($1, $2, $3)'],
		['format', 'text, text, text, text, text', 'text', 'SELECT pg_catalog.format($1, $2, $3, $4, $5)'],
		['format', 'text, VARIADIC text[]', 'text', 'SELECT pg_catalog.format($1, VARIADIC $2)'],
		['cardinality', 'anyarray', 'integer', 'SELECT pg_catalog.cardinality($1)'],
		['array_length', 'anyarray, integer', 'integer', 'SELECT pg_catalog.array_length($1, $2)'],
		['array_append', 'anyarray, anyelement', 'anyarray', 'SELECT pg_catalog.array_append($1, $2)'],
		['array_to_string', 'anyarray, text', 'text', 'SELECT pg_catalog.array_to_string($1, $2)'],
		['string_to_array', 'text, text', 'text[]', 'SELECT pg_catalog.string_to_array($1, $2)'],
		['pg_advisory_xact_lock', 'bigint', 'void', 'SELECT pg_catalog.pg_advisory_xact_lock($1)'],
		['pg_advisory_xact_lock', 'integer, integer', 'void', 'SELECT pg_catalog.pg_advisory_xact_lock($1, $2)'],
		['texteq', 'text, text', 'boolean', 'SELECT pg_catalog.texteq($1, $2)'],
		['set_config', 'text, text, boolean', 'text', 'SELECT pg_catalog.set_config($1, $2, $3)']];
	ops text[][] := ARRAY[
		-- operator, left, right, result
		['=', 'text', 'text', 'boolean'], ['<>', 'text', 'text', 'boolean'], ['<', 'text', 'text', 'boolean'],
		['>', 'text', 'text', 'boolean'], ['<=', 'text', 'text', 'boolean'], ['>=', 'text', 'text', 'boolean'],
		['||', 'text', 'text', 'text'], ['~', 'text', 'text', 'boolean'], ['~~', 'text', 'text', 'boolean'],
		['=', 'name', 'name', 'boolean'], ['=', 'name', 'text', 'boolean'],
		['=', 'bigint', 'bigint', 'boolean'], ['<>', 'bigint', 'bigint', 'boolean'], ['<', 'bigint', 'bigint', 'boolean'],
		['>', 'bigint', 'bigint', 'boolean'], ['<=', 'bigint', 'bigint', 'boolean'], ['>=', 'bigint', 'bigint', 'boolean'],
		['+', 'bigint', 'bigint', 'bigint'], ['-', 'bigint', 'bigint', 'bigint'],
		['=', 'bigint', 'integer', 'boolean'], ['>', 'bigint', 'integer', 'boolean'],
		['=', 'integer', 'integer', 'boolean'], ['<', 'integer', 'integer', 'boolean'], ['>', 'integer', 'integer', 'boolean'],
		['<=', 'integer', 'integer', 'boolean'], ['+', 'integer', 'integer', 'integer'], ['-', 'integer', 'integer', 'integer'],
		['*', 'integer', 'integer', 'integer'],
		['>', 'smallint', 'integer', 'boolean'], ['=', 'smallint', 'integer', 'boolean'],
		['=', 'date', 'date', 'boolean'], ['<', 'date', 'date', 'boolean'], ['<=', 'date', 'date', 'boolean'],
		['>', 'date', 'date', 'boolean'], ['+', 'date', 'interval', 'timestamp'], ['-', 'date', 'date', 'integer'],
		['=', 'timestamptz', 'timestamptz', 'boolean'], ['<', 'timestamptz', 'timestamptz', 'boolean'],
		['<=', 'timestamptz', 'timestamptz', 'boolean'], ['>', 'timestamptz', 'timestamptz', 'boolean'],
		['-', 'timestamptz', 'timestamptz', 'interval'], ['+', 'timestamptz', 'interval', 'timestamptz'],
		['<=', 'timestamptz', 'date', 'boolean'],
		['-', 'numeric', 'numeric', 'numeric'], ['+', 'numeric', 'numeric', 'numeric'], ['*', 'numeric', 'numeric', 'numeric'],
		['*', 'numeric', 'integer', 'numeric'], ['-', 'numeric', 'integer', 'numeric'], ['+', 'numeric', 'integer', 'numeric'],
		['/', 'double precision', 'bigint', 'double precision'], ['/', 'double precision', 'double precision', 'double precision'],
		['/', 'bigint', 'bigint', 'bigint'], ['=', 'boolean', 'boolean', 'boolean']];
	aggs text[][] := ARRAY[
		-- aggregate, argument, state/result, transition expression
		['count', '*', 'bigint', 'SELECT $1 OPERATOR(pg_catalog.+) 1'],
		['count', 'bigint', 'bigint', 'SELECT $1 OPERATOR(pg_catalog.+) 1'],
		['count', 'text', 'bigint', 'SELECT $1 OPERATOR(pg_catalog.+) 1'],
		['min', 'date', 'date', 'SELECT pg_catalog.date_smaller($1, $2)'],
		['max', 'date', 'date', 'SELECT pg_catalog.date_larger($1, $2)'],
		['min', 'timestamptz', 'timestamptz', 'SELECT pg_catalog.timestamptz_smaller($1, $2)'],
		['max', 'timestamptz', 'timestamptz', 'SELECT pg_catalog.timestamptz_larger($1, $2)'],
		['min', 'bigint', 'bigint', 'SELECT pg_catalog.int8smaller($1, $2)'],
		['max', 'bigint', 'bigint', 'SELECT pg_catalog.int8larger($1, $2)'],
		['sum', 'bigint', 'numeric', 'SELECT $1 OPERATOR(pg_catalog.+) $2'],
		['array_agg', 'bigint', 'bigint[]', 'SELECT pg_catalog.array_append($1, $2)'],
		['string_agg', 'text, text', 'text', 'SELECT pg_catalog.concat($1, $2, $3)']];
	i int;
BEGIN
	FOREACH s IN ARRAY ARRAY['hostile_ahead', 'hostile_behind'] LOOP
		FOR i IN 1..array_length(fns, 1) LOOP
			INSERT INTO hostile_ahead.plants (where_, what) VALUES (s, format('function %s(%s)', fns[i][1], fns[i][2])) RETURNING plants.k INTO k;
			EXECUTE format('CREATE SEQUENCE hostile_ahead.ran_%s', k);
			EXECUTE format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql AS $b$
				BEGIN PERFORM hostile_ahead.hit(%s); %s; END $b$$f$, s, fns[i][1], fns[i][2], fns[i][3], k,
				CASE WHEN fns[i][3] LIKE 'SETOF%' THEN 'RETURN QUERY ' || fns[i][4]
					 WHEN fns[i][3] = 'void' THEN 'PERFORM ' || substr(fns[i][4], 8)
					 ELSE 'RETURN (' || fns[i][4] || ')' END);
		END LOOP;
		FOR i IN 1..array_length(ops, 1) LOOP
			INSERT INTO hostile_ahead.plants (where_, what) VALUES (s, format('operator %s(%s, %s)', ops[i][1], ops[i][2], ops[i][3])) RETURNING plants.k INTO k;
			EXECUTE format('CREATE SEQUENCE hostile_ahead.ran_%s', k);
			EXECUTE format($f$CREATE FUNCTION %I.op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS $b$
				BEGIN PERFORM hostile_ahead.hit(%s); RETURN ($1 OPERATOR(pg_catalog.%s) $2); END $b$$f$,
				s, k, ops[i][2], ops[i][3], ops[i][4], k, ops[i][1]);
			EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %I.op_%s)',
				s, ops[i][1], ops[i][2], ops[i][3], s, k);
		END LOOP;
		FOR i IN 1..array_length(aggs, 1) LOOP
			INSERT INTO hostile_ahead.plants (where_, what) VALUES (s, format('aggregate %s(%s)', aggs[i][1], aggs[i][2])) RETURNING plants.k INTO k;
			EXECUTE format('CREATE SEQUENCE hostile_ahead.ran_%s', k);
			EXECUTE format($f$CREATE FUNCTION %I.agg_%s(%s%s) RETURNS %s LANGUAGE plpgsql AS $b$
				BEGIN PERFORM hostile_ahead.hit(%s); RETURN (%s); END $b$$f$,
				s, k, aggs[i][3], CASE WHEN aggs[i][2] = '*' THEN '' ELSE ', ' || aggs[i][2] END, aggs[i][3], k, aggs[i][4]);
			EXECUTE format('CREATE AGGREGATE %I.%I(%s) (SFUNC = %I.agg_%s, STYPE = %s%s)', s, aggs[i][1], aggs[i][2], s, k, aggs[i][3],
				CASE WHEN aggs[i][1] IN ('count', 'sum') THEN ', INITCOND = 0' WHEN aggs[i][1] = 'array_agg' THEN $i$, INITCOND = '{}'$i$ ELSE '' END);
		END LOOP;
		-- Type names written without a keyword (::text, ::date, ...): domains
		-- whose CHECK records every value cast to them.
		FOREACH body IN ARRAY ARRAY['pg_catalog.text', 'pg_catalog.date', 'pg_catalog.timestamptz', 'pg_catalog.name',
				'pg_catalog.int8', 'pg_catalog.int4', 'pg_catalog.float8', 'pg_catalog.bool', 'pg_catalog.regclass',
				'quanyu.audience'] LOOP
			INSERT INTO hostile_ahead.plants (where_, what) VALUES (s, 'domain ' || body) RETURNING plants.k INTO k;
			EXECUTE format('CREATE SEQUENCE hostile_ahead.ran_%s', k);
			EXECUTE format('CREATE DOMAIN %I.%I AS %s CHECK (hostile_ahead.hit_b(%s))', s, split_part(body, '.', 2), body, k);
		END LOOP;
		-- Relations quanyu reads by name: views that record every read.
		FOREACH body IN ARRAY ARRAY['quanyu.identity_identifier', 'quanyu.identity_merge', 'quanyu.identity_state',
				'quanyu.identity_rules', 'quanyu.identity_rule', 'quanyu.identity_refusal',
				'pg_catalog.pg_attribute', 'pg_catalog.pg_class', 'pg_catalog.pg_type'] LOOP
			INSERT INTO hostile_ahead.plants (where_, what) VALUES (s, 'view ' || body) RETURNING plants.k INTO k;
			EXECUTE format('CREATE SEQUENCE hostile_ahead.ran_%s', k);
			-- (An uncommon form on purpose: the uncorrelated subquery is a one-time
			-- filter run before the scan, so it records a read of an empty table too.)
			EXECUTE format('CREATE VIEW %I.%I AS SELECT %s FROM %s WHERE (SELECT hostile_ahead.hit_b(%s))', s, split_part(body, '.', 2),
				CASE WHEN body = 'pg_catalog.pg_attribute' THEN 'attrelid, attname, attnum, attisdropped, atttypid, atttypmod' ELSE '*' END,
				body, k);
		END LOOP;
	END LOOP;
END $do$;

-- Every function of the extension, its own name and exact signature, in both schemas.
DO $do$
DECLARE
	s text;
	k int;
	f record;
BEGIN
	FOREACH s IN ARRAY ARRAY['hostile_ahead', 'hostile_behind'] LOOP
		FOR f IN
			SELECT p.proname, pg_get_function_arguments(p.oid) AS args, pg_get_function_result(p.oid) AS result,
				p.proretset OR p.proallargtypes IS NOT NULL AS bare_return, pg_get_function_identity_arguments(p.oid) AS ident
			FROM pg_proc p
			JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
			JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'quanyu'
			WHERE p.prokind = 'f' AND NOT p.proargtypes::oid[] && ARRAY['internal'::regtype, 'cstring'::regtype]::oid[]
			  AND p.prorettype NOT IN ('internal'::regtype, 'cstring'::regtype)
		LOOP
			INSERT INTO hostile_ahead.plants (where_, what) VALUES (s, format('function %s(%s)', f.proname, f.ident)) RETURNING plants.k INTO k;
			EXECUTE format('CREATE SEQUENCE hostile_ahead.ran_%s', k);
			EXECUTE format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql AS $b$
				BEGIN PERFORM hostile_ahead.hit(%s); RETURN%s; END $b$$f$, s, f.proname, f.args, f.result, k,
				CASE WHEN f.bare_return THEN '' ELSE ' NULL' END);
		END LOOP;
	END LOOP;
END $do$;
RESET ROLE;
SET search_path = public, quanyu;

-- Run every call as the superuser under each hostile search_path, recording
-- its error (if any) and the planted objects that ran.
CREATE TABLE public.hostile_results (path text, k int, sql text, error text, ran text[]);
DO $do$
DECLARE
	cfg text;
	c record;
	before jsonb;
	after jsonb;
	err text;
BEGIN
	FOREACH cfg IN ARRAY ARRAY['hostile_ahead, quanyu, hostile_behind', 'hostile_ahead, pg_catalog, quanyu, hostile_behind'] LOOP
		FOR c IN SELECT * FROM public.hostile_calls ORDER BY k LOOP
			SELECT jsonb_object_agg(sequencename, coalesce(last_value, 0)) INTO before
			FROM pg_sequences WHERE schemaname = 'hostile_ahead';
			err := NULL;
			BEGIN
				PERFORM set_config('search_path', cfg, true);
				EXECUTE c.sql;
				PERFORM pg_catalog.set_config('search_path', 'public, pg_catalog', true);
			EXCEPTION WHEN OTHERS THEN
				err := SQLERRM;
			END;
			PERFORM pg_catalog.set_config('search_path', 'public, pg_catalog', true);
			SELECT jsonb_object_agg(sequencename, coalesce(last_value, 0)) INTO after
			FROM pg_sequences WHERE schemaname = 'hostile_ahead';
			INSERT INTO public.hostile_results VALUES (cfg, c.k, c.sql, err,
				ARRAY(SELECT format('%s.%s', p.where_, p.what) FROM hostile_ahead.plants p
					  WHERE (after ->> ('ran_' || p.k))::bigint > (before ->> ('ran_' || p.k))::bigint ORDER BY p.k));
		END LOOP;
	END LOOP;
END $do$;
SET search_path = public, quanyu;

SELECT plan((SELECT count(*)::int + 2 FROM hostile_results));
SELECT cmp_ok((SELECT count(*) FROM hostile_ahead.plants), '>', 300::bigint, 'objects were planted in both schemas');
SELECT ok(cardinality(ran) = 0,
	format('search_path = %s: %s%s', path, left(sql, 200),
		CASE WHEN cardinality(ran) > 0 THEN ' ran ' || array_to_string(ran, ', ') ELSE '' END))
FROM hostile_results ORDER BY path, k;
-- Errors are not what this test is about, but list them: a planted object
-- that made a call fail (ambiguous name, wrong type) resolved through the path.
SELECT is_empty($$SELECT path, sql, error FROM hostile_results
	WHERE error ~ 'hostile|not unique|ambiguous|permission denied' ORDER BY 1, 2$$,
	'no call failed because of a planted name');
SELECT diag(format('%s under %s failed: %s', left(sql, 120), path, error)) FROM hostile_results WHERE error IS NOT NULL ORDER BY path, k;
SELECT * FROM finish();
ROLLBACK;
