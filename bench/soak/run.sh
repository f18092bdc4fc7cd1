#!/bin/sh
# SPDX-License-Identifier: MIT
# Soak test: drives `greenroom serve` (the release build) on loopback for a
# bounded time with a mix of catalog reads by name, by query and facets,
# search queries, TechDocs page renders and location registrations
# (bench/soak/soak.lua). It then prints throughput, p99 latency, errors and
# the server's resident memory sampled every few seconds.
#
#   bench/soak/run.sh [--seconds N] [--entities N] [--connections N] [--sample N]
#
# Defaults: 60 s, 2000 generated entities, 16 connections, an RSS sample every
# 5 s. Fails when any request gets a socket error or a status other than 2xx.
# RSS counts as flat when the last sample is within 10% of the first sample
# taken after the warm-up (the first quarter of the run).
set -eu
cd "$(dirname "$0")/../.."

seconds=60
entities=2000
connections=16
sample=5
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --entities) entities=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    *) echo "usage: bench/soak/run.sh [--seconds N] [--entities N] [--connections N] [--sample N]" >&2
       exit 2 ;;
    esac
done

for tool in wrk python3 curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "soak: $tool is missing; run scripts/install-deps.sh" >&2
        exit 1
    fi
done

build_dir=build/release
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" -j "$(nproc)" --target greenroom >/dev/null
binary=$(pwd)/$build_dir/greenroom

dir=$(mktemp -d "${TMPDIR:-/tmp}/gr-soak-XXXXXX")
server_pid=
sampler_pid=
cleanup() {
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

token=soak-static-token-$$
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

# The catalog: components, one group, one documented component with a
# TechDocs site, and a pool of one-component files for registrations.
python3 - "$dir" "$entities" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
words = ["payments", "billing", "search", "ledger", "orders", "gateway", "profile"]
lifecycles = ["production", "production", "experimental"]
types = ["service", "website", "library"]
with open(os.path.join(root, "catalog-info.yaml"), "w") as out:
    out.write("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\n"
              "spec: {type: team, children: []}\n")
    out.write("---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
              "metadata:\n  name: handbook\n  annotations: {backstage.io/techdocs-ref: 'dir:.'}\n"
              "spec: {type: documentation, lifecycle: production, owner: team-a}\n")
    for i in range(count):
        out.write("---\napiVersion: backstage.io/v1alpha1\nkind: Component\n"
                  "metadata:\n  name: component-%05d\n  description: The %s %s of team A.\n"
                  "  tags: [%s]\nspec: {type: %s, lifecycle: %s, owner: team-a}\n"
                  % (i, words[i % 7], types[i % 3], words[(i * 3) % 7], types[i % 3],
                     lifecycles[i % 3]))
with open(os.path.join(root, "mkdocs.yml"), "w") as out:
    out.write("site_name: Handbook\nnav:\n  - Home: index.md\n")
os.makedirs(os.path.join(root, "docs"))
with open(os.path.join(root, "docs", "index.md"), "w") as out:
    out.write("# Handbook\n\n" + "\n\n".join(
        "## Section %d\n\nThe %s service keeps its notes here. `code` and *emphasis*." %
        (i, words[i % 7]) for i in range(40)) + "\n")
# Two wrk threads register loc-<thread>-<n>.yaml with n counting from 1. A
# registration past the pool names a missing file, which the engine records
# as a processing error; the HTTP request still succeeds.
os.makedirs(os.path.join(root, "locations"))
for thread in range(2):
    for n in range(1, 5001):
        with open(os.path.join(root, "locations", "loc-%d-%d.yaml" % (thread, n)), "w") as out:
            out.write("apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                      "metadata: {name: registered-%d-%d}\n"
                      "spec: {type: service, lifecycle: experimental, owner: team-a}\n"
                      % (thread, n))
PY

cat >"$dir/app-config.yaml" <<YAML
backend:
  listen: {port: $port}
  database: {client: better-sqlite3, connection: ./data/greenroom.sqlite}
  log: {level: warn}
  auth:
    externalAccess:
      - type: static
        options: {token: $token, subject: soak}
catalog:
  rules:
    - allow: [Component, Group, Location]
  allowedLocationTypes: [file]
  locations:
    - type: file
      target: ./catalog-info.yaml
techdocs:
  publisher:
    local:
      publishDirectory: ./sites
YAML

(cd "$dir" && exec "$binary" serve --config app-config.yaml) >"$dir/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
auth="Authorization: Bearer $token"

# Waits up to $1 seconds until `curl $2` prints text matching $3.
wait_for() {
    limit=$1; url=$2; pattern=$3; waited=0
    until curl -s -H "$auth" "$url" 2>/dev/null | grep -q "$pattern"; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "soak: the server exited; its log:" >&2
            cat "$dir/server.log" >&2
            exit 1
        fi
        waited=$((waited + 1))
        if [ "$waited" -gt $((limit * 5)) ]; then
            echo "soak: timed out waiting for $url" >&2
            tail -n 20 "$dir/server.log" >&2
            exit 1
        fi
        sleep 0.2
    done
}

wait_for 30 "$base/.backstage/health/v1/readiness" '"ok"'
wait_for 300 "$base/api/catalog/entities/by-query?filter=kind=component&limit=1" \
    "\"totalItems\":$((entities + 1))"
docs_path=/docs/default/component/handbook/
wait_for 120 "$base$docs_path" 'Section 39'
wait_for 60 "$base/api/search/query?term=payments" '"numberOfResults":[1-9]'

# Samples the server's RSS (kB) every $sample seconds into rss.txt.
(
    start=$(date +%s)
    while kill -0 "$server_pid" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true)
        echo "$(($(date +%s) - start)) ${rss:-0}" >>"$dir/rss.txt"
        sleep "$sample"
    done
) &
sampler_pid=$!

