/* SPDX-License-Identifier: MIT */
/* Unit test of the ABI's catalog functions, which the host hands to the catalog's provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "greenroom/plugin.h"
#include "host/common/alloc.h"
#include "host/config/config.h"
#include "host/plugin/catalog_provider.h"
#include "host/plugin/plugin.h"
#include "host/registry/registry.h"
#include "host/sched/sched.h"
#include "plain_host.h"
#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/plugin.h"

/* One catalog call made from the reader's setup: its code and message. */
typedef struct {
    int rc;
    char message[512];
} call_result;

/* What the reader plugin saw in its setup. */
static struct {
    call_result on_change;
    call_result provider;
    call_result processor;
    call_result get;
    call_result query;
    char *query_json;
    const gr_plugin_catalog_provider *catalog;
} seen;

static void ignore_change(const char *entity_ref, int deleted, void *payload)
{
    (void)entity_ref;
    (void)deleted;
    (void)payload;
}

static int provide_nothing(gr_provider_run *run, void *payload)
{
    (void)run;
    (void)payload;
    return GR_PLUGIN_OK;
}

static int keep_entity(const char *entity_json, char **out_json, void *payload)
{
    (void)entity_json;
    (void)payload;
    *out_json = NULL;
    return GR_PLUGIN_OK;
}

static void record(call_result *out, const gr_host_api *host, int rc)
{
    out->rc = rc;
    snprintf(out->message, sizeof(out->message), "%s", rc < 0 ? host->error_last() : "");
}

static int reader_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    const gr_plugin_provider provider = {.struct_size = sizeof(provider),
                                         .name = "nothing",
                                         .interval_ms = 60000,
                                         .run = provide_nothing};
    const gr_plugin_processor processor = {.struct_size = sizeof(processor),
                                           .name = "keep",
                                           .process = keep_entity};
    const gr_plugin_service *found = NULL;
    char *text = NULL;

    *out = NULL;
    record(&seen.on_change, host, host->catalog_on_change(ctx, ignore_change, NULL));
    record(&seen.provider, host, host->provider_add(ctx, &provider));
    record(&seen.processor, host, host->processor_add(ctx, &processor));
    record(&seen.get, host, host->catalog_get(ctx, NULL, "component:default/absent", &text));
    host->free(text);
    record(&seen.query, host,
           host->catalog_query(ctx, NULL, "kind=component", 10, &seen.query_json));
    if (host->service_lookup(ctx, GR_PLUGIN_CATALOG_PROVIDER, sizeof(gr_plugin_catalog_provider),
                             &found) == GR_PLUGIN_OK)
        seen.catalog = (const gr_plugin_catalog_provider *)found;
    return GR_PLUGIN_OK;
}

static const gr_plugin_info reader_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "reader",
    .version = "1.0.0",
    .description = "calls every catalog function of the ABI",
    .setup = reader_setup,
};

static int reader_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &reader_info;
    return GR_PLUGIN_OK;
}

static int fixture_setup(void **state)
{
    plain_host *fx = calloc(1, sizeof(*fx));

    plain_host_open(fx);
    assert_int_equal(gr_sched_new(&fx->host.sched, fx->host.db, fx->host.instance_id), GR_OK);
    free(seen.query_json);
    memset(&seen, 0, sizeof(seen));
    *state = fx;
    return 0;
}

static int fixture_teardown(void **state)
{
    plain_host *fx = *state;

    free(seen.query_json);
    seen.query_json = NULL;
    gr_sched_free(fx->host.sched);
    plain_host_close(fx);
    free(fx);
    return 0;
}

static void expect_no_catalog(const call_result *result, const char *consequence)
{
    assert_int_equal(result->rc, GR_PLUGIN_EBACKEND);
    if (strstr(result->message, consequence) == NULL)
        fprintf(stderr, "expected '%s' in: %s\n", consequence, result->message);
    assert_non_null(strstr(result->message, "plugin reader: no catalog plugin is running"));
    assert_non_null(strstr(result->message, consequence));
}

/* Without the catalog plugin every catalog function fails with a message that names the cause. */
static void calls_fail_without_catalog(void **state)
{
    plain_host *fx = *state;
    void *reader = NULL;

    assert_int_equal(gr_plugin_adapter_init(&fx->host, reader_entry, &reader), GR_OK);
    expect_no_catalog(&seen.on_change, "entity changes cannot be followed");
    expect_no_catalog(&seen.provider, "entity providers cannot be added");
    expect_no_catalog(&seen.processor, "processors cannot be added");
    expect_no_catalog(&seen.get, "entities cannot be read");
    expect_no_catalog(&seen.query, "entities cannot be listed");
    assert_null(seen.query_json);
    assert_null(seen.catalog);
    gr_plugin_adapter_destroy(reader);
}

