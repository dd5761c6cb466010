#!/usr/bin/env bash
# Cancellation (issue 16, rule 5): every long operation stops at a cancel.
# Each operation below runs on an input that needs well over a second, under
# SET statement_timeout = '1s', in a session of its own.  It passes when it
# ends with SQLSTATE 57014 (cancelled).  It fails when it crashes the server,
# ends with another error, is cancelled or finishes CANCEL_LATE (3) seconds
# or more after its start (the cancel waited for a long loop), or is still
# running CANCEL_KILL_AFTER (15) seconds after its start (it is then killed:
# only SIGKILL stops a loop without CHECK_FOR_INTERRUPTS).  An operation that
# finishes before CANCEL_LATE passes with a note: its input was not long
# enough to test it (e.g. after a rewrite made it much faster).  Those two
# bounds say whether the cancel was honoured, not how fast the work is: the
# time of each statement is printed as a benchmark ("# bench: ..."), not
# asserted.  Prints TAP.
#
#   QY_PSQL=... PGHOST=... PGPORT=... bash test/safety/cancel_long_operations.sh

set -uo pipefail

PSQL=${QY_PSQL:-psql}
db=quanyu_cancel
work=${QY_BUILD:-/tmp}/cancel
kill_after=${CANCEL_KILL_AFTER:-15}
# An end (cancel or finish) this many seconds after the start, with a 1 s
# timeout, means the cancel waited for the work: 1 s of the rule plus 1 s of
# slack for a loaded CI machine and the session's start.
late=${CANCEL_LATE:-3}
memory=${CANCEL_MEMORY:-6G}
only=${CANCEL_ONLY:-}
rm -rf "$work"
mkdir -p "$work"

