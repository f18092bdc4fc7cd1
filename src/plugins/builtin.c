/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary. */
#include "host/registry/registry.h"
#include "plugins/scaffolder/template/cli.h"

static const gr_plugin_def builtin_plugins[] = {
    {
        .id = "scaffolder",
        .description = "software templates: the template engine and its commands",
        .commands = gr_tmpl_cli_commands,
    },
    {.id = NULL},
};

const gr_plugin_def *gr_builtin_plugins(void)
{
    return builtin_plugins;
}
