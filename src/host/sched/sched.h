/* SPDX-License-Identifier: MIT */
/* Periodic jobs that run on one instance at a time, coordinated through database leases. */
#ifndef GR_HOST_SCHED_SCHED_H
#define GR_HOST_SCHED_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "host/store/db.h"

/*
 * Every instance that shares a database adds the same jobs. Before a run, an
 * instance takes the job's row in scheduler_leases(job_id, owner,
 * expires_at, next_run_at, last_run_at) with one statement that succeeds
 * only when the row is free and due, or when its lease has expired. After
 * the run it frees the row and sets next_run_at = last_run_at + interval,
 * the same due time for every instance. Times in that table are
 * milliseconds since the epoch on the database's clock, so instance clocks
 * need not agree.
 *
 * Threads: one scheduler thread wakes jobs when they are due and watches
 * timeouts, and GR_SCHED_WORKERS worker threads take leases and run jobs.
 */

typedef struct gr_sched gr_sched;

/** The context of one run, passed to the job (borrowed for the run). */
typedef struct gr_sched_run gr_sched_run;

/**
 * A job. Returns 0, or an error code that is logged with the job id and the
 * thread's error message. Long jobs poll gr_sched_run_stopping() and return
 * soon after it turns true.
 */
typedef int (*gr_sched_fn)(gr_sched_run *run, void *payload);

/** Worker threads per scheduler, so at most this many jobs run at once. */
#define GR_SCHED_WORKERS 4
/** Maximum length of a job id, in bytes. */
#define GR_SCHED_JOB_ID_MAX 200
/** Shortest wait between two lease attempts for a job, in ms. */
#define GR_SCHED_RETRY_MIN_MS 50
/** Wait before retrying a job whose lease query failed, in ms. */
#define GR_SCHED_ERROR_RETRY_MS 5000

/**
 * Creates a scheduler over `db`, which is borrowed and must outlive the
 * scheduler, and migrates its lease table. `instance_id` names this instance as lease
 * owner and must differ between instances sharing the database.
 * Returns 0 and *out (caller frees with gr_sched_free()), GR_EINVALID for an
 * empty id, or a database error.
 */
int gr_sched_new(gr_sched **out, gr_db *db, const char *instance_id);

/**
 * Registers a job. Its first attempt on this instance is `initial_delay_ms`
 * after gr_sched_start(), or after this call when already started. Then a
 * run is due `interval_ms` after the previous run started, on whichever
 * instance ran it. A job whose lease row shows a later due time (from an
 * earlier process) waits for that. A run longer than `timeout_ms` loses its lease
 * and is asked to stop. `payload` is borrowed.
 * Returns 0, GR_EINVALID for bad arguments, or GR_ECONFLICT when the id is
 * taken. Thread-safe.
 */
int gr_sched_add(gr_sched *sched, const char *job_id, int64_t interval_ms, int64_t initial_delay_ms,
                 int64_t timeout_ms, gr_sched_fn fn, void *payload);

/** Starts the scheduler and worker threads. Returns 0, or GR_EINVALID when started before. */
int gr_sched_start(gr_sched *sched);

/**
 * Asks running jobs to stop, waits until they have returned and ends the
 * threads. Jobs not yet started are skipped. A job that never polls
 * gr_sched_run_stopping() delays this until it returns. Idempotent. A
 * stopped scheduler cannot start again.
 */
void gr_sched_stop(gr_sched *sched);

/**
 * Makes a job due now, on this instance and (through next_run_at) on every
 * instance. A job running on this instance runs once more when it ends.
 * Returns 0, GR_ENOTFOUND for an unknown id, GR_ECONFLICT when the job is
 * running on another instance, or a database error. Thread-safe.
 */
int gr_sched_trigger(gr_sched *sched, const char *job_id);

/** Stops the scheduler if needed and frees it. NULL-safe. */
void gr_sched_free(gr_sched *sched);

/** Returns true once the run should end: the scheduler stops or the run timed out. */
bool gr_sched_run_stopping(gr_sched_run *run);

/**
 * Sleeps up to `ms`, waking early when the run should stop. Returns true
 * after the full time, false when the run should stop.
 */
bool gr_sched_run_sleep(gr_sched_run *run, int64_t ms);

/** Returns the id of the running job (borrowed for the run). */
const char *gr_sched_run_job_id(const gr_sched_run *run);

#endif