full='quanyu.audience_from_range(0, 4294967296)'
# name <TAB> statement (one line each)
ops=$(cat <<SQL
compare: a < b on two full-range audiences differing only in the last id, repeated	WITH x AS MATERIALIZED (SELECT $full AS a, $full OPERATOR(quanyu.-) 4294967295::bigint AS b) SELECT count(*) FROM x, generate_series(1, 1000000) g WHERE x.a < x.b
compare: audience_cmp on two full-range audiences differing only in the last id, repeated	WITH x AS MATERIALIZED (SELECT $full AS a, $full OPERATOR(quanyu.-) 4294967295::bigint AS b) SELECT sum(quanyu.audience_cmp(x.a, x.b)) FROM x, generate_series(1, 1000000) g
compare: ORDER BY over 48 full-range audiences differing only at the end	SELECT count(*) FROM (SELECT a FROM cancel_big ORDER BY a) t
compare: DISTINCT over 48 full-range audiences differing only at the end	SELECT count(DISTINCT a) FROM cancel_big
hash: GROUP BY (hashing) 48 full-range audiences	SET enable_sort = off; SELECT count(*) FROM (SELECT a FROM cancel_big GROUP BY a) t
hash: audience_hash_support_extended of a full-range audience	SELECT quanyu.audience_hash_support_extended($full, 1)
equality: = on two full-range audiences, repeated	WITH x AS MATERIALIZED (SELECT $full AS a, $full OPERATOR(quanyu.-) 4294967295::bigint AS b) SELECT count(*) FROM x, generate_series(1, 1000000) g WHERE x.a = x.b
aggregate: audience_agg over 20M ids	SELECT quanyu.audience_cardinality(quanyu.audience_agg(g)) FROM generate_series(0, 20000000) g
aggregate: audience_union_agg of 300 big audiences	SELECT quanyu.audience_cardinality(quanyu.audience_union_agg(quanyu.audience_from_range(g * 1000, 4294967296 - g * 7))) FROM generate_series(1, 300) g
aggregate: audience_xor_agg of 300 big audiences	SELECT quanyu.audience_cardinality(quanyu.audience_xor_agg(quanyu.audience_from_range(g * 1001, 4294967296 - g * 13))) FROM generate_series(1, 300) g
union: audience_or of two big interleaved audiences, repeated	WITH x AS MATERIALIZED (SELECT $full AS a, quanyu.audience_from_range(1, 4294967295) AS b) SELECT sum(quanyu.audience_or_count(x.a, x.b)) FROM x, generate_series(1, 100000) g
set-returning: audience_ids streaming a full range	SELECT count(*) FROM quanyu.audience_ids($full)
set-returning: audience_range over a full range	SELECT count(*) FROM quanyu.audience_range($full, 0, 4294967295)
inspect: audience_stats of a full-range audience	SELECT * FROM quanyu.audience_stats($full)
inspect: audience_nth near the end of a full-range audience	SELECT quanyu.audience_nth($full, 4294967000)
inspect: audience_rank near the end of a full-range audience	SELECT quanyu.audience_rank($full, 4294967000)
slice: audience_sample of a full-range audience	SELECT quanyu.audience_cardinality(quanyu.audience_sample($full, 0.5, 1))
slice: audience_page near the end of a full-range audience	SELECT quanyu.audience_page($full, 4294000000, 1000)
slice: audience_from_range not aligned to containers	SELECT quanyu.audience_cardinality(quanyu.audience_from_range(3, 4294967291))
eval: audience_eval of 20,000 operations over full-range audiences	SELECT quanyu.audience_cardinality(quanyu.audience_eval(repeat('a ^ b | ', 10000) || 'a', ARRAY['a', 'b'], ARRAY[$full, quanyu.audience_from_range(1, 4294967295)]))
eval: audience_eval over a table of 2,000 named audiences	SELECT quanyu.audience_cardinality(quanyu.audience_eval((SELECT string_agg('n' || g, ' ^ ') FROM generate_series(1, 2000) g), 'cancel_seg'))
metrics: audience_overlap of 12 full-range-ish audiences	SELECT count(*) FROM quanyu.audience_overlap(ARRAY(SELECT quanyu.audience_from_range(g, 4294967296 - g) FROM generate_series(1, 12) g))
metrics: tier_flow between 64 big tiers	SELECT count(*) FROM quanyu.tier_flow(ARRAY(SELECT quanyu.audience_from_range(g, 4294967296 - g) FROM generate_series(1, 64) g), ARRAY(SELECT quanyu.audience_from_range(g * 2, 4294967296 - g) FROM generate_series(1, 64) g), false)
metrics: audience_retention over 64 big periods	SELECT count(*) FROM quanyu.audience_retention($full, ARRAY(SELECT quanyu.audience_from_range(g, 4294967296 - g) FROM generate_series(1, 64) g), false)
metrics: window_funnel over 5M events of one person	SELECT quanyu.window_funnel('1 hour', timestamptz '2024-01-01' + (g % 100000) * interval '1 second', g % 3 = 0, g % 3 = 1, g % 3 = 2) FROM generate_series(1, 5000000) g
metrics: retention_agg over 10M rows	SELECT quanyu.retention_agg(g % 2 = 0, g % 3 = 0, g % 5 = 0) FROM generate_series(1, 10000000) g
metrics: segment_lift over 10M rows	SELECT quanyu.segment_lift(g, (g % 100)::float8, quanyu.audience_from_range(0, 5000000)) FROM generate_series(1, 10000000) g
measure: attribution over 10M rows of 1M persons	SELECT quanyu.attribution(g % 1000000, timestamptz '2024-01-01' + (g % 997) * interval '1 hour', CASE WHEN g % 3 > 0 THEN 'c' || g % 7 END, CASE WHEN g % 3 = 0 THEN 1.0::float8 END, 'linear', '30 days' ORDER BY g % 1000000) FROM generate_series(1, 10000000) g
measure: attribution of one person with 1M touches and 200,000 orders in one window	SELECT quanyu.attribution(1, timestamptz '2024-01-01' + (g % 1000) * interval '1 second', CASE WHEN g % 6 > 0 THEN 'c' || g % 7 END, CASE WHEN g % 6 = 0 THEN 1.0::float8 END, 'linear', '1 day') FROM generate_series(1, 1200000) g
measure: holdout_uplift bootstrap of 100,000 resamples over 2M persons	SELECT quanyu.holdout_uplift(g, g % 10 = 0, (g % 100)::float8, quanyu.audience_from_range(0, 1000000), quanyu.audience_from_range(1000000, 2000000), NULL, 0.95, 100000, 1, 'error') FROM generate_series(0, 1999999, 7) g
clv: bgnbd_fit over 3M customers	SELECT quanyu.bgnbd_fit((g % 7)::float8, CASE WHEN g % 7 = 0 THEN 0 ELSE 10 + g % 7 END::float8, 39) FROM generate_series(1, 3000000) g
clv: pareto_nbd_fit over 1M customers	SELECT quanyu.pareto_nbd_fit((g % 7)::float8, CASE WHEN g % 7 = 0 THEN 0 ELSE 10 + g % 7 END::float8, 39) FROM generate_series(1, 1000000) g
clv: pareto_nbd_fit with one buyer of frequency 100,000	SELECT quanyu.pareto_nbd_fit(CASE WHEN g = 1 THEN 100000 ELSE g % 7 END::float8, CASE WHEN g = 1 THEN 38 WHEN g % 7 = 0 THEN 0 ELSE 10 + g % 7 END::float8, 39) FROM generate_series(1, 1000) g
clv: pareto_nbd_fit over 6 customers whose fit diverges	SELECT quanyu.pareto_nbd_fit(f, r, t) FROM (VALUES (0::float8, 0::float8, 30::float8), (2, 10, 30), (5, 25, 30), (1, 3, 30), (0, 0, 20), (3, 12, 25)) v(f, r, t)
clv: gammagamma_fit over 3M customers	SELECT quanyu.gammagamma_fit(1 + (g % 7)::float8, 10 + (g % 13)::float8) FROM generate_series(1, 3000000) g
clv: bgnbd_sample of 100M customers	SELECT count(*) FROM quanyu.bgnbd_sample(100000000, 0.24, 4.41, 0.79, 2.43, 39, 1)
clv: rfm_agg and clv_summary_agg over 10M orders	SELECT count(*) FROM (SELECT quanyu.clv_summary_agg(timestamptz '2024-01-01' + (g % 1000) * interval '1 hour', 10, timestamptz '2025-01-01', '1 day') FROM generate_series(1, 10000000) g GROUP BY g % 10) s
clv: clv_cohort_retention over 3M orders	SELECT count(*) FROM quanyu.clv_cohort_retention('cancel_orders', 'customer', 'ts', NULL)
metrics: cohort_value_curve over 3M orders	SELECT count(*) FROM quanyu.cohort_value_curve('cancel_orders', 'customer', 'ts', 'customer', forecast => false)
metrics: cohort_revenue_mix over 3M orders	SELECT count(*) FROM quanyu.cohort_revenue_mix('cancel_orders', 'customer', 'ts', 'customer')
metrics: referral_tree over 3M edges	SELECT count(*) FROM cancel_referrals a, quanyu.referral_tree(a.f, a.t, a.ts)
metrics: referral_edges over 3M edges	SELECT count(*) FROM cancel_referrals a, quanyu.referral_edges(a.f, a.t, a.ts)
identity: identity_link of 1M pairs	SELECT * FROM quanyu.identity_link('SELECT ''phone'', (13800000000 + g)::text, ''email'', ''u'' || g || ''@example.com'' FROM generate_series(1, 1000000) g')
identity: audience_canonicalize of a full-range audience	SELECT quanyu.audience_cardinality(quanyu.audience_canonicalize($full))
SQL
)

