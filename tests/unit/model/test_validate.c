/* SPDX-License-Identifier: MIT */
/* Unit tests for entity validation: envelope, schemas, field formats and kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/model/model.h"
#include "plugins/catalog/model/names.h"

typedef struct {
    const char *label;
    const char *entity; /* JSON */
    const char *rule;   /* expected rule of some problem; NULL when the entity is valid */
    const char *pointer;
} validate_case;

#define META "\"metadata\":{\"name\":\"x\"}"
#define V1 "\"apiVersion\":\"backstage.io/v1alpha1\""

static const validate_case cases[] = {
    {"component ok", "{" V1 ",\"kind\":\"Component\"," META
     ",\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\",\"owner\":\"team\"}}",
     NULL, NULL},
    {"component v1beta1", "{\"apiVersion\":\"backstage.io/v1beta1\",\"kind\":\"Component\"," META
     ",\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\",\"owner\":\"team\"}}",
     NULL, NULL},
    {"component no owner", "{" V1 ",\"kind\":\"Component\"," META
     ",\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\"}}",
     "required", "/spec"},
    {"component empty type", "{" V1 ",\"kind\":\"Component\"," META
     ",\"spec\":{\"type\":\"\",\"lifecycle\":\"production\",\"owner\":\"t\"}}",
     "minLength", "/spec/type"},
    {"component apis not list", "{" V1 ",\"kind\":\"Component\"," META
     ",\"spec\":{\"type\":\"s\",\"lifecycle\":\"p\",\"owner\":\"t\",\"providesApis\":\"a\"}}",
     "type", "/spec/providesApis"},
    {"component no spec", "{" V1 ",\"kind\":\"Component\"," META "}", "required", ""},
    {"api no definition", "{" V1 ",\"kind\":\"API\"," META
     ",\"spec\":{\"type\":\"openapi\",\"lifecycle\":\"p\",\"owner\":\"t\"}}",
     "required", "/spec"},
    {"api ok", "{" V1 ",\"kind\":\"API\"," META
     ",\"spec\":{\"type\":\"openapi\",\"lifecycle\":\"p\",\"owner\":\"t\",\"definition\":\"x\"}}",
     NULL, NULL},
    {"resource ok", "{" V1 ",\"kind\":\"Resource\"," META ",\"spec\":{\"type\":\"db\",\"owner\":\"t\"}}",
     NULL, NULL},
    {"system ok", "{" V1 ",\"kind\":\"System\"," META ",\"spec\":{\"owner\":\"t\"}}", NULL, NULL},
    {"domain ok", "{" V1 ",\"kind\":\"Domain\"," META ",\"spec\":{\"owner\":\"t\"}}", NULL, NULL},
    {"group no children", "{" V1 ",\"kind\":\"Group\"," META ",\"spec\":{\"type\":\"team\"}}",
     "required", "/spec"},
    {"group ok", "{" V1 ",\"kind\":\"Group\"," META ",\"spec\":{\"type\":\"team\",\"children\":[]}}",
     NULL, NULL},
    {"user no memberOf", "{" V1 ",\"kind\":\"User\"," META ",\"spec\":{}}", "required", "/spec"},
    {"user ok", "{" V1 ",\"kind\":\"User\"," META ",\"spec\":{\"memberOf\":[]}}", NULL, NULL},
    {"location ok", "{" V1 ",\"kind\":\"Location\"," META ",\"spec\":{\"targets\":[\"./a.yaml\"]}}",
     NULL, NULL},
    {"location presence", "{" V1 ",\"kind\":\"Location\"," META ",\"spec\":{\"presence\":\"maybe\"}}",
     "enum", "/spec/presence"},
    {"template ok", "{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\",\"kind\":\"Template\"," META
     ",\"spec\":{\"type\":\"service\",\"steps\":[{\"action\":\"fetch:plain\"}]}}",
     NULL, NULL},
    {"template step no action", "{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\",\"kind\":"
     "\"Template\"," META ",\"spec\":{\"type\":\"service\",\"steps\":[{\"id\":\"a\"}]}}",
     "required", "/spec/steps/0"},
    {"template parameters scalar", "{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\",\"kind\":"
     "\"Template\"," META ",\"spec\":{\"type\":\"s\",\"steps\":[],\"parameters\":5}}",
     "oneOf", "/spec/parameters"},
    {"template output number", "{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\",\"kind\":"
     "\"Template\"," META ",\"spec\":{\"type\":\"s\",\"steps\":[],\"output\":{\"x\":1}}}",
     "type", "/spec/output/x"},
    {"unknown kind", "{" V1 ",\"kind\":\"Widget\"," META ",\"spec\":{}}", "unknown-kind", "/kind"},
    {"unknown apiVersion", "{\"apiVersion\":\"backstage.io/v2\",\"kind\":\"Component\"," META
     ",\"spec\":{\"type\":\"s\",\"lifecycle\":\"p\",\"owner\":\"t\"}}",
     "unknown-kind", "/kind"},
    {"kind case matters", "{" V1 ",\"kind\":\"component\"," META
     ",\"spec\":{\"type\":\"s\",\"lifecycle\":\"p\",\"owner\":\"t\"}}",
     "unknown-kind", "/kind"},
    {"not an object", "[1,2]", "envelope", ""},
    /* A NUL would cut the value short wherever it is passed on as a C string. */
    {"name with NUL", "{" V1 ",\"kind\":\"Group\",\"metadata\":{\"name\":\"a\\u0000b\"}"
     ",\"spec\":{\"type\":\"team\",\"children\":[]}}",
     "nul-character", "/metadata/name"},
    {"owner ref with NUL", "{" V1 ",\"kind\":\"System\"," META
     ",\"spec\":{\"owner\":\"group:team\\u0000x\"}}",
     "nul-character", "/spec/owner"},
    {"dependsOn ref with NUL", "{" V1 ",\"kind\":\"Component\"," META
     ",\"spec\":{\"type\":\"service\",\"lifecycle\":\"production\",\"owner\":\"team\","
     "\"dependsOn\":[\"resource:db\\u0000\"]}}",
     "nul-character", "/spec/dependsOn/0"},
    {"NUL after clean siblings", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\","
     "\"links\":[{\"url\":\"https://a.example\"},{\"url\":\"https://b.example\\u0000\"}]},"
     "\"spec\":{\"owner\":\"t\"}}",
     "nul-character", "/metadata/links/1/url"},
    {"no metadata", "{" V1 ",\"kind\":\"Component\"}", "required", ""},
    {"name not string", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":5},\"spec\":{\"owner\":\"t\"}}",
     "type", "/metadata/name"},
    {"name bad chars", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a b\"},\"spec\":{\"owner\":\"t\"}}",
     "name-format", "/metadata/name"},
    {"name ends dash", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"ab-\"},\"spec\":{\"owner\":\"t\"}}",
     "name-format", "/metadata/name"},
    {"namespace upper", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"namespace\":\"Ns\"},"
     "\"spec\":{\"owner\":\"t\"}}",
     "namespace-format", "/metadata/namespace"},
    {"title empty", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"title\":\"\"},"
     "\"spec\":{\"owner\":\"t\"}}",
     "minLength", "/metadata/title"},
    {"label value bad", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"labels\":{\"k\":\"a b\"}},"
     "\"spec\":{\"owner\":\"t\"}}",
     "label-value-format", "/metadata/labels/k"},
    {"label key prefix ok", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"labels\":"
     "{\"example.com/k\":\"\"}},\"spec\":{\"owner\":\"t\"}}",
     NULL, NULL},
    {"annotation key two slashes", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\","
     "\"annotations\":{\"a/b/c\":\"v\"}},\"spec\":{\"owner\":\"t\"}}",
     "annotation-key-format", "/metadata/annotations/a~1b~1c"},
    {"annotation number", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\","
     "\"annotations\":{\"a\":1}},\"spec\":{\"owner\":\"t\"}}",
     "type", "/metadata/annotations/a"},
    {"tag upper", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"tags\":[\"Java\"]},"
     "\"spec\":{\"owner\":\"t\"}}",
     "tag-format", "/metadata/tags/0"},
    {"tag colon ok", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"tags\":[\"lang:c++\"]},"
     "\"spec\":{\"owner\":\"t\"}}",
     NULL, NULL},
    {"link no url", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"links\":[{\"title\":\"t\"}]},"
     "\"spec\":{\"owner\":\"t\"}}",
     "required", "/metadata/links/0"},
    {"link bad url", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"links\":[{\"url\":\"nope\"}]},"
     "\"spec\":{\"owner\":\"t\"}}",
     "url-format", "/metadata/links/0/url"},
    {"link blank title", "{" V1 ",\"kind\":\"System\",\"metadata\":{\"name\":\"a\",\"links\":"
     "[{\"url\":\"https://x.io\",\"title\":\"  \"}]},\"spec\":{\"owner\":\"t\"}}",
     "non-empty-string", "/metadata/links/0/title"},
    {"root relations", "{" V1 ",\"kind\":\"System\"," META ",\"spec\":{\"owner\":\"t\"},\"relations\":[]}",
     "root-field", ""},
    {"root unknown", "{" V1 ",\"kind\":\"System\"," META ",\"spec\":{\"owner\":\"t\"},\"extra\":1}",
     "additionalProperties", ""},
    {"api version three parts", "{\"apiVersion\":\"a/b/c\",\"kind\":\"System\"," META ",\"spec\":{}}",
     "api-version-format", "/apiVersion"},
};

