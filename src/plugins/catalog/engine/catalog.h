/* SPDX-License-Identifier: MIT */
/* The catalog engine: sources, the processing loop, stitching and the catalog tables. */
#ifndef GR_PLUGINS_CATALOG_ENGINE_CATALOG_H
#define GR_PLUGINS_CATALOG_ENGINE_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/store/db.h"

/*
 * The engine keeps the catalog in step with its sources the way Backstage's
 * catalog backend does, on the tables created by its migrations:
 *
 *   catalog_locations       registered locations (origin 'config' or 'user')
 *   catalog_refresh_state   one row per entity: unprocessed and processed JSON,
 *                           errors, owner (location_key), next refresh, lease
 *   catalog_refs            who emitted whom (source_key for the two location
 *                           providers, source_entity_ref for entities)
 *   catalog_relations       relations, stored with the entity that emitted them
 *   catalog_refresh_keys    keys ("file:/x.yaml", "url:...") that refresh an entity
 *   catalog_final_entities  stitched entities as served by the API
 *   catalog_search          the final entity flattened to lower-case key/value rows
 *   catalog_stitch_queue    entities whose final form must be recomputed
 *   catalog_history         every change of a final entity, with cause and diff
 *
 * Readers (the REST API) query catalog_final_entities and catalog_search
 * directly. Writers go through the functions below.
 *
 * Threads: every function is thread-safe. Worker threads run between
 * gr_catalog_start() and gr_catalog_stop().
 */

typedef struct gr_catalog gr_catalog;

/** How to create an engine. */
typedef struct {
    gr_db *db;              /* borrowed; must outlive the engine */
    const json_t *config;   /* borrowed root of the app config, or NULL for defaults */
    const char *instance_id; /* lease owner name, unique per process; NULL makes one */
    /* True for a handle that never processes and only registers locations and requests
     * refreshes, so it leaves the search indexes of a first load to the engine that processes. */
    bool registers_only;
} gr_catalog_options;

/** Called after a final entity changed or was deleted; `entity_ref` is borrowed. */
typedef void (*gr_catalog_stitched_fn)(const char *entity_ref, int deleted, void *payload);

/**
 * Creates an engine: reads the catalog settings from the config, applies
 * the catalog migrations and stores the locations of `catalog.locations`.
 * Returns 0 and *out (free with gr_catalog_free()); GR_EINVALID for a bad
 * setting (the message names the key); or a database error.
 */
int gr_catalog_new(gr_catalog **out, const gr_catalog_options *options);

/**
 * Applies the catalog engine's migrations to `db` (borrowed) and nothing
 * else: no settings, locations or threads. Returns 0 or the database error.
 */
int gr_catalog_migrate(gr_db *db);

/** Starts the worker threads. Returns 0, or GR_EINVALID when already started. */
int gr_catalog_start(gr_catalog *catalog);

/** Stops the worker threads after their current batch. Idempotent. */
void gr_catalog_stop(gr_catalog *catalog);

/** Stops the engine if needed and frees it. NULL-safe. */
void gr_catalog_free(gr_catalog *catalog);

/** Returns the database of the engine (borrowed). */
gr_db *gr_catalog_db(const gr_catalog *catalog);

/**
 * True when catalog.readonly is true. The API then rejects registering and
 * deleting locations, as the createRouter of Backstage's catalog backend
 * does, so only configured locations and providers feed the catalog.
 */
bool gr_catalog_readonly(const gr_catalog *catalog);

/**
 * Registers `fn` to run after every change or delete of a final entity,
 * on the worker thread that made it, after the change is committed.
 * At most GR_CATALOG_MAX_HOOKS hooks; returns 0 or GR_ELIMIT.
 */
int gr_catalog_on_stitched(gr_catalog *catalog, gr_catalog_stitched_fn fn, void *payload);

/** Maximum number of gr_catalog_on_stitched() hooks. */
#define GR_CATALOG_MAX_HOOKS 8

/**
 * Registers a location as POST /api/catalog/locations does. `type` is
 * "url", "file" or "git"; `target` its URL, path or git target. Only the
 * types in catalog.allowedLocationTypes (default ["url"], as Backstage) may
 * be registered this way.
 * With `dry_run`, nothing is stored: the location is read and processed in
 * memory and *entities_out gets every entity it would emit (recursively).
 * Otherwise the location is stored (origin 'user') and processed soon.
 * Outputs (each may be NULL; caller releases with json_decref()):
 *   *location_out {id, type, target, entityRef}
 *   *entities_out array of entities (empty unless dry_run)
 *   *exists_out   true/false: whether the location was registered already
 *                 (only set for dry_run, as Backstage does)
 * Returns 0; GR_EINVALID for a bad or disallowed type, a bad target, or a
 * dry run whose processing failed (the message lists the errors); GR_ECONFLICT when the
 * location exists (not for dry_run); GR_EDENIED when a URL host is not
 * allowed; or a read or database error.
 */
int gr_catalog_add_location(gr_catalog *catalog, const char *type, const char *target, int dry_run,
                            json_t **location_out, json_t **entities_out, json_t **exists_out);

/**
 * Registers a location for an operator (the CLI). Any of the types file,
 * url and git is accepted, whatever catalog.allowedLocationTypes lists. A
 * location that exists already is made due for processing, with everything
 * it leads to, instead. *location_out as in
 * gr_catalog_add_location() (may be NULL). Returns 0, GR_EINVALID or a
 * database error.
 */
int gr_catalog_import_location(gr_catalog *catalog, const char *type, const char *target,
                               json_t **location_out);

