/* SPDX-License-Identifier: MIT */
/* Integration test of the adapter that turns an ABI plugin into an internal gr_plugin_def. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "greenroom/plugin.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/plugin/plugin.h"
#include "host/sched/sched.h"
#include "host/store/db.h"
#include "plugin_test.h"

/* A plugin written against the ABI and compiled into this program, as a built-in would be. */
typedef struct {
    const gr_host_api *host;
    int started;
    int stopped;
} adapted_state;

/* Counts what the adapter called, so the test can check the life cycle. */
static int destroyed;

static int hello_command(int argc, char **argv)
{
    (void)argv;
    return argc == 1 ? 0 : 2;
}

static int hello_route(gr_request *req, gr_response *res, void *payload)
{
    adapted_state *state = payload;

    (void)req;
    return state->host->res_json(res, 200, state->started ? "{\"started\":true}" : "{}");
}

static int adapted_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    adapted_state *state = host->alloc(sizeof(*state));

    memset(state, 0, sizeof(*state));
    state->host = host;
    *out = state;
    return host->route(ctx, "GET", "/hello", GR_PLUGIN_ROUTE_PUBLIC, hello_route, state);
}

static int adapted_start(void *payload)
{
    ((adapted_state *)payload)->started = 1;
    return GR_PLUGIN_OK;
}

static void adapted_stop(void *payload)
{
    ((adapted_state *)payload)->stopped = 1;
}

static void adapted_destroy(void *payload)
{
    adapted_state *state = payload;

    destroyed += state->stopped;
    state->host->free(state);
}

static const gr_plugin_command adapted_commands[] = {
    {"hello", "say hello", "usage: greenroom hello\n", hello_command},
    {NULL, NULL, NULL, NULL},
};

static const gr_plugin_info adapted_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "adapted",
    .version = "2.0.0",
    .description = "an ABI plugin run as a built-in",
    .commands = adapted_commands,
    .setup = adapted_setup,
    .start = adapted_start,
    .stop = adapted_stop,
    .destroy = adapted_destroy,
};

static int adapted_init(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &adapted_info;
    return GR_PLUGIN_OK;
}

static int adapted_def_init(gr_host *host, void **state)
{
    return gr_plugin_adapter_init(host, adapted_init, state);
}

static void adapter_fills_definition(void **state)
{
    gr_plugin_def def;

    (void)state;
    assert_int_equal(gr_plugin_adapter_def(adapted_init, adapted_def_init, &def), GR_OK);
    assert_string_equal(def.id, "adapted");
    assert_string_equal(def.description, "an ABI plugin run as a built-in");
    assert_ptr_equal(def.init, adapted_def_init);
    assert_ptr_equal(def.start, gr_plugin_adapter_start);
    assert_ptr_equal(def.stop, gr_plugin_adapter_stop);
    assert_ptr_equal(def.destroy, gr_plugin_adapter_destroy);
    assert_non_null(def.commands);
    assert_string_equal(def.commands[0].name, "hello");
    assert_string_equal(def.commands[0].summary, "say hello");
    assert_int_equal(def.commands[0].run(1, NULL), 0);
    assert_null(def.commands[1].name);
    free((void *)def.commands);
}

static void adapter_runs_life_cycle(void **state)
{
    char *dir = gr_test_tmpdir("plugin-adapter");
    char *db_path = gr_xasprintf("%s/adapter.sqlite", dir);
    gr_db_options db_options = {.path = db_path};
    gr_config_schema *schema = NULL;
    gr_config *config = NULL;
    struct gr_host host;
    gr_plugin_def def;
    void *plugin_state = NULL;
    char *url;
    gr_test_output res;

    (void)state;
    memset(&host, 0, sizeof(host));
    destroyed = 0;
    assert_int_equal(gr_config_schema_builtin(&schema), GR_OK);
    assert_int_equal(gr_config_load(&config, NULL, 0, schema), GR_OK);
    host.config = config;
    host.base_url = "http://127.0.0.1";
    host.instance_id = "adapter-test";
    assert_int_equal(gr_db_open(&host.db, &db_options), GR_OK);
    assert_int_equal(gr_sched_new(&host.sched, host.db, "adapter-test"), GR_OK);
    assert_int_equal(gr_http_server_new(&host.http, NULL), GR_OK);

    assert_int_equal(gr_plugin_adapter_def(adapted_init, adapted_def_init, &def), GR_OK);
    assert_int_equal(def.init(&host, &plugin_state), GR_OK);
    assert_non_null(plugin_state);
    assert_int_equal(def.start(plugin_state), GR_OK);
    assert_int_equal(gr_http_server_start(host.http), GR_OK);

    url = gr_xasprintf("http://127.0.0.1:%d/api/adapted/hello", gr_http_server_port(host.http));
    res = gr_test_http("GET", url, NULL, NULL);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.out, "{\"started\":true}");
    gr_test_output_free(&res);

    gr_http_server_stop(host.http);
    def.stop(plugin_state);
    def.destroy(plugin_state);
    assert_int_equal(destroyed, 1);

    free(url);
    free((void *)def.commands);
    gr_http_server_free(host.http);
    gr_sched_free(host.sched);
    gr_db_close(host.db);
    gr_config_free(config);
    gr_config_schema_free(schema);
    gr_test_rmtree(dir);
    free(db_path);
    free(dir);
}

static const gr_plugin_info newer_info = {
    .abi_version = GR_PLUGIN_ABI_MAKE(GR_PLUGIN_ABI_MAJOR, GR_PLUGIN_ABI_MINOR + 1),
    .struct_size = sizeof(gr_plugin_info),
    .id = "newer",
};

static int newer_init(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &newer_info;
    return GR_PLUGIN_OK;
}

static void adapter_rejects_newer_abi(void **state)
{
    gr_plugin_def def;
    char next[64];

    (void)state;
    snprintf(next, sizeof(next), "built for plugin ABI %d.%d", GR_PLUGIN_ABI_MAJOR,
             GR_PLUGIN_ABI_MINOR + 1);
    assert_int_equal(gr_plugin_adapter_def(newer_init, adapted_def_init, &def), GR_ERROR);
    assert_true(plugin_test_has(gr_error_last(), next));
    assert_null(def.commands);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adapter_fills_definition),
        cmocka_unit_test(adapter_runs_life_cycle),
        cmocka_unit_test(adapter_rejects_newer_abi),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