static int has_problem(const gr_model_problems *problems, const char *rule, const char *pointer)
{
    for (size_t i = 0; i < problems->count; i++) {
        if (strcmp(problems->items[i].rule, rule) == 0 &&
            strcmp(problems->items[i].pointer, pointer) == 0)
            return 1;
    }
    return 0;
}

static void print_problems(const gr_model_problems *problems)
{
    for (size_t i = 0; i < problems->count; i++)
        fprintf(stderr, "  %s [%s] %s\n", problems->items[i].pointer, problems->items[i].rule,
                problems->items[i].message);
}

static void validate_table(void **state)
{
    gr_model *model = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const validate_case *c = &cases[i];
        gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
        json_error_t error;
        json_t *entity = json_loads(c->entity, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
        int rc;

        if (entity == NULL)
            fail_msg("case \"%s\": bad JSON in the test: %s", c->label, error.text);
        rc = gr_model_validate(model, entity, &problems);
        if (c->rule == NULL && rc != GR_OK) {
            print_problems(&problems);
            fail_msg("case \"%s\": expected valid", c->label);
        }
        if (c->rule != NULL && !has_problem(&problems, c->rule, c->pointer)) {
            print_problems(&problems);
            fail_msg("case \"%s\": expected rule %s at \"%s\"", c->label, c->rule, c->pointer);
        }
        if (c->rule != NULL)
            assert_int_equal(rc, GR_EINVALID);
        gr_model_problems_free(&problems);
        json_decref(entity);
    }
}

