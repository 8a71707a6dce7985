#!/usr/bin/env bash
# Creates the Temporal server's two PostgreSQL databases (main and visibility) and brings both to the
# schema of the server version that scripts/ensure-temporal-server.sh provides, with that version's
# temporal-sql-tool. Safe to run again: existing databases are kept and only updated.
# Settings: the same TEMPORAL_SERVER_DB_* variables that deploy/temporal/config/production.yaml reads.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(bash "$root/scripts/ensure-temporal-server.sh" bin)"
schema="$(bash "$root/scripts/ensure-temporal-server.sh" schema-dir)"
host="${TEMPORAL_SERVER_DB_HOST:-127.0.0.1}"
port="${TEMPORAL_SERVER_DB_PORT:-5432}"
user="${TEMPORAL_SERVER_DB_USER:-postgres}"
main_db="${TEMPORAL_SERVER_DB:-temporal}"
visibility_db="${TEMPORAL_SERVER_VISIBILITY_DB:-temporal_visibility}"
# The password goes through the environment (SQL_PASSWORD), never the command line.
export SQL_PASSWORD="${TEMPORAL_SERVER_DB_PASSWORD:-}"

setup() { # <database> <schema folder>
  # --db is global: given after the subcommand, create-database would create nothing.
  local sql=("$bin/temporal-sql-tool" --plugin postgres12 --ep "$host" -p "$port" -u "$user" --db "$1")
  "${sql[@]}" create-database 2>&1 | grep -v 'already exists' || true
  "${sql[@]}" setup-schema -v 0.0
  "${sql[@]}" update-schema -d "$schema/$2/versioned"
}

setup "$main_db" temporal > >(sed "s/^/[$main_db] /") 2>&1 &
main_pid=$!
setup "$visibility_db" visibility > >(sed "s/^/[$visibility_db] /") 2>&1 &
visibility_pid=$!
status=0
wait "$main_pid" || status=$?
wait "$visibility_pid" || status=$?
exit "$status"
