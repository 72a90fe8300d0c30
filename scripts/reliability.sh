#!/usr/bin/env bash
# `make reliability`: money invariants under concurrent HTTP load and SIGKILL of the server,
# idempotency storms, an access matrix and schemathesis, on its own PostgreSQL database
# (comrade_reliability). RELIABILITY_SHORT=1 is the CI form (under 5 minutes). Exits 1 on any
# violation. Installs the "reliability" extra (schemathesis) into .venv when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "no .venv: run 'make install' first" >&2; exit 1; }
if [ ! -x .venv/bin/schemathesis ]; then
  echo "== installing the reliability extra (schemathesis) =="
  "$PY" -m pip install -q -c requirements.lock ".[reliability]"
fi
if [ -z "${BENCH_PG_URL:-}" ]; then
  BENCH_PG_URL=$(scripts/ensure-postgres.sh) || { echo "PostgreSQL is needed for the reliability suite" >&2; exit 1; }
  export BENCH_PG_URL
fi
exec "$PY" -m reliability.run "$@"
