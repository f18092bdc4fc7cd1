#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the web UI's browser tests (tests/browser/run.sh) against the binary under test.
set -u
cd "$(dirname "$0")/../.."
. tests/support/test_db.sh
trap gr_test_db_drop EXIT
if ! gr_test_db_setup; then
    echo "0 passed, 1 failed"
    exit 1
fi
sh tests/browser/run.sh
