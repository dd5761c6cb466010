#!/usr/bin/env bash
# Run the benchmarks: every test/bench/*.sql file (lib.sql first).
#
#   bash test/run_bench.sh [--no-deps] [--only PATTERN]
#
# Each benchmark prints its time and the ratio against a plain-SQL baseline
# measured in the same run.  Output is also kept in .build/bench.txt.

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

qy_parse_args "$@"
qy_setup "$QY_DEPS"
cd "$QY_REPO"
qy_create_db quanyu_bench
"$QY_PSQL" -X -q -v ON_ERROR_STOP=1 -d quanyu_bench -f test/bench/lib.sql
{
	echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	for f in $(find test/bench -name '*.sql' ! -name lib.sql | grep -F -- "$QY_ONLY" | sort); do
		qy_say "benchmark $f"
		"$QY_PSQL" -X -q -v ON_ERROR_STOP=1 -d quanyu_bench -f "$f"
	done
} 2>&1 | tee "$QY_BUILD/bench.txt"
