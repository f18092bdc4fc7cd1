#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds and runs the scaffolder benchmark on an optimized build in build/bench.
set -eu
cd "$(dirname "$0")/../.."

cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench --target bench_scaffolder -j "$(nproc)" >/dev/null
build/bench/bench/scaffolder/bench_scaffolder "$@"
