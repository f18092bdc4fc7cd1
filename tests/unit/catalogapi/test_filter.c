/* SPDX-License-Identifier: MIT */
/* Unit tests for parsing `filter` parameters and checking filter predicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/catalog/api/predicate.h"

/* One parser case: up to three `filter` values and the predicate or error they give. */
typedef struct {
    const char *filters[3];
    size_t count;
    const char *expected; /* compact JSON, "null" for no filter; NULL when an error is expected */
    int error;            /* expected error code when `expected` is NULL */
} parse_case;

static const parse_case parse_cases[] = {
    /* Single conditions. */
    {{"kind=component"}, 1, "{\"kind\":\"component\"}", 0},
    {{"kind=Component"}, 1, "{\"kind\":\"Component\"}", 0},
    {{"spec.type"}, 1, "{\"spec.type\":{\"$exists\":true}}", 0},
    {{"spec.type="}, 1, "{\"spec.type\":\"\"}", 0},
    {{" kind = component "}, 1, "{\"kind\":\"component\"}", 0},
    {{"metadata.annotations.backstage.io/techdocs-ref=dir:."},
     1,
     "{\"metadata.annotations.backstage.io/techdocs-ref\":\"dir:.\"}",
     0},
    {{"metadata.annotations.backstage.io/orphan=true"},
     1,
     "{\"metadata.annotations.backstage.io/orphan\":\"true\"}",
     0},
    {{"relations.ownedby=group:default/team-a"},
     1,
     "{\"relations.ownedby\":\"group:default/team-a\"}",
     0},
    {{"metadata.tags.java"}, 1, "{\"metadata.tags.java\":{\"$exists\":true}}", 0},
    /* Values with '=' keep everything after the first '='. */
    {{"a=b=c"}, 1, "{\"a\":\"b=c\"}", 0},
    {{"a==b"}, 1, "{\"a\":\"=b\"}", 0},
    {{"a=="}, 1, "{\"a\":\"=\"}", 0},
    {{"metadata.annotations.x=k=v,kind=user"},
     1,
     "{\"$all\":[{\"metadata.annotations.x\":\"k=v\"},{\"kind\":\"user\"}]}",
     0},
    /* Conditions in one filter are ANDed. */
    {{"kind=component,spec.type=service"},
     1,
     "{\"$all\":[{\"kind\":\"component\"},{\"spec.type\":\"service\"}]}",
     0},
    {{"kind=user,metadata.namespace=default,spec.profile"},
     1,
     "{\"$all\":[{\"kind\":\"user\"},{\"metadata.namespace\":\"default\"},"
     "{\"spec.profile\":{\"$exists\":true}}]}",
     0},
    /* A repeated key inside one filter ORs its values. */
    {{"kind=component,kind=api"}, 1, "{\"kind\":{\"$in\":[\"component\",\"api\"]}}", 0},
    {{"kind=a,spec.type=x,kind=b"},
     1,
     "{\"$all\":[{\"kind\":{\"$in\":[\"a\",\"b\"]}},{\"spec.type\":\"x\"}]}",
     0},
    {{"kind,kind=api"}, 1, "{\"kind\":\"api\"}", 0},
    {{"kind=api,kind"}, 1, "{\"kind\":\"api\"}", 0},
    {{"kind,kind"}, 1, "{\"kind\":{\"$exists\":true}}", 0},
    {{"kind=a,kind=a"}, 1, "{\"kind\":{\"$in\":[\"a\",\"a\"]}}", 0},
    /* Keys are compared as written, so case variants stay apart. */
    {{"kind=a,KIND=b"}, 1, "{\"$all\":[{\"kind\":\"a\"},{\"KIND\":\"b\"}]}", 0},
    /* Several filters are ORed. */
    {{"kind=user", "kind=group"}, 2, "{\"$any\":[{\"kind\":\"user\"},{\"kind\":\"group\"}]}", 0},
    {{"kind=user,metadata.namespace=default", "kind=group,spec.type"},
     2,
     "{\"$any\":[{\"$all\":[{\"kind\":\"user\"},{\"metadata.namespace\":\"default\"}]},"
     "{\"$all\":[{\"kind\":\"group\"},{\"spec.type\":{\"$exists\":true}}]}]}",
     0},
    {{"a", "b", "c=d"},
     3,
     "{\"$any\":[{\"a\":{\"$exists\":true}},{\"b\":{\"$exists\":true}},{\"c\":\"d\"}]}",
     0},
    /* Empty statements and empty filters are skipped. */
    {{""}, 1, "null", 0},
    {{","}, 1, "null", 0},
    {{" , ,"}, 1, "null", 0},
    {{"kind=user,"}, 1, "{\"kind\":\"user\"}", 0},
    {{",kind=user"}, 1, "{\"kind\":\"user\"}", 0},
    {{"kind=user,,spec.type=x"}, 1, "{\"$all\":[{\"kind\":\"user\"},{\"spec.type\":\"x\"}]}", 0},
    {{"", "kind=user"}, 2, "{\"kind\":\"user\"}", 0},
    {{"kind=user", ""}, 2, "{\"kind\":\"user\"}", 0},
    {{NULL}, 0, "null", 0},
    /* Values keep inner spaces and symbols. */
    {{"metadata.title=Payments API"}, 1, "{\"metadata.title\":\"Payments API\"}", 0},
    {{"spec.owner=group:default/a b"}, 1, "{\"spec.owner\":\"group:default/a b\"}", 0},
    {{"x=%41"}, 1, "{\"x\":\"%41\"}", 0},
    {{"x=\"quoted\""}, 1, "{\"x\":\"\\\"quoted\\\"\"}", 0},
    {{"x=caf\xc3\xa9"}, 1, "{\"x\":\"caf\xc3\xa9\"}", 0},
    /* A statement without a key is malformed. */
    {{"=component"}, 1, NULL, GR_EINVALID},
    {{" =component"}, 1, NULL, GR_EINVALID},
    {{"="}, 1, NULL, GR_EINVALID},
    {{"kind=user,=x"}, 1, NULL, GR_EINVALID},
    {{"kind=user", "=x"}, 2, NULL, GR_EINVALID},
    {{"kind=user", "a,==b"}, 2, NULL, GR_EINVALID},
};

