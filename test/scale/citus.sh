#!/usr/bin/env bash
# The Citus suite (issue 12, doc/scale-out.md): a coordinator and two
# workers as throwaway clusters on unix sockets in the build tree
# (shared_preload_libraries = 'citus'), the data set of test/scale/data.sql
# distributed by person_id, and every check of citus_checks.bash run on the
# plain tables and on the distributed ones: equal answers, and EXPLAIN
# (VERBOSE) showing where the aggregate ran.  Then identity at scale: the
# identity tables on the coordinator, facts distributed by the person id
# resolved at ingest.  Prints TAP.
#
# Citus is not in Debian: when the cluster has no citus extension available
# the suite prints one line saying so and passes as skipped.
#
#   QY_PSQL=... PGHOST=... PGPORT=... bash test/scale/citus.sh
# Knobs: QY_CITUS_PORT (first of 3 ports, default 54350),
#        QY_SCALE_PERSONS (default 4000), QY_IDENTITY_PAIRS (default 200000),
#        QY_CITUS_KEEP=1 leaves the three clusters running (database qy).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PSQL=${QY_PSQL:-psql}
bindir=$(dirname "$(command -v "$PSQL")")
avail=$("$PSQL" -X -At -d postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'citus'" 2>/dev/null)
if [ "$avail" != 1 ]; then
	echo "ok 1 - citus suite skipped # SKIP citus is not installed in this PostgreSQL (not in pg_available_extensions; Citus is not packaged by Debian, see doc/scale-out.md)"
	exit 0
fi

# shellcheck source=test/scale/citus_checks.bash
source "$here/citus_checks.bash"
port0=${QY_CITUS_PORT:-54350}
persons=${QY_SCALE_PERSONS:-4000}
pairs=${QY_IDENTITY_PAIRS:-200000}
work=${QY_BUILD:-/tmp}/citus
sock=$work/sock
n=0
as_server() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
cpsql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port0" -U postgres -d qy "$@"; }
tap() {
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
stop_all() {
	local d
	[ "${QY_CITUS_KEEP:-}" = 1 ] && [ "${1:-}" = exit ] && return 0
	for d in coord w1 w2; do
		[ -f "$work/$d/postmaster.pid" ] && as_server "$bindir/pg_ctl" -D "$work/$d" -m immediate -w -s stop
	done
	return 0
}
trap 'stop_all exit' EXIT

nchecks=$(echo "$QY_CITUS_CHECKS" | grep -c '|')
echo "1..$((2 + 2 * nchecks + 4))"

# --- three clusters ---------------------------------------------------------
stop_all
rm -rf "$work"
mkdir -p "$sock"
chmod 777 "$work" "$sock"
setup=ok
i=0
for d in coord w1 w2; do
	port=$((port0 + i))
	i=$((i + 1))
	as_server "$bindir/initdb" -D "$work/$d" -U postgres -A trust --no-sync -E UTF8 --locale=C >"$work/$d.initdb.log" 2>&1 || setup=fail
	cat >>"$work/$d/postgresql.conf" <<-CONF
		listen_addresses = ''
		unix_socket_directories = '$sock'
		port = $port
		shared_preload_libraries = 'citus'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 128MB
		max_connections = 120
		max_worker_processes = 16
		max_prepared_transactions = 60
		lc_messages = 'C'
		citus.shard_count = 8
		citus.node_conninfo = 'sslmode=disable'
		citus.enable_statistics_collection = off
	CONF
	as_server "$bindir/pg_ctl" -D "$work/$d" -l "$work/$d.log" -w -s start || setup=fail
done
{
	for i in 0 1 2; do
		"$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p $((port0 + i)) -U postgres -d postgres \
			-c "CREATE DATABASE qy" &&
			"$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p $((port0 + i)) -U postgres -d qy -c "CREATE EXTENSION citus"
	done
	cpsql -c "SELECT citus_set_coordinator_host('$sock', $port0)" \
		-c "SELECT citus_add_node('$sock', $((port0 + 1)))" \
		-c "SELECT citus_add_node('$sock', $((port0 + 2)))" \
		-c "CREATE EXTENSION quanyu"
} >"$work/setup.log" 2>&1 || setup=fail
nodes=$(cpsql -At -c "SELECT count(*) FROM citus_get_active_worker_nodes()" 2>/dev/null)
onworkers=$(cpsql -At -c "SELECT string_agg(result, ',') FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'quanyu'\$\$)" 2>/dev/null)
citusv=$(cpsql -At -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'" 2>/dev/null)
[ "$setup" = ok ] && [ "$nodes" = 2 ] && [ -n "$onworkers" ] || { setup=fail; sed 's/^/# /' "$work/setup.log" | tail -15; }
tap "$setup" "set-up: citus $citusv, a coordinator and $nodes workers on unix sockets; quanyu $onworkers on the workers"

# --- data: loc (plain tables) and dist (distributed by person_id) -----------
data=ok
{
	cpsql -c "CREATE SCHEMA loc; CREATE SCHEMA dist"
	PGOPTIONS="-c search_path=loc" cpsql -v persons="$persons" -v nshards=1 -v shard=-1 -f "$here/data.sql"
	cpsql <<-'SQL'
	SET search_path = loc;
	CREATE TABLE person_audiences AS
	    SELECT person_id, quanyu.audience_agg(category) AS categories FROM orders GROUP BY person_id;
	CREATE TABLE person_summary AS
	    SELECT person_id, quanyu.clv_summary_agg(ts, amount, '2024-10-01', '7 days') AS c,
	           quanyu.rfm_agg(ts, amount, '2025-01-01') AS r
	    FROM orders WHERE ts < '2024-10-01' GROUP BY person_id;
	CREATE TABLE named_audiences AS
	    SELECT 'c' || category AS name, quanyu.audience_agg(person_id) AS members FROM orders GROUP BY category;
	SET search_path = dist;
	SET citus.shard_replication_factor = 1;
	CREATE TABLE members (LIKE loc.members);
	CREATE TABLE orders (LIKE loc.orders);
	CREATE TABLE events (LIKE loc.events);
	CREATE TABLE person_audiences (LIKE loc.person_audiences);
	CREATE TABLE person_summary (LIKE loc.person_summary);
	CREATE TABLE named_audiences (LIKE loc.named_audiences);
	SELECT create_distributed_table('dist.members', 'person_id');
	SELECT create_distributed_table('dist.orders', 'person_id', colocate_with => 'dist.members');
	SELECT create_distributed_table('dist.events', 'person_id', colocate_with => 'dist.members');
	SELECT create_distributed_table('dist.person_audiences', 'person_id', colocate_with => 'dist.members');
	SELECT create_distributed_table('dist.person_summary', 'person_id', colocate_with => 'dist.members');
	SELECT create_reference_table('dist.named_audiences');
	INSERT INTO dist.members SELECT * FROM loc.members;
	INSERT INTO dist.orders SELECT * FROM loc.orders;
	INSERT INTO dist.events SELECT * FROM loc.events;
	-- the per-person tables are built on the workers from the distributed facts
	INSERT INTO dist.person_audiences
	    SELECT person_id, quanyu.audience_agg(category) FROM dist.orders GROUP BY person_id;
	INSERT INTO dist.person_summary
	    SELECT person_id, quanyu.clv_summary_agg(ts, amount, '2024-10-01', '7 days'),
	           quanyu.rfm_agg(ts, amount, '2025-01-01')
	    FROM dist.orders WHERE ts < '2024-10-01' GROUP BY person_id;
	INSERT INTO dist.named_audiences SELECT * FROM loc.named_audiences;
	SQL
} >"$work/data.log" 2>&1 || { data=fail; sed 's/^/# /' "$work/data.log" | grep -i error | head -5; }
counts=$(cpsql -At -c "SELECT (SELECT count(*) FROM dist.orders) || ' orders, ' || (SELECT count(*) FROM dist.events) || ' events, ' || (SELECT count(*) FROM dist.members) || ' members in ' || (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'dist.orders'::regclass) || ' shards of orders; per-person tables equal: ' || ((SELECT md5(string_agg(p::text, ',' ORDER BY person_id)) FROM dist.person_summary p) = (SELECT md5(string_agg(p::text, ',' ORDER BY person_id)) FROM loc.person_summary p))" 2>&1)
case "$counts" in *"equal: true") ;; *) data=fail ;; esac
tap "$data" "data: $persons persons distributed by person_id: $counts"

# --- every check: equal answers, and where it ran ---------------------------
while IFS='|' read -r name where sql; do
	[ -n "$name" ] || continue
	f=$work/check$n
	PGOPTIONS="-c search_path=loc" cpsql -At -c "$sql" >"$f.loc" 2>&1
	PGOPTIONS="-c search_path=dist" cpsql -At -c "$sql" >"$f.dist" 2>&1
	if [ -s "$f.loc" ] && ! grep -q '^ERROR' "$f.loc" && cmp -s "$f.loc" "$f.dist"; then
		tap ok "$name: distributed answer equals the local one ($(wc -l <"$f.loc") rows)"
	else
		tap fail "$name: distributed answer equals the local one"
		diff "$f.loc" "$f.dist" | head -6 | sed 's/^/#   /'
	fi
	PGOPTIONS="-c search_path=dist" cpsql -c "EXPLAIN (VERBOSE, COSTS OFF) $sql" >"$f.plan" 2>&1
	agg=$(echo "$name" | sed -E 's/[ (,].*//')
	case "$where" in
	partial)
		if grep -q 'worker_partial_agg' "$f.plan" && grep -q 'coord_combine_agg' "$f.plan"; then
			tap ok "$name: partial on the workers (worker_partial_agg per shard, coord_combine_agg on the coordinator)"
		elif [ "${agg#audience_}" != "$agg" ] && grep -q "Task Count: 8" "$f.plan" && grep -qi "$agg" "$f.plan"; then
			tap ok "$name: partial on the workers"
		else
			tap fail "$name: partial on the workers"
			grep -E 'Custom Scan|Task Count|Query:|Aggregate' "$f.plan" | head -6 | sed 's/^/#   /'
		fi
		;;
	whole)
		if grep -q "Task Count: 8" "$f.plan" && grep -E '^ +Query: ' "$f.plan" | grep -q "quanyu.$agg("; then
			tap ok "$name: whole on the workers (in every shard's query)"
		else
			tap fail "$name: whole on the workers"
			grep -E 'Custom Scan|Task Count|Query:' "$f.plan" | head -6 | sed 's/^/#   /'
		fi
		;;
	gather)
		if grep -q "Task Count: 8" "$f.plan" && ! grep -q 'worker_partial_agg' "$f.plan" &&
			! grep -E '^ +Query: ' "$f.plan" | grep -q "quanyu.$agg("; then
			tap ok "$name: not distributable (internal state): the workers send rows, the coordinator aggregates"
		else
			tap fail "$name: row gather"
			grep -E 'Custom Scan|Task Count|Query:|Aggregate' "$f.plan" | head -6 | sed 's/^/#   /'
		fi
		;;
	spi)
		# the function reads the table through SPI: Citus plans that query
		# and sends it to the workers (citus.log_remote_commands shows it)
		PGOPTIONS="-c search_path=dist -c citus.log_remote_commands=on -c client_min_messages=log" \
			cpsql -At -c "$sql" >"$f.spi" 2>&1
		if grep -q "on server .*:$((port0 + 1)) " "$f.spi" && grep -q "on server .*:$((port0 + 2)) " "$f.spi"; then
			tap ok "$name: on the coordinator, its query of the distributed table runs on both workers"
		elif grep -q "executing the command locally: .* FROM dist\.[a-z_]*_[0-9]* " "$f.spi"; then
			tap ok "$name: on the coordinator, its query of the reference table reads the coordinator's replica"
		else
			tap fail "$name: on the coordinator, its query of the distributed table runs on the workers"
			head -4 "$f.spi" | sed 's/^/#   /'
		fi
		;;
	coord)
		if grep -q "Custom Scan (Citus" "$f.plan"; then
			tap ok "$name: on the coordinator over values the workers computed"
		else
			tap fail "$name: on the coordinator over values the workers computed"
			head -6 "$f.plan" | sed 's/^/#   /'
		fi
		;;
	esac
