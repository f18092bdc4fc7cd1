/* SPDX-License-Identifier: MIT */
/* Tests of the permission policy: parsing, first-match evaluation, conditions, entity matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "host/permission/permission.h"

static const char *const jane_refs[] = {"user:default/jane", "group:default/team-a", NULL};
static const char *const admin_refs[] = {"user:default/root", "group:default/admins", NULL};

static const gr_identity jane = {.type = "user", .subject = "user:default/jane",
                                 .ownership = jane_refs, .ownership_count = 2, .source = "token"};
static const gr_identity admin = {.type = "user", .subject = "user:default/root",
                                  .ownership = admin_refs, .ownership_count = 2, .source = "token"};
static const gr_identity bot = {.type = "service", .subject = "external:ci-bot",
                                .source = "static"};
static const gr_identity other_bot = {.type = "service", .subject = "external:other",
                                      .source = "static"};

/* The policy most cases run against. */
static const char policy_json[] =
    "{\"enabled\": true, \"rules\": ["
    /* 0 */ "{\"allow\": \"*\", \"when\": {\"isGroupMember\": \"group:default/admins\"}},"
    /* 1 */ "{\"deny\": [\"catalog.entity.delete\"], \"when\": {\"kindIs\": [\"group\", \"user\"]}},"
    /* 2 */ "{\"allow\": [\"catalog.entity.delete\", \"catalog.entity.refresh\"],"
    "          \"when\": {\"isEntityOwner\": true}},"
    /* 3 */ "{\"allow\": [\"catalog.entity.read\", \"techdocs.read\"],"
    "          \"when\": {\"not\": {\"hasAnnotation\": {\"annotation\": \"example.com/secret\","
    "                                                  \"value\": \"true\"}}}},"
    /* 4 */ "{\"allow\": \"catalog.entity.read\", \"when\": {\"isEntityOwner\": true}},"
    /* 5 */ "{\"allow\": [\"catalog.location.read\", \"catalog.entity.validate\"]},"
    /* 6 */ "{\"allow\": \"catalog.location.create\", \"when\": {\"isUser\": \"user:default/jane\"}},"
    /* 7 */ "{\"allow\": \"scaffolder.*\", \"when\": {\"isService\": [\"external:ci-bot\"]}},"
    /* 8 */ "{\"allow\": \"scaffolder.template.execute\","
    "          \"when\": {\"anyOf\": [{\"isEntityOwner\": true},"
    "                                {\"hasLabel\": \"public-template\"}]}},"
    /* 9 */ "{\"deny\": \"search.query\", \"when\": {\"isService\": true}},"
    /* 10 */ "{\"allow\": \"search.query\"}"
    "]}";

typedef struct {
    const char *name;
    const gr_identity *identity;
    const char *permission;
    gr_permission_result result;
    const char *conditions; /* expected criteria JSON for CONDITIONAL, else NULL */
} policy_case;

#define OWNER_JANE                                                                                 \
    "{\"rule\":\"IS_ENTITY_OWNER\",\"resourceType\":\"catalog-entity\","                         \
    "\"params\":{\"claims\":[\"user:default/jane\",\"group:default/team-a\"]}}"
#define SECRET                                                                                     \
    "{\"rule\":\"HAS_ANNOTATION\",\"resourceType\":\"catalog-entity\","                          \
    "\"params\":{\"annotation\":\"example.com/secret\",\"value\":\"true\"}}"
#define KIND_GROUP_USER                                                                            \
    "{\"rule\":\"IS_ENTITY_KIND\",\"resourceType\":\"catalog-entity\","                          \
    "\"params\":{\"kinds\":[\"group\",\"user\"]}}"
#define PUBLIC_LABEL                                                                               \
    "{\"rule\":\"HAS_LABEL\",\"resourceType\":\"catalog-entity\","                               \
    "\"params\":{\"label\":\"public-template\"}}"

