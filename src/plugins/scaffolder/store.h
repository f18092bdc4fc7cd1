/* SPDX-License-Identifier: MIT */
/* The task queue in the database: tasks with claims and states, and their event logs. */
#ifndef GR_SCAFFOLDER_STORE_H
#define GR_SCAFFOLDER_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "greenroom/plugin.h"
#include "host/store/db.h"

/*
 * Tables (migrations of component "plugin:scaffolder", recorded under
 * "scaffolder" before the plugin ABI declared them):
 *   scaffolder_tasks(id, spec, secrets, status, created_by, template_ref,
 *                    created_at, last_heartbeat_at, claimed_by,
 *                    claim_expires_at, cancel_requested, state, completed_at,
 *                    creator)
 *   scaffolder_task_events(id, task_id, event_type, body, created_at)
 * Times are milliseconds since the epoch on the database's clock. Status is
 * open, processing, completed, failed or cancelled. Several instances share
 * the queue: a task is claimed by one UPDATE that picks the oldest open
 * task, with FOR UPDATE SKIP LOCKED on PostgreSQL, and the claim is kept
 * alive by heartbeats. Secrets are erased when a task ends.
 * Every function is thread-safe and takes its own connection.
 */

/** Size of a task id (a UUID) with its NUL. */
#define GR_SCAFFOLDER_ID_SIZE 37

/** Writes a new random UUID (version 4) to `out`. */
void gr_scaffolder_new_id(char out[GR_SCAFFOLDER_ID_SIZE]);

/** The task tables' migrations, in version order, declared in the plugin's info. */
extern const gr_plugin_migration gr_task_store_migrations[];
/** Number of entries of gr_task_store_migrations. */
#define GR_TASK_STORE_MIGRATION_COUNT 2

/**
 * Applies the scaffolder's migrations as the plugin host does
 * (gr_scaffolder_plugin_migrate(), plugin.c), for programs without a
 * server. Returns 0 or a database error.
 */
int gr_task_store_migrate(gr_db *db);

/**
 * Stores a new open task. `creator` is the creator's identity in the form
 * of creator.h; a user creator's userEntityRef also becomes the task's
 * createdBy. `secrets` and `creator` may be NULL. Writes its id to
 * `id_out`. Returns 0 or a database error.
 */
int gr_task_create(gr_db *db, const json_t *spec, const json_t *secrets, const json_t *creator,
                   const char *template_ref, char id_out[GR_SCAFFOLDER_ID_SIZE]);

/** Sets the error of a missing task (GR_ENOTFOUND, naming `id`) and returns GR_ENOTFOUND. */
int gr_task_not_found(const char *id);

/**
 * Reads a task as Backstage serializes it: {id, spec, status, createdAt,
 * lastHeartbeatAt, createdBy, state}, without its secrets. Returns 0 and a
 * new reference, GR_ENOTFOUND, or a database error.
 */
int gr_task_get(gr_db *db, const char *id, json_t **out);

/** Filters of gr_task_list(); NULL or 0 fields do not filter. */
typedef struct {
    const char *created_by;
    /* Permission criteria the tasks must match (IS_TASK_OWNER with allOf,
     * anyOf and not; an unknown rule matches no task), borrowed. */
    const json_t *access;
    const char *const *statuses;
    size_t status_count;
    int64_t limit; /* default and maximum GR_TASK_LIST_MAX */
    int64_t offset;
} gr_task_filter;

/** Maximum number of tasks one list returns. */
#define GR_TASK_LIST_MAX 1000

/**
 * Lists tasks, newest first: {tasks: [...], totalTasks}. Every filter, the
 * access criteria included, is part of the SQL, so totalTasks, limit and
 * offset count only matching tasks. Returns 0 or a database error.
 */
int gr_task_list(gr_db *db, const gr_task_filter *filter, json_t **out);

/** A claimed task. Free with gr_task_claim_clear(). */
typedef struct {
    char id[GR_SCAFFOLDER_ID_SIZE];
    json_t *spec;
    json_t *secrets; /* {} when none */
    json_t *creator; /* the creator's identity (creator.h); JSON null for tasks stored without */
} gr_task_claim;

void gr_task_claim_clear(gr_task_claim *claim);

/**
 * Claims the oldest open task for `owner` for `lease_ms`. Returns 0 and
 * fills `out`; GR_ENOTFOUND when no task is open; or a database error.
 */
int gr_task_claim_next(gr_db *db, const char *owner, int64_t lease_ms, gr_task_claim *out);

/**
 * Renews the claim of a running task and reads whether a cancel was
 * requested. Returns 0; GR_ECONFLICT when the claim was lost (another
 * instance recovered the task); or a database error.
 */
int gr_task_heartbeat(gr_db *db, const char *id, const char *owner, int64_t lease_ms,
                      bool *cancel_requested);

/** Appends an event. Returns 0 or a database error. */
int gr_task_add_event(gr_db *db, const char *id, const char *type, const json_t *body);

/** Stores the step states of a running task ({steps: {id: status}}). */
int gr_task_set_state(gr_db *db, const char *id, const json_t *state);

/**
 * Ends a task with `status` (completed, failed or cancelled), erasing its
 * secrets and claim. Returns 0 or a database error.
 */
int gr_task_finish(gr_db *db, const char *id, const char *status);

/**
 * Cancels a task: an open task is cancelled at once (with a "cancelled"
 * event), a processing one is asked to stop. Returns 0; GR_ENOTFOUND;
 * GR_ECONFLICT when the task has ended already; or a database error.
 */
int gr_task_cancel(gr_db *db, const char *id);

/**
 * Opens a failed or cancelled task again, with a "recovered" event. Its
 * secrets are gone, so steps that need them fail again. Returns 0;
 * GR_ENOTFOUND; GR_ECONFLICT when the task is open, processing or
 * completed; or a database error.
 */
int gr_task_retry(gr_db *db, const char *id);

/**
 * Lists the events of a task with an id above `after`, oldest first:
 * [{id, taskId, type, body, createdAt}]. Returns 0 or a database error.
 */
int gr_task_events(gr_db *db, const char *id, int64_t after, json_t **out);

/**
 * Fails every processing task whose claim expired (its instance died), with
 * a completion event that says so. Stores the count in *count (may be
 * NULL). Returns 0 or a database error.
 */
int gr_task_recover_expired(gr_db *db, int64_t *count);

#endif
