/* SPDX-License-Identifier: MIT */
/* Unit tests that cross the API reference renderer's limits: size, schema depth and nodes, $ref
 * hops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/apidocs/apidocs.h"

/* Returns an OpenAPI 3 document with one GET operation taking `parameter`
 * and the given components (both taken). */
static json_t *openapi_with(json_t *parameter, json_t *components)
{
    return json_pack("{s:s, s:{s:s, s:s}, s:{s:{s:{s:[o]}}}, s:o}", "openapi", "3.0.0", "info",
                     "title", "Limits", "version", "1", "paths", "/items", "get", "parameters",
                     parameter, "components", components);
}

/* Renders `definition` (taken) as OpenAPI and returns the HTML (caller frees) and the code. */
static char *render(json_t *definition, int *rc)
{
    char *text = json_dumps(definition, 0);
    gr_buf out = GR_BUF_INIT;

    *rc = gr_apidocs_render("openapi", text, &out);
    free(text);
    json_decref(definition);
    return gr_buf_detach(&out);
}

static void definition_over_max_rejected(void **state)
{
    char *definition = gr_xmalloc(GR_APIDOCS_MAX_BYTES + 2);
    gr_buf out = GR_BUF_INIT;

    (void)state;
    memset(definition, 'x', GR_APIDOCS_MAX_BYTES + 1);
    definition[GR_APIDOCS_MAX_BYTES + 1] = '\0';
    assert_int_equal(gr_apidocs_render("graphql", definition, &out), GR_ELIMIT);
    assert_non_null(strstr(gr_error_last(), "the definition is larger than 4194304 bytes"));
    assert_non_null(strstr(gr_buf_cstr(&out), "larger than 4 MiB, so it is not rendered"));
    gr_buf_reset(&out);

    definition[GR_APIDOCS_MAX_BYTES] = '\0';
    assert_int_equal(gr_apidocs_render("graphql", definition, &out), GR_OK);
    assert_null(strstr(gr_buf_cstr(&out), "not rendered"));
    gr_buf_free(&out);
    free(definition);
}

/* Returns a query parameter whose schema nests objects `levels` deep: the
 * parameter's schema is level 1 and the innermost string is level `levels`. */
static json_t *parameter_nested(int levels)
{
    json_t *schema = json_pack("{s:s, s:s}", "type", "string", "description", "innermost-value");

    for (int i = 1; i < levels; i++)
        schema = json_pack("{s:s, s:{s:o}}", "type", "object", "properties", "inner", schema);
    return json_pack("{s:s, s:s, s:o}", "name", "filter", "in", "query", "schema", schema);
}

static void schema_depth_over_max_summarised(void **state)
{
    int rc;
    char *html =
        render(openapi_with(parameter_nested(GR_APIDOCS_MAX_SCHEMA_DEPTH), json_object()), &rc);

    (void)state;
    assert_int_equal(rc, GR_OK);
    assert_null(strstr(html, "nested too deeply"));
    assert_non_null(strstr(html, "innermost-value"));
    free(html);

    html =
        render(openapi_with(parameter_nested(GR_APIDOCS_MAX_SCHEMA_DEPTH + 1), json_object()), &rc);
    assert_int_equal(rc, GR_OK);
    assert_non_null(strstr(html, "(nested too deeply to show)"));
    assert_null(strstr(html, "innermost-value"));
    free(html);
}

/* Returns a query parameter whose object schema has `count` properties, so
 * it makes count + 1 schema nodes. */
static json_t *parameter_wide(int count)
{
    json_t *properties = json_object();
    char name[32];

    for (int i = 0; i < count; i++) {
        snprintf(name, sizeof(name), "p%05d", i);
        json_object_set_new(properties, name, json_pack("{s:s}", "type", "integer"));
    }
    return json_pack("{s:s, s:s, s:{s:s, s:o}}", "name", "wide", "in", "query", "schema", "type",
                     "object", "properties", properties);
}

static void schema_nodes_over_max_cut(void **state)
{
    int rc;
    char *html =
        render(openapi_with(parameter_wide(GR_APIDOCS_MAX_SCHEMA_NODES - 1), json_object()), &rc);

    (void)state;
    assert_int_equal(rc, GR_OK);
    assert_null(strstr(html, "schema nodes"));
    free(html);

    html = render(openapi_with(parameter_wide(GR_APIDOCS_MAX_SCHEMA_NODES), json_object()), &rc);
    assert_int_equal(rc, GR_OK);
    assert_non_null(strstr(html, "(not shown: the definition has more than 20000 schema nodes)"));
    assert_non_null(strstr(html, "p19998"));
    free(html);
}

/* Returns components.parameters with p0 .. p<refs - 2> each a $ref to the
 * next, and p<refs - 1> the parameter named "target". */
static json_t *parameter_chain(int refs)
{
    json_t *parameters = json_object();
    char name[32];
    char ref[64];

    for (int i = 0; i < refs - 1; i++) {
        snprintf(name, sizeof(name), "p%d", i);
        snprintf(ref, sizeof(ref), "#/components/parameters/p%d", i + 1);
        json_object_set_new(parameters, name, json_pack("{s:s}", "$ref", ref));
    }
    snprintf(name, sizeof(name), "p%d", refs - 1);
    json_object_set_new(parameters, name,
                        json_pack("{s:s, s:s, s:{s:s}}", "name", "target", "in", "query", "schema",
                                  "type", "string"));
    return json_pack("{s:o}", "parameters", parameters);
}

/* The operation's own $ref is the first hop, so MAX_REF_HOPS (8) hops reach p7. */
static void ref_hops_over_max_stopped(void **state)
{
    int rc;
    json_t *first = json_pack("{s:s}", "$ref", "#/components/parameters/p0");
    char *html = render(openapi_with(first, parameter_chain(8)), &rc);

    (void)state;
    assert_int_equal(rc, GR_OK);
    assert_non_null(strstr(html, "<code>target</code>"));
    free(html);

    first = json_pack("{s:s}", "$ref", "#/components/parameters/p0");
    html = render(openapi_with(first, parameter_chain(9)), &rc);
    assert_int_equal(rc, GR_OK);
    assert_null(strstr(html, "<code>target</code>"));
    assert_non_null(strstr(html, "(not shown: the $ref chain is longer than 8 hops at "
                                 "#/components/parameters/p8)"));
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(definition_over_max_rejected),
        cmocka_unit_test(schema_depth_over_max_summarised),
        cmocka_unit_test(schema_nodes_over_max_cut),
        cmocka_unit_test(ref_hops_over_max_stopped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