static const policy_case cases[] = {
    {"admin reads", &admin, "catalog.entity.read", GR_PERMISSION_ALLOW, NULL},
    {"admin deletes", &admin, "catalog.entity.delete", GR_PERMISSION_ALLOW, NULL},
    {"admin creates locations", &admin, "catalog.location.create", GR_PERMISSION_ALLOW, NULL},
    {"admin runs tasks", &admin, "scaffolder.task.create", GR_PERMISSION_ALLOW, NULL},
    {"admin queries search", &admin, "search.query", GR_PERMISSION_ALLOW, NULL},
    {"user read is conditional", &jane, "catalog.entity.read", GR_PERMISSION_CONDITIONAL,
     "{\"anyOf\":[{\"not\":" SECRET "}," OWNER_JANE "]}"},
    {"techdocs read skips owner rule", &jane, "techdocs.read", GR_PERMISSION_CONDITIONAL,
     "{\"not\":" SECRET "}"},
    {"user delete needs ownership", &jane, "catalog.entity.delete", GR_PERMISSION_CONDITIONAL,
     "{\"allOf\":[{\"not\":" KIND_GROUP_USER "}," OWNER_JANE "]}"},
    {"user refresh needs ownership", &jane, "catalog.entity.refresh", GR_PERMISSION_CONDITIONAL,
     OWNER_JANE},
    {"user reads locations", &jane, "catalog.location.read", GR_PERMISSION_ALLOW, NULL},
    {"user validates entities", &jane, "catalog.entity.validate", GR_PERMISSION_ALLOW, NULL},
    {"named user creates locations", &jane, "catalog.location.create", GR_PERMISSION_ALLOW,
     NULL},
    {"admin deletes locations", &admin, "catalog.location.delete", GR_PERMISSION_ALLOW, NULL},
    {"user cannot delete locations", &jane, "catalog.location.delete", GR_PERMISSION_DENY, NULL},
    {"user cannot create entities", &jane, "catalog.entity.create", GR_PERMISSION_DENY, NULL},
    {"user template execute", &jane, "scaffolder.template.execute", GR_PERMISSION_CONDITIONAL,
     "{\"anyOf\":[" OWNER_JANE "," PUBLIC_LABEL "]}"},
    {"user cannot run actions", &jane, "scaffolder.action.execute", GR_PERMISSION_DENY, NULL},
    {"user cannot create tasks", &jane, "scaffolder.task.create", GR_PERMISSION_DENY, NULL},
    {"user queries search", &jane, "search.query", GR_PERMISSION_ALLOW, NULL},
    {"bot runs scaffolder tasks", &bot, "scaffolder.task.create", GR_PERMISSION_ALLOW, NULL},
    {"bot executes any template", &bot, "scaffolder.template.execute", GR_PERMISSION_ALLOW, NULL},
    {"bot runs actions", &bot, "scaffolder.action.execute", GR_PERMISSION_ALLOW, NULL},
    {"bot read without owner", &bot, "catalog.entity.read", GR_PERMISSION_CONDITIONAL,
     "{\"not\":" SECRET "}"},
    {"bot cannot delete", &bot, "catalog.entity.delete", GR_PERMISSION_DENY, NULL},
    {"bot cannot search", &bot, "search.query", GR_PERMISSION_DENY, NULL},
    {"other bot cannot run tasks", &other_bot, "scaffolder.task.create", GR_PERMISSION_DENY,
     NULL},
    {"other bot template by label", &other_bot, "scaffolder.template.execute",
     GR_PERMISSION_CONDITIONAL, PUBLIC_LABEL},
    {"other bot cannot create locations", &other_bot, "catalog.location.create",
     GR_PERMISSION_DENY, NULL},
    {"no identity is denied", NULL, "catalog.location.read", GR_PERMISSION_DENY, NULL},
    {"unlisted permission denied", &jane, "scaffolder.task.cancel", GR_PERMISSION_DENY, NULL},
    {"step read denied", &jane, "scaffolder.template.step.read", GR_PERMISSION_DENY, NULL},
};

