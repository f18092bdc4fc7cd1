/* SPDX-License-Identifier: MIT */
/* The scaffolder plugin: life-cycle hooks, its state, and where templates come from. */
#ifndef GR_SCAFFOLDER_PLUGIN_H
#define GR_SCAFFOLDER_PLUGIN_H

#include <jansson.h>

#include "host/config/config.h"
#include "host/host.h"
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
 * the catalog. Returns 0 and a new reference, GR_ENOTFOUND, or a database
 * error.
 */
int gr_scaffolder_find_template(gr_db *db, const char *ref, json_t **out);

/**
 * Lists the Template entities of the catalog ordered by title or name.
 * Returns 0 and a new array (empty when the catalog has none or no tables
 * yet), or a database error.
 */
int gr_scaffolder_list_templates(gr_db *db, json_t **out);

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
