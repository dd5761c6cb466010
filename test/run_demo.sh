#!/usr/bin/env bash
# The main job: build, start a throwaway cluster, load the demo data set and
# print the full-domain report.
#
#   bash test/run_demo.sh [--no-deps]

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

deps=yes
[ "${1:-}" = --no-deps ] && deps=no
qy_setup "$deps"
cd "$QY_REPO"
qy_create_db quanyu_demo
for f in $(find test/demo -name '*.sql' | sort); do
	qy_say "demo: $f"
	"$QY_PSQL" -X -v ON_ERROR_STOP=1 -d quanyu_demo -f "$f"
done
