/* SPDX-License-Identifier: MIT */
/* The scaffolder plugin: life-cycle hooks, its state, and where templates come from. */
#ifndef GR_SCAFFOLDER_PLUGIN_H
#define GR_SCAFFOLDER_PLUGIN_H

#include <jansson.h>
#include <stdatomic.h>

#include "greenroom/plugin.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/registry/registry.h"
#include "plugins/scaffolder/action_service.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/worker.h"

/** The state of the plugin while serving. */
typedef struct {
    const gr_host_api *api; /* the plugin ABI the plugin registers through */
    gr_plugin_ctx *ctx;     /* its context, for api calls */
    gr_host *host;          /* the internal host of a built-in (gr_plugin_builtin_host()) */
    gr_scaffolder *scaffolder;
    gr_scaffolder_workers *workers;
    gr_scaffolder_action_service action_service; /* published as GR_PLUGIN_SERVICE_ACTIONS */
    void *catalog; /* a gr_catalog handle for catalog:register, or NULL */
    int dry_run_limit;   /* dry runs allowed at the same time */
    atomic_int dry_runs; /* dry runs running now */
} gr_scaffolder_plugin;

/**
 * The plugin's entry point, as a shared-library plugin's gr_plugin_init().
 * Its info declares the top-level scaffolder.* config keys, the `template`
 * command and the task tables' migrations (history adopted from the
 * component "scaffolder"). Its setup registers the /api/scaffolder routes,
 * the /create pages and form pages, the recovery job, the loader of
 * scaffolder-task resources for permission checks, and publishes
 * GR_PLUGIN_SERVICE_ACTIONS, which takes other plugins' actions. Its start
 * and stop hooks start and stop the task workers.
 */
int gr_scaffolder_plugin_entry(const gr_host_api *host, const gr_plugin_info **out);

/**
 * The init hook of the built-in definition: runs the entry's setup through
 * the adapter (host/plugin/plugin.h). Returns GR_OK or the setup's error.
 */
int gr_scaffolder_plugin_init(gr_host *host, void **state_out);

/**
 * The migrate hook of the built-in definition for `greenroom db migrate`:
 * applies the migrations of the entry's info to host->db. Returns 0 or the
 * error of a migration.
 */
int gr_scaffolder_plugin_migrate(gr_host *host);

/**
 * Finds the Template entity `ref` ("template:namespace/name", any case) in
 * the catalog with the read permission of the caller of `req`. An entity
 * that the caller may not read (catalog.entity.read) gives the same
 * GR_ENOTFOUND as a missing one. `req` NULL reads without a permission check. Returns 0 and a new
 * reference, GR_ENOTFOUND, or a database error. Thread-safe.
 */
int gr_scaffolder_find_template(gr_scaffolder_plugin *plugin, gr_request *req, const char *ref,
                                json_t **out);

/**
 * Lists the Template entities that the caller of `req` may read
 * (catalog.entity.read), ordered by entity ref. `req` NULL lists all.
 * Returns 0 and a new array, or a database error. Thread-safe.
 */
int gr_scaffolder_list_templates(gr_scaffolder_plugin *plugin, gr_request *req, json_t **out);

/**
 * Makes the catalog:* actions read entities from the catalog tables of `db`
 * and register locations through `catalog` (a gr_catalog handle, may be
 * NULL, so catalog:register fails with a message).
 */
void gr_scaffolder_use_catalog(gr_scaffolder *scaffolder, gr_db *db, void *catalog);

/** Registers the /api/scaffolder routes through the ABI. Returns 0 or the error of route(). */
int gr_scaffolder_api_register(gr_scaffolder_plugin *plugin);

/**
 * Registers the /create pages and form pages through the ABI, and the
 * public /create/static files. Returns 0 or the error of a registration.
 */
int gr_scaffolder_ui_register(gr_scaffolder_plugin *plugin);

#endif
