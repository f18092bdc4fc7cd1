#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds every docs site of the test corpus with MkDocs (Debian's package) and
# with `greenroom techdocs build`, and fails on any difference in the page set,
# navigation titles and order, heading ids or link targets of a page.
set -u
cd "$(dirname "$0")/../.."

corpus=../shared/corpus/techdocs
helpers=tests/compat/techdocs
python=/usr/bin/python3
bin=${GREENROOM_BIN:-build/check/greenroom}

if ! command -v mkdocs >/dev/null 2>&1 || ! $python -c 'import html.parser, yaml, mkdocs' 2>/dev/null; then
    echo "techdocs compat: MkDocs is not installed; run scripts/install-deps.sh"
    echo "0 passed, 1 failed"
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
skipped=0

# A site is a mkdocs.yml with no mkdocs.yml in a folder above it (inner ones
# belong to the monorepo plugin's sub-sites).
sites=$(find "$corpus" -name mkdocs.yml | sort | while read -r config; do
    dir=$(dirname "$config")
    parent=$(dirname "$dir")
    nested=0
    while [ "$parent" != "$corpus" ] && [ "$parent" != "/" ] && [ "$parent" != "." ]; do
        [ -f "$parent/mkdocs.yml" ] && nested=1
        parent=$(dirname "$parent")
    done
    [ "$nested" -eq 0 ] && echo "$dir"
done)

for site in $sites; do
    name=$(echo "$site" | sed "s|^$corpus/||")
    copy="$work/$(echo "$name" | tr '/' '_')"
    mkdir -p "$copy"
    cp -R "$site/." "$copy/"
    echo "site $name"

    reason=$($python $helpers/prepare.py "$site/mkdocs.yml" "$copy/mkdocs.compare.yml" \
        "$PWD/$helpers/dump_hook.py" "$PWD/$helpers/theme")
    status=$?
    echo "$reason" | sed '/^$/d; s/^/  mkdocs: /'
    if [ "$status" -eq 3 ]; then
        echo "  skipped: $reason"
        skipped=$((skipped + 1))
        continue
    fi
    if [ "$status" -ne 0 ]; then
        failed=$((failed + 1))
        continue
    fi

    if ! (cd "$copy" && GR_MKDOCS_DUMP="$copy/mkdocs-dump.json" mkdocs build -q \
            -f mkdocs.compare.yml -d "$copy/mkdocs-site" >"$copy/mkdocs.log" 2>&1); then
        echo "  FAIL: mkdocs build failed:"
        sed 's/^/    /' "$copy/mkdocs.log"
        failed=$((failed + 1))
        continue
    fi
    if ! "$bin" techdocs build "$site" -o "$copy/greenroom-site" >"$copy/greenroom.log" 2>&1; then
        echo "  FAIL: greenroom techdocs build failed:"
        sed 's/^/    /' "$copy/greenroom.log"
        failed=$((failed + 1))
        continue
    fi
    if $python $helpers/compare.py "$copy/mkdocs-dump.json" "$copy/greenroom-site"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done

echo "techdocs compat: $skipped sites skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
