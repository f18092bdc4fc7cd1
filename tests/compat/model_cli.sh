#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks the command line of `greenroom catalog validate`: exit codes, the
# FILE:LINE:COLUMN text format, folder search, --follow, --format json,
# hints for misspelt keys and the catalog rules of --config.
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
contains "a file with a YAML error counts as checked" "$tmp/out" "1 file checked, 0 entities, 1 invalid"

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
contains "folder search counts one file" "$tmp/err" "1 file checked, 1 entity,"
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
printf 'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: remote\nspec:\n  type: url\n  target: https://example.com/catalog-info.yaml\n' \
    >"$tmp/remote-location.yaml"
"$bin" catalog validate --follow "$tmp/remote-location.yaml" >"$tmp/out" 2>"$tmp/err"
check "follow of a url target exits 0" "$?" 0
contains "url target is named as not followed" "$tmp/err" \
    "note: location target https://example.com/catalog-info.yaml (type url) was not followed"
"$bin" catalog validate --root "$data/locations/services" --follow "$data/locations/root.yaml" >"$tmp/out" 2>&1
check "follow outside the root exits 1" "$?" 1
contains "target outside the root is named" "$tmp/out" "outside the root folder"

# Location targets match as in the catalog: "**" spans any number of folders,
# and matches of a relative target are printed relative to the current folder.
mkdir -p "$tmp/deep/a/b/c"
cat >"$tmp/deep/root.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: deep
spec:
  targets: [./**/catalog-info.yaml]
YAML
for dir in a a/b a/b/c; do
    name=$(echo "$dir" | tr / -)
    printf 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc-%s\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n' \
        "$name" >"$tmp/deep/$dir/catalog-info.yaml"
done
sed -i '/owner: team-a/d' "$tmp/deep/a/b/c/catalog-info.yaml"
(cd "$tmp/deep" && "$bin" catalog validate --follow root.yaml) >"$tmp/out" 2>"$tmp/err"
check "follow of a ** target with one invalid file exits 1" "$?" 1
contains "** reaches files three folders down" "$tmp/err" "4 files checked, 4 entities"
contains "a followed match is printed relative to the current folder" "$tmp/out" \
    "a/b/c/catalog-info.yaml:6:3: component:default/svc-a-b-c:"

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

# --config applies catalog.rules and the rules of catalog.locations to each kind.
mkdir -p "$tmp/rules/org" "$tmp/rules/other"
cp "$data/kinds/group-full.yaml" "$tmp/rules/org/group.yaml"
cp "$data/kinds/group-full.yaml" "$tmp/rules/other/group.yaml"
cp "$data/component-ok.yaml" "$tmp/rules/component.yaml"
"$bin" catalog validate "$tmp/rules/org/group.yaml" >"$tmp/out" 2>&1
check "group without --config exits 0" "$?" 0

cat >"$tmp/rules/app-config.yaml" <<'YAML'
catalog:
  rules:
    - allow: [Component, API, Location, User]
YAML
"$bin" catalog validate --config "$tmp/rules/app-config.yaml" "$tmp/rules/org/group.yaml" >"$tmp/out" 2>&1
check "group rejected by catalog.rules exits 1" "$?" 1
contains "rule problem names kind and source" "$tmp/out" \
    "group.yaml:2:7: group:default/team-a: /kind: kind Group is not allowed by catalog.rules ($tmp/rules/app-config.yaml:2)."
contains "rule problem lists the allowed kinds" "$tmp/out" "allow Component, API, Location, User."
contains "rule problem says what to do" "$tmp/out" "Add Group to catalog.rules, or add an entry for file:"
contains "rule problem has its rule id" "$tmp/out" '(catalog-rules, value "Group")'
"$bin" catalog validate --config "$tmp/rules/app-config.yaml" "$tmp/rules/component.yaml" >"$tmp/out" 2>&1
check "component allowed by catalog.rules exits 0" "$?" 0

