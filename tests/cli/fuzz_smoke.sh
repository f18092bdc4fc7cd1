#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every libFuzzer target for 8 seconds with a fixed seed, so every run
# tries the same inputs in the same order, and a slower machine tries fewer of
# them. Any crash, leak, hang or sanitizer report fails the test. Skips when
# clang is not installed.
set -eu
cd "$(dirname "$0")/../.."

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz_smoke: skipped: clang is not installed"
    exit 0
fi
FUZZ_SEED=1 exec ./scripts/fuzz.sh 8
