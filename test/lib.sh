# test/lib.sh: shared set-up for the README commands (sourced, not run).
#
# It installs missing Debian packages, builds quanyu, installs it into a
# private copy of the PostgreSQL installation inside the build tree (so no
# system directory is touched and parallel checkouts never collide), and
# starts a throwaway cluster on a unix socket only.  The cluster is stopped
# on exit, also when something fails.

set -euo pipefail

QY_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QY_PG_MAJOR=15
QY_PACKAGES="make gcc libc6-dev postgresql-$QY_PG_MAJOR postgresql-server-dev-$QY_PG_MAJOR
 libroaring-dev libxxhash-dev postgresql-$QY_PG_MAJOR-pgtap libtap-parser-sourcehandler-pgtap-perl
 python3-psycopg2 python3-psycopg postgresql-$QY_PG_MAJOR-cron postgresql-$QY_PG_MAJOR-plproxy"
# python3-psycopg2 and python3-psycopg: test/clients/drivers.sh checks what
# the two common Python drivers send for lists and bytes, and runs the
# psycopg 3 adapter of doc/audience.md.  postgresql-NN-cron: pg_cron, which
# schedules segment refreshes (doc/activation.md); the cluster preloads it.
# postgresql-NN-plproxy: test/scale/sharded_plproxy_fdw.sh runs the questions
# of doc/scale-out.md over four shard databases through PL/Proxy (and
# postgres_fdw, in contrib).
QY_PORT=${QY_PORT:-54329}

