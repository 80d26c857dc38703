#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into an EMPTY database (and attachments folder).
#   deploy/restore.sh DUMP_FILE [ATTACHMENTS_ARCHIVE]
# DATABASE_URL names the database to fill: create it first (`createdb -O relais relais`), with
# the web, the workers and the scheduler stopped. RELAIS_ATTACHMENTS_DIR (or
# RELAIS_INSTANCE_PATH/attachments) receives the files. Then `flask db upgrade` (a no-op when the
# code is the dump's version) and start the programs again.
set -euo pipefail

dump=${1:?usage: deploy/restore.sh DUMP_FILE [ATTACHMENTS_ARCHIVE]}
archive=${2:-}
: "${DATABASE_URL:?DATABASE_URL is not set}"
db_url=${DATABASE_URL/postgresql+psycopg:/postgresql:}
db_url=${db_url/postgres:/postgresql:}

# --exit-on-error: a half-restored database must not look like a good one.
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$db_url" "$dump"
if [ -n "$archive" ]; then
  attachments=${RELAIS_ATTACHMENTS_DIR:-${RELAIS_INSTANCE_PATH:-$(dirname "$0")/../instance}/attachments}
  mkdir -p "$attachments"
  tar -xzf "$archive" -C "$attachments"
fi
echo "restored $dump"