static void check_case(const gr_permission_policy *policy, const policy_case *c)
{
    gr_permission_decision decision;
    json_t *expected;

    if (gr_permission_evaluate(policy, c->identity, c->permission, &decision) != GR_OK)
        fail_msg("%s: %s", c->name, gr_error_last());
    if (decision.result != c->result)
        fail_msg("%s: result %s, expected %s", c->name,
                 gr_permission_result_name(decision.result), gr_permission_result_name(c->result));
    if (c->conditions != NULL) {
        expected = json_loads(c->conditions, 0, NULL);
        assert_non_null(expected);
        if (!json_equal(expected, decision.conditions)) {
            char *got = json_dumps(decision.conditions, JSON_COMPACT);

            fail_msg("%s: conditions %s, expected %s", c->name, got, c->conditions);
        }
        assert_string_equal(decision.resource_type, "catalog-entity");
        json_decref(expected);
    } else {
        assert_null(decision.conditions);
    }
    gr_permission_decision_clear(&decision);
}

static gr_permission_policy *load(const char *text)
{
    json_t *json = json_loads(text, 0, NULL);
    gr_permission_policy *policy = NULL;

    if (json == NULL)
        fail_msg("invalid test JSON: %s", text);
    if (gr_permission_policy_from_json(&policy, json) != GR_OK)
        fail_msg("policy: %s", gr_error_last());
    json_decref(json);
    return policy;
}

static void policy_table(void **state)
{
    gr_permission_policy *policy = load(policy_json);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(policy, &cases[i]);
    gr_permission_policy_free(policy);
}

/* Every permission the built-in features declare, as docs/security.md lists them. */
static const char *const builtin_names[] = {
    "catalog.entity.read",          "catalog.entity.create",
    "catalog.entity.delete",        "catalog.entity.refresh",
    "catalog.entity.validate",      "catalog.location.read",
    "catalog.location.create",      "catalog.location.delete",
    "catalog.location.analyze",     "catalog.entities.unprocessed.delete",
    "scaffolder.template.execute",
    "scaffolder.template.parameter.read", "scaffolder.template.step.read",
    "scaffolder.action.execute",    "scaffolder.task.create",
    "scaffolder.task.read",         "scaffolder.task.cancel",
    "techdocs.read",                "search.query",
};

static void policy_disabled_allows_all(void **state)
{
    gr_permission_policy *policy = load("{\"enabled\": false, \"rules\": [{\"deny\": \"*\"}]}");
    gr_permission_decision decision;

    (void)state;
    assert_false(gr_permission_enabled(policy));
    for (size_t i = 0; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++) {
        assert_int_equal(gr_permission_evaluate(policy, &jane, builtin_names[i], &decision), GR_OK);
        assert_int_equal(decision.result, GR_PERMISSION_ALLOW);
    }
    assert_int_equal(gr_permission_evaluate(policy, NULL, "catalog.entity.read", &decision),
                     GR_OK);
    assert_int_equal(decision.result, GR_PERMISSION_DENY);
    gr_permission_policy_free(policy);
}

static void policy_enabled_empty_denies(void **state)
{
    gr_permission_policy *policy = load("{\"enabled\": true}");
    gr_permission_decision decision;

    (void)state;
    assert_int_equal(gr_permission_evaluate(policy, &admin, "catalog.entity.read", &decision),
                     GR_OK);
    assert_int_equal(decision.result, GR_PERMISSION_DENY);
    gr_permission_policy_free(policy);
}

