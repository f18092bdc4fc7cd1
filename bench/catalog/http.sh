#!/bin/sh
# SPDX-License-Identifier: MIT
# Measures the catalog REST API with wrk on loopback: requests per second and
# p50/p99 latency of GET by-name, by-query (limit 100 with a filter) and
# entity-facets, against a server over a SQLite catalog of generated entities.
#
#   bench/catalog/http.sh [ENTITIES] [SECONDS] [CONNECTIONS]
#
# Defaults: 100000 entities, 15 s per endpoint, 32 connections, 2 wrk
# threads. The generated database is kept in build/release and reused.
# The server is integration_catalog_api_server in `serve` mode: the read
# routes of the API with the host's static-token authenticator, without the
# engine's worker threads (nothing is being ingested during the runs).
set -eu
cd "$(dirname "$0")/../.."

entities=${1:-100000}
seconds=${2:-15}
connections=${3:-32}
build_dir=build/release
db=$build_dir/bench-catalog-api-$entities.sqlite
token=bench-catalog-api-token

if ! command -v wrk >/dev/null 2>&1; then
    echo "http.sh: wrk is missing; run scripts/install-deps.sh" >&2
    exit 1
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=ON >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target integration_catalog_api_server >/dev/null

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp "${TMPDIR:-/tmp}/gr-catalog-http-XXXXXX")
GREENROOM_LOG_LEVEL=warn "$build_dir/tests/integration_catalog_api_server" serve "$db" "$port" \
    "$token" "$entities" >"$log" 2>&1 &
server_pid=$!
cleanup() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    rm -f "$log"
}
trap cleanup EXIT INT TERM

# Generating 100,000 entities takes a few minutes the first time.
until grep -q '^ready$' "$log"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "http.sh: the server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.5
done

base="http://127.0.0.1:$port/api/catalog"
echo "catalog API over $entities entities, wrk -t2 -c$connections -d${seconds}s, $(nproc) CPUs"
printf '%-60s %10s %10s %10s\n' endpoint req/s p50 p99
for path in \
    "/entities/by-name/group/default/team-5" \
    "/entities/by-query?filter=kind=component&limit=100" \
    "/entities/by-query?filter=kind=component,spec.lifecycle=production&limit=100" \
    "/entities/by-query?filter=kind=component&limit=100&orderField=metadata.name,asc" \
    "/entity-facets?facet=kind" \
    "/entity-facets?facet=spec.type&filter=kind=component"; do
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s --latency \
        -H "Authorization: Bearer $token" "$base$path")
    rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    printf '%-60s %10s %10s %10s%s\n' "$path" "$rps" "$p50" "$p99" \
        "${errors:+  non-2xx: $errors}"
done
