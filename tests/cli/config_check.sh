#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs `greenroom config check` on the files in tests/data/config and checks
# its output, its exit status, that secrets are masked, and that it writes
# nothing (no data folder) in the folder it runs in.
set -u

bin=${GREENROOM_BIN:?GREENROOM_BIN must name the greenroom binary}
data=$(pwd)/tests/data/config
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

# Runs the binary in an empty folder; sets $status.
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

expect_nowhere() {
    if grep -qF -- "$1" "$work/out" "$work/err"; then
        fail "$2: output shows '$1'"
    fi
}

expect_nothing_written() {
    if [ -n "$(ls -A "$work/cwd")" ]; then
        fail "$1: the command wrote into its folder: $(ls -A "$work/cwd")"
    fi
}

mkdir "$work/cwd"

run config --help
expect_status 0 "help"
expect_out "usage: greenroom config check [--config FILE]..." "help"

run help config
expect_status 0 "help command"
expect_out "greenroom config schema" "help command"

run config check
expect_status 0 "no config"
expect_out "host: 127.0.0.1" "no config"
expect_out "port: 7007" "no config"
expect_out "connection: ./data/greenroom.sqlite" "no config"
expect_nothing_written "no config"
expect_err "no --config given and no ./app-config.yaml, using the built-in defaults" "no config"

run config check --config "$data/base.yaml" --config="$data/local.yaml"
expect_status 0 "valid files"
expect_out "title: Local Portal" "valid files"
expect_out "name: Example Org" "valid files"
expect_out "port: 7101" "valid files"
expect_out "host: local.example.com" "valid files"
expect_nowhere "docs.example.com" "arrays replace"
expect_out "host: db.example.com" "include"
expect_out "password: <secret>" "secret from \$file"
expect_out "token: <secret>" "static token"
expect_out "subject: ci-bot" "static token subject"
expect_nowhere "database-password-value" "masked password"
expect_nowhere "static-token-value" "masked token"
expect_err "base.yaml:21: kubernetes: unknown key" "unknown key warning"
expect_nothing_written "valid files"

APP_CONFIG_backend_listen_port=7008 run config check --config "$data/base.yaml"
expect_status 0 "environment override"
expect_out "port: 7008" "environment override"

run config check --config "$data/bad-type.yaml"
expect_status 2 "wrong type"
expect_err "bad-type.yaml:3: backend.listen.port: must be an integer" "wrong type"
expect_err "the configuration is invalid" "wrong type"
expect_nothing_written "wrong type"

run config check --config "$data/bad-value.yaml"
expect_status 2 "value not allowed"
expect_err "bad-value.yaml:3: backend.database.client: must be one of" "value not allowed"

run config check --config "$data/bad-listen-host.yaml"
expect_status 2 "listen host name"
expect_err "bad-listen-host.yaml:4: backend.listen.host: must be an IPv4 or IPv6 address, found \"localhost\"" \
    "listen host name"
expect_err "Write 127.0.0.1 or ::1" "listen host name"
expect_err "or 0.0.0.0 or :: to accept them on every interface" "listen host name"

# Backstage sign-in providers that greenroom lacks are named with the way to replace them.
printf 'auth:\n  providers:\n    github:\n      development: {clientId: a, clientSecret: b}\n    google:\n      development: {clientId: a, clientSecret: b}\n' \
    >"$work/providers.yaml"
run config check --config "$work/providers.yaml"
expect_status 0 "missing providers"
expect_err "providers.yaml:3: auth.providers.github: unknown key, greenroom does not read it. greenroom has no GitHub sign-in" \
    "missing providers"
expect_err "providers.yaml:5: auth.providers.google: unknown key, greenroom does not read it. greenroom signs in through OpenID Connect instead: configure auth.providers.oidc" \
    "missing providers"

# The ranges that the catalog checks at start fail the check too, with file and line.
printf 'catalog:\n  processingWorkers: 0\n  processingInterval: {minutes: 1e400}\n' \
    >"$work/catalog-ranges.yaml"
run config check --config "$work/catalog-ranges.yaml"
expect_status 2 "catalog ranges"
expect_err "catalog-ranges.yaml:2: catalog.processingWorkers: expected an integer from 1 to 64" \
    "catalog ranges"
expect_err "catalog-ranges.yaml:3: catalog.processingInterval: invalid duration; use false or an object such as {minutes: 2}, up to a year" \
    "catalog ranges"
# Durations without a part, or past a year, which would overflow the refresh time.
for interval in "{}" "''" "{milliseconds: 9e18}" "'9000000000000000000ms 9000000000000000000ms'" \
    "{seconds: -5}"; do
    printf 'catalog:\n  processingInterval: %s\n' "$interval" >"$work/catalog-ranges.yaml"
    run config check --config "$work/catalog-ranges.yaml"
    expect_status 2 "catalog interval $interval"
    expect_err "catalog.processingInterval: invalid duration" "catalog interval $interval"
done
printf 'catalog:\n  processingWorkers: 4\n  processingInterval: false\n' >"$work/catalog-ranges.yaml"
run config check --config "$work/catalog-ranges.yaml"
expect_status 0 "catalog ranges valid"

# The forms of backend.listen that Backstage accepts, with IP addresses.
for listen in "':7007'" "'0.0.0.0:7007'" "'[::1]:7007'" "{host: 0.0.0.0, port: 7007}"; do
    printf 'backend:\n  listen: %s\n' "$listen" >"$work/listen.yaml"
    run config check --config "$work/listen.yaml"
    expect_status 0 "listen $listen"
    expect_out "port: 7007" "listen $listen"
