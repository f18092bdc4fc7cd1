/* SPDX-License-Identifier: MIT */
/* Tests of the isTaskOwner condition: parsing, evaluation for each identity, and its errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
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

static const char policy_json[] =
    "{\"enabled\": true, \"rules\": ["
    "{\"allow\": \"scaffolder.*\", \"when\": {\"isGroupMember\": \"group:default/admins\"}},"
    "{\"allow\": \"scaffolder.*\", \"when\": {\"isService\": [\"external:ci-bot\"]}},"
    "{\"deny\": \"scaffolder.task.cancel\", \"when\": {\"isTaskOwner\": false}},"
    "{\"allow\": [\"scaffolder.task.read\", \"scaffolder.task.cancel\", \"scaffolder.task.create\"],"
    " \"when\": {\"isTaskOwner\": true}}"
    "]}";

#define OWNER_JANE                                                                                 \
    "{\"rule\":\"IS_TASK_OWNER\",\"resourceType\":\"scaffolder-task\","                          \
    "\"params\":{\"createdBy\":[\"user:default/jane\"]}}"

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

/* Evaluates and checks the result, and for CONDITIONAL the criteria and resource type. */
static void expect(const gr_permission_policy *policy, const gr_identity *identity,
                   const char *permission, gr_permission_result result, const char *conditions)
{
    gr_permission_decision decision;
    json_t *expected;

    assert_int_equal(gr_permission_evaluate(policy, identity, permission, &decision), GR_OK);
    if (decision.result != result)
        fail_msg("%s for %s: %s, expected %s", permission, identity->subject,
                 gr_permission_result_name(decision.result), gr_permission_result_name(result));
    if (conditions == NULL) {
        assert_null(decision.conditions);
        return;
    }
    expected = json_loads(conditions, 0, NULL);
    assert_non_null(expected);
    if (!json_equal(expected, decision.conditions)) {
        char *got = json_dumps(decision.conditions, JSON_COMPACT);

        fail_msg("%s for %s: conditions %s, expected %s", permission, identity->subject, got,
                 conditions);
    }
    assert_string_equal(decision.resource_type, GR_PERMISSION_SCAFFOLDER_TASK);
    json_decref(expected);
    gr_permission_decision_clear(&decision);
}

static void user_gets_own_tasks(void **state)
{
    gr_permission_policy *policy = load(policy_json);

    (void)state;
    expect(policy, &jane, "scaffolder.task.read", GR_PERMISSION_CONDITIONAL, OWNER_JANE);
    /* The deny rule with isTaskOwner: false leaves the owner's tasks to the next rule. */
    expect(policy, &jane, "scaffolder.task.cancel", GR_PERMISSION_CONDITIONAL,
           "{\"allOf\":[" OWNER_JANE "," OWNER_JANE "]}");
    gr_permission_policy_free(policy);
}

static void others_decided(void **state)
{
    gr_permission_policy *policy = load(policy_json);

    (void)state;
    expect(policy, &admin, "scaffolder.task.read", GR_PERMISSION_ALLOW, NULL);
    expect(policy, &bot, "scaffolder.task.read", GR_PERMISSION_ALLOW, NULL);
    /* A service owns no task, so the owner rule gives it nothing. */
    expect(policy, &other_bot, "scaffolder.task.read", GR_PERMISSION_DENY, NULL);
    /* The condition is about tasks: on a basic or an entity permission it never holds. */
    expect(policy, &jane, "scaffolder.task.create", GR_PERMISSION_DENY, NULL);
    gr_permission_policy_free(policy);
}

static void entity_condition_on_task(void **state)
{
    gr_permission_policy *policy =
        load("{\"enabled\": true, \"rules\": [{\"allow\": \"scaffolder.task.read\","
             " \"when\": {\"isEntityOwner\": true}},"
             " {\"allow\": \"*\", \"when\": {\"isTaskOwner\": true}}]}");

    (void)state;
    /* Each resource condition holds only for its own resource type. */
    expect(policy, &jane, "scaffolder.task.read", GR_PERMISSION_CONDITIONAL, OWNER_JANE);
    expect(policy, &jane, "catalog.entity.read", GR_PERMISSION_DENY, NULL);
    gr_permission_policy_free(policy);
}

