#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds an optimised greenroom in build/bench and runs the catalog validation
# benchmark. Extra arguments go to the benchmark (entity count, output file).
set -eu
cd "$(dirname "$0")/../.."
# Warnings stay warnings here: -O3 makes GCC report format-truncation cases
# that the Debug build used by the tests does not see.
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DGR_BUILD_TESTS=OFF -DGR_WERROR=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" --target bench_catalog_validate >/dev/null
exec build/bench/bench/catalog-validate/bench_catalog_validate "$@"
