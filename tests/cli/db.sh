#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs `greenroom db` on SQLite: help, argument errors, migrate, status and a
# copy into another SQLite file, checking output and exit statuses.
set -u

bin=${GREENROOM_BIN:?GREENROOM_BIN must name the greenroom binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    echo "--- stdout"
    cat "$work/out"
    echo "--- stderr"
    cat "$work/err"
    failures=$((failures + 1))
}

# Runs the binary in $work/cwd; sets $status.
run() {
    (cd "$work/cwd" && "$bin" "$@") >"$work/out" 2>"$work/err"
    status=$?
}

expect_status() {
    [ "$status" -eq "$1" ] || fail "$2: exit status $status, expected $1"
}

expect_out() {
    grep -qF -- "$1" "$work/out" || fail "$2: stdout lacks '$1'"
}

expect_err() {
    grep -qF -- "$1" "$work/err" || fail "$2: stderr lacks '$1'"
}

mkdir "$work/cwd"

run db --help
expect_status 0 "help"
expect_out "usage: greenroom db migrate [--config FILE]..." "help"
expect_out "--batch-rows N" "help"

run help db
expect_status 0 "help command"
expect_out "greenroom db copy --from sqlite:FILE" "help command"

run help
expect_out "db " "command list"

run db
expect_status 2 "no subcommand"
expect_err "a subcommand is needed" "no subcommand"

run db vacuum
expect_status 2 "unknown subcommand"
expect_err "unknown subcommand 'vacuum'" "unknown subcommand"

run db migrate --verbose
expect_status 2 "unknown option"
expect_err "unexpected argument '--verbose'" "unknown option"

run db copy --from sqlite:a.sqlite
expect_status 2 "copy without --to"
expect_err "copy needs --from sqlite:FILE and --to DATABASE" "copy without --to"

run db copy --from a.sqlite --to pg:dbname=x
expect_status 2 "copy from a bare path"
expect_err "--from 'a.sqlite': use sqlite:FILE" "copy from a bare path"

run db copy --from pg:dbname=x --to sqlite:b.sqlite
expect_status 2 "copy from PostgreSQL"
expect_err "--from must name a SQLite database" "copy from PostgreSQL"

run db copy --from sqlite:missing.sqlite --to sqlite:b.sqlite
expect_status 2 "copy from a missing file"
expect_err "missing.sqlite: No such file or directory" "copy from a missing file"
[ ! -e "$work/cwd/b.sqlite" ] || fail "copy from a missing file created the target"

run db copy --from sqlite:a.sqlite --to sqlite:b.sqlite --batch-rows 0
expect_status 2 "zero batch"
expect_err "--batch-rows '0': expected a number from 1 to 10000" "zero batch"

printf 'backend:\n  listen:\n    port: not-a-port\n' >"$work/bad.yaml"
run db migrate --config "$work/bad.yaml"
expect_status 2 "invalid config"
expect_err "backend.listen.port" "invalid config"

# Without a config, the database is SQLite's default file.
run db status
expect_status 0 "status of a new database"
expect_out "no migrations recorded" "status of a new database"

run db migrate
expect_status 0 "migrate"
expect_out "migrated scheduler" "migrate"
expect_out "migrated auth" "migrate"
expect_out "migrated plugin catalog" "migrate"
expect_out "scheduler                   1" "migrate"
expect_err "applied migration scheduler version 1" "migrate"
[ -f "$work/cwd/data/greenroom.sqlite" ] || fail "migrate did not create ./data/greenroom.sqlite"

run db migrate
expect_status 0 "second migrate"
if grep -q "applied migration" "$work/err"; then
    fail "second migrate applied migrations again"
fi

run db status
expect_status 0 "status"
expect_out "component" "status"
expect_out "auth                        2" "status"

# SQLite into SQLite: the target gets the source's session secret.
run db copy --from sqlite:data/greenroom.sqlite --to sqlite:copy.sqlite
expect_status 0 "copy"
expect_out "migrating the target database" "copy"
expect_out "copied auth_secrets: 1 row" "copy"
expect_out "copied auth_signing_keys: 0 rows" "copy"
source_secret=$(sqlite3 "$work/cwd/data/greenroom.sqlite" "SELECT value FROM auth_secrets")
copied_secret=$(sqlite3 "$work/cwd/copy.sqlite" "SELECT value FROM auth_secrets")
[ -n "$source_secret" ] && [ "$source_secret" = "$copied_secret" ] ||
    fail "copy: the session secret differs: '$source_secret' and '$copied_secret'"

run db copy --from sqlite:data/greenroom.sqlite --to sqlite:copy.sqlite
expect_status 1 "copy into a filled target"
expect_err "auth_secrets (1 row)" "copy into a filled target"
expect_err "--force" "copy into a filled target"

run db copy --from sqlite:data/greenroom.sqlite --to sqlite:copy.sqlite --force --batch-rows 1
expect_status 0 "forced copy"
expect_out "replacing the rows of a non-empty target" "forced copy"

# A source at an older schema version is not migrated by the copy.
cp "$work/cwd/data/greenroom.sqlite" "$work/cwd/old.sqlite"
sqlite3 "$work/cwd/old.sqlite" "DELETE FROM schema_migrations WHERE component = 'catalog' AND
    version = (SELECT MAX(version) FROM schema_migrations WHERE component = 'catalog')"
old_versions=$(sqlite3 "$work/cwd/old.sqlite" "SELECT COUNT(*) FROM schema_migrations")
run db copy --from sqlite:old.sqlite --to sqlite:new.sqlite
expect_status 1 "copy from an older source"
expect_err "migrate the source with this greenroom first" "copy from an older source"
[ "$(sqlite3 "$work/cwd/old.sqlite" "SELECT COUNT(*) FROM schema_migrations")" = "$old_versions" ] ||
    fail "copy from an older source changed the source"

if [ "$failures" -ne 0 ]; then
    echo "$failures checks failed"
    exit 1
fi
echo "all checks passed"
