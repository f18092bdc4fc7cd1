/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary. */
#include "host/registry/registry.h"
#include "plugins/auth/plugin.h"
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
        .id = "techdocs",
        .description = "TechDocs: builds docs sites from mkdocs.yml and Markdown",
        .commands = gr_techdocs_commands,
    },
    {.id = NULL},
};

const gr_plugin_def *gr_builtin_plugins(void)
{
    return builtin_plugins;
}
