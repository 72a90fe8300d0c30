#!/usr/bin/env bash
# `make cluster`: rehearse docs/deployment.md on this machine (python -m cluster.run): Redis on a port
# of its own (CLUSTER_REDIS_PORT, 6390; Debian's redis-server is installed when missing), the local
# PostgreSQL with a fresh `comrade_cluster` database, 2 gunicorn nodes, 2 Celery workers, 1 beat.
# Stops the Redis server afterwards if this script started it. Not run in CI (too heavy).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "no .venv: run 'make install' first" >&2; exit 1; }
PORT=${CLUSTER_REDIS_PORT:-6390}
if [ -z "${BENCH_PG_URL:-}" ]; then
  BENCH_PG_URL=$(scripts/ensure-postgres.sh) || { echo "PostgreSQL is needed for the cluster" >&2; exit 1; }
  export BENCH_PG_URL
fi
started_redis=0
if ! redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; then
  started_redis=1
fi
REDIS_URL=$(INSTALL_REDIS=1 REDIS_TEST_PORT="$PORT" scripts/ensure-redis.sh) || { echo "Redis is needed" >&2; exit 1; }
export REDIS_URL
stop_redis() { [ "$started_redis" = 1 ] && redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; }
trap stop_redis EXIT
"$PY" -m cluster.run "$@"