/* A policy enabled without rules is reported, because it denies every check. */
static void policy_denies_all_detected(void **state)
{
    static const struct {
        const char *json;
        bool denies_all;
    } policies[] = {
        {"{\"enabled\": true}", true},
        {"{\"enabled\": true, \"rules\": []}", true},
        {"{\"enabled\": false}", false},
        {"{}", false},
        {"{\"enabled\": true, \"rules\": [{\"allow\": \"*\"}]}", false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
        gr_permission_policy *policy = load(policies[i].json);
        gr_buf problem = GR_BUF_INIT;
        gr_buf fix = GR_BUF_INIT;
        bool denies_all = gr_permission_policy_denies_all(policy, &problem, &fix);

        if (denies_all != policies[i].denies_all)
            fail_msg("%s: expected %d, found %d", policies[i].json, policies[i].denies_all,
                     denies_all);
        if (denies_all) {
            assert_non_null(strstr(gr_buf_cstr(&problem), "every permission check is denied"));
            assert_non_null(strstr(gr_buf_cstr(&fix), "'- allow: \"*\"' under permission.rules"));
            assert_non_null(strstr(gr_buf_cstr(&fix), "permission.enabled: false"));
        } else {
            assert_int_equal(problem.len, 0);
            assert_int_equal(fix.len, 0);
        }
        gr_buf_free(&problem);
        gr_buf_free(&fix);
        gr_permission_policy_free(policy);
    }
}

/* The rule the warning suggests allows every built-in permission. */
static void policy_suggested_rule_allows_all(void **state)
{
    gr_permission_policy *policy = load("{\"enabled\": true, \"rules\": [{\"allow\": \"*\"}]}");
    gr_permission_decision decision;

    (void)state;
    for (size_t i = 0; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++) {
        assert_int_equal(gr_permission_evaluate(policy, &jane, builtin_names[i], &decision), GR_OK);
        assert_int_equal(decision.result, GR_PERMISSION_ALLOW);
    }
    gr_permission_policy_free(policy);
}

static void policy_unknown_permission_evaluated(void **state)
{
    gr_permission_policy *policy = load("{\"enabled\": true}");
    gr_permission_decision decision;

    (void)state;
    assert_int_equal(gr_permission_evaluate(policy, &admin, "catalog.entity.explode", &decision),
                     GR_EINVALID);
    assert_int_equal(decision.result, GR_PERMISSION_DENY);
    gr_permission_policy_free(policy);
}

static void policy_config_errors(void **state)
{
    static const char *const bad[][2] = {
        {"{\"rules\": [{\"allow\": \"catalog.entity.explode\"}]}",
         "permission.rules[0].allow[0]: 'catalog.entity.explode'"},
        {"{\"rules\": [{\"allow\": \"*\", \"deny\": \"*\"}]}", "exactly one of allow or deny"},
        {"{\"rules\": [{\"when\": {\"isService\": true}}]}", "exactly one of allow or deny"},
        {"{\"rules\": [{\"allow\": \"*\", \"when\": {\"isWizard\": true}}]}",
         "permission.rules[0].when.isWizard: unknown condition"},
        {"{\"rules\": [{\"allow\": \"catalog.location.create\","
         " \"when\": {\"isEntityOwner\": true}}]}",
         "every permission of this rule is basic"},
        {"{\"rules\": [{\"allow\": \"*\", \"when\": {\"kindIs\": 3}}]}",
         "permission.rules[0].when.kindIs"},
        {"{\"rules\": [{\"allow\": \"*\", \"when\": {\"anyOf\": []}}]}", "non-empty list"},
        {"{\"rules\": [{\"allow\": \"*\", \"effect\": \"allow\"}]}", "rules[0].effect: unknown key"},
        {"{\"rules\": [{\"allow\": \"*\", \"when\": {\"not\": {\"not\": {\"not\": {\"not\":"
         " {\"not\": {\"not\": {\"not\": {\"not\": {\"isService\": true}}}}}}}}}}]}",
         "nested deeper"},
        {"{\"rules\": {\"allow\": \"*\"}}", "permission.rules: expected a list"},
        {"{\"rules\": [\"allow everything\"]}", "permission.rules[0]: expected an object"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *json = json_loads(bad[i][0], 0, NULL);
        gr_permission_policy *policy = NULL;

        assert_non_null(json);
        if (gr_permission_policy_from_json(&policy, json) != GR_EINVALID)
            fail_msg("case %zu was accepted: %s", i, bad[i][0]);
        if (strstr(gr_error_last(), bad[i][1]) == NULL)
            fail_msg("case %zu: message '%s' lacks '%s'", i, gr_error_last(), bad[i][1]);
        assert_null(policy);
        json_decref(json);
    }
}

static const char entity_json[] =
    "{\"kind\":\"Component\",\"metadata\":{\"name\":\"payments\",\"namespace\":\"default\","
    "\"annotations\":{\"backstage.io/techdocs-ref\":\"dir:.\"},\"labels\":{\"tier\":\"1\"}},"
    "\"spec\":{\"type\":\"service\",\"owner\":\"team-a\"},"
    "\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"}]}";

