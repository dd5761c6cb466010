-- Identity merge (OneID): normalisation, linking, merges, rules, lookups.
-- The identity tables belong to the extension: start and end empty.
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
-- Normalisation: phone formats end as the same 11 digits.
SELECT v, identity_normalize('phone', v) FROM (VALUES ('13800000001'), ('+86 138-0000-0001'), ('0086 138 0000 0001'), ('8613800000001'), (' 138 0000 0001 '), ('010-12345678'), ('+1 650 555 0100')) AS t(v);
SELECT identity_normalize('email', '  Alice@Example.COM '), identity_normalize('member_id', '  M001  '), identity_normalize('no_such_type', ' x ');
-- Junk values are blocked (NULL) for every type.
SELECT v, identity_normalize('device_id', v) IS NULL AS blocked FROM (VALUES (''), ('   '), ('0'), ('000000'), ('unknown'), ('UNKNOWN'), ('null'), ('-1'), ('anonymous'), ('n/a'), ('0001')) AS t(v);
SELECT identity_normalize('phone', 'unknown') IS NULL AS phone_of_letters_blocked;
-- A chain a-b, b-c, c-d in one batch is one person.
SELECT * FROM identity_link($$VALUES ('phone', '+86 13800000001', 'unionid', 'u-a', '2024-01-01'::timestamptz), ('unionid', 'u-a', 'openid', 'o-a', '2024-01-02'), ('openid', 'o-a', 'member_id', 'M-A', '2024-01-03')$$);
SELECT id_type, id_value, person_id, first_seen, last_seen FROM identity_identifier ORDER BY person_id, id_type, id_value;
-- A star: one phone linked to five openids; a single identifier alone.
SELECT * FROM identity_link($$SELECT 'phone', '13900000002', 'openid', 'star-' || i FROM generate_series(1, 5) i UNION ALL SELECT 'email', 'Solo@Example.com', NULL, NULL$$);
SELECT person_id, count(*) FROM identity_identifier GROUP BY person_id ORDER BY person_id;
-- A chain across batches: persons 1 and 2 merge, the older id (1) survives.
SELECT * FROM identity_link($$VALUES ('member_id', 'M-A', 'buyer_id', 'tb-1'), ('buyer_id', 'tb-1', 'openid', 'star-3')$$);
SELECT loser, survivor, current_survivor, evidence_type_a, evidence_value_a, evidence_type_b, evidence_value_b FROM identity_merge ORDER BY loser;
SELECT person_id, count(*) FROM identity_identifier GROUP BY person_id ORDER BY person_id;
-- Lookups after normalisation; resolve follows redirects.
SELECT identity_person('phone', '0086-139-0000-0002') AS star_phone, identity_person('openid', 'star-1') AS star_openid, identity_person('phone', '13700000000') AS unknown;
SELECT identity_resolve(1), identity_resolve(2), identity_resolve(3), identity_resolve(999);
-- Person 3 merges into 1 in a later batch.
SELECT * FROM identity_link($$VALUES ('email', 'solo@example.com', 'buyer_id', 'tb-1')$$);
-- A redirect chain: 5 merges into 4, then 4 into 1; 5 must point at 1.
SELECT * FROM identity_link($$VALUES ('phone', '13600000009', 'buyer_id', 'tb-9')$$);
SELECT * FROM identity_link($$VALUES ('openid', 'o-late', NULL, NULL)$$);
SELECT * FROM identity_link($$VALUES ('openid', 'o-late', 'buyer_id', 'tb-9')$$);
SELECT * FROM identity_link($$VALUES ('buyer_id', 'tb-9', 'member_id', 'M-A')$$);
SELECT loser, survivor, current_survivor FROM identity_merge ORDER BY loser;
SELECT identity_resolve(5), identity_person('openid', 'o-late');
-- Idempotent re-ingest: the same batch again changes nothing.
SELECT * FROM identity_link($$VALUES ('member_id', 'M-A', 'buyer_id', 'tb-1'), ('buyer_id', 'tb-1', 'openid', 'star-3')$$);
SELECT count(*) AS identifiers, count(DISTINCT person_id) AS persons FROM identity_identifier;
-- A junk value that would glue 1000 strangers is blocked.
SELECT * FROM identity_link($$SELECT 'device_id', 'unknown', 'phone', '1330000' || lpad(i::text, 4, '0') FROM generate_series(1, 1000) i$$);
SELECT count(DISTINCT person_id) AS strangers_stay_apart FROM identity_identifier WHERE id_value LIKE '1330000%';
SELECT count(*) AS junk_stored FROM identity_identifier WHERE id_type = 'device_id';
-- A rule refusal: member_id allows one per person; the batch goes on.
SELECT * FROM identity_link($$VALUES ('member_id', 'M-B', 'phone', '13800000001'), ('member_id', 'M-B', 'openid', 'o-b')$$);
SELECT type_a, value_a, type_b, value_b, person_a, person_b, reason FROM identity_refusal;
SELECT identity_person('member_id', 'M-B') = identity_person('openid', 'o-b') AS rest_of_batch_applied, identity_person('member_id', 'M-B') <> identity_person('phone', '13800000001') AS refused_pair_apart;
-- The limit also holds through a new identifier that joins both sides.
SELECT * FROM identity_link($$VALUES ('openid', 'o-via', 'phone', '13800000001'), ('openid', 'o-via', 'member_id', 'M-C')$$);
SELECT count(*) AS member_ids_of_person_1 FROM identity_identifier WHERE person_id = 1 AND id_type = 'member_id';
-- User rules: block a value for one type, lower a limit.
INSERT INTO identity_rule (id_type, blocked_values, max_per_person) VALUES ('wecom', '{test-user}', 2);
SELECT id_type, normalizer, blocked_values, max_per_person, priority FROM identity_rules WHERE id_type IN ('wecom', 'phone', '*') ORDER BY id_type;
SELECT * FROM identity_link($$VALUES ('wecom', 'TEST-USER', 'phone', '13500000001'), ('wecom', 'w1', 'phone', '13500000001'), ('wecom', 'w2', 'phone', '13500000001'), ('wecom', 'w3', 'phone', '13500000001')$$);
DELETE FROM identity_rule;
-- Explain: identifiers, then the merges with their evidence.
SELECT kind, id_type, id_value, first_seen < '2025-01-01' AS seen_in_2024, merged_person, evidence FROM identity_explain(1);
SELECT count(*) FROM identity_explain(2) WHERE kind = 'merge';
-- Canonicalize: merged-away ids become their survivor, each once.
SELECT audience_canonicalize('{1,2,3,4,5,6}');
SELECT audience_canonicalize('{2,3}');
SELECT audience_canonicalize('{}');
SELECT audience_canonicalize('{0,4294967295}');
-- Register: the exact dictionary, get or create; junk gives NULL.
SELECT identity_register('phone', '+86 138 0000 0001') = identity_person('phone', '13800000001') AS existing;
SELECT identity_register('buyer_id', 'new-buyer') AS new_id, identity_register('buyer_id', ' new-buyer ') AS same_id;
SELECT identity_register('buyer_id', 'unknown') IS NULL AS junk;
CREATE TABLE identity_test_orders (buyer text);
INSERT INTO identity_test_orders VALUES ('tb-1'), ('new-buyer'), ('another-buyer'), ('another-buyer');
SELECT buyer, identity_register('buyer_id', buyer) FROM identity_test_orders ORDER BY buyer;
DROP TABLE identity_test_orders;
-- Edge cases: empty batch, all-NULL rows, the same identifier on both sides.
SELECT * FROM identity_link('SELECT NULL::text, NULL::text, NULL::text, NULL::text WHERE false');
SELECT * FROM identity_link($$VALUES (NULL::text, NULL::text, NULL::text, NULL::text), ('phone', '13200000001', 'phone', '+8613200000001')$$);
CREATE TABLE identity_test_pairs (type_a text, value_a text, type_b text, value_b text, seen_at timestamptz);
INSERT INTO identity_test_pairs VALUES ('phone', '13200000001', 'email', 'x@example.com', '2024-02-01'), ('email', 'X@example.com', NULL, NULL, NULL);
SELECT * FROM identity_link_table('identity_test_pairs');
DROP TABLE identity_test_pairs;
-- Errors: bad queries and column types, with no trace left.
SELECT count(*) AS before FROM identity_identifier;
SELECT * FROM identity_link_table('identity_identifier');
SELECT * FROM identity_link('SELECT 1, 2');
SELECT * FROM identity_link($$SELECT 'phone', 1, NULL, NULL$$);
SELECT * FROM identity_link('SELECT 1::bigint, 2::bigint, 3::bigint, 4::bigint');
SELECT * FROM identity_link($$SELECT 'phone', '1', NULL, NULL, 1::bigint$$);
SELECT * FROM identity_link($$SELECT 'phone', '1', NULL, NULL, '2024-01-01'::date$$);
SELECT * FROM identity_link('not sql');
SELECT * FROM identity_link('CREATE TABLE identity_nope (a int)');
SELECT * FROM identity_link($$SELECT 'phone', (1 / (i - 500))::text, NULL, NULL FROM generate_series(1, 1000) i$$);
INSERT INTO identity_rule (id_type, blocked_pattern) VALUES ('bad_rule', '(unclosed');
SELECT * FROM identity_link($$VALUES ('bad_rule', 'x', 'phone', '13300000001')$$);
DELETE FROM identity_rule;
SELECT count(*) AS after FROM identity_identifier;
-- Domains over text and varchar columns read as text.
CREATE DOMAIN identity_test_code AS varchar(20);
SELECT * FROM identity_link($$SELECT 'buyer_id'::identity_test_code, 'dom-1'::identity_test_code, 'buyer_id'::varchar, 'dom-2'::varchar$$);
DROP DOMAIN identity_test_code;
-- Person ids end at 4294967295.
UPDATE identity_state SET next_person_id = 4294967295;
SELECT identity_register('phone', '13100000001');
SELECT identity_register('phone', '13100000002');
SELECT * FROM identity_link($$VALUES ('phone', '13100000003', NULL, NULL)$$);
TRUNCATE identity_identifier, identity_merge, identity_refusal, identity_state;
