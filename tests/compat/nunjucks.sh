#!/bin/sh
# SPDX-License-Identifier: MIT
# Compares greenroom's template engine with real Nunjucks configured as
# Backstage's scaffolder configures it: a table of template cases, and every
# step input and skeleton file of the template corpus, must render the same.
set -eu

bin=${GREENROOM_BIN:?set GREENROOM_BIN to the greenroom binary}
dir=tests/compat/nunjucks
corpus=../shared/corpus/templates

# Install the pinned npm packages once, and again when the lock file changes.
if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ ! -d "$corpus" ]; then
    echo "nunjucks compat: corpus not found at $corpus" >&2
    exit 1
fi
exec node "$dir/compare.js" "$bin" "$corpus"
