/* SPDX-License-Identifier: MIT */
/* The plugin loader: shared-library plugins listed under `plugins:`, and built-ins written against
 * the ABI. */
#ifndef GR_HOST_PLUGIN_PLUGIN_H
#define GR_HOST_PLUGIN_PLUGIN_H

#include <jansson.h>
#include <stdbool.h>

#include "greenroom/plugin.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/registry/registry.h"

/** Maximum number of entries under `plugins:`. */
#define GR_PLUGIN_MAX_LOADED 64

/**
 * The built-in definition that loads the shared-library plugins while
 * serving: its init hook reads `plugins:`, opens each library, checks its
 * ABI version and config and runs its setup; its start, stop and destroy
 * hooks run theirs. It must come last among the built-ins, so that the
 * features plugins register into are set up first.
 */
extern const gr_plugin_def gr_plugin_loader_def;

/**
 * Runs the catalog processors that plugins registered with
 * host->processor_add(), in load order and then registration order, on
 * `*entity` (owned by the caller). Each processor whose filter matches gets
 * the entity as JSON text; a changed entity it returns replaces *entity for
 * the next one. Call only after every plugin's setup, as the catalog
 * workers do; several threads may call it at once. Returns 0; or the
 * failing processor's code with its message set and *failed set to
 * "<plugin-id>:<name>" (caller frees). GR_EINVALID when a processor
 * returns text that is not a JSON object.
 */
int gr_plugin_processors_run(json_t **entity, char **failed);

/** `greenroom plugin list|new` (static). */
extern const gr_cli_command gr_plugin_cli_command;

/**
 * Opens the shared library at `path` and calls its gr_plugin_init(): checks
 * that the ABI major equals the host's and the minor is not newer, and that
 * the info is complete. Does not run setup. Returns 0 and *out (free with
 * gr_plugin_close()), or GR_ERROR with a message naming the file (and both
 * versions on a mismatch).
 */
int gr_plugin_open(const char *path, gr_plugin_ctx **out);

/** Frees a context from gr_plugin_open() and closes its library. NULL-safe. */
void gr_plugin_close(gr_plugin_ctx *ctx);

/*
 * The adapter from the ABI to the internal gr_plugin_def, for built-in
 * plugins written against greenroom/plugin.h. A built-in defines
 *
 *   static int x_init(gr_host *host, void **state)
 *   {
 *       return gr_plugin_adapter_init(host, x_plugin_init, state);
 *   }
 *
 * and a gr_plugin_def with .init = x_init and the adapter's start, stop and
 * destroy below. The state is the plugin's context.
 */
int gr_plugin_adapter_init(gr_host *host, gr_plugin_init_fn entry, void **state_out);

/**
 * Fills *out from the info that `entry` returns: id, description and CLI
 * commands (converted into an array that lives as long as the process),
 * `init` (the wrapper above) and the adapter's start, stop and destroy.
 * Returns 0 or the error of `entry` or of the info check.
 */
int gr_plugin_adapter_def(gr_plugin_init_fn entry, int (*init)(gr_host *, void **),
                          gr_plugin_def *out);
int gr_plugin_adapter_start(void *state);
/**
 * Applies the migrations that the info of `entry` declares, with its legacy
 * history renamed first, without calling setup: the migrate hook of a
 * built-in's definition for `greenroom db migrate`. Uses host->db only.
 * Returns 0 or the error of `entry`, the info check or the migrations.
 */
int gr_plugin_adapter_migrate(gr_host *host, gr_plugin_init_fn entry);
/**
 * Returns the internal host of a built-in run through the adapter (borrowed,
 * valid until its destroy hook), for engines that still use the database
 * pool, config tree or HTTP server directly. Returns NULL for a shared-library plugin.
 */
gr_host *gr_plugin_builtin_host(const gr_plugin_ctx *ctx);
/**
 * Returns the host services table that plugins receive (static, thread-safe),
 * for programs that call a plugin's route handler on a server of their own,
 * such as the benchmarks. Functions that take a context need a plugin's.
 */
const gr_host_api *gr_plugin_host_api(void);
/**
 * One entry of the built-in table: an internal definition, or a built-in
 * written against the ABI whose definition is made from its plugin info.
 */
typedef struct {
    const gr_plugin_def *def; /* an internal definition, or NULL */
    /* With `def` NULL: the entry point, the init hook that passes it to
     * gr_plugin_adapter_init(), and a migrate hook, or NULL. Without a
     * hook, `greenroom db migrate` applies the migrations that the info
     * declares. */
    gr_plugin_init_fn entry;
    int (*init)(gr_host *host, void **state_out);
    int (*migrate)(gr_host *host);
    /* Further checks of the info's top_config_keys, matched by path, ended
     * by a NULL path, or NULL; only `path` and `check` are read. */
    const struct gr_config_key *checks;
    /* Schema keys for a built-in whose info has no top_config_keys, because
     * they use what the ABI cannot declare (allowed values, secrets,
     * computed defaults); NULL otherwise. */
    const struct gr_config_key *config_keys;
} gr_plugin_builtin;

/**
 * Returns the definitions of `list` (ended by an entry with neither `def`
 * nor `entry`), ended by NULL. A built-in written against the ABI gets its
 * id, description and commands from gr_plugin_adapter_def(), its config
 * keys from top_config_keys (with `checks`), the adapter's hooks, and its
 * entry as `migrate_entry` when its info declares migrations. The
 * table is made on the first call and kept until the process ends. The
 * process has one list, so later calls return that table whatever `list`
 * they pass. Thread-safe. Aborts when a built-in's info is invalid.
 */
const gr_plugin_def *const *gr_plugin_builtin_table(const gr_plugin_builtin *list);

/**
 * Returns the top_config_keys of `info`, or NULL when it has none or its
 * struct_size ends before them (ABI 1.2 and older).
 */
const gr_plugin_config_key *gr_plugin__top_config_keys(const gr_plugin_info *info);

/**
 * Returns a copy of the config keys `keys` of the plugin described by
 * `info`, ended by a NULL path, with the members an older ABI lacks set to
 * zero; NULL when `keys` is NULL. The strings stay borrowed from the plugin.
 * Caller frees the array with free().
 */
gr_plugin_config_key *gr_plugin__config_keys_copy(const gr_plugin_info *info,
                                                  const gr_plugin_config_key *keys);

void gr_plugin_adapter_stop(void *state);
void gr_plugin_adapter_destroy(void *state);

/**
 * Returns false for a route that a skipped optional plugin registered before its setup
 * failed, because such a route responds with 404. Returns true for every other route.
 * `handler` and `payload` are those of the route in the HTTP router.
 */
bool gr_plugin_route_running(gr_http_handler handler, const void *payload);

#endif
