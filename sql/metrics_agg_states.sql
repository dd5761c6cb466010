-- The support functions of retention_agg (state bytea) and segment_lift
-- (state float8[]) are callable from SQL and usable in a user's own
-- CREATE AGGREGATE: they check that an aggregate calls them and validate
-- every state they are handed.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_metrics_states;
RESET client_min_messages;
CREATE ROLE regress_metrics_states;
GRANT USAGE ON SCHEMA quanyu TO regress_metrics_states;
CREATE SCHEMA regress_metrics_states AUTHORIZATION regress_metrics_states;
SET ROLE regress_metrics_states;
SET search_path = regress_metrics_states, quanyu;
-- Direct calls, with empty, short, huge and well-formed states.
SELECT quanyu.retention_agg_final('\x'::bytea);
SELECT quanyu.retention_agg_final('\xc8000000ffffffffffffffff'::bytea);
SELECT quanyu.retention_agg_trans('\x'::bytea, ARRAY[true]);
SELECT quanyu.retention_agg_trans(NULL, ARRAY[true]);
SELECT quanyu.retention_agg_combine('\x'::bytea, '\x'::bytea);
SELECT quanyu.segment_lift_final('{}');
SELECT quanyu.segment_lift_final('{1,2,3,4,5,6}');
SELECT quanyu.segment_lift_combine('{1,2,3,4,5,6}', '{1,2,3,4,5,6}');
SELECT quanyu.segment_lift_trans('{0,0,0,0,0,0}', 1, 1.0, '{1}');
-- A user aggregate with our transition function and a short INITCOND.
CREATE AGGREGATE my_retention(VARIADIC boolean[]) (
	SFUNC = quanyu.retention_agg_trans, STYPE = bytea, INITCOND = '\x00');
SELECT my_retention(true, false) FROM generate_series(1, 3);
CREATE AGGREGATE my_lift(bigint, double precision, quanyu.audience) (
	SFUNC = quanyu.segment_lift_trans, STYPE = double precision[], INITCOND = '{}');
SELECT my_lift(i, i, '{1,2}') FROM generate_series(1, 3) i;
CREATE AGGREGATE my_lift2(bigint, double precision, quanyu.audience) (
	SFUNC = quanyu.segment_lift_trans, STYPE = double precision[], INITCOND = '{0,0,0}');
SELECT my_lift2(i, i, '{1,2}') FROM generate_series(1, 3) i;
CREATE AGGREGATE my_lift3(bigint, double precision, quanyu.audience) (
	SFUNC = quanyu.segment_lift_trans, STYPE = double precision[], INITCOND = '{{0,0,0},{0,0,0}}');
SELECT my_lift3(i, i, '{1,2}') FROM generate_series(1, 3) i;
CREATE AGGREGATE my_lift4(bigint, double precision, quanyu.audience) (
	SFUNC = quanyu.segment_lift_trans, STYPE = double precision[], INITCOND = '{-1,0,0,0,0,0}');
SELECT my_lift4(i, i, '{1,2}') FROM generate_series(1, 3) i;
CREATE AGGREGATE my_lift5(bigint, double precision, quanyu.audience) (
	SFUNC = quanyu.segment_lift_trans, STYPE = double precision[], INITCOND = '{0,0,0,NaN,0,0}');
SELECT my_lift5(i, i, '{1,2}') FROM generate_series(1, 3) i;
CREATE AGGREGATE my_lift6(bigint, double precision, quanyu.audience) (
	SFUNC = quanyu.segment_lift_trans, STYPE = double precision[], INITCOND = '{0,0,0,0,0,NULL}');
SELECT my_lift6(i, i, '{1,2}') FROM generate_series(1, 3) i;
-- Our final and combine functions over states a user's transition
-- function built: byteacat appends the rows' bytes, array_cat their arrays.
CREATE AGGREGATE my_retention_final(bytea) (
	SFUNC = pg_catalog.byteacat, STYPE = bytea, INITCOND = '', FINALFUNC = quanyu.retention_agg_final);