/* jansson's parser refuses a NUL in an object key, but a YAML document can
 * hold one (an escaped "\0" in a key), so the key is set directly. The
 * key is reported up to its NUL, the part a C string holds. */
static void validate_key_with_nul(void **state)
{
    gr_model *model = *state;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_t *entity = json_loads("{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"System\","
                                "\"metadata\":{\"name\":\"a\",\"annotations\":{\"x/ok\":\"1\"}},"
                                "\"spec\":{\"owner\":\"t\"}}",
                                0, NULL);
    json_t *annotations = json_object_get(json_object_get(entity, "metadata"), "annotations");

    assert_non_null(annotations);
    assert_int_equal(json_object_setn_new(annotations, "x/b\0c", 5, json_string("2")), 0);
    assert_int_equal(gr_model_validate(model, entity, &problems), GR_EINVALID);
    if (!has_problem(&problems, "nul-character", "/metadata/annotations/x~1b")) {
        print_problems(&problems);
        fail_msg("expected a nul-character problem at /metadata/annotations/x~1b");
    }
    gr_model_problems_free(&problems);
    json_decref(entity);
}

/* Validates `entity_json` and returns the message of its first "required" problem at
 * `pointer` (caller frees), or fails the test. */
static char *required_message(gr_model *model, const char *entity_json, const char *pointer,
                              const char *property)
{
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_error_t error;
    json_t *entity = json_loads(entity_json, 0, &error);
    char *prefix = NULL;
    char *message = NULL;

    if (entity == NULL)
        fail_msg("bad JSON in the test: %s", error.text);
    assert_int_equal(gr_model_validate(model, entity, &problems), GR_EINVALID);
    prefix = gr_xasprintf("must have required property '%s'", property);
    for (size_t i = 0; i < problems.count && message == NULL; i++) {
        if (strcmp(problems.items[i].rule, "required") == 0 &&
            strcmp(problems.items[i].pointer, pointer) == 0 &&
            strncmp(problems.items[i].message, prefix, strlen(prefix)) == 0)
            message = gr_xstrdup(problems.items[i].message);
    }
    if (message == NULL) {
        print_problems(&problems);
        fail_msg("no problem \"%s\" at \"%s\"", prefix, pointer);
    }
    free(prefix);
    gr_model_problems_free(&problems);
    json_decref(entity);
    return message;
}

