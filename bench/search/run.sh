#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds an optimised bench_search and runs it on SQLite and on a throwaway
# PostgreSQL server (scripts/pg-start.sh). Arguments go to bench_search.
set -eu
cd "$(dirname "$0")/../.."

build_dir=build/release
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target bench_search >/dev/null

pg_dir=$(mktemp -d)
trap 'scripts/pg-stop.sh "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
if pg_url=$(scripts/pg-start.sh "$pg_dir"); then
    "$build_dir/bench/search/bench_search" --pg "$pg_url" "$@"
else
    echo "run.sh: PostgreSQL did not start; measuring SQLite only"
    "$build_dir/bench/search/bench_search" "$@"
fi
