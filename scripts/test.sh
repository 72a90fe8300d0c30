#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL when a server can be had (in CI it must be).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ran=()

if [ "${CI:-}" = "true" ]; then export INSTALL_POSTGRES=1 REQUIRE_POSTGRES=1 INSTALL_REDIS=1; fi
if REDIS_TEST_URL=$(scripts/ensure-redis.sh 2>/dev/null); then
  echo "== Redis at $REDIS_TEST_URL: the Celery task also runs through a real worker =="
else
  echo "== Redis not available: the real Celery worker test is skipped =="
fi

echo "== test suite on SQLite =="
$PY -m pytest "$@" || exit 1
ran+=(sqlite)

if PG_URL=$(scripts/ensure-postgres.sh); then
  echo "== test suite on PostgreSQL ($PG_URL) =="
  DATABASE_URL=$PG_URL $PY -m pytest --create-db "$@" || exit 1
  ran+=(postgresql)
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required here but could not be started" >&2
  exit 1
else
  echo "== PostgreSQL not installed: concurrency tests were skipped =="
fi
echo "databases tested: ${ran[*]}"
