/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary. */
#include "host/registry/registry.h"
#include "plugins/catalog/cli_validate.h"
#include "plugins/catalog/plugin.h"
#include "plugins/scaffolder/template/cli.h"
#include "plugins/techdocs/build/cli.h"
#include "plugins/ui/ui.h"

static const gr_plugin_def builtin_plugins[] = {
    {.id = "catalog",
     .description = "software catalog: entities, relations and their validation",
     .init = gr_catalog_plugin_init,
     .start = gr_catalog_plugin_start,
     .stop = gr_catalog_plugin_stop,
     .destroy = gr_catalog_plugin_destroy,
     .commands = gr_catalog_commands},
    {
        .id = "techdocs",
        .description = "TechDocs: builds docs sites from mkdocs.yml and Markdown",
        .commands = gr_techdocs_commands,
    },
    {
        .id = "scaffolder",
        .description = "software templates: the template engine and its commands",
        .commands = gr_tmpl_cli_commands,
    },
    /* After the catalog, whose tables its pages read. */
    {
        .id = "ui",
        .description = "web UI: catalog, API docs, import, settings and relation graphs",
        .init = gr_ui_plugin_init,
        .start = gr_ui_plugin_start,
        .destroy = gr_ui_plugin_destroy,
        .config_keys = gr_ui_config_keys,
    },
    {.id = NULL},
};

const gr_plugin_def *gr_builtin_plugins(void)
{
    return builtin_plugins;
}
