#!/usr/bin/env bash
# Sharded PostgreSQL without Citus (issue 12): four shard databases in the
# throwaway cluster, the facts split by person id (person_id % 4), and every
# question of test/scale/questions.bash answered twice from the shards'
# partial results:
#   PL/Proxy      a proxy database whose functions (LANGUAGE plproxy, RUN ON
#                 ALL) run the shard function of the same name on every
#                 shard; the proxy combines the rows (audiences by
#                 audience_union_agg, counts and sums by sum, fit states by
#                 agg_state_combine, segment_lift states by its combine
#                 function);
#   postgres_fdw  a coordinator database that imports each shard's question
#                 views as foreign tables, fetches the per-shard audiences
#                 and states as values and combines them the same way.
# Each answer must equal the one-node answer over the whole data set (a
# fifth database).  Prints TAP.
#
#   QY_PSQL=... PGHOST=... PGPORT=... bash test/scale/sharded_plproxy_fdw.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/scale/questions.bash
source "$here/questions.bash"
PSQL=${QY_PSQL:-psql}
persons=${QY_SCALE_PERSONS:-8000}
nshards=4
work=${QY_BUILD:-/tmp}/sharded
rm -rf "$work"
mkdir -p "$work"
n=0

psqlq() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$@"; }
tap() {
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
# One database with quanyu and the given extensions.
mkdb() {
	local db=$1 ext
	shift
	psqlq -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || return 1
	for ext in quanyu "$@"; do psqlq -d "$db" -c "CREATE EXTENSION $ext" || return 1; done
}

echo "1..$((2 + 2 * $(echo "$QY_QUESTIONS" | wc -w)))"

# --- set-up: local, 4 shards, proxy, coordinator --------------------------
setup_ok=ok
{
	mkdb qy_local && psqlq -d qy_local -v persons="$persons" -v nshards=1 -v shard=-1 -f "$here/data.sql"
	for i in $(seq 0 $((nshards - 1))); do
		mkdb "qy_shard_$i" &&
			psqlq -d "qy_shard_$i" -v persons="$persons" -v nshards=$nshards -v shard="$i" -f "$here/data.sql" &&
			psqlq -d "qy_shard_$i" -f "$here/shard_functions.sql"
	done
} >"$work/setup.log" 2>&1 || setup_ok=fail
conn() { echo "dbname=qy_shard_$1 host=$PGHOST port=$PGPORT user=${PGUSER:-postgres}"; }
# the shards hold every person once
total=$(for i in $(seq 0 $((nshards - 1))); do psqlq -At -d "qy_shard_$i" -c "SELECT count(*) FROM members"; done | awk "{ s += \$1 } END { print s + 0 }")
local_total=$(psqlq -At -d qy_local -c "SELECT count(*) FROM members")
[ "$setup_ok" = ok ] && [ "$total" = "$local_total" ] && [ "$total" -gt 0 ] || setup_ok=fail
tap "$setup_ok" "set-up: $local_total persons split over $nshards shard databases by person_id % $nshards ($total)"

# PL/Proxy: the cluster as a SQL/MED server, one plproxy function per question
proxy_ok=ok
{
	mkdb qy_proxy plproxy &&
		psqlq -d qy_proxy -f "$here/combine.sql" &&
		psqlq -d qy_proxy <<-SQL
		CREATE SERVER qy_shards FOREIGN DATA WRAPPER plproxy
		    OPTIONS (connection_lifetime '1800', p0 '$(conn 0)', p1 '$(conn 1)', p2 '$(conn 2)', p3 '$(conn 3)');
		CREATE USER MAPPING FOR PUBLIC SERVER qy_shards;
		-- audiences come back as values: PL/Proxy reads them with the type's
		-- binary input and frees each one (the input functions return flat
		-- values for that reason)
		CREATE FUNCTION q.category_audiences(OUT category integer, OUT members quanyu.audience) RETURNS SETOF record
		    LANGUAGE plproxy AS \$\$ CLUSTER 'qy_shards'; RUN ON ALL; \$\$;
		CREATE FUNCTION q.tier_audiences(OUT tier integer, OUT now quanyu.audience, OUT next quanyu.audience) RETURNS SETOF record
		    LANGUAGE plproxy AS \$\$ CLUSTER 'qy_shards'; RUN ON ALL; \$\$;
		CREATE FUNCTION q.order_totals(OUT orders bigint, OUT revenue numeric, OUT buyers quanyu.audience) RETURNS SETOF record
		    LANGUAGE plproxy AS \$\$ CLUSTER 'qy_shards'; RUN ON ALL; \$\$;
		CREATE FUNCTION q.clv_states(OUT purchases quanyu.agg_state, OUT spend quanyu.agg_state,
		                             OUT breaks quanyu.agg_state, OUT metrics quanyu.agg_state) RETURNS SETOF record
		    LANGUAGE plproxy AS \$\$ CLUSTER 'qy_shards'; RUN ON ALL; \$\$;
		CREATE FUNCTION q.lift_state() RETURNS SETOF double precision[]
		    LANGUAGE plproxy AS \$\$ CLUSTER 'qy_shards'; RUN ON ALL; \$\$;
		CREATE FUNCTION q.funnel_levels(OUT level integer, OUT persons bigint) RETURNS SETOF record
		    LANGUAGE plproxy AS \$\$ CLUSTER 'qy_shards'; RUN ON ALL; \$\$;
		CREATE FUNCTION q.retention(OUT k integer, OUT persons bigint) RETURNS SETOF record
		    LANGUAGE plproxy AS \$\$ CLUSTER 'qy_shards'; RUN ON ALL; \$\$;
		SQL
} >>"$work/setup.log" 2>&1 || proxy_ok=fail
# postgres_fdw: one server per shard, the question views imported as foreign tables
fdw_ok=ok
{
	mkdb qy_coord postgres_fdw && psqlq -d qy_coord -f "$here/combine.sql" &&
		for i in $(seq 0 $((nshards - 1))); do
			psqlq -d qy_coord <<-SQL || exit 1
			CREATE SERVER shard_$i FOREIGN DATA WRAPPER postgres_fdw
			    OPTIONS (host '$PGHOST', port '$PGPORT', dbname 'qy_shard_$i', extensions 'quanyu');
			CREATE USER MAPPING FOR CURRENT_USER SERVER shard_$i OPTIONS (user '${PGUSER:-postgres}');
			CREATE SCHEMA fdw_$i;
			IMPORT FOREIGN SCHEMA q FROM SERVER shard_$i INTO fdw_$i;
			SQL
		done
} >>"$work/setup.log" 2>&1 || fdw_ok=fail
tap "$([ "$proxy_ok$fdw_ok" = okok ] && echo ok || echo fail)" "set-up: PL/Proxy cluster of $nshards shards ($proxy_ok) and postgres_fdw coordinator ($fdw_ok)"
[ "$setup_ok$proxy_ok$fdw_ok" = okokok ] || sed 's/^/# /' "$work/setup.log" | tail -20

# SRC(name) as PL/Proxy and as postgres_fdw gather it
src_plproxy() { sed -E 's/SRC\(([a-z_]+)\)/q.\1()/g'; }
src_fdw() {
	local from="" i
	for i in $(seq 0 $((nshards - 1))); do from="$from${from:+ UNION ALL }SELECT * FROM fdw_$i.v_\\1"; done
	sed -E "s/SRC\\(([a-z_]+)\\)/($from) AS src/g"
}

for qn in $QY_QUESTIONS; do
	qy_question_local "$qn" | psqlq -At -d qy_local >"$work/$qn.local" 2>&1
	for how in plproxy fdw; do
		db=qy_proxy
		[ "$how" = fdw ] && db=qy_coord
		qy_question_combined "$qn" | "src_$how" | psqlq -At -d "$db" >"$work/$qn.$how" 2>&1
		if [ -s "$work/$qn.local" ] && cmp -s "$work/$qn.local" "$work/$qn.$how"; then
			tap ok "$how: $qn combined from $nshards shards equals the one-node answer ($(wc -l <"$work/$qn.local") rows)"
		else
			tap fail "$how: $qn combined from $nshards shards equals the one-node answer"
			diff "$work/$qn.local" "$work/$qn.$how" | head -10 | sed 's/^/#   /'
		fi
	done
done
