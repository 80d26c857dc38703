#!/usr/bin/env bash
# Back up Relais: the PostgreSQL database (pg_dump, custom format) and the attachments folder.
#   deploy/backup.sh DESTINATION_DIR
# Reads DATABASE_URL and RELAIS_ATTACHMENTS_DIR (or RELAIS_INSTANCE_PATH/attachments) from the
# environment, e.g. `set -a; . /etc/relais/relais.env; set +a` first. Writes
#   DESTINATION_DIR/relais-YYYYmmddTHHMMSSZ.dump and relais-…-attachments.tar.gz
# The database is dumped first: an attachment file written after the dump started is then in
# the archive too, and a restored ticket never points at a missing file.
set -euo pipefail

dest=${1:?usage: deploy/backup.sh DESTINATION_DIR}
: "${DATABASE_URL:?DATABASE_URL is not set}"
# libpq does not know SQLAlchemy's driver suffix.
db_url=${DATABASE_URL/postgresql+psycopg:/postgresql:}
db_url=${db_url/postgres:/postgresql:}
attachments=${RELAIS_ATTACHMENTS_DIR:-${RELAIS_INSTANCE_PATH:-$(dirname "$0")/../instance}/attachments}
stamp=$(date -u +%Y%m%dT%H%M%SZ)

mkdir -p "$dest"
umask 077  # the dump holds personal data
pg_dump --format=custom --no-owner --no-privileges --file="$dest/relais-$stamp.dump.part" "$db_url"
mv "$dest/relais-$stamp.dump.part" "$dest/relais-$stamp.dump"
if [ -d "$attachments" ]; then
  tar -czf "$dest/relais-$stamp-attachments.tar.gz.part" -C "$attachments" .
  mv "$dest/relais-$stamp-attachments.tar.gz.part" "$dest/relais-$stamp-attachments.tar.gz"
fi
echo "$dest/relais-$stamp.dump"
