#!/usr/bin/env bash
# Run the whole test suite against quanyu built with AddressSanitizer and
# UndefinedBehaviorSanitizer (make sanitize).
#
#   bash test/run_sanitized.sh [--no-deps] [--only PATTERN]
#
# The checkout is copied into .build-sanitize/tree and built there with
# COPT="-fsanitize=address,undefined ..." (gcc), so the normal build and its
# object files are never touched.  test/run_tests.sh of that copy then runs
# as usual, except that the server (which is not instrumented) runs with
# libasan and libubsan preloaded: every quanyu function it calls is checked.
# The sanitizers write their reports to .build-sanitize/reports/; the run
# fails when any report was written, even if every test passed.
#
# What is checked: out-of-bounds and use-after-free on malloc'd memory
# (CRoaring's bitmaps), on the stack and on globals, double frees, and
# undefined behaviour (overflow of signed integers, bad shifts, misaligned
# loads, ...) in quanyu's C.  Not checked: overruns inside palloc'd chunks,
# which PostgreSQL's allocator carves from bigger blocks (see
# doc/development.md).

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

qy_parse_args "$@"
[ "$QY_DEPS" = yes ] && qy_install_deps

SAN_DIR="$QY_REPO/.build-sanitize"
SAN_TREE="$SAN_DIR/tree"
SAN_REPORTS="$SAN_DIR/reports"

# gcc's runtimes: the same compiler PostgreSQL's PGXS uses.
libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
[ -e "$libasan" ] && [ -e "$libubsan" ] || qy_die "gcc's libasan/libubsan are missing (apt-get install gcc)"
libasan=$(readlink -f "$libasan")
libubsan=$(readlink -f "$libubsan")

# A fresh copy of the checkout (tracked and new files, as they are now).
qy_say "copying the checkout into $SAN_TREE"
mkdir -p "$SAN_DIR"
exec 8>"$SAN_DIR/lock"
flock 8
rm -rf "$SAN_TREE" "$SAN_REPORTS"
mkdir -p "$SAN_TREE" "$SAN_REPORTS"
(cd "$QY_REPO" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 tar cf - --ignore-failed-read 2>/dev/null) | tar xf - -C "$SAN_TREE"
# Initialise ASan before any other library's constructor (see the file).
gcc -shared -fPIC -O0 -Wl,-z,initfirst "$QY_REPO/test/tools/asan_first.c" -o "$SAN_DIR/asan_first.so"
chmod -R a+rX "$SAN_DIR"
chmod 1777 "$SAN_REPORTS"

# The server user runs every server process with the runtimes preloaded.
# detect_leaks=0: PostgreSQL leaves memory to process exit on purpose.
# verify_asan_link_order=0: the postgres binary itself is not instrumented.
SAN_ENV="LD_PRELOAD=$libasan:$libubsan:$SAN_DIR/asan_first.so"
SAN_ENV="$SAN_ENV ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:halt_on_error=1:abort_on_error=1:disable_coredump=1:detect_odr_violation=0:log_path=$SAN_REPORTS/asan"
SAN_ENV="$SAN_ENV UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$SAN_REPORTS/ubsan"

# The copy's lib.sh gets a hook (the checkout's lib.sh stays as it is):
# commands run as the server user (initdb, pg_ctl, so the postmaster and
# every backend) get the sanitizer environment.
cat >>"$SAN_TREE/test/lib.sh" <<EOF

# Appended by run_sanitized.sh to this copy only.
qy_run_as_server_user() {
	if [ "\$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- env $SAN_ENV "\$@")
	else
		env $SAN_ENV "\$@"
	fi
}
EOF

# Instrumented build: PGXS appends COPT to CFLAGS and LDFLAGS.
export COPT="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O1 -g"

args=(--no-deps)
[ -n "$QY_ONLY" ] && args+=(--only "$QY_ONLY")
qy_say "running the suite with ASan+UBSan (reports go to $SAN_REPORTS)"
suite_rc=0
QY_BUILD="$SAN_TREE/.build" bash "$SAN_TREE/test/run_tests.sh" "${args[@]}" || suite_rc=$?

# Reports: one file per process that found something.  UBSan (loaded as
# its own runtime next to ASan) can also write to the server's stderr, that
# is the server log; a backend that halted on a report exits with code 1.
reports=$(find "$SAN_REPORTS" -type f -size +0 | sort)
nreports=$(printf '%s' "$reports" | grep -c . || true)
server_log="$SAN_TREE/.build/cluster/server.log"
logged=$(grep -cE 'runtime error:|ERROR: AddressSanitizer' "$server_log" 2>/dev/null || true)
signals=$(grep -cE 'terminated by signal|server process .* exited with exit code' "$server_log" 2>/dev/null || true)
if [ "$nreports" -gt 0 ]; then
	qy_say "$nreports sanitizer report file(s):"
	for f in $reports; do
		echo "---- $f"
		# The first error line and the first frames in quanyu's code.
		grep -E 'ERROR: AddressSanitizer|runtime error|SUMMARY' "$f" | head -5
		grep -E '#[0-9]+ .*(src/|quanyu)' "$f" | head -8
	done
fi
if [ "$logged" -gt 0 ]; then
	qy_say "$logged sanitizer report(s) in the server log:"
	grep -E -A12 'runtime error:|ERROR: AddressSanitizer' "$server_log" | grep -E 'runtime error|AddressSanitizer|#[0-9]+ .*(src/|quanyu)' | head -40
fi
qy_say "backends that died (signal or sanitizer exit): ${signals:-0} (log: $server_log)"
echo "sanitizer reports: $((nreports + logged)), dead backends: ${signals:-0}, suite exit code: $suite_rc"
[ "$nreports" -eq 0 ] && [ "$logged" -eq 0 ] && [ "$signals" -eq 0 ] && [ "$suite_rc" -eq 0 ]
