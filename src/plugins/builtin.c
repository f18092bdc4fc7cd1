/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary. */
#include <pthread.h>

#include "host/registry/registry.h"
#include "plugins/catalog/cli_validate.h"
#include "plugins/catalog/plugin.h"
#include "plugins/scaffolder/template/cli.h"
#include "plugins/techdocs/build/cli.h"
#include "plugins/ui/ui.h"

static const gr_plugin_def techdocs_plugin = {
    .id = "techdocs",
    .description = "TechDocs: builds docs sites from mkdocs.yml and Markdown",
    .commands = gr_techdocs_commands,
};

static const gr_plugin_def scaffolder_plugin = {
    .id = "scaffolder",
    .description = "software templates: the template engine and its commands",
    .commands = gr_tmpl_cli_commands,
};

static const gr_plugin_def ui_plugin = {
    .id = "ui",
    .description = "web UI: catalog, API docs, import, settings and relation graphs",
    .init = gr_ui_plugin_init,
    .start = gr_ui_plugin_start,
    .destroy = gr_ui_plugin_destroy,
    .config_keys = gr_ui_config_keys,
};

/* Plugins start in this order; the UI comes after the catalog, whose
 * tables its pages read. */
static const gr_plugin_def *const builtin_order[] = {
    &gr_catalog_plugin,
    &techdocs_plugin,
    &scaffolder_plugin,
    &ui_plugin,
};

#define BUILTIN_COUNT (sizeof(builtin_order) / sizeof(builtin_order[0]))

/* C cannot initialise an array from other objects' values, so the table is
 * copied from the definitions once, on first use, and never changes after. */
static gr_plugin_def builtin_plugins[BUILTIN_COUNT + 1];
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_fill(void)
{
    for (size_t i = 0; i < BUILTIN_COUNT; i++)
        builtin_plugins[i] = *builtin_order[i];
    /* TODO: the catalog's CLI and config keys stay those of `catalog
     * validate` until the engine's commands and keys replace them; only its
     * life cycle (engine, workers, REST routes) is taken from the engine. */
    builtin_plugins[0].description = "software catalog: entities, relations and their validation";
    builtin_plugins[0].commands = gr_catalog_commands;
    builtin_plugins[0].config_keys = NULL;
}

const gr_plugin_def *gr_builtin_plugins(void)
{
    pthread_once(&builtin_once, builtin_fill);
    return builtin_plugins;
}
