#!/bin/sh
# First start of the warehouse container (postgres image, /docker-entrypoint-initdb.d):
# the schemas and least-privilege roles of deploy/postgres/warehouse.sql, with the same psql
# variables `python -m infinit.localdb up` passes. Values come from env_file .env; the
# passwords reach psql as variables and are never echoed.
set -eu
# Where deploy/postgres is mounted (tests run this script against a local server).
SQL_DIR="${DEPLOY_SQL_DIR:-/deploy/postgres}"

psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v loader_user="$WAREHOUSE_LOADER_USER" -v loader_password="$WAREHOUSE_LOADER_PASSWORD" \
    -v transformer_user="$WAREHOUSE_TRANSFORMER_USER" -v transformer_password="$WAREHOUSE_TRANSFORMER_PASSWORD" \
    -v reader_user="$WAREHOUSE_READER_USER" -v reader_password="$WAREHOUSE_READER_PASSWORD" \
    -v state_user="$WAREHOUSE_STATE_USER" -v state_password="$WAREHOUSE_STATE_PASSWORD" \
    -f "$SQL_DIR/warehouse.sql"
# warehouse.sql also creates schema `meltano`, owned by the state role: Meltano's system
# database, so a runner container can be replaced without losing state.
echo "warehouse: schemas and roles ready"
