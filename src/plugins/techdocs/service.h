/* SPDX-License-Identifier: MIT */
/* The TechDocs service: builds sites on demand on worker threads and reads published ones. */
#ifndef GR_PLUGINS_TECHDOCS_SERVICE_H
#define GR_PLUGINS_TECHDOCS_SERVICE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "host/config/config.h"
#include "host/store/db.h"
#include "plugins/techdocs/entity.h"
#include "plugins/techdocs/settings.h"
#include "plugins/techdocs/store.h"

/*
 * With techdocs.builder local, a site is built the first time its docs are
 * viewed or synced. Its source is compared again (by content hash) at most
 * once per check interval, and a changed source is rebuilt. Builds run on
 * the service's worker threads. A site is claimed in techdocs_builds before
 * it is built, so instances sharing a database never build it twice at
 * once; an instance that finds the claim taken waits for the other's build.
 * Request threads wait for a build at most `wait_ms`.
 *
 * Threads: every function is thread-safe.
 */

typedef struct gr_techdocs_service gr_techdocs_service;
typedef struct gr_permission_policy gr_permission_policy;

/** How to create a service. */
typedef struct {
    gr_db *db;                            /* borrowed; must outlive the service */
    const gr_config *config;              /* borrowed, or NULL for the defaults */
    const gr_techdocs_settings *settings; /* copied; NULL reads them from `config` */
    const char *instance_id;              /* lease owner, unique per instance; copied */
    const gr_permission_policy *policy;   /* borrowed; NULL: every caller reads every site */
} gr_techdocs_service_options;

/**
 * Creates a service: reads the settings and opens the store, whose tables
 * the plugin's migrations made. Returns GR_OK and *out (free with gr_techdocs_service_free()),
 * GR_EINVALID for a missing instance id, or a store error.
 */
int gr_techdocs_service_new(gr_techdocs_service **out, const gr_techdocs_service_options *options);

/** Starts the build worker threads. Returns GR_OK, or GR_EINVALID when started before. */
int gr_techdocs_service_start(gr_techdocs_service *service);

/**
 * Stops the workers after their current build and fails queued jobs. A
 * build waiting for another instance's claim gives up. Idempotent.
 */
void gr_techdocs_service_stop(gr_techdocs_service *service);

/** Receives the ref of a site that a build of the service published (borrowed). */
typedef void (*gr_techdocs_published_fn)(const char *entity_ref, void *payload);

/**
 * Sets the function called on a build worker thread after each site that a
 * build of this service published, so that search can index it at once.
 * `payload` is borrowed. Call before gr_techdocs_service_start().
 */
void gr_techdocs_service_on_published(gr_techdocs_service *service, gr_techdocs_published_fn fn,
                                      void *payload);

/** Stops the service if needed and frees it. NULL-safe. */
void gr_techdocs_service_free(gr_techdocs_service *service);

/** Returns the settings in use (borrowed). */
const gr_techdocs_settings *gr_techdocs_service_settings(const gr_techdocs_service *service);

/** Returns the database (borrowed). */
gr_db *gr_techdocs_service_db(const gr_techdocs_service *service);

/** Returns the permission policy the sites are read under (borrowed; may be NULL). */
const gr_permission_policy *gr_techdocs_service_policy(const gr_techdocs_service *service);

/** Returns the store (borrowed). */
gr_techdocs_store *gr_techdocs_service_store(const gr_techdocs_service *service);

/** The state of a site for a page request. */
typedef enum {
    GR_TECHDOCS_READY = 0, /* a site is published and served */
    GR_TECHDOCS_BUILDING,  /* no site yet; its first build is running */
    GR_TECHDOCS_FAILED,    /* no site; the last build failed (see `error`) */
    GR_TECHDOCS_MISSING,   /* techdocs.builder external and nothing is published */
} gr_techdocs_state;

/** The result of gr_techdocs_service_view(). Free with gr_techdocs_view_free(). */
typedef struct {
    gr_techdocs_state state;
    int rebuilding; /* READY, and a newer version is being built */
    char *error;    /* FAILED: why */
} gr_techdocs_view;

/**
 * Prepares the docs of `triplet` for viewing. `entity` (borrowed) is its
 * catalog entity. Local builder: starts the first build and waits for it up
 * to `wait_ms`, or, for a built site, starts a source check when the last
 * one is older than the check interval, without waiting. External builder:
 * only looks for a published site. Returns GR_OK with `out` filled, or a
 * database error.
 */
int gr_techdocs_service_view(gr_techdocs_service *service, const gr_techdocs_triplet *triplet,
                             int64_t wait_ms, gr_techdocs_view *out);

/** Frees the strings of `view`. NULL-safe. */
void gr_techdocs_view_free(gr_techdocs_view *view);

/**
 * Reads a file of the published site (see gr_techdocs_store_read()),
 * through the in-memory cache when techdocs.cache.ttl is set.
 */
int gr_techdocs_service_read(gr_techdocs_service *service, const gr_techdocs_triplet *triplet,
                             const char *path, int with_data, gr_techdocs_blob *out);

/** One build or source check of a site, shared by everyone who asked for it. */
typedef struct gr_techdocs_job gr_techdocs_job;

/**
 * Queues a check of `triplet`'s source (a build when it changed or no site
 * exists), or joins the one queued or running on this instance. Returns a
 * job reference (release with gr_techdocs_job_release()), or NULL when the
 * service is stopped.
 */
gr_techdocs_job *gr_techdocs_service_request(gr_techdocs_service *service,
                                             const gr_techdocs_triplet *triplet);

/**
 * Waits until `job` finishes or `timeout_ms` passes. Returns 1 when it
 * finished, 0 on timeout.
 */
int gr_techdocs_job_wait(gr_techdocs_job *job, int64_t timeout_ms);

/** The progress of a job as a reader sees it. */
typedef struct {
    char *line;  /* the next log line (caller frees), or NULL when none is new */
    int done;    /* the job finished and every line was read */
    int updated; /* done: a new site was published */
    char *error; /* done: why it failed (caller frees), or NULL */
} gr_techdocs_job_event;

/**
 * Returns the log line at `*cursor` and advances it, or, once every line
 * was read, whether the job is done and how it ended. Never blocks.
 */
void gr_techdocs_job_poll(gr_techdocs_job *job, size_t *cursor, gr_techdocs_job_event *out);

/** Drops a reference to a job. NULL-safe. */
void gr_techdocs_job_release(gr_techdocs_job *job);

/**
 * Stores in *needed whether a sync request should start a job now: no site
 * is published, or the last source check is older than the check interval.
 * Returns GR_OK or a database error.
 */
int gr_techdocs_service_needs_check(gr_techdocs_service *service,
                                    const gr_techdocs_triplet *triplet, int *needed);

#endif
