#!/bin/sh
# golive/postgres:15 entrypoint: on the first start of `postgres`, creates the
# cluster in $PGDATA from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB;
# then runs the command (postgres as PID 1).
set -eu

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    user=${POSTGRES_USER:-postgres}
    database=${POSTGRES_DB:-$user}
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "golive/postgres: set POSTGRES_PASSWORD (clients on the network log in with it)" >&2
        exit 1
    fi
    password_file=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
    initdb --pgdata="$PGDATA" --username="$user" --pwfile="$password_file" \
        --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$password_file"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$database" != postgres ]; then
        quoted=$(printf '%s' "$database" | sed 's/"/""/g')
        # Single-user mode: no server to start and stop for one statement.
        if ! log=$(echo "CREATE DATABASE \"$quoted\"" | postgres --single -D "$PGDATA" postgres 2>&1); then
            printf '%s\n' "$log" >&2
            exit 1
        fi
    fi
    echo "golive/postgres: cluster created (user $user, database $database)"
fi
exec "$@"
