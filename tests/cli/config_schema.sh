#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks that docs/configuration.md is what `greenroom config schema` prints,
# so the reference never drifts from the keys the binary declares.
set -u

bin=${GREENROOM_BIN:?GREENROOM_BIN must name the greenroom binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" config schema --format markdown >"$work/configuration.md"
status=$?
if [ "$status" -ne 0 ]; then
    echo "FAIL: config schema exited with $status"
    exit 1
fi
if ! diff -u docs/configuration.md "$work/configuration.md"; then
    echo "FAIL: docs/configuration.md is out of date; regenerate it with"
    echo "  greenroom config schema --format markdown > docs/configuration.md"
    exit 1
fi

"$bin" config schema --format html >/dev/null 2>"$work/err"
status=$?
if [ "$status" -ne 2 ]; then
    echo "FAIL: an unknown format exited with $status, expected 2"
    exit 1
fi
echo "config_schema: all passed"
