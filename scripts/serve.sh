#!/usr/bin/env bash
# The embedded mode: the app, and beside it the ticker that runs the periodic jobs every minute
# (outbox sweep, automatic closures, reminders). Ctrl-C stops both.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
export FLASK_APP=${FLASK_APP:-wsgi}

"$BIN/flask" jobs tick --every "${TICK_SECONDS:-60}" &
ticker=$!
stop_ticker() {
    kill -TERM "$ticker" 2>/dev/null
    wait "$ticker" 2>/dev/null
}
trap stop_ticker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BIN/flask" run --host "$HOST" --port "$PORT"