static void criteria_match_entities(void **state)
{
    static const struct {
        const char *criteria;
        int match;
    } table[] = {
        {"{\"rule\":\"IS_ENTITY_KIND\",\"params\":{\"kinds\":[\"component\"]}}", 1},
        {"{\"rule\":\"IS_ENTITY_KIND\",\"params\":{\"kinds\":[\"api\",\"group\"]}}", 0},
        {"{\"rule\":\"IS_ENTITY_OWNER\",\"params\":{\"claims\":[\"group:default/team-a\"]}}", 1},
        {"{\"rule\":\"IS_ENTITY_OWNER\",\"params\":{\"claims\":[\"group:default/team-b\"]}}", 0},
        {"{\"rule\":\"HAS_ANNOTATION\",\"params\":{\"annotation\":\"backstage.io/techdocs-ref\"}}",
         1},
        {"{\"rule\":\"HAS_ANNOTATION\",\"params\":{\"annotation\":\"backstage.io/techdocs-ref\","
         "\"value\":\"url:x\"}}",
         0},
        {"{\"rule\":\"HAS_LABEL\",\"params\":{\"label\":\"tier\"}}", 1},
        {"{\"rule\":\"HAS_SPEC\",\"params\":{\"key\":\"type\",\"value\":\"service\"}}", 1},
        {"{\"rule\":\"HAS_METADATA\",\"params\":{\"key\":\"description\"}}", 0},
        {"{\"not\":{\"rule\":\"HAS_LABEL\",\"params\":{\"label\":\"tier\"}}}", 0},
        {"{\"anyOf\":[{\"rule\":\"HAS_LABEL\",\"params\":{\"label\":\"nope\"}},"
         "{\"rule\":\"HAS_LABEL\",\"params\":{\"label\":\"tier\"}}]}",
         1},
        {"{\"allOf\":[{\"rule\":\"HAS_LABEL\",\"params\":{\"label\":\"nope\"}},"
         "{\"rule\":\"HAS_LABEL\",\"params\":{\"label\":\"tier\"}}]}",
         0},
        {"{\"rule\":\"NO_SUCH_RULE\",\"params\":{}}", 0},
    };
    json_t *entity = json_loads(entity_json, 0, NULL);

    (void)state;
    assert_non_null(entity);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        json_t *criteria = json_loads(table[i].criteria, 0, NULL);

        assert_non_null(criteria);
        if (gr_permission_criteria_match(criteria, entity) != table[i].match)
            fail_msg("criteria %zu (%s) should %s", i, table[i].criteria,
                     table[i].match ? "match" : "not match");
        json_decref(criteria);
    }
    json_decref(entity);
}

static void authorize_one_entity(void **state)
{
    gr_permission_policy *policy = load(policy_json);
    json_t *entity = json_loads(entity_json, 0, NULL);
    json_t *group = json_loads("{\"kind\":\"Group\",\"metadata\":{\"name\":\"team-a\"},"
                               "\"relations\":[{\"type\":\"ownedBy\","
                               "\"targetRef\":\"group:default/team-a\"}]}",
                               0, NULL);

    (void)state;
    assert_int_equal(gr_permission_authorize(policy, &jane, "catalog.entity.delete", entity,
                                             "component:default/payments", "/x"),
                     GR_OK);
    assert_int_equal(gr_permission_authorize(policy, &jane, "catalog.entity.delete", group,
                                             "group:default/team-a", "/x"),
                     GR_EDENIED);
    assert_non_null(strstr(gr_error_last(), "catalog.entity.delete"));
    assert_int_equal(gr_permission_authorize(policy, &bot, "catalog.entity.delete", entity, NULL,
                                             NULL),
                     GR_EDENIED);
    assert_int_equal(gr_permission_authorize(policy, &jane, "catalog.entity.refresh", NULL, NULL,
                                             NULL),
                     GR_EDENIED);
    json_decref(entity);
    json_decref(group);
    gr_permission_policy_free(policy);
}

