/* SPDX-License-Identifier: MIT */
/* The scaffolder plugin: life-cycle hooks, its state, and where templates come from. */
#ifndef GR_SCAFFOLDER_PLUGIN_H
#define GR_SCAFFOLDER_PLUGIN_H

#include <jansson.h>
#include <stdatomic.h>

#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/registry/registry.h"
#include "plugins/scaffolder/scaffolder.h"
#include "plugins/scaffolder/worker.h"

/** Name under which the plugin publishes its gr_scaffolder_actions (gr_host_lookup()). */
#define GR_SCAFFOLDER_ACTIONS_SERVICE "scaffolder.actions"

/** The state of the plugin while serving. */
typedef struct {
    gr_host *host;
    gr_scaffolder *scaffolder;
    gr_scaffolder_workers *workers;
    void *catalog; /* a gr_catalog handle for catalog:register, or NULL */
    int dry_run_limit;   /* dry runs allowed at the same time */
    atomic_int dry_runs; /* dry runs running now */
} gr_scaffolder_plugin;

/* Hooks for the table of built-in plugins (see registry.h for their order). */
int gr_scaffolder_plugin_init(gr_host *host, void **state_out);
int gr_scaffolder_plugin_start(void *state);
void gr_scaffolder_plugin_stop(void *state);
void gr_scaffolder_plugin_destroy(void *state);

/** Every config key the scaffolder reads, ended by a NULL path. */
extern const gr_config_key gr_scaffolder_plugin_config_keys[];

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

/** Registers the routes under /api/scaffolder. Returns 0 or an error of gr_http_route(). */
int gr_scaffolder_api_register(gr_scaffolder_plugin *plugin, gr_http_server *server);

/** Registers the /create pages. Returns 0 or an error of gr_http_route(). */
int gr_scaffolder_ui_register(gr_scaffolder_plugin *plugin, gr_http_server *server);

#endif
