-- Headers of audiences stored out of line are remembered across statements
-- (audience_header_cache.c).  Whatever happens to the rows, cardinality,
-- min and max must agree with the stored sets themselves.
CREATE TABLE hc (k int PRIMARY KEY, members audience);
INSERT INTO hc SELECT k, audience_from_range(k * 10, k * 10 + 200000 + k) | audience_agg(g * 7) FROM generate_series(1, 20) k, generate_series(0, 30000) g GROUP BY k;
SELECT count(*) AS out_of_line FROM hc WHERE pg_column_size(members) > 2000;
CREATE VIEW hc_check AS
	SELECT count(*) AS rows,
		count(*) FILTER (WHERE cardinality(members) = audience_rank(members, 4294967295)
			AND audience_min(members) = audience_nth(members, 1)
			AND audience_max(members) = audience_nth(members, audience_rank(members, 4294967295))
			AND NOT audience_is_empty(members)) AS consistent,
		sum(cardinality(members)) AS ids
	FROM hc;
SELECT * FROM hc_check;
SELECT * FROM hc_check;
-- new values in the same rows
UPDATE hc SET members = members | audience_from_range(5000000, 5000000 + k) WHERE k % 2 = 0;
SELECT * FROM hc_check;
UPDATE hc SET members = members - audience_from_range(0, 100) WHERE k % 3 = 0;
SELECT * FROM hc_check;
-- deleted and inserted again, in a transaction that is rolled back, truncated
BEGIN;
DELETE FROM hc WHERE k <= 10;
INSERT INTO hc SELECT k, audience_from_range(0, 100000 * k) | '{4000000000}' FROM generate_series(1, 10) k;
SELECT * FROM hc_check;
ROLLBACK;
SELECT * FROM hc_check;
VACUUM FULL hc;
SELECT * FROM hc_check;
TRUNCATE hc;
INSERT INTO hc SELECT k, audience_from_range(0, 3000 * k) | audience_agg(g * 3 + k) FROM generate_series(1, 20) k, generate_series(0, 20000) g GROUP BY k;
SELECT * FROM hc_check;
-- many statements in one function call, each reading the values again
CREATE FUNCTION hc_loop() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	total bigint := 0;
BEGIN
	FOR i IN 1..5 LOOP
		UPDATE hc SET members = members | (1000000000 + i)::bigint WHERE k = i;
		total := total + (SELECT sum(cardinality(members)) FROM hc);
	END LOOP;
	RETURN total;
END $$;
CREATE TABLE hc_loop_total AS SELECT hc_loop() AS total;
SELECT total = 5 * (SELECT sum(cardinality(members)) FROM hc) - 10 AS loop_sees_each_update FROM hc_loop_total;
SELECT * FROM hc_check;
DROP FUNCTION hc_loop();
DROP VIEW hc_check;
DROP TABLE hc, hc_loop_total;
