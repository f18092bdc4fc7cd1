#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints what the two example plugins (org, scorecards) cost. It measures the
# time from exec of `greenroom serve` to ready with and without them. It then
# compares the time per request of a plugin route and a built-in route, each
# over one keep-alive connection on loopback.
#
# usage: sh bench/plugin/run.sh [RUNS] [REQUESTS]   (defaults 10 and 500)
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${GR_BENCH_BUILD:-build/release}
runs=${1:-10}
requests=${2:-500}
token=bench-plugin-token-1234

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target greenroom org scorecards >/dev/null
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/catalog.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: shop}
spec: {type: service, lifecycle: production, owner: team-a}
YAML
printf 'version: 1\n\ndn: uid=jane,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: jane\ncn: Jane\nmail: jane@example.com\n' \
    >"$work/people.ldif"

# Writes config NAME.yaml; with "plugins" it loads both example plugins.
write_config() {
    {
        printf 'backend:\n  listen: {port: 0}\n'
        printf '  database: {client: better-sqlite3, connection: ./%s.sqlite}\n' "$1"
        printf '  auth:\n    externalAccess:\n      - type: static\n'
        printf '        options: {token: %s, subject: bench}\n' "$token"
        printf 'catalog:\n  rules:\n    - allow: [Component, Group, User]\n'
        printf '  locations:\n    - {type: file, target: ./catalog.yaml}\n'
        if [ "$2" = plugins ]; then
            printf 'plugins:\n'
            printf '  - path: %s/%s/plugins/org.so\n' "$root" "$build"
            printf '    config: {file: ./people.ldif, intervalSeconds: 3600}\n'
            printf '  - path: %s/%s/plugins/scorecards.so\n' "$root" "$build"
            printf '    config:\n      checks:\n'
            printf '        - {id: owner, type: owner-exists, title: Owner exists}\n'
        fi
    } >"$work/$1.yaml"
}

# Starts serve on config NAME; sets $pid, $port and $ready_ms.
start_server() {
    rm -f "$work/$1.sqlite"* "$work/$1.log"
    started=$(date +%s%N)
    (cd "$work" && exec "$root/$build/greenroom" serve --config "$1.yaml" >"$1.log" 2>&1) &
    pid=$!
    while ! grep -q 'mod=host msg=ready' "$work/$1.log" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "bench: serve stopped before ready:" >&2
            cat "$work/$1.log" >&2
            exit 1
        fi
        sleep 0.002
    done
    ready_ms=$((($(date +%s%N) - started) / 1000000))
    port=$(sed -n 's/.*mod=host msg=ready .*port=\([0-9]*\).*/\1/p' "$work/$1.log" | head -n 1)
}

stop_server() {
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
}

# Prints the median of the numbers on standard input.
median() {
    sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# Waits up to 20 s until GET PATH returns 200.
wait_ok() {
    tries=0
    until curl -sf -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port$1"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 200 ]; then
            echo "bench: GET $1 did not return 200" >&2
            exit 1
        fi
        sleep 0.1
    done
}

# Prints the milliseconds per request of `requests` GETs of PATH over one connection.
per_request() {
    : >"$work/urls"
    i=0
    while [ "$i" -lt "$requests" ]; do
        printf 'url = "http://127.0.0.1:%s%s"\noutput = "/dev/null"\n' "$port" "$1" >>"$work/urls"
        i=$((i + 1))
    done
    begin=$(date +%s%N)
    curl -sS -H "Authorization: Bearer $token" --config "$work/urls" || echo "bench: curl failed" >&2
    end=$(date +%s%N)
    awk -v ns=$((end - begin)) -v n="$requests" 'BEGIN {printf "%.3f", ns / n / 1000000}'
}

for variant in bare plugins; do
    write_config "$variant" "$variant"
    : >"$work/$variant.times"
    i=0
    while [ "$i" -lt "$runs" ]; do
        start_server "$variant"
        echo "$ready_ms" >>"$work/$variant.times"
        stop_server
        i=$((i + 1))
    done
    echo "ready, $variant: median $(median <"$work/$variant.times") ms over $runs runs"
done

start_server plugins
wait_ok /api/catalog/entities/by-name/component/default/shop
wait_ok /api/scorecards/checks
echo "built-in route GET /api/catalog/entities/by-name/component/default/shop:" \
    "$(per_request /api/catalog/entities/by-name/component/default/shop) ms per request"
echo "plugin route GET /api/scorecards/checks:" \
    "$(per_request /api/scorecards/checks) ms per request"
stop_server
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