typedef struct {
    const char *label;
    const char *spec; /* JSON object of a Component's spec */
    const char *property;
    const char *message;
} hint_case;

static const hint_case hint_cases[] = {
    {"misspelt lifecycle", "{\"type\":\"s\",\"lifecyle\":\"p\",\"ownr\":\"t\"}", "lifecycle",
     "must have required property 'lifecycle'. Did you mean 'lifecycle' instead of 'lifecyle'?"},
    {"misspelt owner", "{\"type\":\"s\",\"lifecyle\":\"p\",\"ownr\":\"t\"}", "owner",
     "must have required property 'owner'. Did you mean 'owner' instead of 'ownr'?"},
    {"swapped letters", "{\"type\":\"s\",\"lifecycle\":\"p\",\"onwer\":\"t\"}", "owner",
     "must have required property 'owner'. Did you mean 'owner' instead of 'onwer'?"},
    {"other case", "{\"type\":\"s\",\"lifecycle\":\"p\",\"Owner\":\"t\"}", "owner",
     "must have required property 'owner'. Did you mean 'owner' instead of 'Owner'?"},
    {"closest wins", "{\"type\":\"s\",\"lifecycle\":\"p\",\"owers\":\"t\",\"ownr\":\"t\"}",
     "owner", "must have required property 'owner'. Did you mean 'owner' instead of 'ownr'?"},
    {"tie takes first key", "{\"type\":\"s\",\"lifecycle\":\"p\",\"ownar\":\"t\",\"owne\":\"t\"}",
     "owner", "must have required property 'owner'. Did you mean 'owner' instead of 'ownar'?"},
    {"nothing close", "{\"type\":\"s\",\"stage\":\"p\",\"team\":\"t\"}", "lifecycle",
     "must have required property 'lifecycle'"},
    {"too far", "{\"type\":\"s\",\"lifecycle\":\"p\",\"ownerz12\":\"t\"}", "owner",
     "must have required property 'owner'"},
    /* "type" is a declared property, so it is never offered for another name. */
    {"declared key not offered", "{\"type\":\"s\",\"lifecycle\":\"p\"}", "owner",
     "must have required property 'owner'"},
    {"control character not offered", "{\"type\":\"s\",\"lifecycle\":\"p\",\"own\\ner\":\"t\"}",
     "owner", "must have required property 'owner'"},
};