# The problem lists at most 32 allowed kinds, so that a long allow list stays readable.
{
    printf 'catalog:\n  rules:\n    - allow:\n'
    i=0
    while [ "$i" -lt 40 ]; do
        printf '        - Kind%d\n' "$i"
        i=$((i + 1))
    done
} >"$tmp/rules/many-kinds.yaml"
"$bin" catalog validate --config "$tmp/rules/many-kinds.yaml" "$tmp/rules/org/group.yaml" >"$tmp/out" 2>&1
check "group rejected by a long allow list exits 1" "$?" 1
contains "long allow list starts with its first kinds" "$tmp/out" "allow Kind0, Kind1, Kind2,"
contains "long allow list is cut after 32 kinds" "$tmp/out" "Kind31 and other kinds."
check "long allow list leaves out the 33rd kind" "$(grep -c 'Kind32' "$tmp/out")" 0

# A location's rules allow more kinds for the files it names: a path from
# ${VAR}, relative to the current folder as for the server, or a glob.
cat >"$tmp/rules/locations.yaml" <<'YAML'
catalog:
  rules:
    - allow: [Component, API, Location]
  locations:
    - type: file
      target: ${GROUP_FILE}
      rules:
        - allow: [Group]
    - type: file
      target: ./other/*.yaml
YAML
(cd "$tmp/rules" && GROUP_FILE=org/group.yaml "$bin" catalog validate --config locations.yaml org/group.yaml) >"$tmp/out" 2>&1
check "location rules allow the group" "$?" 0
(cd "$tmp/rules" && GROUP_FILE=org/group.yaml "$bin" catalog validate --config locations.yaml other/group.yaml) >"$tmp/out" 2>&1
check "group of a location without rules exits 1" "$?" 1
contains "glob location is named with its target" "$tmp/out" \
    "The rules for catalog.locations[1] (file:$(cd "$tmp/rules" && pwd -P)/other/*.yaml) allow Component, API, Location."
contains "glob location problem says which rules to extend" "$tmp/out" \
    "Add Group to catalog.rules or to catalog.locations[1].rules."
(cd "$tmp/rules" && GROUP_FILE=org/group.yaml "$bin" catalog validate --config locations.yaml --format json .) >"$tmp/out" 2>&1
check "folder with one rejected group exits 1" "$?" 1
node -e '
const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const byFile = Object.fromEntries(report.entities.map((e) => [e.file, e]));
const problems = [];
const rejected = byFile["./other/group.yaml"];
const allowed = byFile["./org/group.yaml"];
if (!allowed || !allowed.valid) problems.push("org/group.yaml: " + JSON.stringify(allowed));
if (!rejected || rejected.valid || rejected.problems.length !== 1) problems.push("other/group.yaml: " + JSON.stringify(rejected));
else {
  const p = rejected.problems[0];
  if (p.rule !== "catalog-rules" || p.pointer !== "/kind" || p.line !== 2 || p.column !== 7 || p.value !== "\"Group\"") problems.push("problem fields: " + JSON.stringify(p));
  if (!p.message.includes("kind Group is not allowed by catalog.rules") || !p.message.includes("catalog.locations[1]")) problems.push("problem message: " + p.message);
}
if (report.summary.invalid !== 1) problems.push("summary: " + JSON.stringify(report.summary));
if (problems.length) { console.log(problems.join("\n")); process.exit(1); }
' "$tmp/out"
check "json report carries the rule problem" "$?" 0

# A file that --follow reaches keeps the rules of the location that led to it.
cat >"$tmp/rules/root.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: root
spec:
  targets: [./other/group.yaml]
YAML
cat >"$tmp/rules/follow.yaml" <<'YAML'
catalog:
  locations:
    - type: file
      target: root.yaml
      rules:
        - allow: [Group]
YAML
(cd "$tmp/rules" && "$bin" catalog validate --config follow.yaml --follow root.yaml) >"$tmp/out" 2>&1
check "followed file gets the rules of its location" "$?" 0
(cd "$tmp/rules" && "$bin" catalog validate --config follow.yaml other/group.yaml) >"$tmp/out" 2>&1
check "same file on its own gets the default rules" "$?" 1

# Without catalog.rules, Backstage's default rules allow Component, API and Location.
printf 'app:\n  title: Rules test\n' >"$tmp/rules/defaults.yaml"
"$bin" catalog validate --config "$tmp/rules/defaults.yaml" "$tmp/rules/org/group.yaml" >"$tmp/out" 2>&1
check "default rules reject a group" "$?" 1
contains "default rules are named" "$tmp/out" \
    "kind Group is not allowed by Backstage's default rules, which apply because catalog.rules is not set."
contains "default rules list their kinds" "$tmp/out" "allow Component, API, Location."
"$bin" catalog validate --config "$tmp/rules/defaults.yaml" "$tmp/rules/component.yaml" "$data/locations/root.yaml" >"$tmp/out" 2>&1
check "default rules allow components and locations" "$?" 0

# Two --config files merge, and the later one adds catalog.rules.
"$bin" catalog validate --config "$tmp/rules/defaults.yaml" --config="$tmp/rules/app-config.yaml" "$tmp/rules/org/group.yaml" >"$tmp/out" 2>&1
check "merged config rejects the group" "$?" 1
contains "merged config uses the later rules" "$tmp/out" "not allowed by catalog.rules ($tmp/rules/app-config.yaml:2)"

# A --config file that is missing, unreadable or invalid stops the command with exit 2.
"$bin" catalog validate --config "$tmp/rules/missing.yaml" "$tmp/rules/component.yaml" >"$tmp/out" 2>&1
check "missing config exits 2" "$?" 2
contains "missing config is named" "$tmp/out" "cannot read $tmp/rules/missing.yaml"
contains "missing config says the config is invalid" "$tmp/out" \
    "greenroom catalog validate: the configuration given with --config is invalid"
"$bin" catalog validate --config "$tmp/rules/org" "$tmp/rules/component.yaml" >"$tmp/out" 2>&1
check "folder as config exits 2" "$?" 2
contains "folder as config is named" "$tmp/out" "cannot read $tmp/rules/org: not a regular file"
printf 'catalog:\n  rules: [\n' >"$tmp/rules/broken.yaml"
"$bin" catalog validate --config "$tmp/rules/broken.yaml" "$tmp/rules/component.yaml" >"$tmp/out" 2>&1
check "invalid YAML config exits 2" "$?" 2
contains "invalid YAML config is named with its line" "$tmp/out" "$tmp/rules/broken.yaml:3:"
printf 'catalog:\n  rules:\n    - allow: [{type: service}]\n' >"$tmp/rules/bad-rule.yaml"
"$bin" catalog validate --format json --config "$tmp/rules/bad-rule.yaml" "$tmp/rules/component.yaml" >"$tmp/out" 2>"$tmp/err"
check "invalid rule exits 2" "$?" 2
contains "invalid rule names file and key" "$tmp/err" "$tmp/rules/bad-rule.yaml: catalog.rules[0].allow[0]"
check "invalid rule prints no report" "$(cat "$tmp/out")" ""
printf 'catalog:\n  locations:\n    - type: file\n      target: ${UNSET_GROUP_FILE}\n' >"$tmp/rules/unset.yaml"
env -u UNSET_GROUP_FILE "$bin" catalog validate --config "$tmp/rules/unset.yaml" "$tmp/rules/component.yaml" >"$tmp/out" 2>&1
check "config with an unset variable exits 2" "$?" 2
contains "unset variable is named" "$tmp/out" "environment variable UNSET_GROUP_FILE is not set"
"$bin" catalog validate "$tmp/rules/component.yaml" --config >"$tmp/out" 2>&1
check "config without a file exits 2" "$?" 2

# Only the catalog section is read, so the secrets of other sections may be unset,
# while an unknown type there still fails the server's own config check.
cat >"$tmp/rules/secrets.yaml" <<'YAML'
backend:
  auth:
    externalAccess:
      - type: static
        options:
          token: ${UNSET_CATALOG_TOKEN}
          subject: ci
  database:
    client: nosuchclient
catalog:
  rules:
    - allow: [Component]
YAML
env -u UNSET_CATALOG_TOKEN "$bin" catalog validate --config "$tmp/rules/secrets.yaml" "$tmp/rules/component.yaml" >"$tmp/out" 2>&1
check "unset secret outside the catalog section is not needed" "$?" 0
env -u UNSET_CATALOG_TOKEN "$bin" catalog validate --config "$tmp/rules/secrets.yaml" "$tmp/rules/org/group.yaml" >"$tmp/out" 2>&1
check "catalog rules still apply with other sections left out" "$?" 1
contains "rule problem names the config line" "$tmp/out" "not allowed by catalog.rules ($tmp/rules/secrets.yaml:11)"
env -u UNSET_CATALOG_TOKEN "$bin" config check --config "$tmp/rules/secrets.yaml" >"$tmp/out" 2>&1
check "config check still reads every section" "$?" 2

echo "$failures failures"
[ "$failures" -eq 0 ]
