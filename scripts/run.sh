#!/usr/bin/env bash
# Serve the app on the embedded default, with the scheduler loop beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:-${PORT:-8000}}
PY=.venv/bin/python
export DJANGO_DEBUG=${DJANGO_DEBUG:-true}  # development mode on purpose (production is the default)
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
if $PY manage.py help run_scheduler >/dev/null 2>&1; then
  $PY manage.py run_scheduler &
  SCHED=$!
  trap 'kill $SCHED 2>/dev/null || true' EXIT INT TERM
fi
echo "Comrade Pay on http://127.0.0.1:$PORT/  (API docs: /api/docs/, admin: /admin/)"
$PY manage.py runserver "127.0.0.1:$PORT"
