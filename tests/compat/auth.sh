#!/bin/sh
# SPDX-License-Identifier: MIT
# Signs in to a real greenroom server as the guest user and verifies the
# identity token with the npm package jose against the published JWKS, the
# way any other service would verify it.
set -u
cd "$(dirname "$0")/../.."

bin=${GREENROOM_BIN:-build/check/greenroom}
helpers=$PWD/tests/compat/auth
. tests/support/test_db.sh

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "auth compat: node and npm are needed; run scripts/install-deps.sh"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -d "$helpers/node_modules/jose" ]; then
    (cd "$helpers" && npm ci --no-audit --no-fund --silent) || {
        echo "auth compat: npm ci failed in $helpers"
        echo "0 passed, 1 failed"
        exit 1
    }
fi

work=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    gr_test_db_drop
    rm -rf "$work"
}
trap cleanup EXIT
if ! gr_test_db_setup; then
    echo "0 passed, 1 failed"
    exit 1
fi

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})')
base="http://127.0.0.1:$port"
cat >"$work/app-config.yaml" <<CONFIG
backend:
  listen:
    port: $port
  database:
    client: better-sqlite3
    connection: ./data/test.sqlite
auth:
  providers:
    guest:
      userEntityRef: user:default/compat-guest
CONFIG

(cd "$work" && exec "$bin" serve --config app-config.yaml 2>"$work/server.log") &
pid=$!
ready=0
for _ in $(seq 1 100); do
    if curl -sf "$base/.backstage/health/v1/readiness" >/dev/null 2>&1; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" -ne 1 ]; then
    echo "auth compat: the server did not become ready"
    cat "$work/server.log"
    echo "0 passed, 1 failed"
    exit 1
fi

token=$(curl -sf -H 'X-Requested-With: XMLHttpRequest' "$base/api/auth/guest/refresh" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).backstageIdentity.token))')
if [ -z "$token" ]; then
    echo "auth compat: guest sign-in returned no token"
    cat "$work/server.log"
    echo "0 passed, 1 failed"
    exit 1
fi

(cd "$helpers" && node verify.mjs "$base" "$token" user:default/compat-guest)
