#!/usr/bin/env bash
# test/clients/drivers.sh: the default adaptations of psycopg 2 and psycopg 3
# (Debian's python3-psycopg2 and python3-psycopg) against audience, and the
# psycopg 3 adapter of doc/audience.md run verbatim.  Prints TAP; run by
# test/run_tests.sh with the throwaway cluster's PGHOST/PGPORT/PGUSER.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
psql=${QY_PSQL:-psql}
"$psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS quanyu_clients" -c "CREATE DATABASE quanyu_clients"
"$psql" -X -q -v ON_ERROR_STOP=1 -d quanyu_clients -c "CREATE EXTENSION quanyu" \
	-c "ALTER DATABASE quanyu_clients SET search_path = quanyu, public"
# Debian's python3-psycopg* live in the system interpreter's dist-packages.
PGDATABASE=quanyu_clients exec /usr/bin/python3 test/clients/drivers.py
