/* SPDX-License-Identifier: MIT */
/* The table of plugins compiled into the binary. */
#include "host/registry/registry.h"

static const gr_plugin_def builtin_plugins[] = {
    {.id = NULL},
};

const gr_plugin_def *gr_builtin_plugins(void)
{
    return builtin_plugins;
}
