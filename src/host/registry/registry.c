/* SPDX-License-Identifier: MIT */
/* Lookup of plugin-provided CLI commands. */
#include "host/registry/registry.h"

#include <string.h>

#include "host/config/cli.h"
#include "host/dbcli/cli.h"
#include "host/plugin/plugin.h"
#include "host/serve/serve.h"

/* Commands of the host itself, which belong to no plugin. */
static const gr_cli_command serve_command = {
    .name = "serve",
    .summary = "serve the portal and its APIs",
    .usage = gr_serve_usage,
    .run = gr_serve_main,
};

static const gr_cli_command routes_command = {
    .name = "routes",
    .summary = "list the HTTP routes and which ones are public",
    .usage = gr_serve_routes_usage,
    .run = gr_serve_routes_main,
};

static const gr_cli_command *const host_commands[] = {
    &serve_command,
    &routes_command,
    &gr_config_cli_command,
    &gr_dbcli_command,
    &gr_plugin_cli_command,
    NULL,
};

const gr_cli_command *const *gr_host_commands(void)
{
    return host_commands;
}

const gr_cli_command *gr_registry_find_command(const char *name)
{
    for (const gr_cli_command *const *command = host_commands; *command != NULL; command++) {
        if (strcmp((*command)->name, name) == 0)
            return *command;
    }
    for (const gr_plugin_def *const *entry = gr_builtin_plugins(); *entry != NULL; entry++) {
        const gr_plugin_def *plugin = *entry;

        if (plugin->commands == NULL)
            continue;
        for (const gr_cli_command *command = plugin->commands; command->name != NULL; command++) {
            if (strcmp(command->name, name) == 0)
                return command;
        }
    }
    return NULL;
}
