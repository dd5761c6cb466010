-- audience_eval: segment expressions over named audiences.
-- vip {1-10}, wecom {5-15}, group {8,20}, churned {9}
SELECT audience_eval('vip & (wecom | "group") - churned', ARRAY['vip', 'wecom', 'group', 'churned'], ARRAY['{1-10}', '{5-15}', '{8,20}', '{9}']::audience[]);
-- & binds tighter than |: wecom | (group & vip)
SELECT audience_eval('wecom | group & vip', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
SELECT audience_eval('(wecom | group) & vip', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
-- | - ^ go left to right
SELECT audience_eval('vip - wecom | group', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
SELECT audience_eval('vip - (wecom | group)', ARRAY['vip', 'wecom', 'group'], ARRAY['{1-10}', '{5-15}', '{8,20}']::audience[]);
SELECT audience_eval('vip ^ wecom', ARRAY['vip', 'wecom'], ARRAY['{1-10}', '{5-15}']::audience[]);
SELECT audience_eval('vip^wecom^vip', ARRAY['vip', 'wecom'], ARRAY['{1-10}', '{5-15}']::audience[]);
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