qy_say() { printf '== %s\n' "$*" >&2; }
qy_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
qy_as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian packages that are missing (build tools included: a
# fresh Debian has no make or gcc).
qy_install_deps() {
	local missing="" p
	for p in $QY_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	qy_say "installing:$missing"
	# Our clusters live in the build tree; do not let the package create
	# and start a system-wide one when postgresql-common is new here.  The
	# setting is needed only during this install: qy_restore_createcluster
	# puts the file back as it was right after it (also when the install
	# fails or is interrupted), so a later postgresql-NN install by the
	# user creates its main cluster as usual.
	if ! dpkg-query -W -f='${Status}' postgresql-common 2>/dev/null | grep -q "ok installed"; then
		qy_hold_createcluster
	fi
	qy_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	qy_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o Dpkg::Options::=--force-confold --no-install-recommends $missing >/dev/null
	qy_restore_createcluster
}

# /etc/postgresql-common/createcluster.conf during the package install:
# qy_hold_createcluster saves its state and writes "create_main_cluster =
# false"; qy_restore_createcluster puts back the saved copy, or, when there
# was no file, the file postgresql-common itself installs (its template,
# which ucf has just registered), or nothing when there is no template.
QY_CC_CONF=${QY_CC_CONF:-/etc/postgresql-common/createcluster.conf}
QY_CC_HELD=""
qy_hold_createcluster() {
	QY_CC_HELD=$(mktemp -d)
	if qy_as_root test -e "$QY_CC_CONF"; then
		qy_as_root cp -p "$QY_CC_CONF" "$QY_CC_HELD/saved"
	fi
	trap 'qy_restore_createcluster' EXIT
	trap 'qy_restore_createcluster; exit 130' INT TERM
	qy_as_root mkdir -p "$(dirname "$QY_CC_CONF")"
	echo "create_main_cluster = false" | qy_as_root tee "$QY_CC_CONF" >/dev/null
}

qy_restore_createcluster() {
	local template=/usr/share/postgresql-common/createcluster.conf
	[ -n "$QY_CC_HELD" ] || return 0
	if [ -e "$QY_CC_HELD/saved" ]; then
		qy_as_root cp -p "$QY_CC_HELD/saved" "$QY_CC_CONF"
	elif [ -f "$template" ]; then
		qy_as_root install -m 644 "$template" "$QY_CC_CONF"
	else
		qy_as_root rm -f "$QY_CC_CONF"
	fi
	qy_as_root rm -rf "$QY_CC_HELD"
	QY_CC_HELD=""
	trap - EXIT INT TERM
}

# Who runs the server: PostgreSQL refuses root, so root hands it to the
# postgres OS user that Debian's package creates.
qy_server_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

qy_run_as_server_user() {
	# From /, which the server user can always enter (our cwd may be private).
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Choose the build directory: .build in the repo when the server user can
# reach it, else a private directory under /tmp (e.g. a clone under a
# mode-700 mktemp directory).
qy_choose_build_dir() {
	if [ -n "${QY_BUILD:-}" ]; then
		:
	elif [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -r "$QY_REPO/quanyu.control" 2>/dev/null; then
		QY_BUILD="$QY_REPO/.build"
	else
		QY_BUILD=$(mktemp -d /tmp/quanyu-build.XXXXXX)
		chmod 755 "$QY_BUILD"
		qy_say "the postgres user cannot reach $QY_REPO; using $QY_BUILD for the cluster"
	fi
	mkdir -p "$QY_BUILD"
	export QY_BUILD
}

qy_build() {
	PG_CONFIG=$(command -v pg_config || true)
	[ -x "/usr/lib/postgresql/$QY_PG_MAJOR/bin/pg_config" ] && PG_CONFIG=/usr/lib/postgresql/$QY_PG_MAJOR/bin/pg_config
	[ -n "$PG_CONFIG" ] || qy_die "pg_config not found"
	export PG_CONFIG
	QY_BINDIR=$("$PG_CONFIG" --bindir)
	# CRoaring flavour (Makefile): QY_ROARING_PUBLIC_API=1 (--roaring-public-api)
	# builds on CRoaring's public API only.  The library is relinked when the
	# flavour changes, since its object list differs.
	local api=internals
	[ "${QY_ROARING_PUBLIC_API:-}" = 1 ] && api=public-api
	if [ "$(cat "$QY_REPO/.roaring-api" 2>/dev/null)" != "$api" ]; then
		rm -f "$QY_REPO/quanyu.so"
		echo "$api" >"$QY_REPO/.roaring-api"
	fi
	qy_say "building quanyu (CRoaring $api)"
	make -s -C "$QY_REPO" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >&2
}

# Copy the PostgreSQL installation into the build tree and install quanyu
# there.  postgres finds its share and lib directories relative to its own
# binary, so the copy sees our extension and nothing else changes.
qy_temp_install() {
	local inst="$QY_BUILD/inst" sharedir pkglibdir
	sharedir=$("$PG_CONFIG" --sharedir)
	pkglibdir=$("$PG_CONFIG" --pkglibdir)
	rm -rf "$inst"
	mkdir -p "$inst$(dirname "$QY_BINDIR")" "$inst$(dirname "$sharedir")" "$inst$(dirname "$pkglibdir")"
	cp -a "$QY_BINDIR" "$inst$QY_BINDIR"
	[ -d "$inst$pkglibdir" ] || cp -a "$pkglibdir" "$inst$pkglibdir"
	cp -a "$sharedir" "$inst$sharedir"
	make -s -C "$QY_REPO" PG_CONFIG="$PG_CONFIG" install DESTDIR="$inst" >/dev/null
	QY_INST_BIN="$inst$QY_BINDIR"
	chmod -R a+rX "$QY_BUILD/inst"
}

# Start a throwaway cluster with a unix socket in the build tree, no TCP.
qy_start_cluster() {
	local dir="$QY_BUILD/cluster"
	qy_stop_cluster
	rm -rf "$dir"
	mkdir -p "$dir"
	chown "$(qy_server_user)" "$dir" 2>/dev/null || true
	qy_say "starting a throwaway cluster in $dir"
	qy_run_as_server_user "$QY_INST_BIN/initdb" -D "$dir/data" -U postgres -A trust \
		--no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; qy_die "initdb failed"; }
	cat >>"$dir/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$dir'
		port = $QY_PORT
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 512MB
		work_mem = 256MB
		maintenance_work_mem = 512MB
		max_parallel_workers_per_gather = 2
		max_wal_size = 4GB
		lc_messages = 'C'
	EOF
	# pg_cron (doc/activation.md), when installed: its scheduler lives in the
	# postgres database and runs jobs in background workers (no TCP here);
	# jobs go to other databases with cron.schedule_in_database.
	if [ -f "$QY_BUILD/inst$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
		cat >>"$dir/data/postgresql.conf" <<-EOF
			shared_preload_libraries = 'pg_cron'
			cron.database_name = 'postgres'
			cron.use_background_workers = on
			max_worker_processes = 16
		EOF
	fi
	trap qy_stop_cluster EXIT
	qy_run_as_server_user "$QY_INST_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start ||
		{ cat "$dir/server.log" >&2; qy_die "the server did not start"; }
	export PGHOST="$dir" PGPORT="$QY_PORT" PGUSER=postgres
	QY_PSQL="$QY_INST_BIN/psql"
}

qy_stop_cluster() {
	local dir="${QY_BUILD:-}/cluster"
	if [ -n "${QY_BUILD:-}" ] && [ -f "$dir/data/postmaster.pid" ]; then
		qy_run_as_server_user "$QY_INST_BIN/pg_ctl" -D "$dir/data" -m fast -w -s stop || true
	fi
}

# Copy the shared test data (../shared/data) into test/data for the clients.
qy_copy_data() {
	local shared="${QY_SHARED:-$QY_REPO/../shared}"
	if [ -d "$shared/data" ]; then
		mkdir -p "$QY_REPO/test/data"
		cp -r "$shared/data/." "$QY_REPO/test/data/"
		chmod -R u+w "$QY_REPO/test/data"
	else
		qy_say "no shared data at $shared/data: tests that need it will fail"
	fi
}

# Create a database with quanyu (and the extra extensions given) on the path.
qy_create_db() {
	local db=$1 ext
	shift
	"$QY_PSQL" -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
	for ext in "$@" quanyu; do
		"$QY_PSQL" -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION $ext"
	done
	"$QY_PSQL" -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER DATABASE $db SET search_path = quanyu, public"
}

# Parse the options every command takes into QY_DEPS and QY_ONLY.
qy_parse_args() {
	QY_DEPS=yes
	QY_ONLY=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--no-deps) QY_DEPS=no ;;
		--only) QY_ONLY=${2:?--only needs a pattern}; shift ;;
		--roaring-public-api) export QY_ROARING_PUBLIC_API=1 ;;
		*) qy_die "unknown argument: $1 (use --no-deps, --only PATTERN, --roaring-public-api)" ;;
		esac
		shift
	done
}

# Everything the README commands share: packages, build, install, cluster.
qy_setup() {
	local deps=${1:-yes}
	[ "$deps" = yes ] && qy_install_deps
	qy_choose_build_dir
	# One run at a time per build tree: a second run waits for the first.
	exec 9>"$QY_BUILD/lock"
	flock 9
	qy_build
	qy_temp_install
	qy_copy_data
	qy_start_cluster
}
