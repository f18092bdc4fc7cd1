#!/bin/sh
# SPDX-License-Identifier: MIT
# Stops the PostgreSQL server that scripts/pg-start.sh started in FOLDER.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 FOLDER" >&2
    exit 2
fi
dir=$1

if [ ! -f "$dir/data/postmaster.pid" ]; then
    exit 0
fi
cd "$dir"
bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$bin_dir/pg_ctl" -D data -m fast -w stop >/dev/null
else
    "$bin_dir/pg_ctl" -D data -m fast -w stop >/dev/null
fi