done

run config check --config "$data/bad-location-type.yaml"
expect_status 2 "location type"
expect_err "bad-location-type.yaml:4: catalog.locations[0].type: must be one of file, url, git; found \"fil\"" \
    "location type"

# Settings that load but do not work as in Backstage get one warning each.
run config check --config "$data/migrated.yaml"
expect_status 0 "migrated config"
expect_err "greenroom config: warning: permission.enabled is true but permission.rules lists no rule, so every permission check is denied" \
    "permission without rules"
expect_err "write the rule '- allow: \"*\"' under permission.rules, or set permission.enabled: false" \
    "permission without rules"
expect_err "greenroom config: warning: app.baseUrl http://localhost:3000 and backend.baseUrl http://localhost:7007 have different origins" \
    "base URLs"
expect_err "Set app.baseUrl to http://localhost:7007" "base URLs"
expect_err "migrated.yaml:8: backend.auth.keys: unknown key, greenroom does not read it. Write each of its secrets as an entry of backend.auth.externalAccess with type legacy" \
    "legacy keys"
expect_nowhere "legacy-secret-value" "legacy keys"
if [ "$(grep -c 'warning: permission.enabled' "$work/err")" -ne 1 ]; then
    fail "permission without rules: the warning is not printed exactly once"
fi

# The allow-all rule that the warning suggests ends the warning.
cat >"$work/allow-all.yaml" <<'YAML'
permission:
  enabled: true
  rules:
    - allow: "*"
YAML
run config check --config "$work/allow-all.yaml"
expect_status 0 "allow-all rule"
expect_nowhere "warning: permission" "allow-all rule"

run config check --config "$data/base.yaml"
expect_nowhere "warning: permission" "no warning without permission"
expect_nowhere "different origins" "no warning with derived app.baseUrl"

# TechDocs declares its keys through the plugin ABI with their allowed values,
# and its range checks still apply.
run config check --config "$data/bad-techdocs.yaml"
expect_status 2 "techdocs keys"
expect_err "bad-techdocs.yaml:4: techdocs.builder: must be one of" "techdocs keys"
expect_err "techdocs.build.workers: must be from 1 to" "techdocs keys"

run config check --config "$data/bad-required.yaml"
expect_status 2 "missing required key"
expect_err "bad-required.yaml:4: backend.auth.externalAccess[0].type: missing required key" \
    "missing required key"
expect_nowhere "some-token-value" "missing required key"

run config check --config "$data/bad-include.yaml"
expect_status 2 "missing include"
expect_err "bad-include.yaml:3: backend: \$include: cannot read" "missing include"

# Settings that serve reads beyond the key schema fail the check as they fail serve.
run config check --config "$data/bad-policy.yaml"
expect_status 2 "unknown permission"
expect_err "'catalog.entity.reed' is not a known permission" "unknown permission"
expect_err "the configuration is invalid" "unknown permission"

run config check --config "$data/plugin-policy.yaml"
expect_status 0 "plugin permission"
expect_err "no built-in feature declares (acme.report.read)" "plugin permission"

run config check --config "$data/bad-lifetime.yaml"
expect_status 2 "token lifetime"
expect_err "auth.backstageTokenExpiration: 300 seconds is outside the allowed range" \
    "token lifetime"

run config check --config "$data/bad-rate-window.yaml"
expect_status 2 "rate limit window"
expect_err "backend.rateLimit.window: 90000 seconds is outside the allowed range" \
    "rate limit window"

run config check --config "$data/absent.yaml"
expect_status 2 "missing file"
expect_err "absent.yaml: No such file or directory" "missing file"

APP_CONFIG_backend_listen_port='"x"' run config check
expect_status 2 "invalid override"
expect_err "APP_CONFIG_backend_listen_port: backend.listen.port: must be an integer" \
    "invalid override"

run config check --port 1
expect_status 2 "unknown option"
expect_err "unexpected argument '--port'" "unknown option"

run config frobnicate
expect_status 2 "unknown subcommand"

run config
expect_status 2 "no subcommand"
expect_nothing_written "all runs"

# Without --config, the files Backstage's backend reads by default, from the working folder.
cat >"$work/cwd/app-config.yaml" <<'YAML'
app:
  title: From the default file
backend:
  listen:
    port: 7123
YAML
run config check
expect_status 0 "default file"
expect_out "title: From the default file" "default file"
expect_out "port: 7123" "default file"
expect_err "no --config given, reading ./app-config.yaml" "default file"

cat >"$work/cwd/app-config.local.yaml" <<'YAML'
backend:
  listen:
    port: 7124
YAML
run config check
expect_status 0 "default local file"
expect_out "title: From the default file" "default local file"
expect_out "port: 7124" "default local file"
expect_err "reading ./app-config.yaml and ./app-config.local.yaml" "default local file"

run config check --config "$data/plugin-policy.yaml"
expect_status 0 "named file only"
expect_nowhere "From the default file" "named file only"
expect_nowhere "no --config given" "named file only"
rm "$work/cwd/app-config.yaml" "$work/cwd/app-config.local.yaml"

if [ "$failures" -ne 0 ]; then
    echo "config_check: $failures failures"
    exit 1
fi
echo "config_check: all passed"
