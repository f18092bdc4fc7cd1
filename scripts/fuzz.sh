#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds every libFuzzer target (fuzz/CMakeLists.txt) with clang in build/fuzz
# and runs each one on its seed corpus fuzz/corpus/<name without fuzz_>/ for
# SECONDS seconds. Usage: scripts/fuzz.sh [SECONDS [TARGET...]]  (default 60
# seconds, every target; TARGET is a name such as fuzz_jwt).
# Inputs that crash are saved as build/fuzz/artifacts/<target>-crash-*, and
# an input that runs longer than 25 seconds counts as a failure (a hang).
# Targets get /dev/null as standard input, so no input can make one wait there.
# FUZZ_SEED=N passes -seed=N and starts from the committed seeds alone, so
# libFuzzer generates the same inputs in the same order on every run. The
# test suite sets it. Without it each run draws a random seed.
# libmicrohttpd's error-log callback hands us a format string to vsnprintf,
# which clang's -Wformat-nonliteral flags, so that one warning is not an error
# here.
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
only="$*"
build_dir=build/fuzz

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang is not installed; run scripts/install-deps.sh" >&2
    exit 1
fi

cmake -S . -B "$build_dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="-Wno-error=format-nonliteral" \
    -DGR_SANITIZE=ON -DGR_BUILD_FUZZERS=ON -DGR_BUILD_TESTS=OFF >/dev/null
if ! cmake --build "$build_dir" -j "$(nproc)" >"$build_dir/build.log" 2>&1; then
    tail -n 40 "$build_dir/build.log" >&2
    echo "fuzz: the build failed; its log is $build_dir/build.log" >&2
    exit 1
fi

mkdir -p "$build_dir/artifacts"
status=0
ran=0
for target in "$build_dir"/fuzz/fuzz_*; do
    [ -x "$target" ] && [ -f "$target" ] || continue
    name=$(basename "$target")
    if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then
        continue
    fi
    seeds=fuzz/corpus/${name#fuzz_}
    # New inputs go to a work folder so the committed seeds stay small.
    work=$build_dir/corpus/$name
    # With a fixed seed the run starts from the committed seeds alone, as on a clean clone.
    if [ -n "${FUZZ_SEED:-}" ]; then
        rm -rf "$work"
    fi
    mkdir -p "$work" "$seeds"
    echo "fuzz: running $name for $seconds s"
    if ! "$target" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
        ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
        -artifact_prefix="$build_dir/artifacts/$name-" "$work" "$seeds" \
        </dev/null >"$build_dir/$name.log" 2>&1; then
        echo "fuzz: $name failed; its log is $build_dir/$name.log" >&2
        tail -n 40 "$build_dir/$name.log" >&2
        status=1
    else
        grep -E 'stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb' "$build_dir/$name.log" |
            sed "s/^/fuzz: $name /"
    fi
    ran=$((ran + 1))
done

if [ "$ran" -eq 0 ]; then
    echo "fuzz: no fuzz target was built" >&2
    exit 1
fi
exit "$status"
