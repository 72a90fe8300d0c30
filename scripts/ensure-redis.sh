#!/usr/bin/env bash
# Make a local Redis server available (Celery broker for the real-worker test) and print its URL.
# Installs Debian's redis-server when INSTALL_REDIS=1 (CI) and it is missing; starts it on
# 127.0.0.1 if nothing answers there. Exits 1 if no Redis can be had.
set -euo pipefail
PORT=${REDIS_TEST_PORT:-6379}

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "${INSTALL_REDIS:-0}" = "1" ]; then
    echo "installing Redis from Debian's packages" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
  else
    exit 1
  fi
fi

ping() { redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; }

if ! ping; then
  redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes --save '' --appendonly no \
    --logfile /tmp/comrade-redis-$PORT.log >&2
  for _ in $(seq 50); do ping && break; sleep 0.1; done
  ping || { echo "redis-server did not start on 127.0.0.1:$PORT" >&2; exit 1; }
fi
echo "redis://127.0.0.1:$PORT/0"
