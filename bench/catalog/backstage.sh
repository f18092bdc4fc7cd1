#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the Backstage backend (catalog plugin only, installed with npm) and
# greenroom on the same generated catalog file, one after the other. Prints
# their figures side by side. For each server these are the seconds from
# its start until all N entities are visible through the catalog API, its
# CPU seconds and peak RSS, and wrk req/s, p50 and p99 of by-name, by-query
# and entity-facets.
#
#   bench/catalog/backstage.sh [--entities N] [--seconds S] [--timeout T] [--sqlite-file]
#
# Defaults: 10000 entities, 10 s of wrk per endpoint (2 threads, 32
# connections), at most 1200 s for each server to make the entities visible.
# Backstage keeps its SQLite databases in memory unless --sqlite-file is
# given; greenroom always uses a SQLite file. Backstage is installed into
# build/backstage-bench from bench/catalog/backstage/ the first time (this
# needs the npm registry), and both servers listen on 127.0.0.1 only.
set -eu
cd "$(dirname "$0")/../.."

entities=10000
seconds=10
timeout_seconds=1200
backstage_sqlite="in memory"
connections=32
poll_interval=0.5
build_dir=build/release
install_dir=build/backstage-bench
source_dir=bench/catalog/backstage
token=bench-catalog-static-token

usage() {
    echo "usage: bench/catalog/backstage.sh [--entities N] [--seconds S] [--timeout T] [--sqlite-file]" >&2
    echo "  --entities N  entities in the generated catalog (default 10000, at least 100)" >&2
    echo "  --seconds S   duration of each wrk run in seconds (default 10)" >&2
    echo "  --timeout T   seconds each server may take to show all entities (default 1200)" >&2
    echo "  --sqlite-file Backstage stores its SQLite databases in files instead of memory" >&2
    exit 2
}

is_count() {
    case $1 in
    '' | *[!0-9]*) return 1 ;;
    *) return 0 ;;
    esac
}

while [ $# -gt 0 ]; do
    case $1 in
    --entities) [ $# -ge 2 ] || usage; entities=$2; shift 2 ;;
    --seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage; timeout_seconds=$2; shift 2 ;;
    --sqlite-file) backstage_sqlite=files; shift ;;
    *) usage ;;
    esac
done
for value in "$entities" "$seconds" "$timeout_seconds"; do
    if ! is_count "$value"; then
        echo "backstage.sh: invalid number '$value'" >&2
        usage
    fi
done
for tool in wrk curl node npm python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "backstage.sh: $tool is missing; install it and run again" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/gr-catalog-backstage-XXXXXX")
server_pid=

# Stops the server started last, by its PID: SIGTERM, then SIGKILL after 15 s.
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill "$server_pid" 2>/dev/null || true
    waited=0
    while kill -0 "$server_pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
        sleep 0.5
        waited=$((waited + 1))
    done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Records "KEY VALUE" for one product (greenroom or backstage) in its results file.
record() {
    echo "$2 $3" >>"$work/$1.results"
}

