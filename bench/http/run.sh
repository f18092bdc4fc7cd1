#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds an optimised bench_http and measures the HTTP server with and
# without the per-request log line. Arguments go to bench_http.
set -eu
cd "$(dirname "$0")/../.."

build_dir=build/release
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target bench_http >/dev/null

"$build_dir/bench/http/bench_http" "$@"
"$build_dir/bench/http/bench_http" --log "$@"
