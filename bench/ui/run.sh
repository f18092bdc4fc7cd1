#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints p50/p99 times of the catalog index, entity pages and the relation
# graph at 10,000 entities (override with BENCH_UI_ENTITIES), 300 requests
# per page (BENCH_UI_REQUESTS), on the release build.
set -u
cd "$(dirname "$0")/../.."
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build build/release -j "$(nproc)" --target bench_ui >/dev/null || exit 1
exec build/release/bench/ui/bench_ui "${BENCH_UI_ENTITIES:-10000}" "${BENCH_UI_REQUESTS:-300}"