/* With the catalog plugin set up first, the calls reach its provider. */
static void calls_reach_catalog(void **state)
{
    plain_host *fx = *state;
    void *catalog = NULL;
    void *reader = NULL;

    assert_int_equal(gr_catalog_plugin_init(&fx->host, &catalog), GR_OK);
    assert_int_equal(gr_plugin_adapter_init(&fx->host, reader_entry, &reader), GR_OK);
    assert_int_equal(seen.on_change.rc, GR_PLUGIN_OK);
    assert_int_equal(seen.provider.rc, GR_PLUGIN_OK);
    assert_int_equal(seen.processor.rc, GR_PLUGIN_OK);
    assert_int_equal(seen.get.rc, GR_PLUGIN_ENOTFOUND);
    assert_non_null(strstr(seen.get.message, "No entity named 'component:default/absent' found"));
    assert_int_equal(seen.query.rc, GR_PLUGIN_OK);
    assert_string_equal(seen.query_json, "[]");
    assert_non_null(seen.catalog);
    gr_plugin_adapter_destroy(reader);
    gr_plugin_adapter_destroy(catalog);
}

/* The provider checks what a plugin's entity provider supplies before it stores anything. */
static void provider_rejects_bad_entities(void **state)
{
    plain_host *fx = *state;
    void *catalog = NULL;
    void *reader = NULL;
    int rc;

    assert_int_equal(gr_catalog_plugin_init(&fx->host, &catalog), GR_OK);
    assert_int_equal(gr_plugin_adapter_init(&fx->host, reader_entry, &reader), GR_OK);
    assert_non_null(seen.catalog);

    rc = seen.catalog->provide(seen.catalog, "reader:nothing", "{\"kind\": \"Component\"}", NULL,
                               1);
    assert_int_equal(rc, GR_PLUGIN_EINVALID);
    assert_non_null(strstr(gr_error_last(), "provider reader:nothing: expected a JSON array"));

    rc = seen.catalog->provide(seen.catalog, "reader:nothing",
                               "[{\"kind\": \"Component\", \"metadata\": {}}]", NULL, 0);
    assert_int_equal(rc, GR_PLUGIN_EINVALID);
    assert_non_null(
        strstr(gr_error_last(), "provider reader:nothing: entity 0 has no kind or metadata.name"));

    {
        /* A ref past the maximum would fail PostgreSQL's index on entity_ref. */
        char *name = gr_xmalloc(GR_CATALOG_MAX_ENTITY_REF_BYTES + 1);
        char *entities;

        memset(name, 'n', GR_CATALOG_MAX_ENTITY_REF_BYTES);
        name[GR_CATALOG_MAX_ENTITY_REF_BYTES] = '\0';
        entities = gr_xasprintf("[{\"kind\": \"Component\", \"metadata\": {\"name\": \"%s\"}}]",
                                name);
        rc = seen.catalog->provide(seen.catalog, "reader:nothing", entities, NULL, 0);
        assert_int_equal(rc, GR_PLUGIN_EINVALID);
        assert_non_null(strstr(gr_error_last(), "provider reader:nothing: entity 0 has a ref of "
                                                "1042 bytes, more than the maximum of 1024 bytes"));
        free(entities);
        free(name);
    }

    gr_plugin_adapter_destroy(reader);
    gr_plugin_adapter_destroy(catalog);
}

/* Counts the refresh rows of `ref` in the host's database. */
static int64_t stored_rows(plain_host *fx, const char *ref)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t count = -1;

    assert_int_equal(gr_db_acquire(fx->host.db, GR_DB_READ, &conn), GR_OK);
    assert_int_equal(gr_db_prepare(conn,
                                   "SELECT COUNT(*) FROM catalog_refresh_state WHERE entity_ref = ?",
                                   &stmt),
                     GR_OK);
    assert_int_equal(gr_db_bind_text(stmt, 1, ref), GR_OK);
    if (gr_db_step(stmt) == GR_DB_ROW)
        count = gr_db_column_int64(stmt, 0);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return count;
}

static const char three_components[] =
    "[{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Component\","
    " \"metadata\": {\"name\": \"one\"}, \"spec\": {\"type\": \"service\","
    " \"lifecycle\": \"production\", \"owner\": \"team\"}},"
    " {\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Component\","
    " \"metadata\": {\"name\": \"two\"}, \"spec\": {\"type\": \"service\","
    " \"lifecycle\": \"production\", \"owner\": \"team\"}},"
    " {\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Component\","
    " \"metadata\": {\"name\": \"three\"}, \"spec\": {\"type\": \"service\","
    " \"lifecycle\": \"production\", \"owner\": \"team\"}}]";

