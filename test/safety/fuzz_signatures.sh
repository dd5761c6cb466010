#!/usr/bin/env bash
# Signature fuzzer (issue 16, rule 1): call every function and aggregate of
# the extension, read from the catalog, with edge values for every argument,
# as a normal role; the server must never restart.  Prints TAP, one line per
# function ("ok N - quanyu.fn(args)"); a call that crashes the server, or
# that ignores statement_timeout and has to be killed, fails its function and
# is named in the output.  Calls cancelled by statement_timeout are fine but
# listed ("# timeout: ...") as possible hangs.
#
#   QY_PSQL=... PGHOST=... PGPORT=... bash test/safety/fuzz_signatures.sh
#
# Uses the running cluster of test/run_tests.sh (or any cluster where it may
# create the database quanyu_fuzz and the role qy_fuzz).  FUZZ_TIMEOUT (300ms)
# bounds each call; FUZZ_KILL_AFTER (8) is the seconds after which a call
# that did not stop at the timeout is reported as a hang and its backend
# killed; FUZZ_MEMORY (4G) is the address-space limit put on each fuzzing
# backend so that an allocation of many GB fails instead of taking the
# machine; FUZZ_ONLY restricts the run to signatures matching a regex.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PSQL=${QY_PSQL:-psql}
db=quanyu_fuzz
work=${QY_BUILD:-/tmp}/fuzz
timeout=${FUZZ_TIMEOUT:-300ms}
kill_after=${FUZZ_KILL_AFTER:-8}
memory=${FUZZ_MEMORY:-4G}
only=${FUZZ_ONLY:-}
rm -rf "$work"
mkdir -p "$work"

su_q() { "$PSQL" -X -A -t -q -d "$db" -c "$1" 2>>"$work/driver.err"; }

# Wait until the server accepts connections again (after a crash restart).
wait_ready() {
	local i
	for i in $(seq 1 120); do
		"$PSQL" -X -A -t -q -d "$db" -c "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

started=$(date +%s)
"$PSQL" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >&2
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION quanyu" >&2
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$here/fuzz_setup.sql" >"$work/setup.log" 2>&1 ||
	{ cat "$work/setup.log" >&2; echo "1..1"; echo "not ok 1 - fuzzer set-up failed"; exit 1; }

# The calls, one per line: signature <TAB> statement (statements are one line).
# (Unaligned output, not COPY: COPY's text format would double backslashes.)
"$PSQL" -X -A -t -q -F $'\t' -d "$db" -c "SELECT sig, sql FROM fuzz.calls ORDER BY ord" >"$work/calls.tsv" 2>>"$work/driver.err"
[ -n "$only" ] && { grep -E -- "$only" "$work/calls.tsv" >"$work/calls.only" || true; mv "$work/calls.only" "$work/calls.tsv"; }
cut -f1 "$work/calls.tsv" | awk '!seen[$0]++' >"$work/sigs"

# Watchdog: a fuzzing statement still running kill_after seconds after it
# started ignored statement_timeout (no CHECK_FOR_INTERRUPTS): record it,
# ask it to stop, and kill its process if it does not.
watchdog() {
	while :; do
		"$PSQL" -X -A -t -q -F $'\t' -d postgres -c "SELECT pid, round(extract(epoch FROM now() - query_start)), query
			FROM pg_stat_activity WHERE application_name = 'qy_fuzz' AND state = 'active'
			  AND now() - query_start > interval '$kill_after seconds'" 2>/dev/null |
			while IFS=$'\t' read -r pid secs query; do
				[ -n "$pid" ] || continue
				printf '%s\t%s\n' "$pid" "$query" >>"$work/hangs"
				"$PSQL" -X -q -d postgres -c "SELECT pg_terminate_backend($pid)" >/dev/null 2>&1
				sleep 3
				# Still there: only SIGKILL stops a loop without interrupt checks
				# (the postmaster then restarts every backend, as after a crash).
				kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
			done
		sleep 1
	done
}
watchdog &
watchdog_pid=$!
trap 'kill $watchdog_pid 2>/dev/null' EXIT

start_time=$(su_q "SELECT pg_postmaster_start_time()")
nsig=$(wc -l <"$work/sigs")
echo "1..$nsig"
n=0
total_calls=0
total_timeouts=0
crashes=0
hangs=0
while IFS= read -r sig; do
	n=$((n + 1))
	awk -F'\t' -v s="$sig" '$1 == s { print $2 }' "$work/calls.tsv" >"$work/cur.sql"
	ncalls=$(wc -l <"$work/cur.sql")
	first=1
	fails=()
	timeouts=()
	while [ "$first" -le "$ncalls" ]; do
		# One session for the remaining calls; "@@ k" marks call k in the output.
		{
			echo "SET statement_timeout = '$timeout';"
			echo "SELECT pg_backend_pid() AS bpid \\gset"
			echo "\\! prlimit --pid :bpid --as=$memory:$memory 2>/dev/null"
			awk -v f="$first" 'NR >= f { printf "\\echo @@ %d\n%s;\n", NR, $0 }' "$work/cur.sql"
		} >"$work/cur.run"
		: >"$work/hangs"
		PGAPPNAME=qy_fuzz "$PSQL" -X -q -U qy_fuzz -d "$db" -v ON_ERROR_STOP=0 -f "$work/cur.run" >"$work/cur.out" 2>&1
		rc=$?
		last=$(grep -E '^@@ [0-9]+$' "$work/cur.out" | tail -1 | cut -c4-)
		# Timeouts: the call whose marker precedes each cancel message.
		while IFS= read -r k; do
			timeouts+=("$(sed -n "${k}p" "$work/cur.sql")")
		done < <(awk '/^@@ [0-9]+$/ { k = $2 } /canceling statement due to statement timeout/ { print k }' "$work/cur.out")
		lost=no
		[ "$rc" -eq 2 ] && lost=yes
		grep -qE 'server closed the connection unexpectedly|connection to server was lost|terminating connection because of crash' "$work/cur.out" && lost=yes
		if [ "$lost" = yes ]; then
			call=$(sed -n "${last:-$first}p" "$work/cur.sql")
			if [ -s "$work/hangs" ]; then
				fails+=("hang (ignored statement_timeout, killed after ${kill_after}s): $call")
				hangs=$((hangs + 1))
			else
				fails+=("crash: $call")
				crashes=$((crashes + 1))
			fi
			wait_ready || { echo "Bail out! the server did not come back after: $call"; exit 1; }
			first=$((${last:-$first} + 1))
		else
			first=$((ncalls + 1))
		fi
	done
	now_start=$(su_q "SELECT pg_postmaster_start_time()")
	if [ "${#fails[@]}" -eq 0 ] && [ "$now_start" != "$start_time" ]; then
		fails+=("the server restarted while these calls ran (pg_postmaster_start_time changed)")
	fi
	start_time=$now_start
	total_calls=$((total_calls + ncalls))
	total_timeouts=$((total_timeouts + ${#timeouts[@]}))
	if [ "${#fails[@]}" -eq 0 ]; then
		echo "ok $n - quanyu.$sig ($ncalls calls)"
	else
		echo "not ok $n - quanyu.$sig ($ncalls calls)"
		for f in "${fails[@]}"; do echo "#   $f"; done
	fi
	for t in "${timeouts[@]}"; do echo "#   timeout: $t"; done
done <"$work/sigs"

echo "# $total_calls calls to $nsig functions and aggregates in $(($(date +%s) - started)) s:" \
	"$crashes crashes, $hangs hangs, $total_timeouts cancelled by statement_timeout = $timeout"
