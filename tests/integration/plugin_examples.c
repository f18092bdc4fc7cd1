/* SPDX-License-Identifier: MIT */
/* Integration tests of the example plugins, org and scorecards, loaded as .so into a real server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_test.h"

/* How long the background work (provider runs, processing, stitching, scoring) may take, in ms. */
#define SETTLE_MS 30000

static const char org_ldif[] =
    "version: 1\n"
    "\n"
    "# People\n"
    "dn: uid=jane,ou=people,dc=acme,dc=com\n"
    "objectClass: top\n"
    "objectClass: inetOrgPerson\n"
    "uid: jane\n"
    "cn: Jane Doe\n"
    "displayName: Jane\n"
    "  Doe\n"
    "mail: jane@acme.com\n"
    "\n"
    "dn: uid=bob,ou=people,dc=acme,dc=com\n"
    "objectClass: inetOrgPerson\n"
    "uid: bob\n"
    "cn:: Qm9iIFNtw6l0aA==\n"
    "mail: bob@acme.com\n"
    "\n"
    "dn: cn=platform,ou=groups,dc=acme,dc=com\n"
    "objectClass: groupOfNames\n"
    "cn: platform\n"
    "mail: platform@acme.com\n"
    "member: cn=team-a,ou=groups,dc=acme,dc=com\n"
    "member: uid=jane,ou=people,dc=acme,dc=com\n"
    "\n"
    "dn: cn=team-a,ou=groups,dc=acme,dc=com\n"
    "objectClass: groupOfUniqueNames\n"
    "cn: team-a\n"
    "uniqueMember: UID=bob, OU=people, DC=acme, DC=com\n"
    "\n"
    "dn: cn=ops,ou=groups,dc=acme,dc=com\n"
    "objectClass: posixGroup\n"
    "cn: ops\n"
    "memberUid: jane\n";

/* The same organisation without bob. */
static const char org_ldif_smaller[] =
    "dn: uid=jane,ou=people,dc=acme,dc=com\n"
    "objectClass: inetOrgPerson\n"
    "uid: jane\n"
    "cn: Jane Doe\n"
    "mail: jane@acme.com\n"
    "\n"
    "dn: cn=team-a,ou=groups,dc=acme,dc=com\n"
    "objectClass: groupOfNames\n"
    "cn: team-a\n"
    "member: uid=jane,ou=people,dc=acme,dc=com\n";

static const char org_csv[] =
    "id,type,display_name,email,parent,teams\n"
    "eng,team,Engineering,eng@acme.com,,\n"
    "web,team,\"Web, Mobile and \"\"Apps\"\"\",web@acme.com,eng,\n"
    "carol,person,Carol King,carol@acme.com,,web; eng\n"
    "\n"
    "dave,person,\"Dave\nSecond Line\",dave@acme.com,,web\n";

