/* SPDX-License-Identifier: MIT */
/* The `greenroom plugin` command: list the loaded plugins, write a new plugin skeleton. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/plugin/ctx.h"
#include "host/plugin/plugin.h"
#include "host/plugin/skeleton.h"

static const char plugin_usage[] =
    "usage: greenroom plugin list [--config FILE]...\n"
    "       greenroom plugin new NAME [DIR]\n"
    "\n"
    "Subcommands:\n"
    "  list        print every plugin: the built-in ones and the shared libraries\n"
    "              listed under `plugins:` in the config, with their versions\n"
    "  new         write a plugin skeleton (source, CMake build, test) into DIR,\n"
    "              a new folder (./NAME when DIR is not given)\n"
    "\n"
    "Options:\n"
    "  --config FILE  config file to load; repeat it to merge several files\n"
    "  --help         print this help and exit\n"
    "\n"
    "NAME is the plugin id: lower-case letters, digits and '-', starting with a\n"
    "letter, at most 32 bytes.\n"
    "\n"
    "Exit status: 0 on success; 1 when a listed plugin cannot be loaded or the\n"
    "skeleton cannot be written; 2 for invalid arguments or config.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list args;

    fputs("greenroom plugin: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputs("; run 'greenroom plugin --help' for usage\n", stderr);
    return 2;
}

static int list_plugins(int argc, char **argv)
{
    gr_config_schema *schema = NULL;
    gr_config *cfg = NULL;
    const json_t *list;
    size_t index;
    const json_t *entry;
    int status = 0;

    if (gr_config_schema_builtin(&schema) != GR_OK ||
        gr_config_load_args(&cfg, argc, argv, schema) != GR_OK) {
        fprintf(stderr, "greenroom plugin: %s\n", gr_error_last());
        gr_config_schema_free(schema);
        return 2;
    }
    printf("%-16s %-10s %-8s %s\n", "ID", "VERSION", "ABI", "SOURCE");
    for (const gr_plugin_def *const *def = gr_builtin_plugins(); *def != NULL; def++)
        printf("%-16s %-10s %-8s built-in: %s\n", (*def)->id, GR_VERSION, "-",
               (*def)->description);
    list = gr_config_node(cfg, "plugins");
    json_array_foreach (list, index, entry) {
        const char *path = json_string_value(json_object_get(entry, "path"));
        char *resolved = gr_plugin__resolve_path(cfg, (int)index, path != NULL ? path : "");
        gr_plugin_ctx *ctx = NULL;
        char abi[32];

        if (gr_plugin_open(resolved, &ctx) != GR_OK) {
            printf("%-16s %-10s %-8s %s (not loaded: %s)\n", "?", "?", "?", resolved,
                   gr_error_last());
            if (!json_is_true(json_object_get(entry, "optional")))
                status = 1;
        } else {
            snprintf(abi, sizeof(abi), "%u.%u", GR_PLUGIN_ABI_MAJOR_OF(ctx->info->abi_version),
                     GR_PLUGIN_ABI_MINOR_OF(ctx->info->abi_version));
            printf("%-16s %-10s %-8s %s: %s\n", ctx->id, ctx->version, abi, resolved,
                   ctx->description);
        }
        gr_plugin_close(ctx);
        free(resolved);
    }
    gr_config_free(cfg);
    gr_config_schema_free(schema);
    return status;
}

static int new_plugin(int argc, char **argv)
{
    const char *name;
    char *dir;
    int rc;

    if (argc < 3 || argc > 4)
        return usage_error("'plugin new' takes NAME and an optional DIR");
    name = argv[2];
    if (!gr_plugin__id_valid(name))
        return usage_error("'%s' is not a valid plugin id: use lower-case letters, digits and "
                           "'-', starting with a letter, at most %d bytes",
                           name, GR_PLUGIN_ID_MAX);
    dir = gr_xstrdup(argc == 4 ? argv[3] : name);
    rc = gr_plugin_skeleton_write(name, dir);
    if (rc != GR_OK)
        fprintf(stderr, "greenroom plugin: %s\n", gr_error_last());
    else
        printf("wrote plugin %s to %s; build it with:\n"
               "  cmake -S %s -B %s/build && cmake --build %s/build\n",
               name, dir, dir, dir, dir);
    free(dir);
    return rc == GR_OK ? 0 : 1;
}

static int plugin_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(plugin_usage, stdout);
            return 0;
        }
    }
    if (argc < 2)
        return usage_error("a subcommand is required: list or new");
    if (strcmp(argv[1], "list") == 0) {
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--config") == 0)
                i++;
            else if (strncmp(argv[i], "--config=", 9) != 0)
                return usage_error("unknown argument '%s'", argv[i]);
        }
        return list_plugins(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "new") == 0)
        return new_plugin(argc, argv);
    return usage_error("unknown subcommand '%s'", argv[1]);
}

const gr_cli_command gr_plugin_cli_command = {
    .name = "plugin",
    .summary = "list the loaded plugins or write a new plugin skeleton",
    .usage = plugin_usage,
    .run = plugin_main,
};
