#!/usr/bin/env bash
# Restore a backup of scripts/backup-db.sh into an empty database (docs/operations.md):
# scripts/restore-db.sh FILE. Reads DATABASE_DIRECT_URL (the server, not the pooler), else
# DATABASE_URL. All or nothing: one transaction, stopping at the first error. The append-only
# triggers come back with the schema, after the rows.
set -euo pipefail
file=${1:?usage: scripts/restore-db.sh FILE}
# The server itself, never PgBouncer in transaction mode: pg_restore empties its session's search_path,
# and a pooler would hand that server connection, so emptied, to the application's next transaction.
url=${DATABASE_DIRECT_URL:-${DATABASE_URL:?DATABASE_DIRECT_URL or DATABASE_URL must name the empty database to restore into}}
tool() { if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/$1" ]; then echo "$PG_BIN/$1"; else command -v "$1"; fi; }
"$(tool pg_restore)" --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$file"
echo "restored $file"
