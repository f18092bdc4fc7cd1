/* SPDX-License-Identifier: MIT */
/* Unit tests for API definition rendering: OpenAPI, Swagger, AsyncAPI, $ref cycles, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/apidocs/apidocs.h"

static char *render(const char *type, const char *definition, int *rc)
{
    gr_buf out = GR_BUF_INIT;

    *rc = gr_apidocs_render(type, definition, &out);
    gr_buf_puts(&out, "");
    return gr_buf_detach(&out);
}

static const char petstore[] =
    "openapi: 3.0.3\n"
    "info:\n"
    "  title: Pet store\n"
    "  version: 1.2.3\n"
    "  description: Sells <b>pets</b>\n"
    "servers:\n"
    "  - url: https://pets.example.test/v1\n"
    "tags:\n"
    "  - name: pets\n"
    "    description: Pet operations\n"
    "paths:\n"
    "  /pets/{id}:\n"
    "    parameters:\n"
    "      - name: id\n"
    "        in: path\n"
    "        required: true\n"
    "        schema: {type: string}\n"
    "    get:\n"
    "      tags: [pets]\n"
    "      summary: Get a pet\n"
    "      operationId: getPet\n"
    "      responses:\n"
    "        '200':\n"
    "          description: The pet\n"
    "          content:\n"
    "            application/json:\n"
    "              schema: {$ref: '#/components/schemas/Pet'}\n"
    "              example: {name: Rex}\n"
    "  /health:\n"
    "    post:\n"
    "      summary: Untagged\n"
    "      requestBody:\n"
    "        required: true\n"
    "        content:\n"
    "          application/json:\n"
    "            schema: {$ref: '#/components/schemas/Pet'}\n"
    "      responses:\n"
    "        '204': {description: Done}\n"
    "components:\n"
    "  schemas:\n"
    "    Pet:\n"
    "      type: object\n"
    "      required: [name]\n"
    "      properties:\n"
    "        name: {type: string, description: The name}\n"
    "        kind: {type: string, enum: [dog, cat]}\n"
    "        parent: {$ref: '#/components/schemas/Pet'}\n"
    "        friends:\n"
    "          type: array\n"
    "          items: {$ref: '#/components/schemas/Pet'}\n";

static void apidocs_openapi_sections(void **state)
{
    int rc;
    char *html = render("openapi", petstore, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "Pet store"));
    assert_non_null(strstr(html, "Version 1.2.3"));
    assert_non_null(strstr(html, "OpenAPI 3.0.3"));
    assert_non_null(strstr(html, "https://pets.example.test/v1"));
    assert_non_null(strstr(html, "<h3>pets</h3>"));
    assert_non_null(strstr(html, "<h3>default</h3>"));
    assert_non_null(strstr(html, "method-get"));
    assert_non_null(strstr(html, "/pets/{id}"));
    assert_non_null(strstr(html, "Get a pet"));
    assert_non_null(strstr(html, "getPet"));
    assert_non_null(strstr(html, "<h4>Parameters</h4>"));
    assert_non_null(strstr(html, "<h4>Request body"));
    assert_non_null(strstr(html, "<h4>Responses</h4>"));
    assert_non_null(strstr(html, "The pet"));
    assert_non_null(strstr(html, "&quot;Rex&quot;"));
    assert_non_null(strstr(html, "<h3>Schemas</h3>"));
    assert_non_null(strstr(html, "id=\"schema-Pet\""));
    assert_non_null(strstr(html, "&quot;dog&quot;"));
    assert_non_null(strstr(html, "required"));
    free(html);
}

static void apidocs_escapes_text(void **state)
{
    int rc;
    char *html = render("openapi", petstore, &rc);

    (void)state;
    assert_null(strstr(html, "<b>pets</b>"));
    assert_non_null(strstr(html, "&lt;b&gt;pets&lt;/b&gt;"));
    free(html);
}

/* Examples print numbers as JSON.stringify() does, in the fewest digits. */
static void apidocs_example_numbers_shortest(void **state)
{
    int rc;
    char *html = render("openapi",
                        "openapi: 3.0.0\ninfo: {title: Geo, version: '1'}\npaths: {}\n"
                        "components:\n  schemas:\n    Point:\n      type: object\n"
                        "      example: {lat: 51.4406, ratio: 0.1, count: 3}\n"
                        "      properties:\n        kind:\n          type: string\n"
                        "          enum: [0.1, two]\n",
                        &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "&quot;lat&quot;: 51.4406,"));
    assert_non_null(strstr(html, "&quot;ratio&quot;: 0.1,"));
    assert_non_null(strstr(html, "<code>0.1</code>"));
    assert_null(strstr(html, "51.440600000000003"));
    assert_null(strstr(html, "0.10000000000000001"));
    free(html);
}

