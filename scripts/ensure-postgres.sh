#!/usr/bin/env bash
# Make a local PostgreSQL server available for the test suite and print its DATABASE_URL.
# Installs Debian's postgresql when INSTALL_POSTGRES=1 (CI) and it is missing; starts the local
# cluster; creates a role that may create the throwaway test databases. Exits 1 if none can be had.
set -euo pipefail
PG_USER=${PG_TEST_USER:-comrade}
PG_PASS=${PG_TEST_PASSWORD:-comrade}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  if [ "${INSTALL_POSTGRES:-0}" = "1" ]; then
    echo "installing PostgreSQL from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  else
    exit 1
  fi
fi

cluster=$(pg_lsclusters --no-header 2>/dev/null | head -1)
if [ -z "$cluster" ]; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_createcluster "$ver" main >&2
  cluster=$(pg_lsclusters --no-header | head -1)
fi
read -r ver name port status _ <<<"$cluster"
if [ "$status" != "online" ]; then
  pg_ctlcluster "$ver" "$name" start >&2
fi

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'" | grep -q 1 ||
  as_postgres psql -p "$port" -qc "CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASS'" >&2
as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_database WHERE datname='comrade'" | grep -q 1 ||
  as_postgres psql -p "$port" -qc "CREATE DATABASE comrade OWNER $PG_USER" >&2
echo "postgres://$PG_USER:$PG_PASS@127.0.0.1:$port/comrade"
