#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every benchmark under bench/ that has a run.sh, in name order, on the
# release build. Each prints its own figures.
set -u
cd "$(dirname "$0")/.."
status=0
for script in bench/*/run.sh; do
    echo "== $script"
    sh "$script" || status=1
done
exit $status
