#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints the time from exec of `greenroom serve` to ready, on the demo
# configuration with a fresh database each run set.
set -eu
cd "$(dirname "$0")/../.."
build=${GR_BENCH_BUILD:-build/release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target greenroom bench_startup >/dev/null
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

export GREENROOM_DATA_DIR="$data"
export GREENROOM_DEMO_TOKEN=bench-startup-token
"$build/bench/startup/bench_startup" "$build/greenroom" \
    examples/demo/app-config.yaml examples/demo/app-config.test.yaml