static void validate_required_hint(void **state)
{
    gr_model *model = *state;

    for (size_t i = 0; i < sizeof(hint_cases) / sizeof(hint_cases[0]); i++) {
        const hint_case *c = &hint_cases[i];
        char *entity = gr_xasprintf("{" V1 ",\"kind\":\"Component\"," META ",\"spec\":%s}",
                                    c->spec);
        char *message = required_message(model, entity, "/spec", c->property);

        if (strcmp(message, c->message) != 0)
            fail_msg("case \"%s\": expected \"%s\", got \"%s\"", c->label, c->message, message);
        free(message);
        free(entity);
    }
}

/* A key that the schema declares is not a misspelling, even when it is close. */
static void validate_required_hint_declared_key(void **state)
{
    gr_model *model = NULL;
    char *message;

    (void)state;
    assert_int_equal(gr_model_new(&model), GR_OK);
    assert_int_equal(gr_model_register_kind(model, "Widget", "example.com/v1",
                                            "{\"$id\":\"W\",\"allOf\":[{\"$ref\":\"Entity\"},"
                                            "{\"properties\":{\"spec\":{\"required\":[\"size\"],"
                                            "\"properties\":{\"size\":{},\"sizes\":{}}}}}]}"),
                     GR_OK);
    message = required_message(model,
                               "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\"," META
                               ",\"spec\":{\"sizes\":[],\"Sise\":1}}",
                               "/spec", "size");
    assert_string_equal(message, "must have required property 'size'. Did you mean 'size' "
                                 "instead of 'Sise'?");
    free(message);
    message = required_message(model,
                               "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\"," META
                               ",\"spec\":{\"sizes\":[]}}",
                               "/spec", "size");
    assert_string_equal(message, "must have required property 'size'");
    free(message);
    gr_model_free(model);
}

static void validate_register_kind(void **state)
{
    gr_model *model = NULL;
    gr_model_problems problems = GR_MODEL_PROBLEMS_INIT;
    json_t *entity;

    (void)state;
    assert_int_equal(gr_model_new(&model), GR_OK);
    entity = json_pack("{s:s, s:s, s:{s:s}, s:{s:i}}", "apiVersion", "example.com/v1", "kind",
                       "Widget", "metadata", "name", "w", "spec", "size", 3);
    assert_int_equal(gr_model_validate(model, entity, &problems), GR_EINVALID);
    gr_model_problems_free(&problems);

    assert_int_equal(gr_model_register_kind(model, "Widget", "example.com/v1",
                                            "{\"$id\":\"W\",\"allOf\":[{\"$ref\":\"Entity\"},"
                                            "{\"properties\":{\"spec\":{\"required\":[\"size\"],"
                                            "\"properties\":{\"size\":{\"type\":\"integer\"}}}}}]}"),
                     GR_OK);
    assert_int_equal(gr_model_validate(model, entity, &problems), GR_OK);
    json_object_set_new(json_object_get(entity, "spec"), "size", json_string("big"));
    assert_int_equal(gr_model_validate(model, entity, &problems), GR_EINVALID);
    assert_true(has_problem(&problems, "type", "/spec/size"));
    gr_model_problems_free(&problems);

    assert_int_equal(gr_model_register_kind(model, "Widget", "example.com/v1", NULL), GR_ECONFLICT);
    assert_int_equal(gr_model_register_kind(model, "Gadget", "example.com/v1", NULL), GR_OK);
    assert_int_equal(gr_model_register_kind(model, "bad kind", "example.com/v1", NULL),
                     GR_EINVALID);
    assert_int_equal(gr_model_register_kind(model, "Bad", "example.com/v1", "{not json"),
                     GR_EINVALID);
    assert_true(gr_model_knows_kind(model, "Gadget", "example.com/v1"));
    json_decref(entity);
    gr_model_free(model);
}