static void apidocs_ref_cycle_links(void **state)
{
    int rc;
    char *html = render("openapi", petstore, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    /* Pet.parent and Pet.friends refer back to Pet: rendered as links, not expanded. */
    assert_non_null(strstr(html, "href=\"#schema-Pet\">Pet</a> <span class=\"muted\">(recursive)"));
    free(html);
}

static void apidocs_mutual_cycle_stops(void **state)
{
    static const char definition[] =
        "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"T\",\"version\":\"1\"},\"paths\":{},"
        "\"components\":{\"schemas\":{"
        "\"A\":{\"type\":\"object\",\"properties\":{\"b\":{\"$ref\":\"#/components/schemas/B\"}}},"
        "\"B\":{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/components/schemas/A\"}}},"
        "\"C\":{\"$ref\":\"#/components/schemas/C\"}}}}";
    int rc;
    char *html = render("openapi", definition, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "(recursive)"));
    assert_non_null(strstr(html, "id=\"schema-C\""));
    free(html);
}

static void apidocs_unresolved_ref(void **state)
{
    static const char definition[] =
        "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths:\n  /x:\n    get:\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json:\n              schema: {$ref: 'other.yaml#/Pet'}\n";
    int rc;
    char *html = render("openapi", definition, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "other.yaml#/Pet"));
    assert_non_null(strstr(html, "reference not resolved"));
    free(html);
}

static void apidocs_swagger_two(void **state)
{
    static const char definition[] =
        "swagger: '2.0'\ninfo: {title: Old, version: '0.1'}\nhost: api.example.test\n"
        "basePath: /v2\npaths:\n  /items:\n    post:\n      summary: Add\n"
        "      parameters:\n        - in: body\n          name: item\n"
        "          schema: {$ref: '#/definitions/Item'}\n"
        "      responses:\n        '201':\n          description: Added\n"
        "          schema: {$ref: '#/definitions/Item'}\n"
        "definitions:\n  Item:\n    type: object\n    properties:\n      sku: {type: string}\n";
    int rc;
    char *html = render("openapi", definition, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "Swagger 2.0"));
    assert_non_null(strstr(html, "api.example.test/v2"));
    assert_non_null(strstr(html, "<h4>Request body</h4>"));
    assert_non_null(strstr(html, "id=\"schema-Item\""));
    assert_non_null(strstr(html, "sku"));
    free(html);
}

static void apidocs_malformed_yaml(void **state)
{
    int rc;
    char *html = render("openapi", "openapi: 3.0.0\ninfo: [unclosed\n", &rc);

    (void)state;
    assert_int_equal(rc, GR_EINVALID);
    assert_non_null(strstr(html, "banner-error"));
    assert_non_null(strstr(html, "could not be read"));
    assert_non_null(strstr(html, "definition:"));
    free(html);
}