started=$(date +%s)
"$PSQL" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$db" >&2 <<'SQL'
CREATE EXTENSION quanyu;
-- Inputs some operations read from tables (built once, untimed).
CREATE TABLE cancel_seg AS SELECT 'n' || g AS name, quanyu.audience_from_range(g * 1000, g * 1000 + 50000000) AS members FROM generate_series(1, 2000) g;
CREATE TABLE cancel_orders AS SELECT g % 500000 AS customer, timestamptz '2020-01-01' + (g % 1500) * interval '1 day' AS ts FROM generate_series(1, 3000000) g;
CREATE TABLE cancel_referrals AS SELECT array_agg(hashint8(g) & 2097151) AS f, array_agg(g + 2097152) AS t,
	array_agg(timestamptz '2024-01-01' + (hashint8(g * 7) & 31535999) * interval '1 second') AS ts FROM generate_series(1, 3000000) g;
CREATE TABLE cancel_big AS SELECT quanyu.audience_from_range(0, 4294967296) OPERATOR(quanyu.-) (4294967295 - g)::bigint AS a FROM generate_series(1, 48) g;
-- A merge recorded, so that audience_canonicalize has redirects to apply.
SELECT * FROM quanyu.identity_link($$VALUES ('phone', '13900000001', 'email', 'merge1@example.com'), ('phone', '13900000002', 'email', 'merge1@example.com')$$);
ANALYZE;
SQL
[ -n "$only" ] && ops=$(grep -E -- "$only" <<<"$ops")

