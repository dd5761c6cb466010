#!/usr/bin/env bash
# Memory-heavy audience operations under an address-space limit: each must
# end with an ERROR (out of memory, or a program limit), never with a crashed
# backend.  Emits TAP on stdout; diagnostics on stderr.
#
#   bash test/memory_limit.sh [--no-deps]
#   QY_MEMLIMIT_MB=2048 (ulimit -v of the server process tree)
#   QY_MEMLIMIT_TIMEOUT=300s (statement_timeout of each case)
#
# The server runs in its own build tree (.build-memlimit) with
# shared_buffers = 128MB, started under `ulimit -v`, so CRoaring's malloc
# returns NULL long before the machine runs out of memory.  A backend that
# dereferences that NULL (or overruns a stack buffer) dies with a signal,
# the postmaster restarts every session, and the case fails.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

qy_parse_args "$@"
[ "$QY_DEPS" = yes ] && qy_install_deps
QY_MEMLIMIT_MB=${QY_MEMLIMIT_MB:-2048}
QY_MEMLIMIT_TIMEOUT=${QY_MEMLIMIT_TIMEOUT:-300s}
QY_BUILD=${QY_BUILD:-$QY_REPO/.build-memlimit}
qy_setup no >&2
cd "$QY_REPO"

# Restart the throwaway cluster with small shared memory, under the limit.
dir="$QY_BUILD/cluster"
qy_stop_cluster >&2
cat >>"$dir/data/postgresql.conf" <<-EOF
	shared_buffers = 128MB
	work_mem = 64MB
	maintenance_work_mem = 64MB
	max_parallel_workers_per_gather = 0
	log_min_messages = log
EOF
(
	ulimit -v $((QY_MEMLIMIT_MB * 1024))
	qy_run_as_server_user "$QY_INST_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start
) >&2 || { cat "$dir/server.log" >&2; qy_die "the server did not start under ulimit -v ${QY_MEMLIMIT_MB}MB"; }
qy_create_db quanyu_memlimit >&2
server_log="$dir/server.log"

# name | expectation (error: must fail with 53xxx/54xxx; any: may also succeed) | SQL
cases=(
	"split of the whole id range into 1024 buckets|error|SELECT count(*) FROM quanyu.audience_split(quanyu.audience_from_range(0, 4294967296), 1024, 1)"
	"the whole id range as a bigint array|error|SELECT array_length(quanyu.audience_to_array(quanyu.audience_from_range(0, 4294967296)), 1)"
	"the whole id range as an integer[] cast|error|SELECT array_length(quanyu.audience_from_range(0, 300000000)::integer[], 1)"
	"text output of 300 million ids|error|SELECT length(quanyu.audience_from_range(0, 300000000)::text)"
	"xor of two half samples of 2^29 ids (bitset containers)|any|SELECT quanyu.cardinality(quanyu.audience_xor(quanyu.audience_sample(quanyu.audience_from_range(0, 536870912), 0.5, 1), quanyu.audience_sample(quanyu.audience_from_range(0, 536870912), 0.5, 2)))"
	"union of eight half samples of 2^26 ids spread over the id range|any|SELECT quanyu.cardinality(quanyu.audience_union_agg(quanyu.audience_sample(quanyu.audience_from_range(s * 500000000, s * 500000000 + 67108864), 0.5, s::integer))) FROM generate_series(0::bigint, 7) s"
	"audience_agg over 150 million scattered ids|any|SELECT quanyu.cardinality(quanyu.audience_agg((g * 2654435761) % 4294967296)) FROM generate_series(1::bigint, 150000000) g"
	"bigint[] of 60 million scattered ids cast to audience|any|SELECT quanyu.cardinality(quanyu.audience(ARRAY(SELECT (g * 2654435761) % 4294967296 FROM generate_series(1::bigint, 60000000) g)))"
)

echo "1..$((${#cases[@]} * 2))"
n=0
for c in "${cases[@]}"; do
	name=${c%%|*}
	rest=${c#*|}
	expect=${rest%%|*}
	sql=${rest#*|}
	before=$(grep -c 'terminated by signal' "$server_log" || true)
	start=$(date +%s)
	out=$("$QY_PSQL" -X -q -d quanyu_memlimit -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
		-c "SET statement_timeout = '$QY_MEMLIMIT_TIMEOUT'" -c "$sql" 2>&1) && rc=0 || rc=$?
	secs=$(($(date +%s) - start))
	# Wait for a restart to finish before the next case.
	for _ in $(seq 60); do "$QY_PSQL" -X -q -d quanyu_memlimit -c 'select 1' >/dev/null 2>&1 && break; sleep 1; done
	after=$(grep -c 'terminated by signal' "$server_log" || true)
	sqlstate=$(printf '%s\n' "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' | head -1)
	message=$(printf '%s\n' "$out" | grep -m1 -E '^(ERROR|FATAL|server closed|psql:)' || true)
	location=$(printf '%s\n' "$out" | sed -n 's/^LOCATION:  //p' | head -1)
	[ -n "$location" ] && message="$message (at $location)"

	n=$((n + 1))
	if [ "$after" -eq "$before" ] && ! printf '%s' "$out" | grep -q 'server closed the connection'; then
		echo "ok $n - $name: no crash (${secs}s)"
	else
		echo "not ok $n - $name: the backend crashed (${secs}s)"
		grep 'terminated by signal' "$server_log" | tail -1 | sed 's/^/# /'
		printf '# %s\n' "$message"
	fi

	n=$((n + 1))
	if [ "$rc" -eq 0 ] && [ "$expect" = any ]; then
		echo "ok $n - $name: succeeded within ${QY_MEMLIMIT_MB}MB"
	elif [ "$rc" -ne 0 ] && [[ $sqlstate == 53* || $sqlstate == 54* ]]; then
		echo "ok $n - $name: ERROR $sqlstate"
		printf '# %s\n' "$message"
	else
		echo "not ok $n - $name: expected an out-of-memory or program-limit ERROR, got ${sqlstate:-${rc/#0/success}}"
		printf '# %s\n' "$message"
	fi
done