static void parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const parse_case *c = &parse_cases[i];
        json_t *out = NULL;
        int rc = gr_catalog_filter_parse(c->filters, c->count, &out);

        if (c->expected == NULL) {
            if (rc != c->error)
                fail_msg("case %zu (%s): expected error %d, got %d", i, c->filters[0], c->error,
                         rc);
            assert_null(out);
            continue;
        }
        if (rc != GR_OK)
            fail_msg("case %zu (%s): %s", i, c->filters[0], gr_error_last());
        {
            char *text = out ? json_dumps(out, JSON_COMPACT) : strdup("null");

            if (strcmp(text, c->expected) != 0)
                fail_msg("case %zu (%s): got %s, expected %s", i, c->filters[0], text,
                         c->expected);
            free(text);
        }
        json_decref(out);
    }
}

static void parse_error_message(void **state)
{
    const char *filters[] = {"kind=user,=x"};
    json_t *out = NULL;

    (void)state;
    assert_int_equal(gr_catalog_filter_parse(filters, 1, &out), GR_EINVALID);
    assert_string_equal(gr_error_last(), "Invalid filter, '=x' is not a valid statement "
                                         "(expected a string on the form a=b or a= or a)");
}

/* One predicate check case: input JSON and the normalized result or error. */
typedef struct {
    const char *input;
    const char *expected; /* NULL when an error is expected */
    int error;
} check_case;

