#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server: `bash tools/with_postgres.sh make test`.
#
# Starts a fresh cluster on 127.0.0.1 (a free port, data in a temporary folder owned by the
# postgres user, trust authentication, fsync off: it lives for one run), exports its URL as
# LAYERKIT_TEST_POSTGRES_URL for the command, and stops and removes it on exit, whatever the
# command did. Installs PostgreSQL with apt-get where its binaries are missing (as root).
#
# A server given in LAYERKIT_TEST_POSTGRES_URL already is used as it is. Where no server can be
# had, the command runs without one (the PostgreSQL tests then skip, saying why), except under
# CI (CI=true), where that is an error: CI must not pass without testing PostgreSQL.
set -euo pipefail

if [ -n "${LAYERKIT_TEST_POSTGRES_URL:-}" ]; then
    exec "$@"
fi

no_server() {
    local why="$1"
    shift
    if [ -n "${CI:-}" ]; then
        echo "with_postgres: $why; CI needs a PostgreSQL server" >&2
        exit 1
    fi
    echo "with_postgres: $why; running without PostgreSQL (its tests skip)" >&2
    exec "$@"
}

find_bindir() {
    local dir
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return 0
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

BINDIR="$(find_bindir || true)"
if [ -z "$BINDIR" ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        no_server "no PostgreSQL binaries found (apt-get install postgresql)" "$@"
    fi
    echo "with_postgres: no PostgreSQL binaries found; installing with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql postgresql-contrib >/dev/null
    BINDIR="$(find_bindir || true)"
    [ -n "$BINDIR" ] || no_server "PostgreSQL could not be installed" "$@"
fi

RUN_AS=()
if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    RUN_AS=(runuser -u postgres --)
fi

WORK="$(mktemp -d /tmp/layerkit-pg.XXXXXX)"
chmod 755 "$WORK"
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

stop() {
    "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap stop EXIT

"${RUN_AS[@]}" "$BINDIR/initdb" -D "$WORK/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; exit 1; }
"${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 start \
    -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$WORK/server.log" >&2; exit 1; }

export LAYERKIT_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
echo "with_postgres: PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
set +e
"$@"
status=$?
exit $status
