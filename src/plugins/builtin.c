/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/common/error.h"
#include "host/plugin/plugin.h"
#include "host/registry/registry.h"
#include "plugins/auth/plugin.h"
#include "plugins/catalog/plugin.h"
#include "plugins/scaffolder/template/cli.h"
#include "plugins/techdocs/plugin.h"

/*
 * The techdocs plugin is written against the plugin ABI (greenroom/plugin.h)
 * and turned into a gr_plugin_def by the adapter, as every built-in can be.
 * TODO: register auth, catalog and scaffolder through the ABI as well, and
 * search, UI and API docs when they join this table. They use the internal
 * gr_host directly today.
 */
static int techdocs_init(gr_host *host, void **state)
{
    return gr_plugin_adapter_init(host, gr_techdocs_plugin_init, state);
}

static gr_plugin_def builtin_plugins[] = {
    {
        .id = "auth",
        .description = "sign-in providers, identity tokens, sessions and the permission API",
        .init = gr_auth_plugin_init,
        .destroy = gr_auth_plugin_destroy,
        .config_keys = gr_auth_plugin_keys,
    },
    {.id = "catalog"},  /* gr_catalog_plugin, copied by builtin_fill() */
    {.id = "techdocs"}, /* filled in from the ABI by builtin_fill() */
    {
        .id = "scaffolder",
        .description = "software templates: the template engine and its commands",
        .commands = gr_tmpl_cli_commands,
    },
    {.id = NULL}, /* the loader, filled in by builtin_fill(); it must come last */
    {.id = NULL},
};

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

/* Runs once: C cannot initialise the table from values computed at run time. */
static void builtin_fill(void)
{
    const size_t count = sizeof(builtin_plugins) / sizeof(builtin_plugins[0]);

    builtin_plugins[1] = gr_catalog_plugin;
    if (gr_plugin_adapter_def(gr_techdocs_plugin_init, techdocs_init, &builtin_plugins[2]) < 0) {
        fprintf(stderr, "greenroom: the techdocs plugin is invalid: %s\n", gr_error_last());
        abort();
    }
    builtin_plugins[count - 2] = gr_plugin_loader_def;
}

const gr_plugin_def *gr_builtin_plugins(void)
{
    pthread_once(&builtin_once, builtin_fill);
    return builtin_plugins;
}
