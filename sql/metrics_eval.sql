-- audience_eval: segment expressions over named audiences.
-- vip {1-10}, wecom {5-15}, group {8,20}, churned {9}
SELECT audience_eval('vip & (wecom | "group") - churned', ARRAY['vip', 'wecom', 'group', 'churned'], ARRAY['{1-10}', '{5-15}', '{8,20}', '{9}']::audience[]);
-- SQL's precedence: - binds tighter than & | #, which share one level, left to right.
-- wecom | group & vip is (wecom | group) & vip, as in SQL
SELECT audience_eval('wecom | group & vip', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
SELECT audience_eval('wecom | (group & vip)', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
-- vip - wecom | group is (vip - wecom) | group; group | vip - wecom is group | (vip - wecom)
SELECT audience_eval('vip - wecom | group', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
SELECT audience_eval('group | vip - wecom', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
SELECT audience_eval('vip - (wecom | group)', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
-- - is left-associative: vip - wecom - group is (vip - wecom) - group
SELECT audience_eval('vip - wecom - group', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-7}', '{1,2}']::audience[]);
-- # is symmetric difference, as in SQL; ^ is its alias
SELECT audience_eval('vip # wecom', ARRAY['vip', 'wecom'], ARRAY['{1-10}', '{5-15}']::audience[]);
SELECT audience_eval('vip ^ wecom', ARRAY['vip', 'wecom'], ARRAY['{1-10}', '{5-15}']::audience[]);
SELECT audience_eval('vip^wecom#vip', ARRAY['vip', 'wecom'], ARRAY['{1-10}', '{5-15}']::audience[]);
-- the example of issue 15: a | b - c is a | (b - c), in SQL and in audience_eval
-- (0.1.0 gave (a | b) - c = {1,3})
SELECT '{1,2,3}'::audience | '{3}'::audience - '{2}'::audience AS sql,
	audience_eval('a | b - c', ARRAY['a', 'b', 'c'], ARRAY['{1,2,3}', '{3}', '{2}']::audience[]) AS eval;
-- how PostgreSQL itself parses the audience operators (what audience_eval must match):
-- - before |: {1} | ({2} - {1}) = {1,2}, not ({1} | {2}) - {1} = {2}
SELECT '{1}'::audience | '{2}'::audience - '{1}'::audience AS minus_first;
-- & and | at one level, left to right: ({1} | {2}) & {2} = {2}, not {1} | ({2} & {2}) = {1,2}
SELECT '{1}'::audience | '{2}'::audience & '{2}'::audience AS or_then_and;
-- # at the same level: ({1,2} & {2,3}) # {3} = {2,3}, not {1,2} & ({2,3} # {3}) = {2}
SELECT '{1,2}'::audience & '{2,3}'::audience # '{3}'::audience AS and_then_xor;
-- - before #: {1} # ({1,2} - {1}) = {1,2}, not ({1} # {1,2}) - {1} = {2}
SELECT '{1}'::audience # '{1,2}'::audience - '{1}'::audience AS minus_before_xor;
-- a single name, a repeated name, nested parentheses, quoted and non-ASCII names, digits
SELECT audience_eval('vip', ARRAY['vip'], ARRAY['{1-3}']::audience[]);
SELECT audience_eval(' ((vip & vip)) ', ARRAY['vip'], ARRAY['{1-3}']::audience[]);
SELECT audience_eval('"VIP 客戶" & 會員 - "a""b"', ARRAY['VIP 客戶', '會員', 'a"b'], ARRAY['{1-5}', '{3-9}', '{4}']::audience[]);
SELECT audience_eval('618_buyers|double11', ARRAY['618_buyers', 'double11'], ARRAY['{1}', '{2}']::audience[]);
-- edge cases: empty audiences, unused NULL audience, ids 0 and 4294967295
SELECT audience_eval('a | b', ARRAY['a', 'b', 'c'], ARRAY['{}', '{}', NULL]::audience[]);
SELECT audience_eval('a ^ b', ARRAY['a', 'b'], ARRAY['{0,4294967295}', '{0}']::audience[]);
SELECT audience_eval(NULL, ARRAY['a'], ARRAY['{1}']::audience[]);
-- from a table of named audiences
CREATE TABLE metrics_seg (name text, members audience);
INSERT INTO metrics_seg VALUES ('vip', '{1-10}'), ('wecom', '{5-15}'), ('group', '{8,20}'), ('churned', '{9}'), ('unused', NULL);
SELECT audience_eval('vip & (wecom | "group") - churned', 'metrics_seg');
CREATE VIEW metrics_seg_view AS SELECT name, members FROM metrics_seg WHERE name <> 'churned';
SELECT audience_eval('vip & wecom', 'metrics_seg_view');
-- errors: syntax, with the 1-based character position
SELECT audience_eval('', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('   ', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a &', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a & (a | a', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a a', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval(')', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a + a', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('(a))', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a & "b', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a & ""', ARRAY['a'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a & ()', ARRAY['a'], ARRAY['{1}']::audience[]);
-- errors: unknown names (position counts characters, not bytes), NULLs, bad arrays
SELECT audience_eval('vip & vipp', ARRAY['vip'], ARRAY['{1}']::audience[]);
SELECT audience_eval('會員 & x', ARRAY['會員'], ARRAY['{1}']::audience[]);
SELECT audience_eval('a | b', ARRAY['a', 'b'], ARRAY['{1}', NULL]::audience[]);
SELECT audience_eval('a', ARRAY['a', NULL], ARRAY['{1}', '{2}']::audience[]);
SELECT audience_eval('a', ARRAY['a', 'a'], ARRAY['{1}', '{2}']::audience[]);
SELECT audience_eval('a', ARRAY['a'], ARRAY['{1}', '{2}']::audience[]);
SELECT audience_eval('vip & nobody', 'metrics_seg');
SELECT audience_eval('vip | unused', 'metrics_seg');
SELECT audience_eval('vip & churned', 'metrics_seg_view');
INSERT INTO metrics_seg VALUES ('vip', '{100}');
SELECT audience_eval('vip', 'metrics_seg');
SELECT audience_eval('vip', 'metrics_no_such_table');
DROP VIEW metrics_seg_view;
DROP TABLE metrics_seg;
-- Differential test: random expressions over five named audiences, evaluated
-- by audience_eval and by SQL itself (the same text with each name replaced
-- by its audience literal).  Sub-expressions are spliced in without
-- parentheses unless the generator chose to add them, so the texts mix every
-- operator at every depth; # is written ^ (its alias) a third of the time.
CREATE TABLE metrics_eval_sets (i int, name text, members audience);
INSERT INTO metrics_eval_sets VALUES
	(1, 'a', '{1-8}'), (2, 'b', '{5-12}'), (3, 'c', '{3,6,9,12,15}'),
	(4, 'd', '{2,3,5,7,11,13}'), (5, 'e', '{}');
CREATE FUNCTION metrics_eval_random_expr(depth int, OUT expr text, OUT sql_text text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	k int;
	n int;
	op text;
	sub record;
BEGIN
	IF depth = 0 OR random() < 0.25 THEN
		k := 1 + floor(random() * 5)::int;
		SELECT s.name, pg_catalog.quote_literal(s.members::text) || '::audience'
			INTO expr, sql_text FROM metrics_eval_sets s WHERE s.i = k;
		RETURN;
	END IF;
	n := 2 + floor(random() * 3)::int;
	SELECT * INTO sub FROM metrics_eval_random_expr(depth - 1);
	expr := sub.expr;
	sql_text := sub.sql_text;
	FOR j IN 2..n LOOP
		op := (ARRAY['&', '|', '#', '-'])[1 + floor(random() * 4)::int];
		SELECT * INTO sub FROM metrics_eval_random_expr(depth - 1);
		expr := expr || ' ' || CASE WHEN op = '#' AND random() < 0.33 THEN '^' ELSE op END || ' ' || sub.expr;
		sql_text := sql_text || ' ' || op || ' ' || sub.sql_text;
	END LOOP;
	IF random() < 0.3 THEN
		expr := '(' || expr || ')';
		sql_text := '(' || sql_text || ')';
	END IF;
END
$$;
CREATE FUNCTION metrics_eval_differential(n int)
RETURNS TABLE (expr text, by_eval audience, by_sql audience)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	g record;
	names text[];
	sets audience[];
BEGIN
	SELECT array_agg(s.name ORDER BY s.i), array_agg(s.members ORDER BY s.i) INTO names, sets FROM metrics_eval_sets s;
	FOR t IN 1..n LOOP
		SELECT * INTO g FROM metrics_eval_random_expr(3);
		expr := g.expr;
		by_eval := audience_eval(g.expr, names, sets);
		EXECUTE 'SELECT ' || g.sql_text INTO by_sql;
		RETURN NEXT;
	END LOOP;
END
$$;
SELECT setseed(0.15);
CREATE TABLE metrics_eval_diff AS SELECT * FROM metrics_eval_differential(2000);
-- 0 mismatches; the expressions use every operator and many distinct answers
SELECT count(*) AS expressions,
	count(*) FILTER (WHERE by_eval IS DISTINCT FROM by_sql) AS mismatches,
	count(DISTINCT by_sql::text) AS distinct_answers,
	count(*) FILTER (WHERE expr ~ '[&|#^] [^()]*-') AS minus_after_other_op,
	count(*) FILTER (WHERE expr LIKE '%^%') AS with_caret,
	count(*) FILTER (WHERE expr LIKE '%(%') AS with_parentheses
	FROM metrics_eval_diff;
SELECT expr, by_eval, by_sql FROM metrics_eval_diff WHERE by_eval IS DISTINCT FROM by_sql LIMIT 5;
-- the table form agrees too
SELECT count(*) FILTER (WHERE audience_eval(expr, 'metrics_eval_sets') IS DISTINCT FROM by_sql) AS table_mismatches
	FROM (SELECT * FROM metrics_eval_diff LIMIT 200) d;
DROP TABLE metrics_eval_diff;
DROP FUNCTION metrics_eval_differential(int);
DROP FUNCTION metrics_eval_random_expr(int);
DROP TABLE metrics_eval_sets;
