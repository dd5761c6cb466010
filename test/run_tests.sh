#!/usr/bin/env bash
# Run every quanyu test: pg_regress (sql/ + expected/) and pgTAP (test/pgtap/).
#
#   bash test/run_tests.sh [--no-deps] [--only PATTERN] [--roaring-public-api]
#
# Installs missing packages, builds, starts a throwaway cluster in the build
# tree, runs the tests and ends with "N passed, N failed".  Exits non-zero
# when anything fails.  --only runs the tests whose file name contains
# PATTERN; --no-deps skips the package check; --roaring-public-api builds
# quanyu on CRoaring's public API only (make QY_ROARING_PUBLIC_API=1).

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

qy_parse_args "$@"
qy_setup "$QY_DEPS"
cd "$QY_REPO"

passed=0
failed=0

# pg_regress: one database, files in name order.
regress_tests=$(find sql -maxdepth 1 -name '*.sql' -printf '%f\n' 2>/dev/null | sed 's/\.sql$//' |
	grep -F -- "$QY_ONLY" | sort || true)
if [ -n "$regress_tests" ]; then
	qy_create_db quanyu_regress
	qy_say "pg_regress: $(echo "$regress_tests" | wc -l) files"
	rm -rf results regression.diffs regression.out
	pgxs_dir=$(dirname "$("$PG_CONFIG" --pgxs)")/../..
	# shellcheck disable=SC2086
	"$pgxs_dir/src/test/regress/pg_regress" --inputdir=. --bindir="$QY_INST_BIN" \
		--host="$PGHOST" --port="$PGPORT" --user=postgres --use-existing \
		--dbname=quanyu_regress $regress_tests | tee "$QY_BUILD/regress.log" || true
	ok=$(grep -cE '\.\.\. ok' "$QY_BUILD/regress.log" || true)
	bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$QY_BUILD/regress.log" || true)
	total=$(echo "$regress_tests" | wc -l)
	# A file pg_regress never reported on (crash, abort) counts as failed.
	[ $((ok + bad)) -lt "$total" ] && bad=$((total - ok))
	passed=$((passed + ok))
	failed=$((failed + bad))
	[ -s regression.diffs ] && qy_say "differences are in $QY_REPO/regression.diffs"
fi

