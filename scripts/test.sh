#!/usr/bin/env bash
# Run the whole test suite (SQLite and PostgreSQL), installing everything it needs first.
# Extra arguments go to pytest, e.g. scripts/test.sh -k pools
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
set +e
.venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
status=$?
set -e
[ $status -eq 5 ] && { echo "no tests ran" >&2; exit 1; }
exit $status
