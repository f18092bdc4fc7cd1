#!/bin/sh
# SPDX-License-Identifier: MIT
# Measures catalog ingestion on PostgreSQL with one and with two
# `greenroom serve` instances sharing the database, and prints both times and
# their ratio.
#
#   bench/catalog/pg.sh [--entities N] [--pg URL]
#
# N entities (default 20000) are generated into files of 200 entities each,
# read through one file location with a glob. Each run gets a fresh database;
# migrations are applied before the clock starts, and the clock stops when
# every generated entity is final and nothing waits for processing or
# stitching. --pg names a server (its database part is replaced); without
# it, scripts/pg-start.sh starts a throwaway server. Instances run the
# optimised build with the default catalog.processingWorkers, on this
# machine, so both share its processors with PostgreSQL.
set -eu
cd "$(dirname "$0")/../.."

entities=20000
pg_url=""
per_file=200
timeout_s=3600
while [ $# -gt 0 ]; do
    case $1 in
    --entities) entities=$2; shift 2 ;;
    --pg) pg_url=$2; shift 2 ;;
    *)
        echo "usage: bench/catalog/pg.sh [--entities N] [--pg URL]" >&2
        exit 2
        ;;
    esac
done
if [ "$entities" -lt "$per_file" ] || [ $((entities % per_file)) -ne 0 ]; then
    echo "pg.sh: --entities must be a multiple of $per_file" >&2
    exit 2
fi

build_dir=build/release
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target greenroom >/dev/null
bin=$(pwd)/$build_dir/greenroom

work=$(mktemp -d "${TMPDIR:-/tmp}/gr-bench-pg-XXXXXX")
pg_dir=""
pids=""
cleanup() {
    for pid in $pids; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$pg_dir" ]; then
        scripts/pg-stop.sh "$pg_dir" >/dev/null 2>&1 || true
        rm -rf "$pg_dir"
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -z "$pg_url" ]; then
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/gr-bench-pg-server-XXXXXX")
    pg_url=$(scripts/pg-start.sh --stop-with $$ "$pg_dir")
fi
server_url=${pg_url%/*}

# Per file of 200 entities: 1 group, 1 system, 79 APIs and 119 components,
# every reference resolving within its file.
awk -v n="$entities" -v per="$per_file" -v dir="$work/catalog" 'BEGIN {
    system("mkdir -p " dir)
    for (i = 0; i < n; i++) {
        f = int(i / per)
        file = sprintf("%s/part-%05d.yaml", dir, f)
        k = i % per
        printf "---\napiVersion: backstage.io/v1alpha1\n" >> file
        if (k == 0) {
            printf "kind: Group\nmetadata:\n  name: team-%05d\nspec:\n  type: team\n  children: []\n", f >> file
        } else if (k == 1) {
            printf "kind: System\nmetadata:\n  name: system-%05d\nspec:\n  owner: team-%05d\n", f, f >> file
        } else if (k % 5 < 2) {
            printf "kind: API\nmetadata:\n  name: api-%07d\n  description: Generated API %d\nspec:\n", i, i >> file
            printf "  type: openapi\n  lifecycle: production\n  owner: team-%05d\n", f >> file
            printf "  system: system-%05d\n  definition: \"openapi: 3.0.0\"\n", f >> file
        } else {
            printf "kind: Component\nmetadata:\n  name: svc-%07d\n  description: Generated service %d\n", i, i >> file
            printf "  tags: [bench]\nspec:\n  type: service\n  lifecycle: production\n" >> file
            printf "  owner: team-%05d\n  system: system-%05d\n", f, f >> file
            target = k - k % 5 + 5
            if (target >= per)
                target = k - k % 5 - 5
            printf "  consumesApis: [api-%07d]\n", i - k + target >> file
        }
        if (k == per - 1 || i == n - 1)
            close(file)
    }
}'

# psql against one database, quiet, values only.
query() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -A -t -d "$1" -c "$2"
}

# Runs one ingestion with $1 instances; prints its seconds.
run() {
    count=$1
    database=gr_bench_pg_$$_$count
    url=$server_url/$database
    query "$server_url/postgres" "DROP DATABASE IF EXISTS $database" >/dev/null
    query "$server_url/postgres" "CREATE DATABASE $database" >/dev/null
    cat >"$work/config.yaml" <<EOF
backend:
  listen:
    port: 0
  database:
    client: pg
    connection: '$url'
  log:
    level: warn
catalog:
  rules:
    - allow: [Component, API, System, Group, Location]
  locations:
    - type: file
      target: $work/catalog/*.yaml
EOF
    "$bin" db migrate --config "$work/config.yaml" >"$work/migrate.log" 2>&1 || {
        cat "$work/migrate.log" >&2
        exit 1
    }
    if [ "$(query "$url" "SELECT to_regclass('catalog_final_entities') IS NOT NULL")" != t ]; then
        echo "pg.sh: this build's greenroom serve does not run the catalog engine" >&2
        exit 1
    fi

    start=$(date +%s.%N)
    pids=""
    i=0
    while [ "$i" -lt "$count" ]; do
        (cd "$work" && exec "$bin" serve --config "$work/config.yaml") >"$work/serve-$i.log" 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
    done

    # Done when every generated entity is final and no row is due or being stitched.
    while :; do
        state=$(query "$url" "SELECT (SELECT COUNT(*) FROM catalog_final_entities
                WHERE entity_ref NOT LIKE 'location:%'), (SELECT COUNT(*) FROM catalog_stitch_queue),
                (SELECT COUNT(*) FROM catalog_refresh_state WHERE processed_entity IS NULL)")
        [ "$state" = "$entities|0|0" ] && break
        now=$(date +%s)
        if [ "$((now - ${start%.*}))" -gt "$timeout_s" ]; then
            echo "pg.sh: not done after $timeout_s s (final|stitching|unprocessed: $state)" >&2
            exit 1
        fi
        sleep 0.2
    done
    end=$(date +%s.%N)

    for pid in $pids; do
        kill "$pid"
        wait "$pid" || true
    done
    pids=""
    query "$server_url/postgres" "DROP DATABASE $database WITH (FORCE)" >/dev/null
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}

one=$(run 1)
two=$(run 2)
awk -v n="$entities" -v files=$((entities / per_file)) -v cpus="$(nproc)" -v one="$one" \
    -v two="$two" 'BEGIN {
    printf "entities:     %d in %d files, PostgreSQL, %d processors\n", n, files, cpus
    printf "1 instance:   %.2f s (%.0f entities/s)\n", one, n / one
    printf "2 instances:  %.2f s (%.0f entities/s)\n", two, n / two
    printf "ratio:        2 instances take %.2f of the time of 1\n", two / one
}'
