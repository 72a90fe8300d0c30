#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL when a server can be had (in CI it must be), then
# the browser journeys (Playwright driving Debian's Chromium, on SQLite) when Chromium is installed
# (in CI it is installed if missing). Prints "browser tests: ran" only when they ran and passed.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ran=()

if [ "${CI:-}" = "true" ]; then export INSTALL_POSTGRES=1 REQUIRE_POSTGRES=1 INSTALL_REDIS=1 INSTALL_CHROMIUM=1; fi
if REDIS_TEST_URL=$(scripts/ensure-redis.sh 2>/dev/null); then
  echo "== Redis at $REDIS_TEST_URL: the Celery task also runs through a real worker =="
else
  echo "== Redis not available: the real Celery worker test is skipped =="
fi

echo "== test suite on SQLite =="
$PY -m pytest -m "not browser" "$@" || exit 1
ran+=(sqlite)

if PG_URL=$(scripts/ensure-postgres.sh); then
  echo "== test suite on PostgreSQL ($PG_URL) =="
  DATABASE_URL=$PG_URL $PY -m pytest -m "not browser" --create-db "$@" || exit 1
  ran+=(postgresql)
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required here but could not be started" >&2
  exit 1
else
  echo "== PostgreSQL not installed: concurrency tests were skipped =="
fi
echo "databases tested: ${ran[*]}"

if CHROMIUM_PATH=$(scripts/ensure-chromium.sh); then
  export CHROMIUM_PATH
  echo "== browser tests on SQLite (Chromium at $CHROMIUM_PATH) =="
  mkdir -p build
  report=build/browser-tests.xml
  rm -f "$report"
  $PY -m pytest -m browser --junitxml="$report" "$@"
  status=$?
  if [ "$status" = 5 ]; then
    echo "browser tests: none selected"
  elif [ "$status" != 0 ]; then
    exit 1
  elif $PY scripts/junit_ran.py "$report"; then
    echo "browser tests: ran"
  else
    echo "browser tests: skipped"
  fi
else
  echo "browser tests: not run (Chromium not installed; apt-get install chromium)"
fi