# pgTAP: every assertion counts.
tap_tests=$(find test/pgtap -maxdepth 1 -name '*.sql' 2>/dev/null | grep -F -- "$QY_ONLY" | sort || true)
if [ -n "$tap_tests" ]; then
	qy_create_db quanyu_tap pgtap
	qy_say "pgTAP: $(echo "$tap_tests" | wc -l) files"
	tap_rc=0
	# shellcheck disable=SC2086
	pg_prove --verbose --ext .sql -h "$PGHOST" -p "$PGPORT" -U postgres -d quanyu_tap \
		$tap_tests >"$QY_BUILD/pgtap.log" 2>&1 || tap_rc=$?
	# One line per file with its result (pg_prove --verbose puts the file's
	# name first and its result last, with the assertions in between), then
	# the failed assertions of that file.
	awk '
		function flush() {
			if (file == "") return
			if (res ~ /^ok/ && bad == 0 && (plan == "" || okc == plan))
				line = sprintf("ok (%d tests)", okc)
			else if (bad > 0)
				line = sprintf("FAILED (%d of %d failed)", bad, plan == "" ? okc + bad : plan)
			else
				line = sprintf("FAILED (%s; %d of %s tests ran)", res == "" ? "no result" : res, okc, plan == "" ? "?" : plan)
			print hdr line
			printf "%s", fails
			file = ""
		}
		/^test\// { flush(); file = $1; hdr = $0; sub(/[ \t]*$/, " ", hdr); okc = 0; bad = 0; plan = ""; res = ""; fails = ""; next }
		/^(All tests successful|Test Summary Report|Files=)/ { flush(); next }
		/^Result:/ { flush(); print; next }
		file == "" { next }
		/^[ \t]*ok [0-9]/ { okc++; next }
		/^[ \t]*not ok [0-9]/ { bad++; fails = fails "    " $0 "\n"; next }
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; next }
		/^(ok$|ok[ \t]|Failed|Dubious|No subtests|No plan|Parse errors)/ { res = $0; next }
		END { flush() }
	' "$QY_BUILD/pgtap.log"
	ok=$(grep -cE '^\s*ok [0-9]' "$QY_BUILD/pgtap.log" || true)
	bad=$(grep -cE '^\s*not ok [0-9]' "$QY_BUILD/pgtap.log" || true)
	# A file that died or broke its plan counts once even without "not ok".
	if [ "$tap_rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=$(grep -cE '^test/.*(Dubious|Failed|No plan|Parse errors)' "$QY_BUILD/pgtap.log" || true)
		[ "$bad" -eq 0 ] && bad=1
	fi
	[ "$tap_rc" -ne 0 ] && qy_say "pgTAP output is in $QY_BUILD/pgtap.log"
	passed=$((passed + ok))
	failed=$((failed + bad))
fi

# The demo at a small scale with its invariants: TAP from test/demo_check.sh.
if [ -z "$QY_ONLY" ] || [[ demo_check == *"$QY_ONLY"* ]]; then
	qy_say "demo check (test/demo_check.sh)"
	# Its HTML check needs a browser: say so here, not only in the .err file.
	if ! command -v chromium >/dev/null 2>&1; then
		if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; then
			qy_say "demo check: installing chromium and the CJK font fonts-wqy-microhei with apt-get for the HTML check"
		else
			qy_say "demo check: no chromium and no sudo to install it: the HTML rendering tests skip"
		fi
	fi
	QY_PSQL="$QY_PSQL" QY_BUILD="$QY_BUILD" bash test/demo_check.sh >"$QY_BUILD/demo_check.tap" 2>"$QY_BUILD/demo_check.err" || true
	grep -E '^not ok' "$QY_BUILD/demo_check.tap" || true
	ok=$(grep -cE '^ok [0-9]' "$QY_BUILD/demo_check.tap" || true)
	bad=$(grep -cE '^not ok [0-9]' "$QY_BUILD/demo_check.tap" || true)
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$QY_BUILD/demo_check.tap")
	# A check that died before its plan was done counts the missing tests as failed.
	[ $((ok + bad)) -lt "${plan:-1}" ] && bad=$((${plan:-1} - ok))
	[ "$bad" -gt 0 ] && qy_say "demo check output is in $QY_BUILD/demo_check.tap and .err"
	passed=$((passed + ok))
	failed=$((failed + bad))
fi

# Catalog-wide safety checks that need a driver outside SQL (reconnecting
# after a crash, timing): every test/safety/*.sh prints TAP, counted like
# the demo check.  The signature fuzzer is test/safety/fuzz_signatures.sh.
# test/clients/*.sh (client drivers, e.g. psycopg), test/docs/*.sh (the
# ```sql examples of README.md and doc/*.md) and test/scale/*.sh (sharded
# suites) print TAP the same way.
for script in $(find test/safety test/clients test/docs test/scale -maxdepth 1 -name '*.sh' 2>/dev/null | grep -F -- "$QY_ONLY" | sort); do
	name=$(basename "$script" .sh)
	qy_say "safety: $script"
	QY_PSQL="$QY_PSQL" QY_BUILD="$QY_BUILD" bash "$script" >"$QY_BUILD/$name.tap" 2>"$QY_BUILD/$name.err" || true
	grep -E '^not ok|^#   (crash|hang)|^Bail out' "$QY_BUILD/$name.tap" || true
	grep -E '^# [0-9]+ calls|^# bench' "$QY_BUILD/$name.tap" >&2 || true
	ok=$(grep -cE '^ok [0-9]' "$QY_BUILD/$name.tap" || true)
	bad=$(grep -cE '^not ok [0-9]' "$QY_BUILD/$name.tap" || true)
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$QY_BUILD/$name.tap" | head -1)
	# A script that died before its plan was done counts the missing tests as failed.
	[ $((ok + bad)) -lt "${plan:-1}" ] && bad=$((${plan:-1} - ok))
	[ "$bad" -gt 0 ] && qy_say "$name output is in $QY_BUILD/$name.tap and .err"
	passed=$((passed + ok))
	failed=$((failed + bad))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
