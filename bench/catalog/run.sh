#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds an optimised bench_catalog_ingest and measures the ingestion of a
# generated catalog of 100,000 entities on SQLite. Arguments go to the
# program (for example: --entities 10000 --workers 2 --pg URL).
set -eu
cd "$(dirname "$0")/../.."

build_dir=build/release
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target bench_catalog_ingest >/dev/null

"$build_dir/bench/catalog/bench_catalog_ingest" "$@"