static void parse_errors(void **state)
{
    static const char *const bad[][2] = {
        {"{\"rules\": [{\"allow\": \"search.query\"}, {\"allow\": \"scaffolder.task.read\","
         " \"when\": {\"isTaskOwner\": \"yes\"}}]}",
         "permission.rules[1].when.isTaskOwner: expected true or false"},
        {"{\"rules\": [{\"allow\": \"scaffolder.task.read\","
         " \"when\": {\"isTaskOwner\": [\"user:default/jane\"]}}]}",
         "permission.rules[0].when.isTaskOwner: expected true or false"},
        {"{\"rules\": [{\"allow\": \"scaffolder.task.read\","
         " \"when\": {\"anyOf\": [{\"isTaskOwner\": null}]}}]}",
         "permission.rules[0].when.anyOf.isTaskOwner: expected true or false"},
        {"{\"rules\": [{\"allow\": \"search.query\"}, {\"allow\": \"catalog.entity.read\","
         " \"when\": {\"isTaskOwner\": true}}]}",
         "permission.rules[1].when: isTaskOwner is about tasks"},
        {"{\"rules\": [{\"allow\": \"catalog.*\", \"when\": {\"isTaskOwner\": true}}]}",
         "permission.rules[0].when: isTaskOwner is about tasks"},
        {"{\"rules\": [{\"allow\": \"scaffolder.task.create\","
         " \"when\": {\"isTaskOwner\": true}}]}",
         "permission.rules[0].when: resource conditions"},
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

static void accepted_forms(void **state)
{
    static const char *const good[] = {
        "{\"rules\": [{\"allow\": \"scaffolder.*\", \"when\": {\"isTaskOwner\": true}}]}",
        "{\"rules\": [{\"allow\": \"*\", \"when\": {\"isTaskOwner\": false}}]}",
        "{\"rules\": [{\"deny\": \"scaffolder.task.cancel\", \"when\": {\"not\":"
        " {\"isTaskOwner\": true}}}]}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        json_t *json = json_loads(good[i], 0, NULL);
        gr_permission_policy *policy = NULL;

        assert_non_null(json);
        if (gr_permission_policy_from_json(&policy, json) != GR_OK)
            fail_msg("case %zu: %s", i, gr_error_last());
        gr_permission_policy_free(policy);
        json_decref(json);
    }
}

static void authorize_one_task(void **state)
{
    gr_permission_policy *policy = load(policy_json);
    json_t *mine = json_pack("{s:s, s:s}", "id", "t1", "createdBy", "user:default/jane");
    json_t *other = json_pack("{s:s, s:s}", "id", "t2", "createdBy", "user:default/bob");

    (void)state;
    assert_int_equal(
        gr_permission_authorize(policy, &jane, "scaffolder.task.read", mine, "t1", "/x"), GR_OK);
    assert_int_equal(
        gr_permission_authorize(policy, &jane, "scaffolder.task.read", other, "t2", "/x"),
        GR_EDENIED);
    assert_int_equal(
        gr_permission_authorize(policy, &jane, "scaffolder.task.cancel", other, "t2", "/x"),
        GR_EDENIED);
    assert_int_equal(
        gr_permission_authorize(policy, &jane, "scaffolder.task.read", NULL, NULL, "/x"),
        GR_EDENIED);
    json_decref(other);
    json_decref(mine);
    gr_permission_policy_free(policy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(user_gets_own_tasks),   cmocka_unit_test(others_decided),
        cmocka_unit_test(entity_condition_on_task), cmocka_unit_test(parse_errors),
        cmocka_unit_test(accepted_forms),        cmocka_unit_test(authorize_one_task),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
