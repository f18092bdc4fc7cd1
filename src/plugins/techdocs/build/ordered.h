/* SPDX-License-Identifier: MIT */
/* Runs independent jobs on a few threads and finishes them one by one in order. */
#ifndef GR_PLUGINS_TECHDOCS_BUILD_ORDERED_H
#define GR_PLUGINS_TECHDOCS_BUILD_ORDERED_H

#include <stddef.h>

/** Maximum number of threads one build starts, whatever the number of processors. */
#define GR_TECHDOCS_MAX_THREADS 8

/** Maximum number of jobs started past the next one to finish, which bounds their memory. */
#define GR_TECHDOCS_ORDERED_WINDOW 32

/** Does job `index` on any thread, so it may change only what job `index` owns. */
typedef void (*gr_techdocs_job_run)(size_t index, void *payload);

/** Finishes job `index` on the calling thread and returns GR_OK, or an error code to stop. */
typedef int (*gr_techdocs_job_finish)(size_t index, void *payload);

/**
 * Runs `run` for every index in [0, count) on up to `threads` threads, the
 * calling thread among them (1 runs everything on the calling thread), and
 * `finish` on the calling thread for index 0, 1, 2, ... as soon as that job
 * has run. No job starts more than GR_TECHDOCS_ORDERED_WINDOW indices past
 * the next one to finish. After `finish` returns an error no further jobs
 * start; jobs already running complete without being finished. When no
 * thread can be started the jobs run on the calling thread.
 *
 * Returns GR_OK or the first error `finish` returned. Thread-safe.
 */
int gr_techdocs_run_ordered(size_t count, size_t threads, gr_techdocs_job_run run,
                            gr_techdocs_job_finish finish, void *payload);

/** Returns the number of processors online, at most GR_TECHDOCS_MAX_THREADS. Thread-safe. */
size_t gr_techdocs_thread_count(void);

#endif
