#!/usr/bin/env bash
# `make bench`: the performance figures of docs/performance.md, against a throwaway PostgreSQL and
# Redis on loopback started here the way .ci/run starts them, and stopped on the way out.
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

PG_BIN=/usr/local/bin
if [ ! -x "$PG_BIN/initdb" ]; then
  if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  fi
  PG_BIN=/usr/lib/postgresql/15/bin
fi
if ! command -v redis-server >/dev/null; then
  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
fi

id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
PGTMP=$(mktemp -d); chown postgres: "$PGTMP"
RTMP=$(mktemp -d)
PGPORT=$(free_port); RPORT=$(free_port)
cleanup() {
  [ -s "$PGTMP/pgbouncer.pid" ] && kill "$(cat "$PGTMP/pgbouncer.pid")" 2>/dev/null || true
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1 || true
  redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$PGTMP" "$RTMP"
}
trap cleanup EXIT

(cd "$PGTMP" && runuser -u postgres -- "$PG_BIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null)
# As CI runs it (fsync off); shared_buffers sized for the million-claim tables.
(cd "$PGTMP" && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c max_connections=200 -c shared_buffers=1GB -c max_wal_size=4GB" start >/dev/null)
redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no --daemonize yes \
  --dir "$RTMP" --pidfile "$RTMP/redis.pid" --logfile "$RTMP/redis.log"
for _ in $(seq 50); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

# api_ratio_pooled: a second gunicorn reaches the same database through PgBouncer in transaction mode
# with persistent connections, as production runs (README "Production engines").
PGBPORT=$(free_port)
PG_BIN="$PG_BIN" scripts/start-pgbouncer.sh "$PGTMP" "$PGPORT" "$PGBPORT"

export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
export BENCH_POOLED_DATABASE_URL="postgres://postgres@127.0.0.1:$PGBPORT/postgres"
export CELERY_BROKER_URL="redis://127.0.0.1:$RPORT/0"
export CACHE_URL="redis://127.0.0.1:$RPORT/1"
export DJANGO_SETTINGS_MODULE=bench.settings
echo "bench: PostgreSQL on $PGPORT (PgBouncer on $PGBPORT), Redis on $RPORT"
"${PY:-.venv/bin/python}" -m bench.run "$@"
