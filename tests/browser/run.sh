#!/bin/sh
# SPDX-License-Identifier: MIT
# Starts `greenroom serve` on the demo catalog and runs the browser tests
# against it with Debian's Chromium: run.js (pages, with an API token) and
# portal.js (a signed-out visitor who signs in as guest). Screenshots go to
# build/browser/. Prints "N passed, N failed" and exits 0 only when all pass.
set -u
cd "$(dirname "$0")/../.."
root=$(pwd)
# The optimised binary that scripts/check.sh builds is the one users run; the
# sanitizer build (GREENROOM_BIN under ctest) is used only when it is absent.
bin=$root/build/release/greenroom
if [ ! -x "$bin" ]; then
    bin=${GREENROOM_BIN:?GREENROOM_BIN must name the greenroom binary}
fi
shots=${GR_BUILD_DIR:-$root/build}/browser

if [ ! -x /usr/bin/chromium ]; then
    echo "browser: /usr/bin/chromium is missing; run scripts/install-deps.sh"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ ! -d tests/browser/node_modules/playwright-core ] ||
   [ ! -d tests/browser/node_modules/axe-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund --silent) || {
        echo "browser: npm ci failed in tests/browser"
        echo "0 passed, 1 failed"
        exit 1
    }
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir -p "$shots" "$work/data" "$work/profile" "$work/profile-portal" "$work/import"
cat >"$work/import/catalog-info.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: browser-imported
  description: Registered by the browser test through the import page.
spec:
  type: service
  lifecycle: experimental
  owner: platform-team
YAML

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
token="browser-test-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
base="http://127.0.0.1:$port"

GREENROOM_PORT=$port GREENROOM_DATA_DIR=$work/data GREENROOM_DEMO_TOKEN=$token \
    "$bin" serve --config examples/demo/app-config.yaml \
    --config examples/demo/app-config.test.yaml \
    --config tests/browser/app-config.browser.yaml >"$work/server.log" 2>&1 &
server_pid=$!

# Ready, and the demo catalog processed (the component list is not empty).
ready=0
for _ in $(seq 1 300); do
    if curl -fs -H "Authorization: Bearer $token" \
        "$base/api/catalog/entities?filter=kind=component&limit=1" 2>/dev/null | grep -q '"kind"'; then
        ready=1
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        break
    fi
    sleep 0.2
done
if [ "$ready" -ne 1 ]; then
    echo "browser: the server did not become ready with the demo catalog; its log:"
    tail -n 40 "$work/server.log"
    echo "0 passed, 1 failed"
    exit 1
fi
# Let the processing loop settle so relations and owners are stitched.
sleep 2

GREENROOM_URL=$base GREENROOM_TOKEN=$token IMPORT_FILE=$work/import/catalog-info.yaml \
    SHOTS=$shots PROFILE=$work/profile node tests/browser/run.js | tee "$work/run.out"
GREENROOM_URL=$base SHOTS=$shots PROFILE=$work/profile-portal \
    node tests/browser/portal.js | tee "$work/portal.out"

# Each script ends with its own "N passed, N failed" line; report the sum.
total_passed=0
total_failed=0
for out in "$work/run.out" "$work/portal.out"; do
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        total_failed=$((total_failed + 1))
        continue
    fi
    total_passed=$((total_passed + ${line%% passed*}))
    rest=${line#*passed, }
    total_failed=$((total_failed + ${rest%% failed}))
done
if [ "$total_failed" -ne 0 ]; then
    echo "browser: server log (last lines):"
    tail -n 20 "$work/server.log"
fi
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
