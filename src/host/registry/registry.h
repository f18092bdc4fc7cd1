/* SPDX-License-Identifier: MIT */
/* The plugin registry: how features (built in or loaded) plug into the host. */
#ifndef GR_HOST_REGISTRY_REGISTRY_H
#define GR_HOST_REGISTRY_REGISTRY_H

#include <stddef.h>

#include "greenroom/plugin.h"

typedef struct gr_host gr_host;
struct gr_config_key;        /* host/config/config.h */
struct gr_plugin_permission; /* greenroom/plugin.h */

/** A subcommand a plugin adds to the CLI (`greenroom <name> ...`). */
typedef struct {
    const char *name;    /* e.g. "catalog" */
    const char *summary; /* one line for `greenroom help` */
    const char *usage;   /* full help text for `greenroom help <name>` and --help */
    /* Runs the command; argv[0] is `name`. Returns the process exit status
     * (0 success, 1 failure found, 2 usage or configuration error). */
    int (*run)(int argc, char **argv);
} gr_cli_command;

/*
 * A plugin definition. The host calls the hooks in this order while serving:
 * init (routes, migrations, jobs), start (threads), then at shutdown stop
 * (threads end; the database is still open) and destroy. Every hook may be
 * NULL. `state` is what init stored in *state_out, owned by the plugin.
 * `greenroom db migrate` calls only `migrate`, and nothing of a plugin
 * without it.
 */
typedef struct {
    const char *id;          /* lower-case, also the prefix of its routes: /api/<id> */
    const char *description; /* one line, for `greenroom plugin list` */
    int (*init)(gr_host *host, void **state_out);
    int (*start)(void *state);
    void (*stop)(void *state);
    void (*destroy)(void *state);
    const gr_cli_command *commands; /* array ended by an entry with a NULL name, or NULL */
    /* Config keys the plugin reads, ended by an entry with a NULL path, or NULL. */
    const struct gr_config_key *config_keys;
    /* Applies the plugin's database migrations and nothing else (no routes,
     * jobs, threads or stored config). Only host->config, host->db,
     * host->instance_id and host->base_url are set. Returns 0 or the
     * migration's error. Init must still apply them too, because serve does
     * not call this hook. NULL when the plugin has no tables. */
    int (*migrate)(gr_host *host);
    /* Permissions the plugin checks, as gr_plugin_info lists them (each with
     * its struct_size). The permission policy declares them before any plugin
     * starts. */
    const struct gr_plugin_permission *permissions;
    size_t permission_count;
    /* A built-in written against the ABI whose info declares migrations:
     * its entry point, so that `greenroom db migrate` applies them with
     * gr_plugin_adapter_migrate() when `migrate` is NULL. NULL otherwise. */
    gr_plugin_init_fn migrate_entry;
} gr_plugin_def;

/** Returns the built-in plugins, ended by a NULL pointer (borrowed, static). */
const gr_plugin_def *const *gr_builtin_plugins(void);

/** Returns the host's own CLI commands (such as `config`), ended by a NULL pointer. */
const gr_cli_command *const *gr_host_commands(void);

/** Finds the CLI command `name` among the host's commands and the built-in plugins, or NULL. */
const gr_cli_command *gr_registry_find_command(const char *name);

#endif
