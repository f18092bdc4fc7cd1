/* SPDX-License-Identifier: MIT */
/* Tests of catalog processors that a shared-library plugin registers through the plugin ABI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "plugin_test.h"

/* Time allowed for the catalog to process and stitch a change, in ms. */
#define SETTLE_MS 20000

static const char catalog_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: cart\n"
    "  annotations:\n"
    "    example.com/add-depends-on: component:default/payments\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: payments\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n"
    "---\n"
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: API\n"
    "metadata:\n"
    "  name: orders\n"
    "spec: {type: openapi, lifecycle: production, owner: team-a, definition: 'openapi: 3.0.0'}\n";

/* The same catalog, with payments asking the marking processor to fail. */
static const char rejecting_yaml[] =
    "apiVersion: backstage.io/v1alpha1\n"
    "kind: Component\n"
    "metadata:\n"
    "  name: payments\n"
    "  annotations:\n"
    "    example.com/reject: broken on purpose\n"
    "spec: {type: service, lifecycle: production, owner: team-a}\n";

static void start(plugin_test_fixture *fx)
{
    char *path = plugin_test_path("fixture_processor");
    char *text = gr_xasprintf("%s"
                              "catalog:\n"
                              "  processingInterval: {seconds: 1}\n"
                              "  rules:\n"
                              "    - allow: [Component, API]\n"
                              "  locations:\n"
                              "    - type: file\n"
                              "      target: ./catalog.yaml\n"
                              "plugins:\n"
                              "  - path: %s\n",
                              PLUGIN_TEST_BACKEND, path);

    fx->dir = gr_test_tmpdir("plugin-processors");
    gr_test_write_file(fx->dir, "app-config.yaml", text);
    gr_test_write_file(fx->dir, "catalog.yaml", catalog_yaml);
    assert_int_equal(gr_test_server_start(&fx->server, fx->dir, "app-config.yaml", 20000), 0);
    free(text);
    free(path);
}

static void wait_for(plugin_test_fixture *fx, const char *path, const char *text)
{
    assert_true(plugin_test_wait(&fx->server, path, 200, text, SETTLE_MS));
}

/* The unfiltered processor is given every entity, the Location included. */
static void processor_sees_every_entity(void **state)
{
    plugin_test_fixture fx;

    (void)state;
    start(&fx);
    wait_for(&fx, "/api/processor/seen", "\"API:default/orders\"");
    wait_for(&fx, "/api/processor/seen", "\"Component:default/cart\"");
    wait_for(&fx, "/api/processor/seen", "\"Component:default/payments\"");
    wait_for(&fx, "/api/processor/seen", "\"Location:default/generated-");
    plugin_test_stop(&fx);
}

/* An annotation and a spec field a processor adds reach the API, the field as a relation. */
static void processor_changes_entity(void **state)
{
    plugin_test_fixture fx;

    (void)state;
    start(&fx);
    wait_for(&fx, "/api/catalog/entities/by-name/component/default/cart",
             "\"example.com/processed-by\":\"fixture-processor\"");
    wait_for(&fx, "/api/catalog/entities/by-name/component/default/cart",
             "\"type\":\"dependsOn\"");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/component/default/cart", 200,
                       "\"targetRef\":\"component:default/payments\"");
    wait_for(&fx, "/api/catalog/entities/by-name/component/default/payments",
             "\"type\":\"dependencyOf\"");
    /* The marking processor's filter selects Components only. */
    wait_for(&fx, "/api/catalog/entities/by-name/api/default/orders", "\"name\":\"orders\"");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/api/default/orders", 200,
                       "\"annotations\":{\"backstage.io/managed-by-location\"");
    plugin_test_stop(&fx);
}

/* A processor's error becomes a processing error in the entity's status. */
static void processor_error_in_status(void **state)
{
    plugin_test_fixture fx;

    (void)state;
    start(&fx);
    wait_for(&fx, "/api/catalog/entities/by-name/component/default/payments",
             "\"example.com/processed-by\"");
    gr_test_write_file(fx.dir, "catalog.yaml", rejecting_yaml);
    wait_for(&fx, "/api/catalog/entities/by-name/component/default/payments",
             "Processor processor:mark threw an error while postprocessing "
             "component:default/payments");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/component/default/payments", 200,
                       "rejected: broken on purpose");
    plugin_test_expect(&fx, "GET", "/api/catalog/entities/by-name/component/default/payments", 200,
                       "\"type\":\"backstage.io/catalog-processing\"");
    plugin_test_stop(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(processor_sees_every_entity),
        cmocka_unit_test(processor_changes_entity),
        cmocka_unit_test(processor_error_in_status),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
