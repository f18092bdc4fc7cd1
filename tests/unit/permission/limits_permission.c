/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the permission policy's limits: rule count and condition nesting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/permission/permission.h"

/* Returns a policy with `count` rules that allow search.query. Caller frees. */
static json_t *policy_with_rules(int count)
{
    json_t *rules = json_array();

    for (int i = 0; i < count; i++)
        json_array_append_new(rules, json_pack("{s:s}", "allow", "search.query"));
    return json_pack("{s:b, s:o}", "enabled", 1, "rules", rules);
}

static void rules_at_max_accepted(void **state)
{
    json_t *json = policy_with_rules(GR_PERMISSION_MAX_RULES);
    gr_permission_policy *policy = NULL;

    (void)state;
    assert_int_equal(gr_permission_policy_from_json(&policy, json), GR_OK);
    assert_non_null(policy);
    gr_permission_policy_free(policy);
    json_decref(json);
}

static void rules_over_max_rejected(void **state)
{
    json_t *json = policy_with_rules(GR_PERMISSION_MAX_RULES + 1);
    gr_permission_policy *policy = NULL;

    (void)state;
    assert_int_equal(gr_permission_policy_from_json(&policy, json), GR_EINVALID);
    assert_null(policy);
    assert_non_null(strstr(gr_error_last(), "permission.rules: at most 512 rules are allowed"));
    json_decref(json);
}

/* Returns a one-rule policy whose `when` has `levels` levels of condition
 * objects: levels - 1 `not` wrappers around isService. Caller frees. */
static json_t *policy_with_levels(int levels)
{
    json_t *when = json_pack("{s:b}", "isService", 1);

    for (int i = 1; i < levels; i++)
        when = json_pack("{s:o}", "not", when);
    return json_pack("{s:[{s:s, s:o}]}", "rules", "allow", "*", "when", when);
}

static void depth_at_max_accepted(void **state)
{
    json_t *json = policy_with_levels(GR_PERMISSION_MAX_DEPTH);
    gr_permission_policy *policy = NULL;

    (void)state;
    assert_int_equal(gr_permission_policy_from_json(&policy, json), GR_OK);
    assert_non_null(policy);
    gr_permission_policy_free(policy);
    json_decref(json);
}

static void depth_over_max_rejected(void **state)
{
    json_t *json = policy_with_levels(GR_PERMISSION_MAX_DEPTH + 1);
    gr_permission_policy *policy = NULL;

    (void)state;
    assert_int_equal(gr_permission_policy_from_json(&policy, json), GR_EINVALID);
    assert_null(policy);
    assert_non_null(strstr(gr_error_last(), "conditions are nested deeper than 8 levels"));
    assert_non_null(strstr(gr_error_last(), "permission.rules[0].when"));
    json_decref(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_at_max_accepted),
        cmocka_unit_test(rules_over_max_rejected),
        cmocka_unit_test(depth_at_max_accepted),
        cmocka_unit_test(depth_over_max_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
