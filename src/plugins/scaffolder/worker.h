/* SPDX-License-Identifier: MIT */
/* Task workers: threads that claim open tasks from the shared queue and run them. */
#ifndef GR_SCAFFOLDER_WORKER_H
#define GR_SCAFFOLDER_WORKER_H

#include <stdint.h>

#include "plugins/scaffolder/scaffolder.h"

/** Default of how long a claim lasts without a heartbeat, in ms (scaffolder.taskLeaseSeconds). */
#define GR_TASK_LEASE_MS 60000
/** Time between two heartbeats of the running tasks, in milliseconds. */
#define GR_TASK_HEARTBEAT_MS 10000
/** Time between two looks at the queue when nothing woke the workers, in milliseconds. */
#define GR_TASK_POLL_MS 1000

typedef struct gr_scaffolder_workers gr_scaffolder_workers;

/**
 * Creates `count` workers (scaffolder.concurrentTasksLimit) for the tasks in
 * the database of `scaffolder`, claiming as `instance_id`. Both are borrowed
 * and must outlive the workers. Returns 0 and *out (free with
 * gr_scaffolder_workers_free()).
 */
int gr_scaffolder_workers_new(gr_scaffolder_workers **out, gr_scaffolder *scaffolder,
                              const char *instance_id, int count);

/** Starts the worker threads and the heartbeat thread. Returns 0 or GR_EBACKEND. */
int gr_scaffolder_workers_start(gr_scaffolder_workers *workers);

/** Wakes an idle worker at once, after a task was created on this instance. Thread-safe. */
void gr_scaffolder_workers_notify(gr_scaffolder_workers *workers);

/**
 * Stops claiming tasks, asks the running tasks to stop (they end as
 * cancelled) and waits for the threads. Idempotent.
 */
void gr_scaffolder_workers_stop(gr_scaffolder_workers *workers);

/** Stops the workers if needed and frees them. NULL-safe. */
void gr_scaffolder_workers_free(gr_scaffolder_workers *workers);

#endif
