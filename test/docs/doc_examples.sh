#!/usr/bin/env bash
# test/docs/doc_examples.sh: docs that run.  Every ```sql block of README.md
# and doc/*.md runs against a fresh database per file, and every ```text
# block that follows one is compared with psql's output (the convention is
# in doc/development.md, "Docs that run"; the work is done by
# doc_examples.py).  Prints TAP, one test per file; run by test/run_tests.sh
# with the throwaway cluster's PGHOST/PGPORT/PGUSER and QY_PSQL.
# DOC_ONLY=regex limits the files (e.g. DOC_ONLY=clv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
QY_PSQL=${QY_PSQL:-psql} exec /usr/bin/python3 test/docs/doc_examples.py "$@"
