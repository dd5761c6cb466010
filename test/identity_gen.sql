-- test/identity_gen.sql: deterministic identifier pairs for the identity
-- benchmarks (no random(): every value comes from the person number).
--
--   \set persons 4000000      -- optional, default 4000000 (about 10M rows)
--   \set first_person 1       -- optional, default 1
--   \set gen_table identity_gen_pairs   -- optional
--   \i test/identity_gen.sql
--
-- Creates :gen_table (p, type_a, value_a, type_b, value_b, seen_at) with the
-- pairs of persons first_person .. first_person + persons - 1:
--   * identifiers per person: 1 (35%), 2 (30%), 3 (20%), 4-6 (12%), 10-20 (3%);
--     types phone, unionid, openid, member_id, external_userid, buyer_id,
--     then one openid per further app;
--   * pairs as chains (even p) or stars (odd p); a person with one
--     identifier is a registration row (type_b, value_b NULL);
--   * half the persons are seen again (the same pair, phone in another format:
--     +86, 0086, dashes, spaces);
--   * every 50th person is also seen with a junk device id ('unknown', '0000',
--     'null', '', 'anonymous') that would glue 80k strangers per value into
--     one person if it were not blocked.
-- So a correct ingest yields exactly :persons persons, and no rule refuses a pair.

\if :{?persons}
\else
\set persons 4000000
\endif
\if :{?first_person}
\else
\set first_person 1
\endif
\if :{?gen_table}
\else
\set gen_table identity_gen_pairs
\endif

DROP TABLE IF EXISTS :gen_table;
CREATE TABLE :gen_table AS
WITH persons AS (
	SELECT p, (hashint8(p) & 2147483647) % 1000 AS u
	FROM generate_series(:first_person::bigint, :first_person::bigint + :persons - 1) AS p
), sized AS (
	SELECT p, u, CASE WHEN u < 350 THEN 1 WHEN u < 650 THEN 2 WHEN u < 850 THEN 3
		WHEN u < 970 THEN 4 + u % 3 ELSE 10 + u % 11 END AS k
	FROM persons
), pairs AS (
	-- registration of a single identifier
	SELECT p, u, 0 AS i, -1 AS j, 0 AS variant FROM sized WHERE k = 1
	UNION ALL
	-- chain (even p) or star (odd p)
	SELECT p, u, CASE WHEN p % 2 = 0 THEN j - 1 ELSE 0 END, j, j
	FROM sized, generate_series(1, k - 1) AS j WHERE k > 1
	UNION ALL
	-- seen again, phone written another way
	SELECT p, u, 0, CASE WHEN k > 1 THEN 1 ELSE -1 END, 1 + u % 3 FROM sized WHERE u % 2 = 0
)
SELECT p,
	(CASE i WHEN 0 THEN 'phone' WHEN 1 THEN 'unionid' WHEN 2 THEN 'openid'
		WHEN 3 THEN 'member_id' WHEN 4 THEN 'external_userid' WHEN 5 THEN 'buyer_id' ELSE 'openid' END) AS type_a,
	(CASE i
		WHEN 0 THEN
			CASE variant % 4
				WHEN 0 THEN '1' || (3 + p % 6) || lpad(p::text, 9, '0')
				WHEN 1 THEN '+86 1' || (3 + p % 6) || lpad(p::text, 9, '0')
				WHEN 2 THEN '00861' || (3 + p % 6) || lpad(p::text, 9, '0')
				ELSE '1' || (3 + p % 6) || substr(lpad(p::text, 9, '0'), 1, 2) || '-' ||
					substr(lpad(p::text, 9, '0'), 3, 4) || ' ' || substr(lpad(p::text, 9, '0'), 7)
			END
		WHEN 1 THEN 'oUn' || to_hex(p * 2654435761 % 4294967296) || 'x' || p
		WHEN 2 THEN 'oP1_' || p
		WHEN 3 THEN 'M' || lpad(p::text, 10, '0')
		WHEN 4 THEN 'wmE' || p
		WHEN 5 THEN 'tb' || (p * 7919)
		ELSE 'oP' || i || '_' || p
	END) AS value_a,
	CASE WHEN j >= 0 THEN (CASE j WHEN 0 THEN 'phone' WHEN 1 THEN 'unionid' WHEN 2 THEN 'openid'
		WHEN 3 THEN 'member_id' WHEN 4 THEN 'external_userid' WHEN 5 THEN 'buyer_id' ELSE 'openid' END) END AS type_b,
	CASE WHEN j >= 0 THEN (CASE j
		WHEN 0 THEN
			CASE 0 % 4
				WHEN 0 THEN '1' || (3 + p % 6) || lpad(p::text, 9, '0')
				WHEN 1 THEN '+86 1' || (3 + p % 6) || lpad(p::text, 9, '0')
				WHEN 2 THEN '00861' || (3 + p % 6) || lpad(p::text, 9, '0')
				ELSE '1' || (3 + p % 6) || substr(lpad(p::text, 9, '0'), 1, 2) || '-' ||
					substr(lpad(p::text, 9, '0'), 3, 4) || ' ' || substr(lpad(p::text, 9, '0'), 7)
			END
		WHEN 1 THEN 'oUn' || to_hex(p * 2654435761 % 4294967296) || 'x' || p
		WHEN 2 THEN 'oP1_' || p
		WHEN 3 THEN 'M' || lpad(p::text, 10, '0')
		WHEN 4 THEN 'wmE' || p
		WHEN 5 THEN 'tb' || (p * 7919)
		ELSE 'oP' || j || '_' || p
	END) END AS value_b,
	'2024-01-01'::timestamptz + ((hashint8(p + j) & 1023) % 365) * interval '1 day' AS seen_at
FROM pairs
UNION ALL
SELECT p, 'device_id', (ARRAY['unknown', '0000', 'null', '', 'anonymous'])[1 + (p / 50) % 5],
	'phone', (CASE 0
		WHEN 0 THEN
			CASE 0 % 4
				WHEN 0 THEN '1' || (3 + p % 6) || lpad(p::text, 9, '0')
				WHEN 1 THEN '+86 1' || (3 + p % 6) || lpad(p::text, 9, '0')
				WHEN 2 THEN '00861' || (3 + p % 6) || lpad(p::text, 9, '0')
				ELSE '1' || (3 + p % 6) || substr(lpad(p::text, 9, '0'), 1, 2) || '-' ||
					substr(lpad(p::text, 9, '0'), 3, 4) || ' ' || substr(lpad(p::text, 9, '0'), 7)
			END
		WHEN 1 THEN 'oUn' || to_hex(p * 2654435761 % 4294967296) || 'x' || p
		WHEN 2 THEN 'oP1_' || p
		WHEN 3 THEN 'M' || lpad(p::text, 10, '0')
		WHEN 4 THEN 'wmE' || p
		WHEN 5 THEN 'tb' || (p * 7919)
		ELSE 'oP' || 0 || '_' || p
	END),
	'2024-06-01'::timestamptz
FROM generate_series(:first_person::bigint, :first_person::bigint + :persons - 1) AS p
WHERE p % 50 = 0;