result() {
    value=
    if [ -f "$work/$1.results" ]; then
        value=$(awk -v key="$2" '$1 == key {print $2}' "$work/$1.results")
    fi
    echo "${value:-n/a}"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

now() {
    date +%s.%N
}

# Prints the CPU seconds (user + system) that process $1 has used so far.
cpu_seconds() {
    awk -v ticks="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / ticks}' "/proc/$1/stat"
}

# Prints the peak resident memory of process $1 in MiB (VmHWM).
peak_rss_mib() {
    awk '$1 == "VmHWM:" {printf "%.0f", $2 / 1024}' "/proc/$1/status"
}

# Prints how many of the generated kinds' entities the catalog API at $1
# returns (the file's location entity is not counted), or nothing while the
# server does not respond.
visible_entities() {
    kinds="filter=kind=component&filter=kind=api&filter=kind=group&filter=kind=user"
    kinds="$kinds&filter=kind=system&filter=kind=domain&filter=kind=resource"
    curl -s -m 10 -H "Authorization: Bearer $token" "$1/entities/by-query?limit=1&$kinds" |
        sed -n 's/.*"totalItems":\([0-9]*\).*/\1/p'
}

# Polls until all entities are visible at $2 for product $1, whose server
# was started at $3. Records the seconds, and the CPU seconds of the server
# at that moment.
wait_visible() {
    deadline=$(($(date +%s) + timeout_seconds))
    count=
    while [ "$(date +%s)" -lt "$deadline" ]; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "backstage.sh: the $1 server exited before the entities were visible; its log ends with:" >&2
            tail -n 20 "$work/$1.log" >&2
            return 1
        fi
        count=$(visible_entities "$2")
        if [ "${count:-0}" -ge "$entities" ]; then
            record "$1" visible_seconds "$(awk -v end="$(now)" -v start="$3" 'BEGIN {printf "%.1f", end - start}')"
            record "$1" visible_cpu_seconds "$(cpu_seconds "$server_pid")"
            return 0
        fi
        sleep "$poll_interval"
    done
    echo "backstage.sh: timed out after $timeout_seconds s waiting for $entities entities on $1 (last count: ${count:-no response}); raise --timeout" >&2
    return 1
}

# Runs wrk on endpoint $3 (a path under $2) of product $1 and records
# req/s, p50 and p99 under the name $4.
measure_endpoint() {
    http_status=$(curl -s -m 10 -o /dev/null -w '%{http_code}' \
        -H "Authorization: Bearer $token" "$2$3" || true)
    if [ "$http_status" != 200 ]; then
        echo "backstage.sh: GET $3 on $1 returned HTTP $http_status, so it was not measured" >&2
        record "$1" "$4_rps" "HTTP-$http_status"
        return 0
    fi
    out=$(timeout $((seconds + 60)) wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s \
        --latency -H "Authorization: Bearer $token" "$2$3") || {
        echo "backstage.sh: wrk failed on $1 $3" >&2
        return 0
    }
    errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    if [ -n "$errors" ]; then
        echo "backstage.sh: $errors non-2xx responses from $1 on $3" >&2
    fi
    record "$1" "$4_rps" "$(echo "$out" | awk '/^Requests\/sec/ {printf "%.0f", $2}')"
    record "$1" "$4_p50" "$(echo "$out" | awk '$1 == "50%" {print $2}')"
    record "$1" "$4_p99" "$(echo "$out" | awk '$1 == "99%" {print $2}')"
}

# Waits until product $1 shows all entities at $2 (started at $3), then
# measures the three endpoints and the server's peak RSS.
measure_server() {
    wait_visible "$1" "$2" "$3" || return 1
    echo "$1: $entities entities visible after $(result "$1" visible_seconds) s; running wrk" >&2
    measure_endpoint "$1" "$2" /entities/by-name/component/default/component-000042 by_name
    measure_endpoint "$1" "$2" "/entities/by-query?filter=kind=component&limit=100" by_query
    measure_endpoint "$1" "$2" "/entity-facets?facet=kind" facets
    record "$1" peak_rss_mib "$(peak_rss_mib "$server_pid")"
}

# Installs the Backstage backend into $install_dir unless the same
# package.json is installed there already.
install_backstage() {
    mkdir -p "$install_dir"
    cp "$source_dir/index.js" "$install_dir/index.js"
    if cmp -s "$source_dir/package.json" "$install_dir/package.json" &&
        [ -f "$install_dir/node_modules/.package-lock.json" ]; then
        return 0
    fi
    cp "$source_dir/package.json" "$install_dir/package.json"
    echo "installing the Backstage backend into $install_dir with npm (a few minutes)" >&2
    # node-gyp builds better-sqlite3 from source against the installed Node
    # headers when no prebuilt binary can be downloaded.
    if ! (cd "$install_dir" && npm_config_nodedir=${npm_config_nodedir:-/usr} \
        timeout 1800 npm install --no-audit --no-fund >"$work/npm.log" 2>&1); then
        echo "backstage.sh: npm install of the Backstage backend failed; the end of its output:" >&2
        tail -n 30 "$work/npm.log" >&2
        rm -f "$install_dir/package.json"
        return 1
    fi
}

run_backstage() {
    port=$(free_port)
    mkdir -p "$work/backstage-db"
    set -- --config "$PWD/$source_dir/app-config.yaml"
    if [ "$backstage_sqlite" = files ]; then
        set -- "$@" --config "$PWD/$source_dir/app-config.sqlite-file.yaml"
    fi
    start=$(now)
    # The backend looks for its package.json upwards from the working directory.
    (cd "$install_dir" && BENCH_BACKSTAGE_PORT=$port BENCH_BACKSTAGE_DB_DIR=$work/backstage-db \
        BENCH_BACKSTAGE_TOKEN=$token BENCH_BACKSTAGE_CATALOG=$work/catalog.yaml \
        NODE_ENV=production LOG_LEVEL=warn \
        exec node index.js "$@") >"$work/backstage.log" 2>&1 &
    server_pid=$!
    measure_server backstage "http://127.0.0.1:$port/api/catalog" "$start" || status=1
    stop_server
}

run_greenroom() {
    "$build_dir/bench/catalog/bench_catalog_ingest" --entities "$entities" \
        --catalog "$work/catalog.yaml" >"$work/ingest.txt" 2>&1 || status=1
    cat "$work/ingest.txt" >&2
    record greenroom stitched_seconds \
        "$(awk -F': *' '/^seconds to stitched/ {print $2}' "$work/ingest.txt")"
    record greenroom ingest_peak_rss_mib \
        "$(awk -F': *' '/^peak RSS/ {printf "%.0f", $2}' "$work/ingest.txt")"

    port=$(free_port)
    start=$(now)
    GREENROOM_LOG_LEVEL=warn "$build_dir/tests/integration_catalog_api_server" serve-engine \
        "$work/greenroom.sqlite" "$port" "$token" "$work/catalog.yaml" \
        >"$work/greenroom.log" 2>&1 &
    server_pid=$!
    measure_server greenroom "http://127.0.0.1:$port/api/catalog" "$start" || status=1
    stop_server
}

row() {
    printf '| %-52s | %12s | %12s |\n' "$1" "$2" "$3"
}

print_table() {
    echo
    echo "catalog of $entities entities, wrk -t2 -c$connections -d${seconds}s, $(nproc) CPUs," \
        "Backstage on SQLite $backstage_sqlite"
    echo "load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    row measure greenroom Backstage
    echo "|------------------------------------------------------|-------------:|-------------:|"
    row "seconds until all entities are visible (API)" \
        "$(result greenroom visible_seconds)" "$(result backstage visible_seconds)"
    row "server CPU seconds until then" \
        "$(result greenroom visible_cpu_seconds)" "$(result backstage visible_cpu_seconds)"
    row "seconds to stitched (bench_catalog_ingest)" "$(result greenroom stitched_seconds)" "-"
    row "peak RSS of the server, MiB" \
        "$(result greenroom peak_rss_mib)" "$(result backstage peak_rss_mib)"
    row "peak RSS of bench_catalog_ingest, MiB" "$(result greenroom ingest_peak_rss_mib)" "-"
    for endpoint in by_name by_query facets; do
        case $endpoint in
        by_name) label="by-name" ;;
        by_query) label="by-query kind=component limit=100" ;;
        facets) label="entity-facets facet=kind" ;;
        esac
        row "$label req/s" "$(result greenroom "${endpoint}_rps")" "$(result backstage "${endpoint}_rps")"
        row "$label p50" "$(result greenroom "${endpoint}_p50")" "$(result backstage "${endpoint}_p50")"
        row "$label p99" "$(result greenroom "${endpoint}_p99")" "$(result backstage "${endpoint}_p99")"
    done
}

status=0
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=ON >/dev/null
cmake --build "$build_dir" -j 2 --target bench_catalog_ingest integration_catalog_api_server >/dev/null
"$build_dir/bench/catalog/bench_catalog_ingest" --entities "$entities" \
    --write-catalog "$work/catalog.yaml"
install_backstage || exit 1

echo "Backstage: starting and waiting for $entities entities (at most $timeout_seconds s)" >&2
run_backstage
echo "greenroom: ingesting with bench_catalog_ingest, then serving" >&2
run_greenroom
print_table
exit "$status"