/* Parses `text` as the `permission` object of an open policy. */
static gr_permission_policy *parse_open(const char *text)
{
    json_t *json = json_loads(text, 0, NULL);
    gr_permission_policy *policy = NULL;

    assert_non_null(json);
    assert_int_equal(gr_permission_policy_parse(&policy, json, true), GR_OK);
    json_decref(json);
    return policy;
}

static void policy_plugin_permission_granted(void **state)
{
    gr_permission_policy *policy = parse_open(
        "{\"enabled\": true, \"rules\": ["
        "{\"allow\": \"acme.report.read\", \"when\": {\"isService\": [\"external:ci-bot\"]}}]}");
    gr_permission_decision decision;
    gr_buf pending = GR_BUF_INIT;

    (void)state;
    assert_int_equal(gr_permission_policy_pending(policy, &pending), 1);
    assert_string_equal(gr_buf_cstr(&pending), "acme.report.read");
    assert_int_equal(gr_permission_policy_declare(policy, "acme.report.read", NULL, "read"), GR_OK);
    assert_int_equal(gr_permission_policy_declare(policy, "acme.report.read", NULL, "read"),
                     GR_ECONFLICT);
    assert_int_equal(gr_permission_policy_declare(policy, "catalog.entity.read", NULL, "read"),
                     GR_ECONFLICT);
    assert_int_equal(gr_permission_policy_seal(policy), GR_OK);
    assert_int_equal(gr_permission_policy_declare(policy, "acme.other", NULL, NULL), GR_EINVALID);

    assert_int_equal(gr_permission_evaluate(policy, &bot, "acme.report.read", &decision), GR_OK);
    assert_int_equal(decision.result, GR_PERMISSION_ALLOW);
    gr_permission_decision_clear(&decision);
    assert_int_equal(gr_permission_evaluate(policy, &other_bot, "acme.report.read", &decision),
                     GR_OK);
    assert_int_equal(decision.result, GR_PERMISSION_DENY);
    gr_permission_decision_clear(&decision);
    gr_buf_free(&pending);
    gr_permission_policy_free(policy);
}

static void policy_undeclared_permission_rejected(void **state)
{
    gr_permission_policy *policy = parse_open(
        "{\"enabled\": true, \"rules\": [{\"allow\": \"catalog.entity.read\"},"
        "{\"allow\": [\"acme.report.read\", \"acme.typo\"]}]}");
    gr_permission_policy *basic = parse_open(
        "{\"enabled\": true, \"rules\": ["
        "{\"allow\": \"acme.report.read\", \"when\": {\"isEntityOwner\": true}}]}");

    (void)state;
    assert_int_equal(gr_permission_policy_declare(policy, "acme.report.read", NULL, NULL), GR_OK);
    assert_int_equal(gr_permission_policy_seal(policy), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "permission.rules[1].allow[1]: 'acme.typo'"));
    /* A basic plugin permission cannot take a resource condition. */
    assert_int_equal(gr_permission_policy_declare(basic, "acme.report.read", NULL, NULL), GR_OK);
    assert_int_equal(gr_permission_policy_seal(basic), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "permission.rules[0].when"));
    gr_permission_policy_free(policy);
    gr_permission_policy_free(basic);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policy_table),
        cmocka_unit_test(policy_disabled_allows_all),
        cmocka_unit_test(policy_enabled_empty_denies),
        cmocka_unit_test(policy_denies_all_detected),
        cmocka_unit_test(policy_suggested_rule_allows_all),
        cmocka_unit_test(policy_unknown_permission_evaluated),
        cmocka_unit_test(policy_config_errors),
        cmocka_unit_test(policy_plugin_permission_granted),
        cmocka_unit_test(policy_undeclared_permission_rejected),
        cmocka_unit_test(criteria_match_entities),
        cmocka_unit_test(authorize_one_entity),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
