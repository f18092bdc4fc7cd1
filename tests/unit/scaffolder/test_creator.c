/* SPDX-License-Identifier: MIT */
/* Tests of the task creator's identity: its stored form and the identity rebuilt from it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "plugins/scaffolder/creator.h"

static void user_round_trip(void **state)
{
    const char *const ownership[] = {"user:default/alice", "group:default/team-a"};
    gr_identity identity = {.type = "user",
                            .subject = "user:default/alice",
                            .ownership = ownership,
                            .ownership_count = 2,
                            .source = "cookie",
                            .token = "secret-token",
                            .session_id = "session-1"};
    json_t *stored = gr_scaffolder_creator_from_identity(&identity);
    char *text = json_dumps(stored, JSON_COMPACT);
    gr_scaffolder_creator creator;

    (void)state;
    assert_null(strstr(text, "secret-token"));
    assert_null(strstr(text, "session-1"));
    gr_scaffolder_creator_rebuild(stored, &creator);
    assert_string_equal(creator.identity.type, "user");
    assert_string_equal(creator.identity.subject, "user:default/alice");
    assert_int_equal(creator.identity.ownership_count, 2);
    assert_string_equal(creator.identity.ownership[0], "user:default/alice");
    assert_string_equal(creator.identity.ownership[1], "group:default/team-a");
    assert_null(creator.identity.token);
    assert_string_equal(creator.identity.source, "task");
    gr_scaffolder_creator_clear(&creator);
    gr_scaffolder_creator_clear(&creator);
    free(text);
    json_decref(stored);
}

static void service_round_trip(void **state)
{
    gr_identity identity = {.type = "service", .subject = "external:ci-bot", .source = "static"};
    json_t *stored = gr_scaffolder_creator_from_identity(&identity);
    gr_scaffolder_creator creator;

    (void)state;
    gr_scaffolder_creator_rebuild(stored, &creator);
    assert_string_equal(creator.identity.type, "service");
    assert_string_equal(creator.identity.subject, "external:ci-bot");
    assert_int_equal(creator.identity.ownership_count, 0);
    gr_scaffolder_creator_clear(&creator);
    json_decref(stored);
}

static void anonymous_round_trip(void **state)
{
    json_t *stored = gr_scaffolder_creator_from_identity(NULL);
    gr_scaffolder_creator creator;

    (void)state;
    assert_string_equal(json_string_value(json_object_get(stored, "type")), "none");
    gr_scaffolder_creator_rebuild(stored, &creator);
    assert_string_equal(creator.identity.type, "none");
    gr_scaffolder_creator_clear(&creator);
    json_decref(stored);
}

static void bad_forms_have_no_type(void **state)
{
    const char *const forms[] = {
        "null",
        "[]",
        "{}",
        "{\"type\":\"admin\",\"subject\":\"x\"}",
        "{\"type\":\"user\"}",
        "{\"type\":\"service\"}",
        "{\"type\":\"service\",\"subject\":\"external:x\",\"catalogEntityRead\":false}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        json_t *stored = json_loads(forms[i], JSON_DECODE_ANY, NULL);
        gr_scaffolder_creator creator;

        gr_scaffolder_creator_rebuild(stored, &creator);
        if (creator.identity.type != NULL)
            fail_msg("form %s: type %s, expected none", forms[i], creator.identity.type);
        gr_scaffolder_creator_clear(&creator);
        json_decref(stored);
    }
    {
        gr_scaffolder_creator creator;

        gr_scaffolder_creator_rebuild(NULL, &creator);
        assert_null(creator.identity.type);
        gr_scaffolder_creator_clear(&creator);
    }
}

static void ownership_skips_non_strings(void **state)
{
    json_t *stored = json_loads("{\"type\":\"user\",\"userEntityRef\":\"user:default/a\","
                                "\"ownershipEntityRefs\":[1,\"group:default/t\",null]}",
                                0, NULL);
    gr_scaffolder_creator creator;

    (void)state;
    gr_scaffolder_creator_rebuild(stored, &creator);
    assert_int_equal(creator.identity.ownership_count, 1);
    assert_string_equal(creator.identity.ownership[0], "group:default/t");
    gr_scaffolder_creator_clear(&creator);
    json_decref(stored);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(user_round_trip),
        cmocka_unit_test(service_round_trip),
        cmocka_unit_test(anonymous_round_trip),
        cmocka_unit_test(bad_forms_have_no_type),
        cmocka_unit_test(ownership_skips_non_strings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
