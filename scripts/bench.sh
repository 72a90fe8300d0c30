#!/usr/bin/env bash
# `make bench`: throughput and latency of transfers (HTTP, service layer, bare-SQL floor) on
# PostgreSQL and SQLite, history at scale, standing orders, a hot group pot. Runs on its own
# databases (PostgreSQL `comrade_bench`, /tmp/comrade-bench.sqlite3), never on db.sqlite3 or the test
# databases. Figures go to bench/results/<stamp>.json and .md. Sizes: BENCH_* (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "no .venv: run 'make install' first" >&2; exit 1; }
if [ -z "${BENCH_PG_URL:-}" ]; then
  BENCH_PG_URL=$(scripts/ensure-postgres.sh) || { echo "PostgreSQL is needed for the benchmarks" >&2; exit 1; }
  export BENCH_PG_URL
fi
exec "$PY" -m bench.run "$@"
