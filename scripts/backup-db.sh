#!/usr/bin/env bash
# Back up Zhibao's PostgreSQL database (docs/operations.md): scripts/backup-db.sh FILE
# Reads DATABASE_DIRECT_URL (the server, not the pooler), else DATABASE_URL. One consistent
# snapshot in pg_dump's custom format (compressed, checked readable before it is kept); a
# half-written dump never takes the final name.
set -euo pipefail
file=${1:?usage: scripts/backup-db.sh FILE}
# The server itself, never PgBouncer in transaction mode: pg_dump empties its session's search_path,
# and a pooler would hand that server connection, so emptied, to the application's next transaction.
url=${DATABASE_DIRECT_URL:-${DATABASE_URL:?DATABASE_DIRECT_URL or DATABASE_URL must name the database to back up}}
tool() { if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/$1" ]; then echo "$PG_BIN/$1"; else command -v "$1"; fi; }
"$(tool pg_dump)" --format=custom --no-owner --no-privileges --dbname="$url" --file="$file.partial"
"$(tool pg_restore)" --list "$file.partial" >/dev/null
mv "$file.partial" "$file"
echo "backup written to $file"
