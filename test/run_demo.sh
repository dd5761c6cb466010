#!/usr/bin/env bash
# The main job: install what is missing, build, start a throwaway cluster,
# generate a realistic brand's data and print the full-domain report; the
# same report is written as a self-contained HTML page.
#
#   bash test/run_demo.sh [--no-deps]
#
# SCALE=1 (default) is 200,000 persons; SCALE=10 is 2M (benchmarking);
# SEED=42 (default) picks the data set, identical on every run and machine.
# The reports land in $QY_BUILD/demo/ (.build/demo/ in the repo).

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=test/demo/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo/demo.sh"

deps=yes
while [ $# -gt 0 ]; do
	case "$1" in
	--no-deps) deps=no ;;
	*) qy_die "unknown argument: $1 (use --no-deps; SCALE=n and SEED=n in the environment)" ;;
	esac
	shift
done

qy_setup "$deps"
cd "$QY_REPO"
qy_create_db quanyu_demo
demo_run quanyu_demo "$QY_BUILD/demo"
