#!/usr/bin/env bash
# Start PgBouncer in transaction mode in front of a PostgreSQL on loopback, as production pools its
# connections: `scripts/start-pgbouncer.sh DIR PGPORT PORT` writes DIR/pgbouncer.ini, starts the
# pooler as the postgres user (it refuses to run as root) on 127.0.0.1:PORT, and returns once a
# query has gone through it. Stop it with `kill "$(cat DIR/pgbouncer.pid)"`. Used by .ci/run and
# bench/run.sh; any failure ends the caller with the pooler's log, never a suite run without it.
set -euo pipefail
DIR=$1 PGPORT=$2 PORT=$3
# psql from PG_BIN, else PostgreSQL 15's own folder, else PATH (PG_BIN may hold only the server's programs).
PSQL=$(for d in "${PG_BIN:-}" /usr/lib/postgresql/15/bin; do [ -x "$d/psql" ] && echo "$d/psql" && break; done || true)
PSQL=${PSQL:-$(command -v psql)}

if ! command -v pgbouncer >/dev/null; then
  apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null
fi
PGBOUNCER=$(command -v pgbouncer)

# Trust on loopback, as the throwaway cluster itself: the user must still be listed.
echo '"postgres" ""' >"$DIR/userlist.txt"
cat >"$DIR/pgbouncer.ini" <<INI
[databases]
; Every database name (the test database, the scratch ones tests make) to the same server.
* = host=127.0.0.1 port=$PGPORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = transaction
; A client holds a server connection only while its transaction runs. The suite's threads and
; workers each hold one during a test, so the pool per database is larger than they need together.
default_pool_size = 60
max_client_conn = 1000
max_db_connections = 150
; pg_dump and drivers that send it at start-up (it has no meaning for a pooled connection).
ignore_startup_parameters = extra_float_digits
; Transaction mode: nothing of a session survives a transaction, so there is nothing to reset.
server_reset_query =
; A login refused (a database dropped and made again between tests) is retried after a second, not 15.
server_login_retry = 1
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
admin_users = postgres
INI
chown postgres: "$DIR/userlist.txt" "$DIR/pgbouncer.ini"
touch "$DIR/pgbouncer.log" && chown postgres: "$DIR/pgbouncer.log"

fail() {
  echo "PgBouncer did not start on 127.0.0.1:$PORT: $1" >&2
  cat "$DIR/pgbouncer.log" >&2 || true
  exit 1
}
if [ "$(id -u)" = 0 ]; then
  runuser -u postgres -- "$PGBOUNCER" -d "$DIR/pgbouncer.ini" || fail "pgbouncer exited"
else
  "$PGBOUNCER" -d "$DIR/pgbouncer.ini" || fail "pgbouncer exited"
fi
for _ in $(seq 50); do
  if "$PSQL" -X -q -At -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.1
done
fail "no answer to SELECT 1 within 5 s"
