#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks `greenroom template run`: a local template rendered and pushed to a
# bare repository, dry runs (of every corpus template too), invalid values, a
# missing action and usage errors.
set -u

bin=${GREENROOM_BIN:-build/check/greenroom}
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

mkdir -p "$tmp/tmpl/skeleton/src"
cat >"$tmp/tmpl/template.yaml" <<'YAML'
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: cli-service
  title: CLI service
spec:
  owner: group:default/team
  type: service
  parameters:
    - title: Service
      required: [name]
      properties:
        name:
          type: string
          pattern: '^[a-z][a-z0-9-]*$'
    - title: Where
      required: [remote]
      properties:
        remote:
          type: string
  steps:
    - id: fetch
      name: Render
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
    - id: write
      action: catalog:write
      input:
        entity:
          apiVersion: backstage.io/v1alpha1
          kind: Component
          metadata:
            name: ${{ parameters.name }}
          spec: {type: service, owner: group:default/team, lifecycle: experimental}
    - id: echo
      action: debug:log
      input:
        message: using ${{ secrets.TOKEN }}
    - id: publish
      name: Publish
      action: publish:git
      input:
        remoteUrl: ${{ parameters.remote }}
        defaultBranch: main
        gitCommitMessage: Create ${{ parameters.name }}
  output:
    links:
      - title: Repository
        url: ${{ steps.publish.output.remoteUrl }}
YAML
printf '# ${{ values.name }}\n' >"$tmp/tmpl/skeleton/README.md"
printf 'package ${{ values.name | replace("-", "") }}\n' >"$tmp/tmpl/skeleton/src/main.go"
git init -q --bare "$tmp/remote.git"
printf '{"name": "billing-api", "remote": "%s/remote.git"}\n' "$tmp" >"$tmp/values.json"
printf 'TOKEN: cli-secret-token\n' >"$tmp/secrets.yaml"

"$bin" template run "$tmp/tmpl/template.yaml" --values "$tmp/values.json" \
    --secrets "$tmp/secrets.yaml" -o "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr"
check "run exits 0" "$?" 0
contains "output printed as JSON" "$tmp/stdout" "\"url\": \"$tmp/remote.git\""
contains "step progress on stderr" "$tmp/stderr" "[publish] Finished step Publish (completed)"
contains "secret masked" "$tmp/stderr" "using ***"
if grep -q cli-secret-token "$tmp/stderr" "$tmp/stdout"; then
    echo "FAIL secret printed"
    failures=$((failures + 1))
else
    echo "ok   secret never printed"
fi
check "workspace kept with -o" "$(cat "$tmp/out/README.md")" "# billing-api"
check "nested file rendered" "$(cat "$tmp/out/src/main.go")" "package billingapi"
contains "catalog-info written" "$tmp/out/catalog-info.yaml" "name: billing-api"
check "commit pushed" "$(git --git-dir="$tmp/remote.git" log -1 --format=%s main)" \
    "Create billing-api"
check "files pushed" "$(git --git-dir="$tmp/remote.git" show main:src/main.go)" "package billingapi"

printf '{"name": "dry-run", "remote": "%s/other.git"}\n' "$tmp" >"$tmp/dry.json"
"$bin" template run "$tmp/tmpl/template.yaml" --values "$tmp/dry.json" --dry-run \
    --secrets "$tmp/secrets.yaml" -o "$tmp/dry" >"$tmp/stdout" 2>"$tmp/stderr"
check "dry run exits 0" "$?" 0
contains "dry run shows inputs" "$tmp/stderr" "Running debug:log in dry-run mode with inputs"
contains "dry run input redacts secrets" "$tmp/stderr" '"message": "using [REDACTED]"'
if grep -q cli-secret-token "$tmp/stderr" "$tmp/stdout"; then
    echo "FAIL secret printed by the dry run"
    failures=$((failures + 1))
else
    echo "ok   dry run never prints the secret"
fi
contains "dry run skips publish" "$tmp/stderr" "Skipping because publish:git does not support dry-run"
check "dry run renders" "$(cat "$tmp/dry/README.md")" "# dry-run"

printf '{"name": "Bad Name"}\n' >"$tmp/bad.json"
"$bin" template run "$tmp/tmpl/template.yaml" --values "$tmp/bad.json" >"$tmp/stdout" 2>"$tmp/stderr"
check "invalid values exit 1" "$?" 1
contains "pattern error named" "$tmp/stderr" "instance.name does not match pattern"
contains "required error named" "$tmp/stderr" "instance requires property \"remote\""

