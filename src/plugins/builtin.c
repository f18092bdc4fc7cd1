/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary. */
#include "host/registry/registry.h"
#include "plugins/auth/plugin.h"
#include "plugins/catalog/cli_validate.h"
#include "plugins/scaffolder/cli_run.h"
#include "plugins/scaffolder/plugin.h"
#include "plugins/techdocs/build/cli.h"

static const gr_plugin_def builtin_plugins[] = {
    {
        .id = "auth",
        .description = "sign-in providers, identity tokens, sessions and the permission API",
        .init = gr_auth_plugin_init,
        .destroy = gr_auth_plugin_destroy,
        .config_keys = gr_auth_plugin_keys,
    },
    {
        .id = "catalog",
        .description = "software catalog: entities, relations and their validation",
        .commands = gr_catalog_commands,
    },
    {
        .id = "techdocs",
        .description = "TechDocs: builds docs sites from mkdocs.yml and Markdown",
        .commands = gr_techdocs_commands,
    },
    {
        .id = "scaffolder",
        .description = "software templates: forms, the task queue, actions and the template engine",
        .init = gr_scaffolder_plugin_init,
        .start = gr_scaffolder_plugin_start,
        .stop = gr_scaffolder_plugin_stop,
        .destroy = gr_scaffolder_plugin_destroy,
        .commands = gr_scaffolder_commands,
        .config_keys = gr_scaffolder_plugin_config_keys,
    },
    {.id = NULL},
};

const gr_plugin_def *gr_builtin_plugins(void)
{
    return builtin_plugins;
}
