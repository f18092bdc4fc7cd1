/* SPDX-License-Identifier: MIT */
/* Unit tests for entity reference parsing, formatting and comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/catalog/model/ref.h"

typedef struct {
    const char *text;
    const char *default_kind;
    const char *default_namespace;
    const char *kind; /* expected; NULL when parsing must fail */
    const char *namespace;
    const char *name;
} ref_case;

static const ref_case parse_cases[] = {
    {"component:default/foo", NULL, NULL, "component", "default", "foo"},
    {"Component:Default/Foo", NULL, NULL, "Component", "Default", "Foo"},
    {"foo", "Group", NULL, "Group", "default", "foo"},
    {"foo", "Group", "team-a", "Group", "team-a", "foo"},
    {"ns/foo", "Group", "other", "Group", "ns", "foo"},
    {"user:foo", "Group", "team-a", "user", "team-a", "foo"},
    {"api:ns/petstore", "Component", NULL, "api", "ns", "petstore"},
    {"a:b/c/d", NULL, NULL, "a", "b", "c/d"},
    {"a:b:c", NULL, NULL, "a", "default", "b:c"},
    {"ns/na:me", "Group", NULL, "Group", "ns", "na:me"},
    {"group:x.y_z-1", NULL, NULL, "group", "default", "x.y_z-1"},
    {"foo", NULL, NULL, NULL, NULL, NULL},
    {"ns/foo", NULL, NULL, NULL, NULL, NULL},
    {"", "Group", NULL, NULL, NULL, NULL},
    {":foo", "Group", NULL, NULL, NULL, NULL},
    {"component:", NULL, NULL, NULL, NULL, NULL},
    {"component:/foo", NULL, NULL, NULL, NULL, NULL},
    {"component:ns/", NULL, NULL, NULL, NULL, NULL},
    {"/foo", "Group", NULL, NULL, NULL, NULL},
    {"ns/", "Group", NULL, NULL, NULL, NULL},
};

static void ref_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const ref_case *c = &parse_cases[i];
        gr_entity_ref ref = GR_ENTITY_REF_INIT;
        int rc = gr_model_ref_parse(c->text, c->default_kind, c->default_namespace, &ref);

        if (c->kind == NULL) {
            if (rc != GR_EINVALID)
                fail_msg("case %zu \"%s\": expected a parse error, got %s:%s/%s", i, c->text,
                         ref.kind, ref.namespace, ref.name);
            assert_null(ref.kind);
            assert_true(strlen(gr_error_last()) > 0);
            continue;
        }
        if (rc != GR_OK)
            fail_msg("case %zu \"%s\": %s", i, c->text, gr_error_last());
        assert_string_equal(ref.kind, c->kind);
        assert_string_equal(ref.namespace, c->namespace);
        assert_string_equal(ref.name, c->name);
        gr_entity_ref_free(&ref);
    }
}

static void ref_error_messages(void **state)
{
    gr_entity_ref ref = GR_ENTITY_REF_INIT;

    (void)state;
    assert_int_equal(gr_model_ref_parse("", NULL, NULL, &ref), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "must not be empty"));
    assert_int_equal(gr_model_ref_parse("component:/x", NULL, NULL, &ref), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "\"component:/x\""));
    assert_non_null(strstr(gr_error_last(), "[<kind>:][<namespace>/]<name>"));
    assert_int_equal(gr_model_ref_parse("db", NULL, NULL, &ref), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "missing or empty kind"));
    assert_non_null(strstr(gr_error_last(), "\"db\""));
}

static void ref_parse_json_forms(void **state)
{
    gr_entity_ref ref = GR_ENTITY_REF_INIT;
    json_t *value;

    (void)state;
    value = json_pack("{s:s, s:s}", "kind", "Component", "name", "svc");
    assert_int_equal(gr_model_ref_parse_json(value, "Group", "team", &ref), GR_OK);
    assert_string_equal(ref.kind, "Component");
    assert_string_equal(ref.namespace, "team");
    assert_string_equal(ref.name, "svc");
    gr_entity_ref_free(&ref);
    json_decref(value);

    value = json_pack("{s:s}", "name", "svc");
    assert_int_equal(gr_model_ref_parse_json(value, NULL, NULL, &ref), GR_EINVALID);
    json_decref(value);

    value = json_pack("{s:s, s:s}", "kind", "", "name", "svc");
    assert_int_equal(gr_model_ref_parse_json(value, "Group", NULL, &ref), GR_EINVALID);
    json_decref(value);

    value = json_pack("{s:s}", "kind", "Group");
    assert_int_equal(gr_model_ref_parse_json(value, NULL, NULL, &ref), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "missing or empty name"));
    json_decref(value);

    value = json_integer(0);
    assert_int_equal(gr_model_ref_parse_json(value, "Group", NULL, &ref), GR_EINVALID);
    assert_non_null(strstr(gr_error_last(), "must not be empty"));
    json_decref(value);

    value = json_string("group:x");
    assert_int_equal(gr_model_ref_parse_json(value, NULL, NULL, &ref), GR_OK);
    assert_string_equal(ref.kind, "group");
    gr_entity_ref_free(&ref);
    json_decref(value);
}

static void ref_format_lowercases(void **state)
{
    gr_entity_ref ref = {"Component", "Team-A", "My.Service"};
    char *text;

    (void)state;
    text = gr_model_ref_format(&ref);
    assert_string_equal(text, "component:team-a/my.service");
    free(text);
}

static void ref_compare_ignores_case(void **state)
{
    gr_entity_ref a = {"Component", "default", "Foo"};
    gr_entity_ref b = {"component", "DEFAULT", "foo"};
    gr_entity_ref c = {"component", "default", "bar"};

    (void)state;
    assert_int_equal(gr_model_ref_compare(&a, &b), 0);
    assert_true(gr_model_ref_compare(&a, &c) > 0);
    assert_true(gr_model_ref_compare(&c, &b) < 0);
}

static void ref_default_kinds(void **state)
{
    static const char *const table[][2] = {
        {"owner", "Group"},        {"system", "System"},         {"domain", "Domain"},
        {"providesApis", "API"},   {"consumesApis", "API"},      {"memberOf", "Group"},
        {"parent", "Group"},       {"children", "Group"},        {"members", "User"},
        {"subdomainOf", "Domain"}, {"subcomponentOf", "Component"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        assert_string_equal(gr_model_ref_default_kind(table[i][0]), table[i][1]);
    assert_null(gr_model_ref_default_kind("dependsOn"));
    assert_null(gr_model_ref_default_kind("dependencyOf"));
    assert_null(gr_model_ref_default_kind("nonsense"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ref_parse_table),     cmocka_unit_test(ref_error_messages),
        cmocka_unit_test(ref_parse_json_forms), cmocka_unit_test(ref_format_lowercases),
        cmocka_unit_test(ref_compare_ignores_case), cmocka_unit_test(ref_default_kinds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
