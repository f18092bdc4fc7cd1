/* SPDX-License-Identifier: MIT */
/* The api-docs built-in, written against the plugin ABI: the Definition tab of API entities. */
#include "plugins/apidocs/plugin.h"

#include <jansson.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/plugin/plugin.h"
#include "plugins/apidocs/apidocs.h"

typedef struct {
    const gr_host_api *host;
} apidocs_state;

/* Renders spec.definition of an API entity, in the .apidoc block the portal's CSS styles. */
static int definition_render(gr_request *req, const char *entity_json, gr_html *out,
                             void *payload)
{
    const apidocs_state *state = payload;
    json_t *entity = json_loads(entity_json, 0, NULL);
    const json_t *spec = json_object_get(entity, "spec");
    const char *type = json_string_value(json_object_get(spec, "type"));
    const char *definition = json_string_value(json_object_get(spec, "definition"));
    gr_buf html = GR_BUF_INIT;

    (void)req;
    gr_buf_puts(&html, "<div class=\"apidoc\">");
    /* A definition that cannot be read renders as an error banner, not a failure. */
    gr_apidocs_render(type != NULL ? type : "", definition != NULL ? definition : "", &html);
    gr_buf_puts(&html, "</div>");
    state->host->html_raw(out, gr_buf_cstr(&html));
    gr_buf_free(&html);
    json_decref(entity);
    return GR_PLUGIN_OK;
}

static int apidocs_setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    apidocs_state *state = host->alloc(sizeof(*state));
    /* The id "api" keeps the tab's address: /catalog/:namespace/api/:name?tab=api. */
    gr_plugin_entity_view tab = {
        .struct_size = sizeof(tab),
        .id = "api",
        .label = "Definition",
        .order = 20,
        .filter = {.kinds = "API"},
        .render = definition_render,
        .payload = state,
    };

    state->host = host;
    *out = state;
    return host->entity_tab_add(ctx, &tab);
}

static void apidocs_destroy(void *payload)
{
    apidocs_state *state = payload;

    if (state != NULL)
        state->host->free(state);
}

static const gr_plugin_info apidocs_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "api-docs",
    .version = GR_VERSION,
    .description = "API definitions (OpenAPI, AsyncAPI, GraphQL, gRPC) as the Definition tab "
                   "of API entities",
    .setup = apidocs_setup,
    .destroy = apidocs_destroy,
};

int gr_apidocs_plugin_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &apidocs_info;
    return GR_PLUGIN_OK;
}

static int apidocs_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, gr_apidocs_plugin_entry, state_out);
}

const gr_plugin_def gr_apidocs_plugin = {
    .id = "api-docs",
    .description = "API definitions (OpenAPI, AsyncAPI, GraphQL, gRPC) as the Definition tab "
                   "of API entities",
    .init = apidocs_init,
    .start = gr_plugin_adapter_start,
    .stop = gr_plugin_adapter_stop,
    .destroy = gr_plugin_adapter_destroy,
};