demo=../shared/corpus/templates/backstage__demo__demo-template/demo-template/template/template.yaml
printf '{"name": "x", "mode": "dark", "topics": ["input-examples"], "repoUrl": "github.com?owner=a&repo=b"}\n' \
    >"$tmp/demo.json"
"$bin" template run "$demo" --values "$tmp/demo.json" >"$tmp/stdout" 2>"$tmp/stderr"
check "missing action exits 1" "$?" 1
contains "missing action named with its step" "$tmp/stderr" \
    "step 'enable-pages' (Enable Pages): action 'github:pages:enable' is not installed"

# Every template of the corpus dry-runs with values its form would send. A dry run renders
# every step's input for its log, so a string that fails to render shows as a warning.
corpus_values() {
    case $1 in
    *__pr-with-catalog-entry) echo '{"name": "Payments", "description": "d", "type": "service", "lifecycle": "production", "owner": "group:default/team", "repoHost": "github.com", "repoOrg": "roadiehq", "repoSlug": "payments"}' ;;
    *__aws-environment) echo '{"name": "Dev-Env", "short_name": "dev", "description": "d", "environment_type": "ecs", "deploymentRequiresApproval": false, "owner": "group:default/team", "account_type": "single-account", "region_type": "single-region", "category": "development", "classification": "private", "system": "demo", "level": 1, "providers": "awsenvironmentprovider:default/p", "repoUrl": "gitlab.com?owner=aws-environments&repo=dev-env"}' ;;
    *__create-app-default-template) echo '{"name": "svc-one", "repoUrl": "github.com?owner=acme&repo=svc-one"}' ;;
    *__docs-template) echo '{"name": "docs-site", "description": "Docs", "owner": "group:default/team", "repoUrl": "github.com?owner=acme&repo=docs-site"}' ;;
    *__springboot-grpc-template) echo '{"component_id": "greeter", "java_package_name": "greeter", "owner": "group:default/team", "description": "Greets", "repoUrl": "github.com?owner=acme&repo=greeter"}' ;;
    *__nodejs-backend) echo '{"orgName": "bramblecrate", "repoName": "node-api", "owner": "group:default/team", "system": "system:default/shop", "port": 3000, "ci": "../../../skeletons/github-actions/"}' ;;
    *) return 1 ;;
    esac
}
corpus=../shared/corpus/templates
corpus_count=0
for file in $(grep -rl '^kind: Template' "$corpus" | sort); do
    name=${file#"$corpus"/}
    name=${name%%/*}
    corpus_count=$((corpus_count + 1))
    case $name in
    # The demo template needs github:pages:enable, which is checked above.
    *__demo-template) continue ;;
    # create-rfc fetches its skeleton from github.com, which the server test serves locally.
    *__create-rfc) continue ;;
    esac
    if ! corpus_values "$name" >"$tmp/corpus.json"; then
        echo "FAIL $file: no values for this corpus template; add them to corpus_values"
        failures=$((failures + 1))
        continue
    fi
    "$bin" template run "$file" --values "$tmp/corpus.json" --dry-run \
        --template-root "$corpus" >"$tmp/stdout" 2>"$tmp/stderr"
    check "$name dry run exits 0" "$?" 0
    contains "$name dry run completes" "$tmp/stderr" "Run completed with status: completed"
    if grep -q "template error" "$tmp/stderr"; then
        echo "FAIL $name: a string did not render:"
        grep "template error" "$tmp/stderr" | sed 's/^/    /'
        failures=$((failures + 1))
    else
        echo "ok   $name renders every string"
    fi
done
check "corpus templates found" "$([ "$corpus_count" -ge 8 ] && echo yes)" yes

"$bin" template run "$tmp/tmpl/template.yaml" >"$tmp/stdout" 2>"$tmp/stderr"
check "missing --values exits 2" "$?" 2
contains "usage shown" "$tmp/stderr" "usage: greenroom template run TEMPLATE --values FILE"

"$bin" template run --help >"$tmp/stdout" 2>"$tmp/stderr"
check "help exits 0" "$?" 0
contains "help printed" "$tmp/stdout" "usage: greenroom template run TEMPLATE --values FILE"

"$bin" template run "$tmp/missing.yaml" --values "$tmp/values.json" >"$tmp/stdout" 2>"$tmp/stderr"
check "missing template exits 2" "$?" 2
contains "missing template named" "$tmp/stderr" "missing.yaml not found"

echo "$failures failed"
[ "$failures" -eq 0 ]
