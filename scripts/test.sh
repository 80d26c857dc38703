#!/usr/bin/env bash
# The whole suite, twice: on SQLite, then on PostgreSQL with a real Redis. Fails if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

pg_url=$(scripts/ensure-services.sh) || { echo "could not set up the test services" >&2; exit 1; }
$BIN/pybabel compile --use-fuzzy -d app/translations >/dev/null || exit 1

status=0
echo "== ruff"
$BIN/ruff check . || status=1
echo "== import contracts (lint-imports)"
$BIN/lint-imports || status=1

echo "== pass 1: SQLite, jobs in-process"
RELAIS_TEST_DATABASE="" RELAIS_TEST_REDIS_URL="" $BIN/pytest -n 2 "$@" || status=1

echo "== pass 2: PostgreSQL and Redis on loopback"
RELAIS_TEST_DATABASE="$pg_url" RELAIS_TEST_REDIS_URL="redis://127.0.0.1:6379/0" $BIN/pytest -n 2 "$@" || status=1

if [ $status -ne 0 ]; then echo "== FAILED (see above)"; else echo "== both passes green"; fi
exit $status
