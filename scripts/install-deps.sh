#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages that building, running and testing greenroom
# need. Installs only what is missing, so a second run changes nothing.
set -eu

# One package per line, so that additions merge cleanly.
packages="
build-essential
cmake
pkg-config
clang
libclang-rt-14-dev
libmicrohttpd-dev
libjansson-dev
libyaml-dev
libsqlite3-dev
sqlite3
libpq-dev
libmd4c-dev
libmd4c-html0-dev
libutf8proc-dev
libgit2-dev
libcurl4-openssl-dev
libssl-dev
openssl
libcmocka-dev
git
curl
wrk
postgresql
postgresql-client
nodejs
mkdocs
python3-markdown
python3-pymdownx
mkdocs-material
libgraphviz-dev
graphviz
chromium
fonts-dejavu-core
"

missing=""
for package in $packages; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $package"
    fi
done

# Node.js may come from another source that bundles npm; Debian splits it out.
if ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi

if [ -z "$missing" ]; then
    exit 0
fi

echo "install-deps: installing:$missing"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -q
# shellcheck disable=SC2086
$sudo_cmd apt-get install -y -q --no-install-recommends $missing