static void apidocs_not_openapi(void **state)
{
    int rc;
    char *html = render("openapi", "just: a map\n", &rc);

    (void)state;
    assert_int_equal(rc, GR_EINVALID);
    assert_non_null(strstr(html, "neither"));
    free(html);

    html = render("openapi", "- a\n- list\n", &rc);
    assert_int_equal(rc, GR_EINVALID);
    assert_non_null(strstr(html, "not a YAML or JSON object"));
    free(html);

    html = render("openapi", "", &rc);
    assert_int_equal(rc, GR_EINVALID);
    assert_non_null(strstr(html, "no definition"));
    free(html);
}

static void apidocs_asyncapi_two(void **state)
{
    static const char definition[] =
        "asyncapi: 2.6.0\ninfo: {title: Events, version: '1.0'}\nchannels:\n"
        "  order/created:\n    description: New orders\n    subscribe:\n"
        "      summary: Receive orders\n      message: {$ref: '#/components/messages/Order'}\n"
        "components:\n  messages:\n    Order:\n      name: OrderCreated\n"
        "      payload: {type: object, properties: {id: {type: string}}}\n";
    int rc;
    char *html = render("asyncapi", definition, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "AsyncAPI 2.6.0"));
    assert_non_null(strstr(html, "order/created"));
    assert_non_null(strstr(html, "subscribe"));
    assert_non_null(strstr(html, "OrderCreated"));
    free(html);
}

static void apidocs_asyncapi_three(void **state)
{
    static const char definition[] =
        "asyncapi: 3.0.0\ninfo: {title: Events, version: '1.0'}\nchannels:\n"
        "  orders:\n    address: orders.v1\n    messages:\n"
        "      created: {$ref: '#/components/messages/Created'}\n"
        "operations:\n  sendCreated:\n    action: send\n    channel: {$ref: '#/channels/orders'}\n"
        "components:\n  messages:\n    Created:\n      title: Order created\n"
        "      payload: {type: string}\n";
    int rc;
    char *html = render("asyncapi", definition, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "orders.v1"));
    assert_non_null(strstr(html, "sendCreated"));
    assert_non_null(strstr(html, "Order created"));
    free(html);
}

static void apidocs_graphql_highlight(void **state)
{
    int rc;
    char *html = render("graphql", "# note <x>\ntype Query { me: User }\n\"\"\"doc\"\"\"", &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "<span class=\"hl-comment\"># note &lt;x&gt;</span>"));
    assert_non_null(strstr(html, "<span class=\"hl-keyword\">type</span>"));
    assert_non_null(strstr(html, "<span class=\"hl-string\">&quot;&quot;&quot;doc"));
    free(html);
}

static void apidocs_proto_highlight(void **state)
{
    int rc;
    char *html = render("grpc", "syntax = \"proto3\";\n// <script>\nservice S { rpc A(B) "
                                "returns (C); }", &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_non_null(strstr(html, "<span class=\"hl-keyword\">service</span>"));
    assert_non_null(strstr(html, "<span class=\"hl-comment\">// &lt;script&gt;</span>"));
    assert_null(strstr(html, "<script>"));
    free(html);
}

static void apidocs_unknown_type_escaped(void **state)
{
    int rc;
    char *html = render("trpc", "<script>alert(1)</script>", &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;"));
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(apidocs_openapi_sections),
        cmocka_unit_test(apidocs_escapes_text),
        cmocka_unit_test(apidocs_example_numbers_shortest),
        cmocka_unit_test(apidocs_ref_cycle_links),
        cmocka_unit_test(apidocs_mutual_cycle_stops),
        cmocka_unit_test(apidocs_unresolved_ref),
        cmocka_unit_test(apidocs_swagger_two),
        cmocka_unit_test(apidocs_malformed_yaml),
        cmocka_unit_test(apidocs_not_openapi),
        cmocka_unit_test(apidocs_asyncapi_two),
        cmocka_unit_test(apidocs_asyncapi_three),
        cmocka_unit_test(apidocs_graphql_highlight),
        cmocka_unit_test(apidocs_proto_highlight),
        cmocka_unit_test(apidocs_unknown_type_escaped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
