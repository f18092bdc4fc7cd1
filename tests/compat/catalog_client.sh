#!/bin/sh
# SPDX-License-Identifier: MIT
# Drives greenroom's catalog API with Backstage's own CatalogClient
# (@backstage/catalog-client from npm, pinned in catalog-client/package-lock.json):
# every public method of the client runs against a server that ingested a
# small catalog through the engine, and the results are checked against what
# Backstage's catalog backend returns.
#
# The server is `greenroom serve` with a static token and one file location.
set -eu

suite=tests/compat/catalog-client
bin=${GREENROOM_BIN:-build/check/greenroom}
token=compat-catalog-client-token
. tests/support/test_db.sh
# Installs the pinned packages once; `npm ci` runs again only when the lock
# file is newer than the installed tree.
if [ ! -d "$suite/node_modules" ] || [ "$suite/package-lock.json" -nt "$suite/node_modules/.package-lock.json" ]; then
    (cd "$suite" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/gr-catalog-client-XXXXXX")
server_pid=""
files_pid=""
# Stops the two servers by their PIDs; their exit statuses do not change the script's.
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$files_pid" ]; then
        kill "$files_pid" 2>/dev/null || true
        wait "$files_pid" 2>/dev/null || true
    fi
    gr_test_db_drop
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM
gr_test_db_setup

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

mkdir -p "$dir/files"
cat >"$dir/catalog.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: org}
spec: {type: organization, children: [shop-team, web-team]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: shop-team}
spec: {type: team, parent: org, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: web-team}
spec: {type: team, parent: org, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: ada}
spec: {memberOf: [shop-team]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alan}
spec: {memberOf: [shop-team]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: grace}
spec: {memberOf: [web-team]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: linus}
spec: {memberOf: [web-team]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: barbara}
spec: {memberOf: [org]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: edsger}
spec: {memberOf: [org]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-web
  annotations: {backstage.io/techdocs-ref: dir:.}
spec: {type: website, lifecycle: production, owner: shop-team, consumesApis: [checkout-api]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api-impl
  annotations: {backstage.io/techdocs-ref: dir:., example.com/query: a=b}
spec: {type: service, lifecycle: production, owner: shop-team, providesApis: [checkout-api]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: payments-service}
spec: {type: service, lifecycle: experimental, owner: shop-team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: search-service}
spec: {type: service, lifecycle: production, owner: web-team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: legacy-lib}
spec: {type: library, lifecycle: deprecated, owner: web-team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: admin-web}
spec: {type: website, lifecycle: production, owner: web-team}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: checkout-api}
spec: {type: openapi, lifecycle: production, owner: shop-team, definition: "openapi: 3.0.0"}
YAML
cat >"$dir/files/extra.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: extra-service}
spec: {type: service, lifecycle: production, owner: shop-team}
YAML

files_port=$(free_port)
python3 -m http.server "$files_port" --bind 127.0.0.1 --directory "$dir/files" \
    >"$dir/files.log" 2>&1 &
files_pid=$!

port=$(free_port)
cat >"$dir/app-config.yaml" <<CONFIG
backend:
  baseUrl: http://127.0.0.1:$port
  listen: {host: 127.0.0.1, port: $port}
  database: {client: better-sqlite3, connection: $dir/catalog.sqlite}
  reading:
    allow: [{host: 127.0.0.1}]
  auth:
    externalAccess:
      - type: static
        options: {token: $token, subject: catalog-client}
catalog:
  rules:
    - allow: [Component, API, Location, Group, User, System, Domain, Resource]
  allowedLocationTypes: [url, file]
  locations:
    - {type: file, target: $dir/catalog.yaml}
CONFIG
(cd "$dir" && exec "$bin" serve --config app-config.yaml) >"$dir/server.log" 2>&1 &
server_pid=$!

# Returns 0 once the catalog is processed: every entity of catalog.yaml is
# listed, and checkout-api has the apiProvidedBy relation that needs its
# provider component processed too.
catalog_ready() {
    python3 - "http://127.0.0.1:$port" "$token" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(request, timeout=5))
try:
    entities = get("/api/catalog/entities?filter=kind=component,kind=api,kind=group,kind=user")
    api = get("/api/catalog/entities/by-name/api/default/checkout-api")
except Exception:
    sys.exit(1)
relations = [r["type"] for r in api.get("relations", [])]
sys.exit(0 if len(entities) == 16 and "apiProvidedBy" in relations else 1)
PY
}
waited=0
until catalog_ready; do
    if ! kill -0 "$server_pid" 2>/dev/null || [ "$waited" -ge 600 ]; then
        echo "catalog_client.sh: the server did not process the catalog; its log:" >&2
        cat "$dir/server.log" >&2
        exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
done
# The file server must answer before the dry run reads from it.
until python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$files_port/extra.yaml')" 2>/dev/null; do
    sleep 0.1
done

status=0
BASE_URL="http://127.0.0.1:$port" TOKEN="$token" FILE_BASE="http://127.0.0.1:$files_port" \
    node "$suite/check.js" || status=1
if [ "$status" -ne 0 ]; then
    echo "catalog_client.sh: server log:" >&2
    grep -v "msg=request" "$dir/server.log" | tail -n 40 >&2
    if ! kill -0 "$server_pid" 2>/dev/null; then
        server_status=0
        wait "$server_pid" || server_status=$?
        echo "catalog_client.sh: the server exited with status $server_status" >&2
        server_pid=""
    fi
fi
exit $status
