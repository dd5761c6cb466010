-- Scheduling refreshes with pg_cron (doc/activation.md).  The test cluster
-- preloads pg_cron with cron.database_name = 'postgres' (test/lib.sh), so
-- the extension lives there and jobs are sent to this database with
-- cron.schedule_in_database, which pg_cron 1.4 keeps for superusers: the DBA
-- schedules a nightly refresh of every segment to run as a writer.  The
-- job's command is then run here as pg_cron runs it (as the writer, in this
-- database), without waiting for the clock.
\set SHOW_CONTEXT never
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP ROLE IF EXISTS quanyu_test_cron_writer;
RESET client_min_messages;
CREATE ROLE quanyu_test_cron_writer LOGIN IN ROLE quanyu_writer;
CREATE TABLE public.cron_orders AS SELECT g AS person_id, g % 7 AS tier FROM generate_series(1, 700) g;
GRANT SELECT ON public.cron_orders TO quanyu_test_cron_writer;
SET SESSION AUTHORIZATION quanyu_test_cron_writer;
SET search_path = "$user", quanyu, public;
SELECT segment_define_query('cron_vip', 'SELECT person_id FROM cron_orders WHERE tier = 6');
SELECT segment_define('cron_rest', 'rule', 'cron_vip - cron_vip');
RESET SESSION AUTHORIZATION;
\c postgres
SHOW shared_preload_libraries;
SHOW cron.database_name;
SELECT count(*) AS scheduler_running FROM pg_stat_activity WHERE backend_type = 'pg_cron launcher';
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
RESET client_min_messages;
SELECT cron.schedule_in_database('quanyu-segments-nightly', '30 2 * * *', 'SELECT count(*) FROM quanyu.segment_refresh_all()', :'regress_db', 'quanyu_test_cron_writer') > 0 AS scheduled;
SELECT jobname, schedule, command, database = :'regress_db' AS this_database, username, active FROM cron.job WHERE jobname = 'quanyu-segments-nightly';
SELECT command AS cron_command, username AS cron_user FROM cron.job WHERE jobname = 'quanyu-segments-nightly' \gset
\c :regress_db
SET SESSION AUTHORIZATION :cron_user;
:cron_command;
SELECT name, cardinality(members), refreshed_at IS NOT NULL AS refreshed FROM quanyu.segment WHERE name LIKE 'cron%' ORDER BY name;
RESET SESSION AUTHORIZATION;
\c postgres
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'quanyu-segments-nightly';
SET client_min_messages = warning;
DROP EXTENSION pg_cron;
RESET client_min_messages;
\c :regress_db
SELECT quanyu.segment_drop('cron_rest'), quanyu.segment_drop('cron_vip');
DROP TABLE public.cron_orders;
DROP ROLE quanyu_test_cron_writer;
