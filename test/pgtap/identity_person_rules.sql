-- identity_person keeps the rules per backend (issue 15): a rule change
-- committed by one session is seen by the next statement of another session
-- that had the rules cached; an uncommitted change is not; the change being
-- undone is seen too.  Sessions are dblink connections (they commit).
BEGIN;
SELECT plan(7);
CREATE EXTENSION IF NOT EXISTS dblink;

CREATE FUNCTION pg_temp.conninfo() RETURNS text LANGUAGE sql AS $f$
	SELECT format('dbname=%s host=%s port=%s user=%s', current_database(),
		split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user)
$f$;
SELECT dblink_connect('reader', pg_temp.conninfo());
SELECT dblink_connect('writer', pg_temp.conninfo());
SELECT dblink_exec('writer', 'TRUNCATE quanyu.identity_identifier, quanyu.identity_merge, quanyu.identity_refusal, quanyu.identity_state');
SELECT dblink_exec('writer', 'DELETE FROM quanyu.identity_rule');
SELECT * FROM dblink('writer', $q$SELECT persons_new FROM quanyu.identity_link('VALUES (''phone'', ''13800000001'', ''openid'', ''o1'')')$q$) AS t(persons_new bigint);

CREATE FUNCTION pg_temp.person(t text, v text) RETURNS bigint LANGUAGE sql AS $f$
	SELECT p FROM dblink('reader', format('SELECT quanyu.identity_person(%L, %L)', t, v)) AS r(p bigint)
$f$;

SELECT is(pg_temp.person('phone', '+86 138 0000 0001'), 1::bigint, 'reader: known phone (rules now cached)');

-- An open, uncommitted change in the writer is not seen.
SELECT dblink_exec('writer', 'BEGIN');
SELECT dblink_exec('writer', $q$INSERT INTO quanyu.identity_rule (id_type, blocked_values) VALUES ('phone', '{13800000001}')$q$);
SELECT is(pg_temp.person('phone', '13800000001'), 1::bigint, 'reader: uncommitted block not seen');
SELECT dblink_exec('writer', 'COMMIT');
SELECT is(pg_temp.person('phone', '13800000001'), NULL::bigint, 'reader: committed block seen by the next statement');

-- A new normaliser, committed.
SELECT dblink_exec('writer', $q$UPDATE quanyu.identity_rule SET blocked_values = '{}', normalizer = 'none' WHERE id_type = 'phone'$q$);
SELECT is(pg_temp.person('phone', '+86 138 0000 0001'), NULL::bigint, 'reader: normaliser none, raw value unknown');
SELECT is(pg_temp.person('phone', '13800000001'), 1::bigint, 'reader: normaliser none, exact value known');

-- A rolled-back change is never seen; then the rule goes.
SELECT dblink_exec('writer', 'BEGIN');
SELECT dblink_exec('writer', 'DELETE FROM quanyu.identity_rule');
SELECT dblink_exec('writer', 'ROLLBACK');
SELECT is(pg_temp.person('phone', '+86 138 0000 0001'), NULL::bigint, 'reader: rolled-back delete not seen');
SELECT dblink_exec('writer', 'TRUNCATE quanyu.identity_rule');
SELECT is(pg_temp.person('phone', '+86 138 0000 0001'), 1::bigint, 'reader: truncated rules seen');

SELECT dblink_exec('writer', 'TRUNCATE quanyu.identity_identifier, quanyu.identity_merge, quanyu.identity_refusal, quanyu.identity_state');
SELECT dblink_disconnect('reader');
SELECT dblink_disconnect('writer');
SELECT * FROM finish();
ROLLBACK;
