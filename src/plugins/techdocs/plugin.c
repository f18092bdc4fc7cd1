/* SPDX-License-Identifier: MIT */
/* The techdocs plugin, registered through the plugin ABI like a shared-library plugin. */
#include "plugins/techdocs/plugin.h"

#include "plugins/techdocs/build/cli.h"

static const gr_plugin_command techdocs_commands[] = {
    {
        .name = "techdocs",
        .summary = "build a TechDocs site from mkdocs.yml and Markdown",
        .usage = gr_techdocs_usage,
        .run = gr_techdocs_main,
    },
    {.name = NULL},
};

static const gr_plugin_info techdocs_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "techdocs",
    .version = GR_VERSION,
    .description = "TechDocs: builds docs sites from mkdocs.yml and Markdown",
    .commands = techdocs_commands,
};

int gr_techdocs_plugin_init(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &techdocs_info;
    return GR_PLUGIN_OK;
}