static const char scored_catalog[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: good\n"
    "  annotations:\n"
    "    backstage.io/techdocs-ref: dir:.\n"
    "spec: {type: service, lifecycle: production, owner: team-a, system: payments}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: bad\n"
    "spec: {type: service, lifecycle: experimental, owner: nobody}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: API\n"
    "metadata:\n"
    "  name: orders\n"
    "spec:\n"
    "  type: openapi\n"
    "  lifecycle: production\n"
    "  owner: team-a\n"
    "  system: payments\n"
    "  definition: |\n"
    "    openapi: 3.0.0\n"
    "    info: {title: Orders, version: 1.0.0}\n"
    "    paths: {}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: API\n"
    "metadata:\n"
    "  name: broken\n"
    "spec:\n"
    "  type: openapi\n"
    "  lifecycle: production\n"
    "  owner: team-a\n"
    "  definition: \"openapi: [unclosed\"\n";

static const char scorecards_config[] =
    "  - path: %s\n"
    "    config:\n"
    "      kinds: Component,API\n"
    "      intervalSeconds: 3600\n"
    "      checks:\n"
    "        - {id: owner, type: owner-exists, title: Owner exists}\n"
    "        - {id: docs, type: annotation, annotation: backstage.io/techdocs-ref,\n"
    "           kinds: Component, title: Has docs}\n"
    "        - {id: lifecycle, type: field, field: spec.lifecycle, title: Lifecycle set}\n"
    "        - {id: system, type: field, field: spec.system, title: Has a system}\n"
    "        - {id: definition, type: api-definition, title: Definition parses}\n";

typedef plugin_test_fixture fixture;

/*
 * Starts a server whose catalog reads catalog.yaml and that loads
 * `plugins_yaml`, after writing the export `org_file` (NULL for none), so
 * the provider's first run at start reads it.
 */
static void start(fixture *fx, const char *plugins_yaml, const char *catalog, const char *org_file,
                  const char *org_text)
{
    char *text = gr_xasprintf("%s"
                              "catalog:\n"
                              "  processingInterval: {seconds: 1}\n"
                              "  rules:\n"
                              "    - allow: [Component, API, User, Group]\n"
                              "  locations:\n"
                              "    - type: file\n"
                              "      target: ./catalog.yaml\n"
                              "plugins:\n%s",
                              PLUGIN_TEST_BACKEND, plugins_yaml);

    fx->dir = gr_test_tmpdir("plugin-examples");
    gr_test_write_file(fx->dir, "app-config.yaml", text);
    gr_test_write_file(fx->dir, "catalog.yaml", catalog);
    if (org_file != NULL)
        gr_test_write_file(fx->dir, org_file, org_text);
    assert_int_equal(gr_test_server_start(&fx->server, fx->dir, "app-config.yaml", 20000), 0);
    free(text);
}


static void wait_for(fixture *fx, const char *path, int status, const char *text)
{
    assert_true(plugin_test_wait(&fx->server, path, status, text, SETTLE_MS));
}

static char *org_plugin(const char *file)
{
    char *path = plugin_test_path("org");
    char *yaml = gr_xasprintf("  - path: %s\n    config:\n      file: ./%s\n"
                              "      intervalSeconds: 3600\n",
                              path, file);

    free(path);
    return yaml;
}

static void org_ldif_becomes_entities(void **state)
{
    char *plugins = org_plugin("org.ldif");
    fixture fx;

    (void)state;
    start(&fx, plugins, "", "org.ldif", org_ldif);
    wait_for(&fx, "/api/catalog/entities/by-name/user/default/jane", 200, "jane@acme.com");
    /* A folded displayName, a base64 cn, DNs with spaces and upper case. */
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/user/default/jane", 200,
           "\"displayName\":\"Jane Doe\"");
    wait_for(&fx, "/api/catalog/entities/by-name/user/default/bob", 200,
             "\"displayName\":\"Bob Sm\xc3\xa9th\"");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/user/default/bob", 200,
           "\"memberOf\":[\"team-a\"]");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/group/default/team-a", 200,
           "\"parent\":\"platform\"");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/group/default/platform", 200,
           "\"children\":[\"team-a\"]");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/group/default/platform", 200,
           "platform@acme.com");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/group/default/ops", 200,
           "\"members\":[\"jane\"]");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/user/default/jane", 200,
           "\"memberOf\":[\"ops\",\"platform\"]");
    plugin_test_expect(&fx, "GET", "/api/org/status", 200, "\"users\":2,\"groups\":3,\"error\":null");

    /* bob leaves: the next run removes him. */
    gr_test_write_file(fx.dir, "org.ldif", org_ldif_smaller);
    plugin_test_expect(&fx, "POST", "/api/org/refresh", 202, "scheduled");
    wait_for(&fx, "/api/catalog/entities/by-name/user/default/bob", 404, NULL);
    wait_for(&fx, "/api/catalog/entities/by-name/group/default/platform", 404, NULL);
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/user/default/jane", 200, NULL);

    /* A broken export reports its error and leaves the catalog alone. */
    gr_test_write_file(fx.dir, "org.ldif", "dn: uid=x\ncn:: %%%%\n");
    plugin_test_expect(&fx, "POST", "/api/org/refresh", 202, NULL);
    wait_for(&fx, "/api/org/status", 200, "invalid base64 value of cn");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/user/default/jane", 200, NULL);
    plugin_test_stop(&fx);
    free(plugins);
}

static void org_csv_becomes_entities(void **state)
{
    char *plugins = org_plugin("people.csv");
    fixture fx;

    (void)state;
    start(&fx, plugins, "", "people.csv", org_csv);
    wait_for(&fx, "/api/catalog/entities/by-name/user/default/carol", 200,
             "\"memberOf\":[\"eng\",\"web\"]");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/group/default/web", 200,
           "\"displayName\":\"Web, Mobile and \\\"Apps\\\"\"");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/group/default/web", 200,
           "\"parent\":\"eng\"");
    wait_for(&fx, "/api/catalog/entities/by-name/user/default/dave", 200,
             "\"displayName\":\"Dave\\nSecond Line\"");
    plugin_test_expect(&fx, "GET", "/api/org/status", 200, "\"format\":\"csv\"");

    gr_test_write_file(fx.dir, "people.csv", "id,type\nx,robot\n");
    plugin_test_expect(&fx, "POST", "/api/org/refresh", 202, NULL);
    wait_for(&fx, "/api/org/status", 200, "line 2: type 'robot' is invalid");
    plugin_test_stop(&fx);
    free(plugins);
}

