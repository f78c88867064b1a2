#!/usr/bin/env bash
# Start Pigeon on its embedded default (SQLite in ./.pigeon, simulated carrier) at http://127.0.0.1:8090.
# Any `pigeon serve` flag may follow, e.g. scripts/serve.sh --port 9000 --default-account-tier SANDBOX
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pigeon serve "$@"
