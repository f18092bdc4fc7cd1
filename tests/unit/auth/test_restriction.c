/* SPDX-License-Identifier: MIT */
/* Tests of externalAccess accessRestrictions: reading, entering a plugin, and permission limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/auth/config_list.h"
#include "host/auth/restriction.h"
#include "host/common/error.h"

static gr_auth_restrictions *read_json(const char *text, int *rc)
{
    json_t *entry = json_loads(text, 0, NULL);
    gr_auth_restrictions *restrictions = NULL;

    assert_non_null(entry);
    *rc = gr_auth_restrictions_read(entry, "backend.auth.externalAccess[0]", &restrictions);
    json_decref(entry);
    return restrictions;
}

static void list_splits_and_dedups(void **state)
{
    json_t *value = json_pack("[s, s]", "a, b c", "a");
    gr_auth_config_list list;

    (void)state;
    assert_int_equal(gr_auth_config_list_read(value, "x", &list), GR_OK);
    assert_int_equal(list.count, 3);
    assert_string_equal(list.items[0], "a");
    assert_string_equal(list.items[1], "b");
    assert_string_equal(list.items[2], "c");
    assert_true(gr_auth_config_list_contains(&list, "b"));
    assert_false(gr_auth_config_list_contains(&list, NULL));
    gr_auth_config_list_clear(&list);
    json_decref(value);
}

static void list_rejects_number(void **state)
{
    json_t *value = json_pack("[s, i]", "a", 3);
    gr_auth_config_list list;

    (void)state;
    assert_int_equal(gr_auth_config_list_read(value, "opt", &list), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "opt[1]"));
    assert_int_equal(list.count, 0);
    json_decref(value);
}

static void absent_means_unrestricted(void **state)
{
    int rc;

    (void)state;
    assert_null(read_json("{\"type\":\"static\"}", &rc));
    assert_int_equal(rc, GR_OK);
    assert_null(read_json("{\"accessRestrictions\":[]}", &rc));
    assert_int_equal(rc, GR_OK);
}

static void enter_listed_plugin(void **state)
{
    int rc;
    gr_auth_restrictions *restrictions = read_json(
        "{\"accessRestrictions\":[{\"plugin\":\"catalog\"},{\"plugin\":\"search\"}]}", &rc);
    gr_identity identity = {.type = "service", .restrictions = restrictions};

    (void)state;
    assert_int_equal(rc, GR_OK);
    assert_int_equal(gr_auth_restrictions_enter(&identity, "/api/search/query"), GR_OK);
    assert_non_null(identity.restriction);
    assert_int_equal(gr_auth_restrictions_enter(&identity, "/api/catalog"), GR_OK);
    assert_int_equal(gr_auth_restrictions_enter(&identity, "/api/catalogue/x"), GR_EDENIED);
    assert_string_equal(gr_error_last(),
                        "This token's access is restricted to plugin(s) 'catalog', 'search'");
    assert_null(identity.restriction);
    assert_int_equal(gr_auth_restrictions_enter(&identity, "/catalog"), GR_EDENIED);
    gr_auth_restrictions_free(restrictions);
}

static void permit_by_name_and_action(void **state)
{
    int rc;
    gr_auth_restrictions *restrictions = read_json(
        "{\"accessRestrictions\":[{\"plugin\":\"catalog\",\"permission\":\"catalog.entity.read\"},"
        "{\"plugin\":\"scaffolder\",\"permissionAttribute\":{\"action\":\"read update\"}}]}",
        &rc);
    gr_identity identity = {.type = "service", .restrictions = restrictions};

    (void)state;
    assert_int_equal(rc, GR_OK);
    /* Before entering a plugin a restricted identity is denied everything. */
    assert_false(gr_auth_restrictions_permit(&identity, "catalog.entity.read", "read"));

    assert_int_equal(gr_auth_restrictions_enter(&identity, "/api/catalog/entities"), GR_OK);
    assert_true(gr_auth_restrictions_permit(&identity, "catalog.entity.read", "read"));
    assert_false(gr_auth_restrictions_permit(&identity, "catalog.location.create", "create"));

    assert_int_equal(gr_auth_restrictions_enter(&identity, "/api/scaffolder/v2/tasks"), GR_OK);
    assert_true(gr_auth_restrictions_permit(&identity, "scaffolder.task.read", "read"));
    assert_true(gr_auth_restrictions_permit(&identity, "scaffolder.task.cancel", "update"));
    assert_false(gr_auth_restrictions_permit(&identity, "scaffolder.task.create", "create"));
    assert_false(gr_auth_restrictions_permit(&identity, "catalog.entity.validate", NULL));
    gr_auth_restrictions_free(restrictions);
}

static void unrestricted_permits_all(void **state)
{
    gr_identity identity = {.type = "service"};

    (void)state;
    assert_int_equal(gr_auth_restrictions_enter(&identity, "/api/anything"), GR_OK);
    assert_true(gr_auth_restrictions_permit(&identity, "catalog.location.create", "create"));
    assert_true(gr_auth_restrictions_permit(NULL, "catalog.location.create", "create"));
}

static void malformed_names_path(void **state)
{
    static const struct {
        const char *json;
        const char *path;
    } cases[] = {
        {"{\"accessRestrictions\":{\"plugin\":\"catalog\"}}", "[0].accessRestrictions:"},
        {"{\"accessRestrictions\":[\"catalog\"]}", "accessRestrictions[0]:"},
        {"{\"accessRestrictions\":[{\"plugin\":\"catalog\",\"x\":1}]}",
         "accessRestrictions[0].x: unknown key"},
        {"{\"accessRestrictions\":[{\"plugin\":\"\"}]}", "accessRestrictions[0].plugin"},
        {"{\"accessRestrictions\":[{\"plugin\":\"a\"},{\"plugin\":\"a\"}]}",
         "accessRestrictions[1].plugin"},
        {"{\"accessRestrictions\":[{\"plugin\":\"a\",\"permission\":7}]}",
         "accessRestrictions[0].permission"},
        {"{\"accessRestrictions\":[{\"plugin\":\"a\",\"permissionAttribute\":{\"kind\":1}}]}",
         "permissionAttribute.kind: unknown key"},
        {"{\"accessRestrictions\":[{\"plugin\":\"a\",\"permissionAttribute\":"
         "{\"action\":\"use\"}}]}",
         "permissionAttribute.action: 'use'"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;

        assert_null(read_json(cases[i].json, &rc));
        assert_int_equal(rc, GR_EINVALID);
        if (strstr(gr_error_last(), cases[i].path) == NULL)
            print_error("case %zu: %s\n", i, gr_error_last());
        assert_non_null(strstr(gr_error_last(), cases[i].path));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_splits_and_dedups),    cmocka_unit_test(list_rejects_number),
        cmocka_unit_test(absent_means_unrestricted), cmocka_unit_test(enter_listed_plugin),
        cmocka_unit_test(permit_by_name_and_action), cmocka_unit_test(unrestricted_permits_all),
        cmocka_unit_test(malformed_names_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
