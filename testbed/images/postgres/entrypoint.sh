#!/bin/sh
# golive/postgres:15 entrypoint: on the first start of `postgres`, creates the
# cluster in $PGDATA from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB;
# then runs the command (postgres as PID 1).
#
# Streaming replication between two nodes (the HA stacks), when
# POSTGRES_REPLICATION_PASSWORD is set (the `replicator` role's password):
#   POSTGRES_PEER               the other node's host name;
#   POSTGRES_ROLE               primary (creates the cluster) or standby
#                               (copies the peer's with pg_basebackup);
#   POSTGRES_SYNCHRONOUS_STANDBYS
#                               synchronous_standby_names of the primary
#                               ("ANY 1 (*)": a commit returns once a standby
#                               has it on disk; empty: asynchronous).
# Then, once, the *.sql files of /docker-entrypoint-initdb.d in name order
# run in the database (single-user mode: one statement a line), e.g. the
# application's own role. A standby copies their effect with the cluster.
#
# A node that was primary and starts again after its peer was promoted
# rejoins as the new primary's standby (a fresh copy of its data), so a
# killed primary that comes back never makes a second primary.
set -eu

user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}
peer=${POSTGRES_PEER:-}

# Runs one statement in single-user mode (no server to start and stop).
single_user() {
    if ! log=$(echo "$1" | postgres --single -D "$PGDATA" postgres 2>&1); then
        printf '%s\n' "$log" >&2
        exit 1
    fi
}

quote_literal() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}

create_cluster() {
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
        single_user "CREATE DATABASE \"$(printf '%s' "$database" | sed 's/"/""/g')\""
    fi
    # Before synchronous replication is configured: no standby would
    # acknowledge the init files' commits.
    run_init_files
    if [ -n "${POSTGRES_REPLICATION_PASSWORD:-}" ]; then
        single_user "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD $(quote_literal "$POSTGRES_REPLICATION_PASSWORD")"
        echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
        {
            echo "wal_level = replica"
            echo "wal_log_hints = on"
            echo "synchronous_standby_names = $(quote_literal "${POSTGRES_SYNCHRONOUS_STANDBYS:-}")"
        } >>"$PGDATA/postgresql.conf"
    fi
    echo "golive/postgres: cluster created (user $user, database $database)"
}

# Runs each /docker-entrypoint-initdb.d/*.sql in the database, in single-user
# mode; a statement that fails stops the start.
run_init_files() {
    for file in /docker-entrypoint-initdb.d/*.sql; do
        [ -e "$file" ] || continue
        if ! log=$(postgres --single -D "$PGDATA" "$database" <"$file" 2>&1) ||
            printf '%s\n' "$log" | grep -q 'ERROR:'; then
            printf 'golive/postgres: %s failed:\n%s\n' "$file" "$log" >&2
            exit 1
        fi
        echo "golive/postgres: ran $file"
    done
}

# Whether the peer answers as a primary (not in recovery).
peer_is_primary() {
    [ "$(PGPASSWORD=$POSTGRES_PASSWORD PGCONNECT_TIMEOUT=2 psql -h "$peer" -U "$user" -d "$database" \
        -XtAc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]
}

# Replaces $PGDATA with a copy of the peer's cluster, configured to follow it.
become_standby() {
    tries=0
    until peer_is_primary; do
        tries=$((tries + 1))
        if [ "$tries" -ge 60 ]; then
            echo "golive/postgres: the primary $peer did not answer within 60 s" >&2
            exit 1
        fi
        sleep 1
    done
    find "$PGDATA" -mindepth 1 -delete
    PGPASSWORD=$POSTGRES_REPLICATION_PASSWORD pg_basebackup -h "$peer" -U replicator \
        -D "$PGDATA" --write-recovery-conf --wal-method=stream --checkpoint=fast
    echo "golive/postgres: standby of $peer"
}

if [ "${1:-}" = postgres ]; then
    if [ -n "${POSTGRES_REPLICATION_PASSWORD:-}" ] && [ -n "$peer" ]; then
        if [ ! -s "$PGDATA/PG_VERSION" ]; then
            case "${POSTGRES_ROLE:-primary}" in
            primary) create_cluster ;;
            standby) become_standby ;;
            *)
                echo "golive/postgres: POSTGRES_ROLE must be primary or standby" >&2
                exit 1
                ;;
            esac
        elif [ ! -f "$PGDATA/standby.signal" ] && peer_is_primary; then
            echo "golive/postgres: $peer was promoted while this node was down: rejoining as its standby"
            become_standby
        fi
    elif [ ! -s "$PGDATA/PG_VERSION" ]; then
        create_cluster
    fi
fi
exec "$@"