static void scorecards_score_and_rank(void **state)
{
    char *org = org_plugin("org.ldif");
    char *path = plugin_test_path("scorecards");
    char *scorecards = gr_xasprintf(scorecards_config, path);
    char *plugins = gr_xasprintf("%s%s", org, scorecards);
    fixture fx;

    (void)state;
    start(&fx, plugins, scored_catalog, "org.ldif", org_ldif);
    /* good passes everything once team-a exists; bad fails all but lifecycle. */
    wait_for(&fx, "/api/catalog/entities/by-name/group/default/team-a", 200, NULL);
    plugin_test_expect(&fx, "POST", "/api/scorecards/refresh", 202, NULL);
    wait_for(&fx, "/api/scorecards/entity/component/default/good", 200, "\"score\":100");
    plugin_test_expect(&fx, "GET", "/api/scorecards/entity/component/default/good", 200, "\"failed\":[]");
    wait_for(&fx, "/api/scorecards/entity/component/default/bad", 200, "\"score\":25");
    plugin_test_expect(&fx, "GET", "/api/scorecards/entity/component/default/bad", 200,
           "\"failed\":[\"owner\",\"docs\",\"system\"]");
    wait_for(&fx, "/api/scorecards/entity/api/default/orders", 200, "\"score\":100");
    wait_for(&fx, "/api/scorecards/entity/api/default/broken", 200,
             "\"failed\":[\"system\",\"definition\"]");
    plugin_test_expect(&fx, "GET", "/api/scorecards/entity/component/default/missing", 404, NULL);

    plugin_test_expect(&fx, "GET", "/api/scorecards/leaderboard?by=owner", 200,
           "{\"key\":\"group:default/team-a\",\"entities\":3,\"averageScore\":83}");
    plugin_test_expect(&fx, "GET", "/api/scorecards/leaderboard?by=owner", 200,
           "{\"key\":\"group:default/nobody\",\"entities\":1,\"averageScore\":25}");
    plugin_test_expect(&fx, "GET", "/api/scorecards/leaderboard?by=system", 200,
           "{\"key\":\"payments\",\"entities\":2,\"averageScore\":100}");
    plugin_test_expect(&fx, "GET", "/api/scorecards/leaderboard?by=color", 400, "by must be owner or system");
    plugin_test_expect(&fx, "GET", "/api/scorecards/checks", 200, "\"id\":\"definition\"");

    plugin_test_expect(&fx, "GET", "/scorecards", 200, "<h2>By owner</h2>");
    plugin_test_expect(&fx, "GET", "/scorecards", 200,
           "<a href=\"/catalog/default/group/team-a\">group:default/team-a</a>");
    plugin_test_expect(&fx, "GET", "/catalog/default/component/bad/tabs/scorecards/scorecard", 200,
           "<li class=\"failed\">failed: Has docs</li>");
    plugin_test_expect(&fx, "GET", "/catalog/default/component/good/cards", 200,
           "Score: <strong>100</strong> / 100");
    /* Users are not scored, so they have no scorecard tab. */
    plugin_test_expect(&fx, "GET", "/catalog/default/user/jane/tabs/scorecards/scorecard", 404, NULL);

    /* A change to an entity is scored again through the catalog's change hook. */
    {
        char *changed = gr_xasprintf("%s", scored_catalog);
        char *at = strstr(changed, "owner: nobody}");

        memcpy(at, "owner: team-a}", strlen("owner: team-a}"));
        gr_test_write_file(fx.dir, "catalog.yaml", changed);
        free(changed);
    }
    wait_for(&fx, "/api/scorecards/entity/component/default/bad", 200, "\"score\":50");
    plugin_test_stop(&fx);
    free(plugins);
    free(scorecards);
    free(path);
    free(org);
}

static void scorecards_reject_bad_checks(void **state)
{
    char *path = plugin_test_path("scorecards");
    char *yaml = gr_xasprintf("  - path: %s\n    config:\n      checks:\n"
                              "        - {id: x, type: vibes}\n",
                              path);
    char *dir = gr_test_tmpdir("plugin-scorecards-bad");
    char *text = gr_xasprintf("%splugins:\n%s", PLUGIN_TEST_BACKEND, yaml);
    const char *const argv[] = {"serve", "--config", "app-config.yaml", NULL};
    gr_test_output res;

    (void)state;
    gr_test_write_file(dir, "app-config.yaml", text);
    alarm(60);
    res = gr_test_run(dir, argv);
    alarm(0);
    assert_int_equal(res.status, 1);
    assert_true(plugin_test_has(res.err, "checks[0].type 'vibes' is invalid"));
    gr_test_output_free(&res);
    gr_test_rmtree(dir);
    free(dir);
    free(text);
    free(yaml);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(org_ldif_becomes_entities),
        cmocka_unit_test(org_csv_becomes_entities),
        cmocka_unit_test(scorecards_score_and_rank),
        cmocka_unit_test(scorecards_reject_bad_checks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
