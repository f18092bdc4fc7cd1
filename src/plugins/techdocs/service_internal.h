/* SPDX-License-Identifier: MIT */
/* State shared by the TechDocs service's source files. */
#ifndef GR_PLUGINS_TECHDOCS_SERVICE_INTERNAL_H
#define GR_PLUGINS_TECHDOCS_SERVICE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "plugins/catalog/engine/settings.h"
#include "plugins/techdocs/cache.h"
#include "plugins/techdocs/service.h"

/** Maximum number of log lines a job keeps for sync streams. */
#define GR_TECHDOCS_JOB_MAX_LOG_LINES 1000
/** Time between two looks at another instance's build claim, in ms. */
#define GR_TECHDOCS_CLAIM_POLL_MS 250

struct gr_techdocs_job {
    gr_techdocs_service *service;
    gr_techdocs_triplet triplet;
    int refs;      /* guarded by service->lock */
    bool running;  /* taken by a worker */
    bool done;
    bool updated;
    char *error;
    char **log;
    size_t log_count;
    struct gr_techdocs_job *next_queued; /* the queue, oldest first */
    struct gr_techdocs_job *next_active; /* every job not yet done */
};

struct gr_techdocs_service {
    gr_db *db;
    const gr_permission_policy *policy;
    gr_techdocs_settings settings;
    gr_catalog_settings reading; /* integrations and backend.reading.allow for url and git docs */
    gr_techdocs_store *store;
    gr_techdocs_cache *cache;
    char *instance_id;
    gr_techdocs_published_fn on_published; /* set before start, read by workers */
    void *on_published_payload;

    pthread_mutex_t lock;
    pthread_cond_t changed; /* a job was queued or finished, or the service stops */
    gr_techdocs_job *queue_head;
    gr_techdocs_job *queue_tail;
    gr_techdocs_job *active;
    pthread_t *threads;
    int thread_count;
    bool started;
    bool stopping;
};

/** Runs one job on the calling worker thread (the lock is not held). */
void gr_techdocs__run_job(gr_techdocs_service *service, gr_techdocs_job *job);

/** Appends a formatted line to the job's log and to the service log. */
void gr_techdocs__job_log(gr_techdocs_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
