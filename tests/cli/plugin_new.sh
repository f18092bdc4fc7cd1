#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks that `greenroom plugin new` writes a skeleton that builds with its
# own CMake file against the headers of this source tree (through the
# pkg-config file in the build folder) and loads into a running server.
set -u

bin=${GREENROOM_BIN:?GREENROOM_BIN must name the greenroom binary}
build=${GR_BUILD_DIR:?GR_BUILD_DIR must name the build folder}
work=$(mktemp -d)
. "$(dirname "$0")/../support/test_db.sh"
trap 'gr_test_db_drop; rm -rf "$work"' EXIT
failures=0
gr_test_db_setup || exit 1

fail() {
    echo "FAIL: $1"
    failures=$((failures + 1))
}

"$bin" plugin new hello-world "$work/hello-world" >"$work/new.out" 2>&1 ||
    fail "plugin new exited with $?: $(cat "$work/new.out")"
for file in hello-world.c CMakeLists.txt test.sh README.md; do
    [ -f "$work/hello-world/$file" ] || fail "the skeleton has no $file"
done

export PKG_CONFIG_PATH="$build/pkgconfig"
pkg-config --exists greenroom-plugin || fail "pkg-config does not find greenroom-plugin"
case $(pkg-config --cflags greenroom-plugin) in
    *"$(pwd)/include"*) ;;
    *) fail "greenroom-plugin.pc does not point at this source tree's headers" ;;
esac

# The skeleton builds with strict warnings and without the sanitizers of
# the binary under test, as an outside plugin would.
if ! cmake -S "$work/hello-world" -B "$work/hello-world/build" \
        -DCMAKE_C_FLAGS="-Werror -Wpedantic" >"$work/configure.log" 2>&1; then
    cat "$work/configure.log"
    fail "the skeleton does not configure"
elif ! cmake --build "$work/hello-world/build" >"$work/build.log" 2>&1; then
    cat "$work/build.log"
    fail "the skeleton does not build"
else
    [ -f "$work/hello-world/build/hello-world.so" ] || fail "no hello-world.so was built"
    nm -D --defined-only "$work/hello-world/build/hello-world.so" >"$work/symbols"
    grep -q ' gr_plugin_init$' "$work/symbols" || fail "hello-world.so does not export gr_plugin_init"
    [ "$(grep -c ' T ' "$work/symbols")" -eq 1 ] || fail "hello-world.so exports more than gr_plugin_init"
    # The skeleton's own test starts the server with the plugin loaded.
    if ! (cd "$work/hello-world/build" && GREENROOM_BIN="$bin" ctest --output-on-failure \
            >"$work/ctest.log" 2>&1); then
        cat "$work/ctest.log"
        fail "the skeleton's test failed"
    fi
fi

if [ "$failures" -ne 0 ]; then
    echo "plugin_new: $failures failed"
    exit 1
fi
echo "plugin_new: all passed"