SELECT my_retention_final(b) FROM (VALUES ('\x'::bytea)) v(b);
-- a state of 0.1.0 (12 bytes), here with 200 conditions (overran a 64-element array)
SELECT my_retention_final(b) FROM (VALUES ('\xc8000000ffffffffffffffff'::bytea)) v(b);
-- the layout: conditions (int32), mask (int64), tag 5152, version, reserved
-- 200 conditions
SELECT my_retention_final(b) FROM (VALUES ('\xc8000000ffffffffffffffff51520100'::bytea)) v(b);
-- -1 conditions
SELECT my_retention_final(b) FROM (VALUES ('\xffffffff050000000000000051520100'::bytea)) v(b);
-- 0 conditions
SELECT my_retention_final(b) FROM (VALUES ('\x00000000000000000000000051520100'::bytea)) v(b);
-- 3 conditions, a bit above them
SELECT my_retention_final(b) FROM (VALUES ('\x03000000090000000000000051520100'::bytea)) v(b);
-- wrong tag, version 2, a reserved byte set
SELECT my_retention_final(b) FROM (VALUES ('\x03000000050000000000000000000100'::bytea)) v(b);
SELECT my_retention_final(b) FROM (VALUES ('\x03000000050000000000000051520200'::bytea)) v(b);
SELECT my_retention_final(b) FROM (VALUES ('\x03000000050000000000000051520101'::bytea)) v(b);
-- one byte short, one byte long, a megabyte
SELECT my_retention_final(b) FROM (VALUES ('\x030000000500000000000000515201'::bytea)) v(b);
SELECT my_retention_final(b) FROM (VALUES ('\x0300000005000000000000005152010000'::bytea)) v(b);
SELECT my_retention_final(b) FROM (VALUES (pg_catalog.decode(pg_catalog.repeat('ff', 1048576), 'hex'))) v(b);
-- a well-formed state: 3 conditions, 1 and 3 met
SELECT my_retention_final(b) FROM (VALUES ('\x03000000050000000000000051520100'::bytea)) v(b);
CREATE AGGREGATE my_lift_final(double precision[]) (
	SFUNC = pg_catalog.array_cat, STYPE = double precision[], INITCOND = '{}', FINALFUNC = quanyu.segment_lift_final);
SELECT my_lift_final(a) FROM (VALUES ('{}'::double precision[])) v(a);
SELECT my_lift_final(a) FROM (VALUES ('{1e300,0,0,1,0,0}'::double precision[])) v(a);
SELECT my_lift_final(a) FROM (VALUES ('{Infinity,0,0,1,0,0}'::double precision[])) v(a);
SELECT my_lift_final(a) FROM (VALUES ('{1.5,0,0,1,0,0}'::double precision[])) v(a);
SELECT (my_lift_final(a)).* FROM (VALUES ('{2,1,0.5,2,2,0.5}'::double precision[])) v(a);
-- Combine functions over forged partial states, in a parallel plan: each
-- worker's state is the last row's value.
CREATE TABLE states_rows AS SELECT i FROM generate_series(1, 20000) i;
CREATE FUNCTION last_bytea(bytea, bytea) RETURNS bytea
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT $2';
CREATE FUNCTION last_float8s(double precision[], double precision[]) RETURNS double precision[]
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT $2';
CREATE AGGREGATE my_retention_combine(bytea) (
	SFUNC = last_bytea, STYPE = bytea, INITCOND = '\x03000000010000000000000051520100',
	FINALFUNC = quanyu.retention_agg_final, COMBINEFUNC = quanyu.retention_agg_combine, PARALLEL = SAFE);
CREATE AGGREGATE my_lift_combine(double precision[]) (
	SFUNC = last_float8s, STYPE = double precision[], INITCOND = '{0,0,0,0,0,0}',
	FINALFUNC = quanyu.segment_lift_final, COMBINEFUNC = quanyu.segment_lift_combine, PARALLEL = SAFE);
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SELECT my_retention_combine('\xc8000000ffffffffffffffff') FROM states_rows;
SELECT my_retention_combine('\x5152010305') FROM states_rows;
SELECT my_retention_combine('\x03000000050000000000000051520100') FROM states_rows;
SELECT my_lift_combine('{1,1,0,-1,0,0}') FROM states_rows;
SELECT my_lift_combine('{1,1,0}') FROM states_rows;
SELECT (my_lift_combine('{1,1,0,1,2,0}')).in_persons >= 1 AS combined FROM states_rows;
-- the real aggregates still agree in parallel (their states pass the checks)
CREATE TABLE states_events AS
	SELECT i % 997 AS person, i % 5 AS day, (i % 13)::double precision AS x FROM generate_series(1, 50000) i;
SELECT count(*) AS persons, sum(r[1]) AS day0, sum(r[2]) AS day1, sum(r[3]) AS day4 FROM (
	SELECT retention_agg(day = 0, day = 1, day = 4) AS r FROM states_events GROUP BY person) s;
SELECT retention_agg(day = 0, day = 1, day = 4) FROM states_events;
SELECT (segment_lift(person, x, '{1-300}')).in_persons FROM states_events;
RESET parallel_leader_participation;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT retention_agg(day = 0, day = 1, day = 4) FROM states_events;
SELECT (segment_lift(person, x, '{1-300}')).in_persons FROM states_events;
RESET ROLE;
DROP SCHEMA regress_metrics_states CASCADE;
REVOKE USAGE ON SCHEMA quanyu FROM regress_metrics_states;
DROP ROLE regress_metrics_states;
