-- identity_link_arrays (issue 15): the pairs as parallel arrays that drivers
-- bind as parameters.  Values that look like SQL stay data.
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
DELETE FROM identity_rule;
-- identity_link's query cannot take parameters: a $1 in it fails.
SELECT * FROM identity_link($$SELECT 'phone', $1, 'openid', 'o1'$$);
-- As a driver sends it: a prepared statement with bound arrays.
PREPARE link_pairs(text[], text[], text[], text[], timestamptz[]) AS
	SELECT * FROM identity_link_arrays($1, $2, $3, $4, $5);
EXECUTE link_pairs('{phone,openid,email}', '{"+86 138 0000 0001",o1,"Li@Example.com"}',
	'{openid,member_id,phone}', '{o1,M-1,13800000001}', '{2024-01-01,2024-02-01,NULL}');
SELECT id_type, id_value, person_id, CASE WHEN first_seen < '2025-01-01' THEN first_seen::date::text ELSE 'transaction start' END AS first_seen FROM identity_identifier ORDER BY 1, 2;
-- Values with quotes, semicolons and SQL are stored as they are (trimmed).
EXECUTE link_pairs(ARRAY['openid', 'openid'], ARRAY[$v$o'); DROP TABLE quanyu.identity_merge; --$v$, $v$x' OR '1'='1$v$],
	ARRAY['buyer_id', 'buyer_id'], ARRAY['$$; SELECT 1; $$', 'b"2'], NULL);
SELECT id_type, id_value, person_id FROM identity_identifier WHERE id_type IN ('openid', 'buyer_id') ORDER BY 1, 2;
SELECT to_regclass('quanyu.identity_merge') IS NOT NULL AS merge_log_still_there;
SELECT identity_person('openid', $v$o'); DROP TABLE quanyu.identity_merge; --$v$) = identity_person('buyer_id', '$$; SELECT 1; $$') AS same_person;
-- seen_at is optional; NULL elements (or a NULL array) mean now; one-sided
-- rows (type_b NULL) register a single identifier; a merge.
SELECT * FROM identity_link_arrays('{device_id,openid}', '{d-1,o1}', ARRAY[NULL, 'buyer_id'], ARRAY[NULL, 'b"2']);
SELECT loser, survivor, evidence_value_a, evidence_value_b FROM identity_merge ORDER BY loser;
-- Empty arrays: nothing to do.
SELECT * FROM identity_link_arrays('{}', '{}', '{}', '{}');
-- Errors: lengths differ, NULL arrays, more than one dimension.
SELECT * FROM identity_link_arrays('{phone}', '{13800000002}', '{openid}', '{}');
SELECT * FROM identity_link_arrays('{phone}', '{13800000002}', '{openid}', '{o9}', '{2024-01-01,2024-01-02}');
SELECT * FROM identity_link_arrays(NULL, '{13800000002}', '{openid}', '{o9}');
SELECT * FROM identity_link_arrays('{{phone}}', '{{13800000002}}', '{{openid}}', '{{o9}}');
-- A reader may not write through it.
SET client_min_messages = warning;
DROP ROLE IF EXISTS quanyu_test_arrays;
RESET client_min_messages;
CREATE ROLE quanyu_test_arrays IN ROLE quanyu_reader;
SET ROLE quanyu_test_arrays;
SELECT * FROM quanyu.identity_link_arrays('{phone}', '{13800000009}', '{openid}', '{o9}');
RESET ROLE;
DROP ROLE quanyu_test_arrays;
DEALLOCATE link_pairs;
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
