#!/bin/sh
# SPDX-License-Identifier: MIT
# Compares `greenroom catalog validate` with Backstage's own validators and
# processors (@backstage/catalog-model, plugin-catalog-backend and the
# scaffolder entity model from npm) on the shared corpus of real catalog files
# and on the edge cases in tests/data/model/. Any disagreement on a verdict or
# on the relations of a valid entity fails the test.
set -eu

bin=${GREENROOM_BIN:-build/check/greenroom}
suite=tests/compat/model
corpus=../shared/corpus/catalog

# Installs the pinned packages once; `npm ci` runs again only when the lock
# file is newer than the installed tree.
if [ ! -d "$suite/node_modules" ] || [ "$suite/package-lock.json" -nt "$suite/node_modules/.package-lock.json" ]; then
    (cd "$suite" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

status=0
if [ -d "$corpus" ]; then
    node "$suite/compare.js" "$bin" "$corpus" "$corpus" || status=1
else
    echo "model.sh: $corpus is missing; comparing tests/data/model only"
fi
node "$suite/compare.js" "$bin" tests/data/model tests/data/model || status=1
exit $status
