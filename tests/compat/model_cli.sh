#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks the command line of `greenroom catalog validate`: exit codes, the
# FILE:LINE:COLUMN text format, folder search, --follow, --format json and
# hints for misspelt keys.
set -u

bin=${GREENROOM_BIN:-build/check/greenroom}
data=tests/data/model
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {
    if [ "$2" = "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1: expected '$3', got '$2'"
        failures=$((failures + 1))
    fi
}

contains() {
    if grep -qF -- "$3" "$2"; then
        echo "ok   $1"
    else
        echo "FAIL $1: '$3' not in:"
        sed 's/^/    /' "$2"
        failures=$((failures + 1))
    fi
}

"$bin" catalog validate "$data/component-ok.yaml" >"$tmp/out" 2>"$tmp/err"
check "valid file exits 0" "$?" 0
check "valid file prints nothing" "$(cat "$tmp/out")" ""

"$bin" catalog validate "$data/kinds/component-no-owner.yaml" >"$tmp/out" 2>&1
check "invalid file exits 1" "$?" 1
contains "problem line has file, line, column and ref" "$tmp/out" \
    "$data/kinds/component-no-owner.yaml:6:3: component:default/widget-svc: /spec: must have required property 'owner' (required)"

"$bin" catalog validate "$data/metadata/tags-upper.yaml" >"$tmp/out" 2>&1
contains "tag problem points at the tag" "$tmp/out" "tags-upper.yaml:5:10: component:default/meta-svc: /metadata/tags/0:"
contains "tag problem shows the value" "$tmp/out" 'value "Java"'

"$bin" catalog validate "$data/yaml/duplicate-key.yaml" >"$tmp/out" 2>&1
check "YAML error exits 1" "$?" 1
contains "YAML error has a position" "$tmp/out" "duplicate-key.yaml:5:3:"

"$bin" catalog validate >"$tmp/out" 2>&1
check "no path exits 2" "$?" 2
"$bin" catalog validate --format xml "$data" >"$tmp/out" 2>&1
check "unknown format exits 2" "$?" 2
"$bin" catalog validate "$data/does-not-exist.yaml" >"$tmp/out" 2>&1
check "missing path exits 2" "$?" 2
contains "missing path is named" "$tmp/out" "does-not-exist.yaml' does not exist"
"$bin" catalog validate --bogus "$data" >"$tmp/out" 2>&1
check "unknown option exits 2" "$?" 2
"$bin" catalog validate --help >"$tmp/out" 2>&1
check "help exits 0" "$?" 0
contains "help documents folder search" "$tmp/out" "catalog-info.yaml"

# Folder search: entity files and catalog-info.yaml are checked, other YAML is not.
mkdir -p "$tmp/repo/docs" "$tmp/repo/.github" "$tmp/repo/node_modules/x"
cp "$data/component-ok.yaml" "$tmp/repo/catalog-info.yaml"
printf 'site_name: Docs\nnav:\n  - index.md\n' >"$tmp/repo/docs/mkdocs.yml"
printf '{"name": "pkg", "version": "1.0.0"}\n' >"$tmp/repo/package.json"
cp "$data/kinds/component-no-owner.yaml" "$tmp/repo/.github/hidden.yaml"
cp "$data/kinds/component-no-owner.yaml" "$tmp/repo/node_modules/x/catalog-info.yaml"
"$bin" catalog validate "$tmp/repo" >"$tmp/out" 2>"$tmp/err"
check "folder with one entity file exits 0" "$?" 0
contains "folder search counts one file" "$tmp/err" "1 files checked, 1 entities"
cp "$data/refs/depends-no-kind.yaml" "$tmp/repo/docs/service.yaml"
"$bin" catalog validate "$tmp/repo" >"$tmp/out" 2>&1
check "folder with an invalid entity exits 1" "$?" 1
contains "folder search finds nested entity files" "$tmp/out" "docs/service.yaml:9:15:"

# --follow reads the targets of Location entities, globs included, once each.
"$bin" catalog validate --root "$data" --follow "$data/locations/root.yaml" >"$tmp/out" 2>"$tmp/err"
check "follow of valid targets exits 0" "$?" 0
contains "follow reads glob targets" "$tmp/err" "4 files checked, 4 entities"
"$bin" catalog validate --root "$data" --follow "$data/locations/missing-required.yaml" >"$tmp/out" 2>&1
check "follow of a missing required target exits 1" "$?" 1
contains "missing target is reported on the Location" "$tmp/out" "location target ./not-there.yaml matches no file"
"$bin" catalog validate --root "$data" --follow "$data/locations/missing-optional.yaml" >"$tmp/out" 2>&1
check "follow of a missing optional target exits 0" "$?" 0
"$bin" catalog validate --root "$data" --follow "$data/locations/loop-a.yaml" >"$tmp/out" 2>"$tmp/err"
check "follow of a loop exits 0" "$?" 0
contains "follow reads each file of a loop once" "$tmp/err" "2 files checked, 2 entities"
"$bin" catalog validate --root "$data/locations/services" --follow "$data/locations/root.yaml" >"$tmp/out" 2>&1
check "follow outside the root exits 1" "$?" 1
contains "target outside the root is named" "$tmp/out" "outside the root folder"

# JSON output carries problems with positions and the relations of valid entities.
"$bin" catalog validate --format json "$data/refs/group-refs.yaml" "$data/kinds/group-no-type.yaml" >"$tmp/out" 2>&1
check "json with an invalid entity exits 1" "$?" 1
node -e '
const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const [good, bad] = report.entities;
const problems = [];
if (!good.valid || good.relations.length !== 12) problems.push("group-refs: " + JSON.stringify(good));
if (bad.valid || bad.problems[0].line !== 6 || bad.problems[0].rule !== "required") problems.push("group-no-type: " + JSON.stringify(bad));
if (report.summary.invalid !== 1) problems.push("summary: " + JSON.stringify(report.summary));
if (problems.length) { console.log(problems.join("\n")); process.exit(1); }
' "$tmp/out"
check "json report has relations, positions and summary" "$?" 0

# A misspelt required key gets a hint, and a missing key with nothing close does not.
"$bin" catalog validate "$data/kinds/component-misspelt-keys.yaml" >"$tmp/out" 2>&1
check "misspelt keys exit 1" "$?" 1
contains "misspelt lifecycle gets a hint" "$tmp/out" \
    "component-misspelt-keys.yaml:6:3: component:default/widget-svc: /spec: must have required property 'lifecycle'. Did you mean 'lifecycle' instead of 'lifecyle'? (required)"
contains "misspelt owner gets a hint" "$tmp/out" \
    "/spec: must have required property 'owner'. Did you mean 'owner' instead of 'ownr'? (required)"
cat >"$tmp/far-keys.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: far-keys
spec:
  type: service
  stage: production
  team: team-a
YAML
"$bin" catalog validate "$tmp/far-keys.yaml" >"$tmp/out" 2>&1
check "far keys exit 1" "$?" 1
contains "missing key with nothing close has no hint" "$tmp/out" \
    "/spec: must have required property 'lifecycle' (required)"
check "no hint names a far key" "$(grep -c 'Did you mean' "$tmp/out")" 0

echo "$failures failures"
[ "$failures" -eq 0 ]
