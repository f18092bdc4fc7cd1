/* SPDX-License-Identifier: MIT */
/* Lookup of plugin-provided CLI commands. */
#include "host/registry/registry.h"

#include <string.h>

const gr_cli_command *gr_registry_find_command(const char *name)
{
    for (const gr_plugin_def *plugin = gr_builtin_plugins(); plugin->id != NULL; plugin++) {
        if (plugin->commands == NULL)
            continue;
        for (const gr_cli_command *command = plugin->commands; command->name != NULL; command++) {
            if (strcmp(command->name, name) == 0)
                return command;
        }
    }
    return NULL;
}
