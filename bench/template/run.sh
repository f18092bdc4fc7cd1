#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds and runs the template benchmark (optimized build in build/bench), then the same
# work with Nunjucks when Node and the compatibility test's npm packages are installed.
set -eu
cd "$(dirname "$0")/../.."

cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target bench_template -j "$(nproc)" >/dev/null
skeleton=$(mktemp -d)
trap 'rm -rf "$skeleton"' EXIT
build/bench/bench/template/bench_template --dump "$skeleton"

if command -v node >/dev/null 2>&1 && [ -d tests/compat/nunjucks/node_modules/nunjucks ]; then
    node bench/template/nunjucks_bench.js "$skeleton" 20
else
    echo "nunjucks: skipped (run tests/compat/nunjucks.sh once to install it)"
fi
