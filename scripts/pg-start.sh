#!/bin/sh
# SPDX-License-Identifier: MIT
# Starts a throwaway PostgreSQL server for tests in the folder given as the
# only argument and prints its connection string on stdout.
#
# The server listens on 127.0.0.1 only, on a free port, with its unix socket
# in the same folder. It trusts every local connection and runs with fsync
# off, so it is for tests only. scripts/pg-stop.sh FOLDER stops it.
# With --stop-with PID, a background watcher also stops it once process PID
# has exited, so a test program that crashes leaves no server behind.
# When run as root, the server runs as the `postgres` OS user because
# PostgreSQL refuses to run as root.
set -eu

owner_pid=""
if [ $# -eq 3 ] && [ "$1" = "--stop-with" ]; then
    owner_pid=$2
    shift 2
fi
if [ $# -ne 1 ]; then
    echo "usage: $0 [--stop-with PID] FOLDER" >&2
    exit 2
fi
dir=$1
database=greenroom
max_attempts=10

bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin_dir" ] || [ ! -x "$bin_dir/initdb" ]; then
    echo "pg-start: no PostgreSQL server found under /usr/lib/postgresql;" \
        "run scripts/install-deps.sh" >&2
    exit 1
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -e "$dir/data" ]; then
    echo "pg-start: $dir/data exists already; stop it with scripts/pg-stop.sh" \
        "and pass an empty folder" >&2
    exit 1
fi

# Runs a server program as the user PostgreSQL accepts.
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
fi
# The server programs fail when they cannot read the current folder, which
# the postgres user may not be able to do in the caller's.
stop_script="$(cd "$(dirname "$0")" && pwd)/pg-stop.sh"
cd "$dir"

as_server_user "$bin_dir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
    --no-locale >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
}

# A port that another program takes between our pick and the bind makes
# pg_ctl fail; another random port is then tried.
attempt=0
while :; do
    attempt=$((attempt + 1))
    port=$(shuf -i 20000-60999 -n 1)
    if as_server_user "$bin_dir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
            -c full_page_writes=off -c synchronous_commit=off" \
        start >/dev/null 2>&1; then
        break
    fi
    if [ "$attempt" -ge "$max_attempts" ]; then
        echo "pg-start: the server did not start after $attempt attempts:" >&2
        cat "$dir/server.log" >&2
        exit 1
    fi
done
echo "$port" >"$dir/port"

if [ -n "$owner_pid" ]; then
    (
        while kill -0 "$owner_pid" 2>/dev/null; do
            sleep 1
        done
        "$stop_script" "$dir"
    ) </dev/null >/dev/null 2>&1 &
fi

as_server_user "$bin_dir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database" || {
    echo "pg-start: creating database $database failed; server log: $dir/server.log" >&2
    exit 1
}

echo "postgresql://postgres@127.0.0.1:$port/$database"