done <<<"$QY_CITUS_CHECKS"

# --- identity at scale ------------------------------------------------------
# The identifier graph stays on the coordinator (quanyu's identity tables,
# local there); identity_link runs on the coordinator; events arrive with a
# raw identifier and are stored distributed by the person id resolved at
# ingest; a merge moves a person's facts to the surviving id.
t0=$(date +%s.%N)
linked=$(cpsql -At -c "SET client_min_messages = warning" -c "SELECT pairs_read || ' pairs, ' || persons_new || ' persons' FROM quanyu.identity_link(\$\$
	SELECT 'openid', 'o' || g, 'device_id', 'd' || g FROM generate_series(1, $pairs) g\$\$)" 2>&1)
t1=$(date +%s.%N)
rate=$(awk -v a="$t0" -v b="$t1" -v p="$pairs" 'BEGIN { printf "%.0f", p / (b - a) }')
case "$linked" in "$pairs pairs, $pairs persons") r=ok ;; *) r=fail ;; esac
tap "$r" "identity: identity_link of $linked on the coordinator"
echo "# bench: identity_link on the Citus coordinator: $pairs pairs in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s ($rate pairs/s)"
ident=ok
cpsql >"$work/identity.log" 2>&1 <<-SQL || ident=fail
	CREATE TABLE raw_events AS
	    SELECT 'o' || (1 + abs(hashint4(g)) % $pairs) AS openid,
	           timestamptz '2024-03-01 00:00+00' + make_interval(mins => g % 50000) AS ts,
	           (ARRAY['view', 'cart', 'buy'])[1 + g % 3] AS event
	    FROM generate_series(1, 100000) g
	    UNION ALL VALUES ('o1', timestamptz '2024-03-02 10:00+00', 'probe'), ('o2', '2024-03-02 11:00+00', 'probe');
	CREATE TABLE dist.id_events (person_id bigint, ts timestamptz, event text);
	SELECT create_distributed_table('dist.id_events', 'person_id', colocate_with => 'dist.members');
	-- ingest: resolve on the coordinator, insert into the shards
	INSERT INTO dist.id_events SELECT quanyu.identity_person('openid', openid), ts, event FROM raw_events;