/* A delta deletes the entities it names in each accepted form and keeps the others. */
static void provider_delta_removes(void **state)
{
    plain_host *fx = *state;
    void *catalog = NULL;
    void *reader = NULL;
    int rc;

    assert_int_equal(gr_catalog_plugin_init(&fx->host, &catalog), GR_OK);
    assert_int_equal(gr_plugin_adapter_init(&fx->host, reader_entry, &reader), GR_OK);
    assert_non_null(seen.catalog);

    rc = seen.catalog->provide(seen.catalog, "reader:nothing", three_components, NULL, 0);
    assert_int_equal(rc, GR_PLUGIN_OK);
    assert_int_equal(stored_rows(fx, "component:default/one"), 1);
    assert_int_equal(stored_rows(fx, "component:default/two"), 1);
    assert_int_equal(stored_rows(fx, "component:default/three"), 1);

    /* A bad removal rejects the whole delta. */
    rc = seen.catalog->provide(seen.catalog, "reader:nothing", "[]",
                               "[\"Component:default/one\", 42]", 0);
    assert_int_equal(rc, GR_PLUGIN_EINVALID);
    assert_non_null(strstr(gr_error_last(), "provider reader:nothing: removal 1 is not an entity ref"));
    assert_int_equal(stored_rows(fx, "component:default/one"), 1);

    rc = seen.catalog->provide(seen.catalog, "reader:nothing", "[]",
                               "[\"Component:default/one\", {\"entityRef\": \"component:two\"}]", 0);
    assert_int_equal(rc, GR_PLUGIN_OK);
    assert_int_equal(stored_rows(fx, "component:default/one"), 0);
    assert_int_equal(stored_rows(fx, "component:default/two"), 0);
    assert_int_equal(stored_rows(fx, "component:default/three"), 1);

    /* Another provider cannot remove what this one supplied. */
    rc = seen.catalog->provide(seen.catalog, "other:source", "[]",
                               "[{\"entity\": {\"kind\": \"Component\", \"metadata\": {\"name\": \"three\"}}}]",
                               0);
    assert_int_equal(rc, GR_PLUGIN_OK);
    assert_int_equal(stored_rows(fx, "component:default/three"), 1);

    rc = seen.catalog->provide(seen.catalog, "reader:nothing", "[]",
                               "[{\"entity\": {\"kind\": \"Component\", \"metadata\": {\"name\": \"three\"}}}]",
                               0);
    assert_int_equal(rc, GR_PLUGIN_OK);
    assert_int_equal(stored_rows(fx, "component:default/three"), 0);

    gr_plugin_adapter_destroy(reader);
    gr_plugin_adapter_destroy(catalog);
}

/* The catalog's REST routes are registered through the ABI under /api/catalog. */
static void routes_served(void **state)
{
    plain_host *fx = *state;
    void *catalog = NULL;
    gr_test_output res;
    char *url;

    assert_int_equal(gr_catalog_plugin_init(&fx->host, &catalog), GR_OK);
    assert_int_equal(gr_http_server_start(fx->host.http), GR_OK);
    url = plain_host_url(fx, "/api/catalog/entities/by-query?filter=kind=component");
    res = gr_test_http("GET", url, NULL, NULL);
    if (res.status != 200)
        fprintf(stderr, "status %d: %s\n", res.status, res.out);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"totalItems\":0"));
    gr_test_output_free(&res);
    gr_http_server_stop(fx->host.http);
    gr_plugin_adapter_destroy(catalog);
    free(url);
}

/* Returns the built-in definition `id` from the real table, or NULL. */
static const gr_plugin_def *builtin_def(const char *id)
{
    for (const gr_plugin_def *const *def = gr_builtin_plugins(); *def != NULL; def++) {
        if (strcmp((*def)->id, id) == 0)
            return *def;
    }
    return NULL;
}

/* Returns the schema key `path` of `def`, or NULL. */
static const gr_config_key *def_key(const gr_plugin_def *def, const char *path)
{
    for (const gr_config_key *key = def->config_keys; key != NULL && key->path != NULL; key++) {
        if (strcmp(key->path, path) == 0)
            return key;
    }
    return NULL;
}

/* The built-in table makes the catalog's definition from its plugin info. */
static void builtin_made_from_info(void **state)
{
    const gr_plugin_def *def = builtin_def("catalog");
    const gr_config_key *orphans;
    const gr_config_key *token;

    (void)state;
    assert_non_null(def);
    assert_ptr_equal(def->init, gr_catalog_plugin_init);
    assert_ptr_equal(def->migrate, gr_catalog_plugin_migrate);
    assert_ptr_equal(def->destroy, gr_plugin_adapter_destroy);
    assert_string_equal(def->commands[0].name, "catalog");
    assert_null(def->commands[1].name);

    orphans = def_key(def, "catalog.orphanStrategy");
    assert_non_null(orphans);
    assert_non_null(orphans->allowed);
    assert_string_equal(orphans->allowed[0], "keep");
    assert_string_equal(orphans->allowed[1], "delete");
    assert_null(orphans->allowed[2]);
    assert_false(orphans->secret);

    token = def_key(def, "integrations.github[].token");
    assert_non_null(token);
    assert_true(token->secret);
    token = def_key(def, "integrations.gitlab[].token");
    assert_non_null(token);
    assert_true(token->secret);
    assert_non_null(def_key(def, "catalog.locations[].target"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(calls_fail_without_catalog, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(calls_reach_catalog, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(provider_rejects_bad_entities, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(provider_delta_removes, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(routes_served, fixture_setup, fixture_teardown),
        cmocka_unit_test(builtin_made_from_info),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
