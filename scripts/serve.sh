#!/usr/bin/env bash
# The embedded mode: the app, and beside it the ticker that runs the periodic jobs every minute
# (outbox sweep, automatic closures, reminders). Ctrl-C (or SIGTERM) stops both; so does either
# one ending on its own.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
export FLASK_APP=${FLASK_APP:-wsgi}

"$BIN/flask" jobs tick --every "${TICK_SECONDS:-60}" &
ticker=$!
"$BIN/flask" run --host "$HOST" --port "$PORT" &
web=$!

stop() {
    trap - INT TERM EXIT
    # Both run in the background, where a non-interactive shell ignores SIGINT: say it with TERM.
    kill -TERM "$web" "$ticker" 2>/dev/null
    wait "$web" "$ticker" 2>/dev/null
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# `wait -n` returns as soon as one of them ends (and lets the traps run at once on a signal).
wait -n "$web" "$ticker"