/**
 * Changes the type and target of user location `id`, keeping its id. Its old
 * Location entity goes, with every entity only it kept alive, and the new one
 * is processed soon. The new type and target pass the checks of
 * gr_catalog_add_location(). Stores {id, type, target, entityRef} in
 * *location_out (may be NULL; caller releases). Returns 0; GR_ENOTFOUND for
 * an unknown id; GR_EDENIED for a location from the config or a URL host that
 * is not allowed; GR_ECONFLICT when another location has that type and
 * target; GR_EINVALID; or a database error.
 */
int gr_catalog_update_location(gr_catalog *catalog, const char *id, const char *type,
                               const char *target, json_t **location_out);

/**
 * Removes a user location and deletes every entity only it kept alive.
 * Returns 0, GR_ENOTFOUND, GR_EDENIED for a location from the config, or a database error.
 */
int gr_catalog_remove_location(gr_catalog *catalog, const char *id);

/**
 * Lists locations as a JSON array of {id, type, target, entityRef, origin}
 * ordered by id; `origin` is "config" or "user". Caller releases *out.
 */
int gr_catalog_list_locations(gr_catalog *catalog, json_t **out);

/** Finds one location by id ({id, type, target, entityRef, origin}). Returns 0 or GR_ENOTFOUND. */
int gr_catalog_get_location(gr_catalog *catalog, const char *id, json_t **out);

/**
 * Finds the location an entity came from (its managed-by-origin-location).
 * `entity_ref` is "kind:namespace/name" in any case. Returns 0 or GR_ENOTFOUND.
 */
int gr_catalog_location_by_entity(gr_catalog *catalog, const char *entity_ref, json_t **out);

/**
 * Deletes an entity by uid as DELETE /entities/by-uid/:uid does: its row and
 * final entity go away, and it comes back if a location still emits it.
 * `actor` (may be NULL) is recorded as the cause in the history.
 * Returns 0, GR_ENOTFOUND or a database error.
 */
int gr_catalog_delete_entity(gr_catalog *catalog, const char *uid);
int gr_catalog_delete_entity_as(gr_catalog *catalog, const char *uid, const char *actor);

/**
 * Makes an entity and the locations it came from due for processing now,
 * as POST /refresh does. Returns 0, GR_ENOTFOUND, GR_EINVALID for a bad
 * reference, or a database error. `actor` (may be NULL) is recorded as the
 * cause of the changes that follow.
 */
int gr_catalog_refresh(gr_catalog *catalog, const char *entity_ref);
int gr_catalog_refresh_as(gr_catalog *catalog, const char *entity_ref, const char *actor);

/**
 * Validates an entity as POST /validate-entity does. `location` is a
 * location reference ("url:https://..."). On 0 the entity is valid; on
 * GR_EINVALID *errors_out (caller releases) is an array of {name, message}.
 */
int gr_catalog_validate_entity(gr_catalog *catalog, const json_t *entity, const char *location,
                               json_t **errors_out);

/**
 * Analyzes a location as POST /analyze-location does: reads `target` (type
 * "url", "file" or "git", and one of catalog.allowedLocationTypes) and
 * returns {existingEntityFiles: [{location, isRegistered, entity}],
 * generateEntities: [...]} in *out.
 * Returns 0, GR_EINVALID (also for a type that is not allowed), GR_EDENIED
 * or a read error.
 */
int gr_catalog_analyze_location(gr_catalog *catalog, const char *type, const char *target,
                                json_t **out);

/**
 * Returns the ancestry of an entity as GET .../ancestry does:
 * {rootEntityRef, items: [{entity, parentEntityRefs}]} with final entities.
 * Returns 0 or GR_ENOTFOUND.
 */
int gr_catalog_ancestry(gr_catalog *catalog, const char *entity_ref, json_t **out);

/**
 * Returns the history of an entity, oldest first: an array of
 * {id, entityRef, entityId, changedAt (ISO 8601), cause, change, diff}
 * where change is "created", "updated" or "deleted" and diff is an array of
 * {path (JSON pointer), old, new}. Returns 0 (an empty array when unknown).
 */
int gr_catalog_history(gr_catalog *catalog, const char *entity_ref, json_t **out);

/**
 * Lists entities whose last processing failed and that a location still
 * emits (orphans are left out): an array of {entityRef, entityId, location,
 * errors: [{name, message}]}. Returns 0 or a database error.
 */
int gr_catalog_processing_errors(gr_catalog *catalog, json_t **out);

/**
 * Lists the failed entities as gr_catalog_processing_errors() does, but only
 * `root_ref` (the Location entity of a location, lower case) and the
 * entities it emits, directly or through nested Locations.
 */
int gr_catalog_processing_errors_under(gr_catalog *catalog, const char *root_ref, json_t **out);

/**
 * Counts of the engine tables, for progress displays and tests.
 */
typedef struct {
    int64_t entities;  /* rows of catalog_refresh_state */
    int64_t final;     /* rows of catalog_final_entities */
    int64_t due;       /* rows due for processing now */
    int64_t stitching; /* rows of catalog_stitch_queue */
    int64_t errors;    /* rows with processing errors that a location still emits */
} gr_catalog_counts;

/** Reads the counts. Returns 0 or a database error. */
int gr_catalog_counts_read(gr_catalog *catalog, gr_catalog_counts *out);

/**
 * Waits until no entity is due for processing, no stitch is pending and,
 * with orphanStrategy delete, no orphan is left. Without started workers
 * the calling thread does the work itself. Returns 0, or GR_ELIMIT after
 * `timeout_ms`.
 */
int gr_catalog_wait_idle(gr_catalog *catalog, int timeout_ms);

#endif
