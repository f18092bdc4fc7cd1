/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary, in start-up order. */
#include <stddef.h>

#include "host/plugin/plugin.h"
#include "host/registry/registry.h"
#include "plugins/auth/plugin.h"
#include "plugins/catalog/plugin.h"
#include "plugins/scaffolder/cli_run.h"
#include "plugins/scaffolder/plugin.h"
#include "plugins/search/plugin.h"
#include "plugins/techdocs/cli.h"
#include "plugins/techdocs/plugin.h"
#include "plugins/techdocs/settings.h"
#include "plugins/ui/ui.h"

static const gr_plugin_def builtin_auth = {
    .id = "auth",
    .description = "sign-in providers, identity tokens, sessions and the permission API",
    .init = gr_auth_plugin_init,
    .destroy = gr_auth_plugin_destroy,
    .config_keys = gr_auth_plugin_keys,
};

static const gr_plugin_def builtin_search = {
    .id = "search",
    .description = "search: catalog and TechDocs documents in SQLite FTS5 or PostgreSQL "
                   "full-text search",
    .init = gr_search_plugin_init,
    .start = gr_search_plugin_start,
    .stop = gr_search_plugin_stop,
    .destroy = gr_search_plugin_destroy,
    .commands = gr_search_commands,
    .config_keys = gr_search_config_keys,
};

static const gr_plugin_def builtin_techdocs = {
    .id = "techdocs",
    .description = "TechDocs: builds, stores and serves docs sites from mkdocs.yml and Markdown",
    .init = gr_techdocs_plugin_init,
    .start = gr_techdocs_plugin_start,
    .stop = gr_techdocs_plugin_stop,
    .destroy = gr_techdocs_plugin_destroy,
    .commands = gr_techdocs_commands,
    .config_keys = gr_techdocs_config_keys,
};

static const gr_plugin_def builtin_scaffolder = {
    .id = "scaffolder",
    .description = "software templates: forms, the task queue, actions and the template engine",
    .init = gr_scaffolder_plugin_init,
    .start = gr_scaffolder_plugin_start,
    .stop = gr_scaffolder_plugin_stop,
    .destroy = gr_scaffolder_plugin_destroy,
    .commands = gr_scaffolder_commands,
    .config_keys = gr_scaffolder_plugin_config_keys,
};

static const gr_plugin_def builtin_ui = {
    .id = "ui",
    .description = "web UI: catalog, API docs, import, settings and relation graphs",
    .init = gr_ui_plugin_init,
    .start = gr_ui_plugin_start,
    .destroy = gr_ui_plugin_destroy,
    .config_keys = gr_ui_config_keys,
};

/*
 * The UI comes after the features: its fallback /docs and /create pages give
 * way to the pages TechDocs and the scaffolder registered before it. The
 * plugin loader comes last, so shared-library plugins find every feature.
 * TODO: register these built-ins through the plugin ABI (greenroom/plugin.h)
 * like shared-library plugins, with gr_plugin_adapter_def() making each
 * gr_plugin_def. They use the internal gr_host directly today; the adapter
 * is tested on its own in tests/integration/plugin_adapter.c.
 */
static const gr_plugin_def *const builtin_plugins[] = {
    &builtin_auth,
    &gr_catalog_plugin,
    &builtin_search,
    &builtin_techdocs,
    &builtin_scaffolder,
    &builtin_ui,
    &gr_plugin_loader_def, /* last: plugins register into the features above */
    NULL,
};

const gr_plugin_def *const *gr_builtin_plugins(void)
{
    return builtin_plugins;
}