SQL
same=$(cpsql -At -c "SELECT (SELECT md5(quanyu.audience_agg(person_id)::text) FROM dist.id_events WHERE event = 'buy')
	= (SELECT md5(quanyu.audience_agg(quanyu.identity_person('openid', openid))::text) FROM raw_events WHERE event = 'buy')" 2>&1)
[ "$ident" = ok ] && [ "$same" = t ] || ident=fail
tap "$ident" "identity: events resolved on the coordinator at ingest and distributed by person id give the audience of the local resolution"
# a merge: two persons become one; their facts move to the surviving id
merge=ok
cpsql >>"$work/identity.log" 2>&1 <<-'SQL' || merge=fail
	SELECT * FROM quanyu.identity_link($$VALUES ('openid', 'o1', 'device_id', 'd2')$$);
	-- facts of persons that were merged away move to the surviving person
	-- (the distribution column cannot be updated in place: delete and insert)
	WITH moved AS (
	    DELETE FROM dist.id_events e
	    WHERE e.person_id IN (SELECT loser FROM quanyu.identity_merge)
	    RETURNING e.*)
	INSERT INTO dist.id_events SELECT quanyu.identity_resolve(person_id), ts, event FROM moved;
SQL
moved=$(cpsql -At -c "SELECT count(DISTINCT person_id) || ' person, ' || count(*) || ' events, the survivor: ' || (min(person_id) = quanyu.identity_person('openid', 'o1') AND min(person_id) = quanyu.identity_person('device_id', 'd2')) FROM dist.id_events WHERE event = 'probe'" 2>&1)
[ "$merge" = ok ] && [ "$moved" = "1 person, 2 events, the survivor: true" ] || { merge=fail; tail -5 "$work/identity.log" | sed 's/^/# /'; }
tap "$merge" "identity: after a merge the facts of the merged-away person are moved to the surviving person id ($moved)"
# per-person work on the resolved ids runs whole on the workers
plan=$(cpsql -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT person_id, quanyu.window_funnel('1 day', ts, event = 'view', event = 'cart', event = 'buy') FROM dist.id_events GROUP BY person_id" 2>&1)
if echo "$plan" | grep -q "Task Count: 8" && echo "$plan" | grep -E '^ +Query: ' | grep -q window_funnel; then r=ok; else r=fail; fi
tap "$r" "identity: funnels over resolved person ids run whole on the workers"
