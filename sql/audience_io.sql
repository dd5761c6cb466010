-- Text input and output of the audience type.
SELECT '{}'::audience;
SELECT '{3,1,2}'::audience;
SELECT '{ 1 , 2,3 }'::audience;
SELECT '{1-5,10,8-9}'::audience;
SELECT '{0,4294967295}'::audience;
SELECT '{4294967290-4294967295}'::audience;
SELECT '{5,5,5}'::audience;
SELECT cardinality('{1-1000000}'::audience);
SELECT cardinality('{0-4294967295}'::audience);
-- hex input of CRoaring portable bytes, and hex output
SET quanyu.audience_output = hex;
SELECT '{1,2,3}'::audience;
SELECT '{}'::audience;
RESET quanyu.audience_output;
SELECT '\x3a300000010000000000020010000000010002000300'::audience;
SELECT '\x3b3000000100000200010001000200'::audience;
-- syntax errors
SELECT ''::audience;
SELECT '{'::audience;
SELECT '{1,}'::audience;
SELECT '{1 2}'::audience;
SELECT '{1}x'::audience;
SELECT '{a}'::audience;
SELECT '[1]'::audience;
SELECT '{5-3}'::audience;
SELECT '{1-}'::audience;
-- out-of-range ids
SELECT '{-1}'::audience;
SELECT '{4294967296}'::audience;
SELECT '{99999999999999999999999}'::audience;
SELECT '{1-4294967296}'::audience;
-- bad hex
SELECT '\x3a3'::audience;
SELECT '\xzz'::audience;
SELECT '\x'::audience;
SELECT '\x3a30000001000000000002001000000001000200030000'::audience;
SELECT '\x3b3001000100000009000100000002000300'::audience;
-- Text output of many ids (several output chunks, ids of every digit count)
-- equals the ids joined by commas, and reads back as the same audience.
SELECT a::text = '{' || array_to_string(audience_to_array(a), ',') || '}' AS text_ok, (a::text)::audience = a AS round_trip
FROM (SELECT audience_agg(g::bigint * 4099) AS a FROM generate_series(0, 1047000) g) s;