static const check_case check_cases[] = {
    {"{\"kind\":\"component\"}", "{\"kind\":\"component\"}", 0},
    {"{\"kind\":\"component\",\"spec.type\":\"service\"}",
     "{\"kind\":\"component\",\"spec.type\":\"service\"}", 0},
    {"{}", "{}", 0},
    {"{\"a\":7}", "{\"a\":7}", 0},
    {"{\"a\":true}", "{\"a\":true}", 0},
    {"{\"a\":{\"$exists\":false}}", "{\"a\":{\"$exists\":false}}", 0},
    {"{\"a\":{\"$exists\":true,\"extra\":1}}", "{\"a\":{\"$exists\":true}}", 0},
    {"{\"a\":{\"$in\":[\"x\",1,false]}}", "{\"a\":{\"$in\":[\"x\",1,false]}}", 0},
    {"{\"a\":{\"$in\":[]}}", "{\"a\":{\"$in\":[]}}", 0},
    {"{\"a\":{\"$hasPrefix\":\"pay\"}}", "{\"a\":{\"$hasPrefix\":\"pay\"}}", 0},
    {"{\"a\":{\"$contains\":\"java\"}}", "{\"a\":{\"$contains\":\"java\"}}", 0},
    {"{\"relations\":{\"$contains\":{\"type\":\"ownedBy\",\"targetRef\":\"group:default/a\"}}}",
     "{\"relations\":{\"$contains\":{\"type\":\"ownedBy\",\"targetRef\":\"group:default/a\"}}}",
     0},
    {"{\"$all\":[{\"kind\":\"a\"},{\"$not\":{\"b\":\"c\"}}]}",
     "{\"$all\":[{\"kind\":\"a\"},{\"$not\":{\"b\":\"c\"}}]}", 0},
    {"{\"$any\":[]}", "{\"$any\":[]}", 0},
    {"\"component\"", NULL, GR_EINVALID},
    {"[]", NULL, GR_EINVALID},
    {"{\"kind\":null}", NULL, GR_EINVALID},
    {"{\"kind\":[\"a\"]}", NULL, GR_EINVALID},
    {"{\"a\":{\"$in\":\"x\"}}", NULL, GR_EINVALID},
    {"{\"a\":{\"$in\":[{}]}}", NULL, GR_EINVALID},
    {"{\"a\":{\"$regex\":\"x\"}}", NULL, GR_EINVALID},
    {"{\"$all\":{}}", NULL, GR_EINVALID},
    {"{\"$all\":[],\"kind\":\"a\"}", NULL, GR_EINVALID},
    {"{\"$nor\":[]}", NULL, GR_EINVALID},
    {"{\"$not\":\"a\"}", NULL, GR_EINVALID},
    {"{\"a\\nb\":\"c\"}", NULL, GR_EINVALID},
};

static void check_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
        const check_case *c = &check_cases[i];
        json_t *input = json_loads(c->input, JSON_DECODE_ANY, NULL);
        json_t *out = NULL;
        int rc;

        assert_non_null(input);
        rc = gr_catalog_predicate_check(input, &out);
        if (c->expected == NULL) {
            if (rc != c->error)
                fail_msg("case %zu (%s): expected error, got %d", i, c->input, rc);
        } else {
            char *text;

            if (rc != GR_OK)
                fail_msg("case %zu (%s): %s", i, c->input, gr_error_last());
            text = json_dumps(out, JSON_COMPACT);
            if (strcmp(text, c->expected) != 0)
                fail_msg("case %zu: got %s, expected %s", i, text, c->expected);
            free(text);
        }
        json_decref(out);
        json_decref(input);
    }
}

static void check_depth_limit(void **state)
{
    json_t *node = json_pack("{s:s}", "a", "b");
    json_t *out = NULL;

    (void)state;
    for (int i = 0; i < GR_CATALOG_PREDICATE_MAX_DEPTH + 2; i++)
        node = json_pack("{s:o}", "$not", node);
    assert_int_equal(gr_catalog_predicate_check(node, &out), GR_ELIMIT);
    assert_null(out);
    json_decref(node);
}

static void legacy_filter_form(void **state)
{
    json_t *legacy = json_loads("{\"anyOf\":[{\"key\":\"kind\",\"values\":[\"a\"]},"
                                "{\"not\":{\"key\":\"spec.type\"}},"
                                "{\"allOf\":[{\"key\":\"x\",\"values\":[\"1\",\"2\"]}]}]}",
                                0, NULL);
    json_t *out = NULL;
    char *text;

    (void)state;
    assert_int_equal(gr_catalog_predicate_from_legacy(legacy, &out), GR_OK);
    text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text, "{\"$any\":[{\"kind\":\"a\"},{\"$not\":{\"spec.type\":{\"$exists\":"
                              "true}}},{\"$all\":[{\"x\":{\"$in\":[\"1\",\"2\"]}}]}]}");
    free(text);
    json_decref(out);
    json_decref(legacy);
}

static void value_text_like_javascript(void **state)
{
    static const struct {
        const char *json;
        const char *text;
    } cases[] = {
        {"7", "7"},   {"-3", "-3"},        {"1.5", "1.5"},       {"0.1", "0.1"},
        {"100.0", "100"}, {"true", "true"}, {"false", "false"}, {"\"Ab\"", "Ab"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *value = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        char *text = gr_catalog_predicate_value_text(value);

        assert_string_equal(text, cases[i].text);
        free(text);
        json_decref(value);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_table),        cmocka_unit_test(parse_error_message),
        cmocka_unit_test(check_table),        cmocka_unit_test(check_depth_limit),
        cmocka_unit_test(legacy_filter_form), cmocka_unit_test(value_text_like_javascript),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
