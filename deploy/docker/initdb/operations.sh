#!/bin/sh
# First start of the operations container (postgres image, /docker-entrypoint-initdb.d):
# the read-only role of deploy/postgres/operations.sql, the cars catalog of
# deploy/postgres/cars.sql, then SELECT on it for that role (and nothing else).
set -eu
# Where deploy/postgres is mounted (tests run this script against a local server).
SQL_DIR="${DEPLOY_SQL_DIR:-/deploy/postgres}"

run_psql() {
    psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        -v reader_user="$OPS_READER_USER" "$@"
}

run_psql -v reader_password="$OPS_READER_PASSWORD" -f "$SQL_DIR/operations.sql"
run_psql -f "$SQL_DIR/cars.sql"
run_psql <<'SQL'
grant select on table public.cars to :"reader_user";
SQL
echo "operations: role and cars catalog ready"
