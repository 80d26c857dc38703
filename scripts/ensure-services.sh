#!/usr/bin/env bash
# Install and start what the test suite needs on this machine, when it is missing:
# Debian's chromium and dovecot-imapd, PostgreSQL and Redis on loopback. Prints the PostgreSQL URL to use.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

# Chromium for the browser tests (Playwright drives Debian's build; it cannot download its own).
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium" >&2
  apt_install chromium
fi

# Dovecot for the IMAP poller's tests (they start it themselves, on a port of their own).
if ! command -v dovecot >/dev/null && [ ! -x /usr/sbin/dovecot ]; then
  echo "== installing dovecot-imapd" >&2
  apt_install dovecot-imapd
fi

# Redis on loopback.
if ! command -v redis-server >/dev/null; then
  echo "== installing redis" >&2
  apt_install redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "== starting redis" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >&2
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# PostgreSQL on loopback.
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "== installing postgresql" >&2
  apt_install postgresql
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "== starting postgresql" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start >&2
  for _ in $(seq 100); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.1; done
fi
url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
if ! psql "postgresql://postgres@127.0.0.1:5432/postgres" -Atqc "select 1" >/dev/null 2>&1; then
  # A fresh Debian cluster asks for a password on TCP: give the postgres role a local one.
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >&2
  url="postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres"
fi
echo "$url"