echo "soak: $seconds s, $connections connections, $entities entities, $(nproc) CPUs," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
SOAK_TOKEN=$token SOAK_LOCATIONS=$dir/locations SOAK_DOCS_PATH=$docs_path \
    SOAK_ENTITIES=$entities wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s --latency \
    -s bench/soak/soak.lua "$base" >"$dir/wrk.txt"
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=

rps=$(awk '/^Requests\/sec/ {print $2}' "$dir/wrk.txt")
total=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$dir/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$dir/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $5}' "$dir/wrk.txt")
socket=$(awk '/Socket errors/ {s = 0; for (i = 4; i <= NF; i += 2) s += $i; print s}' \
    "$dir/wrk.txt")
locations=$(curl -s -H "$auth" "$base/api/catalog/locations" |
    python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')

echo "requests:   ${total:-0} (${rps:-0} req/s)"
echo "latency:    p50 ${p50:-?}, p99 ${p99:-?}"
echo "errors:     non-2xx ${non2xx:-0}, socket ${socket:-0}"
echo "locations:  $locations registered during the run"
echo "rss (kB) over time, one sample per ${sample} s:"
awk '{printf "  t=%4ds  %8d\n", $1, $2}' "$dir/rss.txt"
awk -v seconds="$seconds" '
    { t[NR] = $1; r[NR] = $2 }
    END {
        first = 0
        for (i = 1; i <= NR; i++) if (t[i] >= seconds / 4) { first = r[i]; break }
        last = r[NR]
        if (first == 0) { print "rss:        too few samples"; exit }
        growth = (last - first) * 100 / first
        printf "rss:        %d kB after warm-up, %d kB at the end (%+.1f%%): %s\n", first,
            last, growth, (growth <= 10 && growth >= -10) ? "flat" : "not flat"
    }' "$dir/rss.txt"

if [ "${non2xx:-0}" != 0 ] || [ "${socket:-0}" != 0 ]; then
    echo "soak: requests failed; the server log follows" >&2
    tail -n 40 "$dir/server.log" >&2
    exit 1
fi
