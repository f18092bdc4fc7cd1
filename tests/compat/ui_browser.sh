#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the web UI's browser tests (tests/browser/run.sh) against the binary under test.
exec sh "$(dirname "$0")/../browser/run.sh"
