#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds each docs site of the test corpus N times with `greenroom techdocs
# build` and once with Debian's `mkdocs build` (same config preparation as the
# compatibility test), and prints both times in milliseconds and their ratio.
# usage: bench/techdocs/run.sh [N]   (GREENROOM_BIN picks the binary)
set -u
cd "$(dirname "$0")/../.."

runs=${1:-20}
corpus=../shared/corpus/techdocs
helpers=tests/compat/techdocs
bin=${GREENROOM_BIN:-build/release/greenroom}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }

printf '%-40s %14s %12s %8s\n' site greenroom_ms mkdocs_ms ratio
for config in $(find "$corpus" -maxdepth 6 -name mkdocs.yml | sort); do
    site=$(dirname "$config")
    case "$site" in *sample-docs*) continue ;; esac
    name=$(basename "$site")
    copy="$work/$name"
    mkdir -p "$copy"
    cp -R "$site/." "$copy/"

    start=$(now_ms)
    i=0
    while [ "$i" -lt "$runs" ]; do
        "$bin" techdocs build "$site" -o "$copy/gr-$i" 2>/dev/null || exit 1
        i=$((i + 1))
    done
    greenroom=$(( ($(now_ms) - start) / runs ))

    /usr/bin/python3 $helpers/prepare.py "$config" "$copy/mkdocs.compare.yml" \
        "$PWD/$helpers/dump_hook.py" "$PWD/$helpers/theme" >/dev/null || continue
    start=$(now_ms)
    (cd "$copy" && GR_MKDOCS_DUMP="$copy/dump.json" mkdocs build -q -f mkdocs.compare.yml \
        -d "$copy/mk" >/dev/null 2>&1) || continue
    mkdocs=$(( $(now_ms) - start ))

    printf '%-40s %14s %12s %8s\n' "$name" "$greenroom" "$mkdocs" \
        "$(awk "BEGIN { printf \"%.1fx\", $mkdocs / ($greenroom > 0 ? $greenroom : 1) }")"
done
