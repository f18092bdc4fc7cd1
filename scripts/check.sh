#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds greenroom with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs every test suite, then prints one line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."

build_dir=build/check
log=$build_dir/ctest.log

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug -DGR_SANITIZE=ON >/dev/null || exit 1
cmake --build "$build_dir" -j "$(nproc)" || exit 1

# The optimised build that `make run` uses warns about things the debug build
# cannot see (truncation, maybe-uninitialised), so it must compile too.
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build build/release -j "$(nproc)" >/dev/null || {
    echo "check: the release build failed; run 'cmake --build build/release' to see why"
    exit 1
}

ctest --test-dir "$build_dir" -j "$(nproc)" --output-on-failure "$@" 2>&1 | tee "$log"

total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n 1)
if [ -z "$total" ]; then
    echo "check: ctest ran no test"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "$((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