n=0
nops=$(grep -c . <<<"$ops")
echo "1..$nops"
while IFS=$'\t' read -r name sql; do
	n=$((n + 1))
	app="qy_cancel_$n"
	{
		echo "SET search_path = quanyu, public;"
		echo "SET statement_timeout = '1s';"
		echo "SELECT pg_backend_pid() AS bpid \\gset"
		echo "\\! prlimit --pid :bpid --as=$memory:$memory 2>/dev/null"
		echo "\\o /dev/null"
		echo "$sql;"
		echo "\\o"
		echo "\\echo RESULT :SQLSTATE"
	} >"$work/cur.sql"
	t0=$(date +%s%N)
	PGAPPNAME=$app "$PSQL" -X -q -d "$db" -v ON_ERROR_STOP=0 -f "$work/cur.sql" >"$work/cur.out" 2>&1 &
	client=$!
	killed=no
	while kill -0 "$client" 2>/dev/null; do
		if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$kill_after" ]; then
			killed=yes
			pid=$("$PSQL" -X -A -t -q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$app'" 2>/dev/null | head -1)
			if [ -n "$pid" ]; then
				"$PSQL" -X -q -d postgres -c "SELECT pg_terminate_backend($pid)" >/dev/null 2>&1
				sleep 2
				kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
			fi
			sleep 1
			kill "$client" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$client" 2>/dev/null
	rc=$?
	t1=$(date +%s%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	state=$(sed -n 's/^RESULT //p' "$work/cur.out" | tail -1)
	if [ "$killed" = yes ]; then
		echo "not ok $n - $name: still running ${kill_after}s after a 1 s statement_timeout (killed)"
		outcome="hang, killed after ${kill_after}s"
	elif [ "$rc" -eq 2 ] || grep -qE 'server closed the connection unexpectedly|connection to server was lost' "$work/cur.out"; then
		echo "not ok $n - $name: the server crashed"
		outcome="crash"
	elif [ "$state" = 57014 ] && awk -v s="$secs" -v l="$late" 'BEGIN { exit !(s >= l) }'; then
		echo "not ok $n - $name: cancelled only ${secs} s after the start (the cancel waited for a long loop)"
		outcome="cancelled late"
	elif [ "$state" = 57014 ]; then
		echo "ok $n - $name: cancelled (57014)"
		outcome="cancelled"
	elif [ "$state" = 00000 ] && awk -v s="$secs" -v l="$late" 'BEGIN { exit !(s < l) }'; then
		echo "ok $n - $name: finished before the cancel was late # input not long enough to test the cancel"
		outcome="finished"
	elif [ "$state" = 00000 ]; then
		echo "not ok $n - $name: finished ${secs} s after the start, long after the timeout (the cancel waited for the work)"
		outcome="finished late"
	else
		echo "not ok $n - $name: ended with SQLSTATE ${state:-none}"
		grep -E 'ERROR' "$work/cur.out" | head -2 | sed 's/^/#   /'
		outcome="error $state"
	fi
	echo "# bench: $(printf '%-80s' "$name") ${secs} s ($outcome)"
	# A crash or a kill restarts every backend: wait for the server.
	for _ in $(seq 1 120); do
		"$PSQL" -X -A -t -q -d "$db" -c "SELECT 1" >/dev/null 2>&1 && break
		sleep 0.5
	done
done <<<"$ops"
echo "# $nops long operations under statement_timeout = 1s in $(($(date +%s) - started)) s"
