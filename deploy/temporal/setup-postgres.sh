#!/bin/sh
# One-shot schema job (temporalio/admin-tools): creates the `temporal` and `temporal_visibility`
# databases and brings both schemas to the version of this image's temporal-sql-tool, whose
# schemas are built into it (--schema-name): no dependence on where an image keeps schema files,
# and the same script runs outside the image (test/cluster/postgres-cluster.test.ts). Idempotent:
# `create` tolerates an existing database and `update-schema` only applies missing versions.
set -eu

: "${POSTGRES_SEEDS:?}" "${DB_PORT:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"

echo "waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT} ..."
nc -z -w 10 "$POSTGRES_SEEDS" "$DB_PORT"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" "$@"
}

# --db temporal: workflow histories; --db temporal_visibility: list/search (search attributes).
sql_tool --db temporal create
sql_tool --db temporal setup-schema -v 0.0
sql_tool --db temporal update-schema --schema-name postgresql/v12/temporal

sql_tool --db temporal_visibility create
sql_tool --db temporal_visibility setup-schema -v 0.0
sql_tool --db temporal_visibility update-schema --schema-name postgresql/v12/visibility

echo "PostgreSQL schemas are ready"