static void validate_entity_ref_text(void **state)
{
    json_t *entity = json_pack("{s:s, s:{s:s, s:s}}", "kind", "Component", "metadata", "name",
                               "My-Svc", "namespace", "Team");
    char *ref = gr_model_entity_ref(entity);

    (void)state;
    assert_string_equal(ref, "component:team/my-svc");
    free(ref);
    json_object_del(json_object_get(entity, "metadata"), "namespace");
    ref = gr_model_entity_ref(entity);
    assert_string_equal(ref, "component:default/my-svc");
    free(ref);
    json_decref(entity);
}

typedef struct {
    bool (*check)(const char *);
    const char *value;
    bool expected;
} name_case;

static const name_case name_cases[] = {
    {gr_model_is_valid_object_name, "a", true},
    {gr_model_is_valid_object_name, "a.b_c-d", true},
    {gr_model_is_valid_object_name, "-a", false},
    {gr_model_is_valid_object_name, "a_", false},
    {gr_model_is_valid_object_name, "", false},
    {gr_model_is_valid_object_name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},
    {gr_model_is_valid_object_name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
    {gr_model_is_valid_dns_label, "a--b", true},
    {gr_model_is_valid_dns_label, "A", false},
    {gr_model_is_valid_dns_label, "a_b", false},
    {gr_model_is_valid_dns_subdomain, "backstage.io", true},
    {gr_model_is_valid_dns_subdomain, "a..b", false},
    {gr_model_is_valid_kind, "Component", true},
    {gr_model_is_valid_kind, "1Component", false},
    {gr_model_is_valid_api_version, "backstage.io/v1alpha1", true},
    {gr_model_is_valid_api_version, "v1", true},
    {gr_model_is_valid_api_version, "Backstage.io/v1", false},
    {gr_model_is_valid_label_key, "a/b", true},
    {gr_model_is_valid_label_key, "/b", false},
    {gr_model_is_valid_label_value, "", true},
    {gr_model_is_valid_tag, "c++", true},
    {gr_model_is_valid_tag, "a--b", false},
    {gr_model_is_valid_tag, "-a", false},
    {gr_model_is_valid_tag, "#", true},
    {gr_model_is_non_empty_string, " x ", true},
    {gr_model_is_non_empty_string, "\xc2\xa0\t", false},
    {gr_model_is_valid_url, "https://example.com/x?y#z", true},
    {gr_model_is_valid_url, "http:example.com", true},
    {gr_model_is_valid_url, "mailto:a@b.c", true},
    {gr_model_is_valid_url, "slack://channel", true},
    {gr_model_is_valid_url, "file:///tmp/x", true},
    {gr_model_is_valid_url, "example.com", false},
    {gr_model_is_valid_url, "/relative", false},
    {gr_model_is_valid_url, "http://", false},
    {gr_model_is_valid_url, "https://exa mple.com", false},
    {gr_model_is_valid_url, "http://host:99999", false},
    {gr_model_is_valid_url, "http://1.2.3.256", false},
    {gr_model_is_valid_url, "http://[::1]:8080/", true},
    {gr_model_is_valid_url, "1http://x", false},
};

static void names_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
        if (name_cases[i].check(name_cases[i].value) != name_cases[i].expected)
            fail_msg("name case %zu \"%s\": expected %s", i, name_cases[i].value,
                     name_cases[i].expected ? "valid" : "invalid");
    }
}

static int setup_model(void **state)
{
    gr_model *model = NULL;

    if (gr_model_new(&model) != GR_OK) {
        fprintf(stderr, "gr_model_new: %s\n", gr_error_last());
        return -1;
    }
    *state = model;
    return 0;
}

static int teardown_model(void **state)
{
    gr_model_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(validate_table, setup_model, teardown_model),
        cmocka_unit_test_setup_teardown(validate_key_with_nul, setup_model, teardown_model),
        cmocka_unit_test_setup_teardown(validate_required_hint, setup_model, teardown_model),
        cmocka_unit_test(validate_required_hint_declared_key),
        cmocka_unit_test(validate_register_kind),
        cmocka_unit_test(validate_entity_ref_text),
        cmocka_unit_test(names_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
