/* SPDX-License-Identifier: MIT */
/* The scheduler_leases table: taking, freeing and inspecting job leases. */
#ifndef GR_HOST_SCHED_LEASE_H
#define GR_HOST_SCHED_LEASE_H

#include <stdint.h>

#include "host/store/db.h"

/* SQL text per engine, built once so the statement cache finds it. */
typedef struct {
    char *claim;
    char *release;
    char *probe;
    char *trigger;
} gr_sched__lease_sql;

/* Creates or upgrades the lease table. */
int gr_sched__lease_migrate(gr_db *db);

void gr_sched__lease_sql_init(gr_sched__lease_sql *sql, gr_db *db);
void gr_sched__lease_sql_free(gr_sched__lease_sql *sql);

/* Takes the lease of `job_id` for `owner` when it is free and due or has
 * expired. Returns 1 when taken, 0 when not, or a negative error. */
int gr_sched__lease_claim(gr_db *db, const gr_sched__lease_sql *sql, const char *job_id,
                          const char *owner, int64_t timeout_ms);

/* Frees the lease of `owner` and makes the job due at last_run_at +
 * interval, storing the time from now until then in *delay_ms. Returns 1, 0
 * when the lease had passed to another owner meanwhile, or a negative error. */
int gr_sched__lease_release(gr_db *db, const gr_sched__lease_sql *sql, const char *job_id,
                            const char *owner, int64_t interval_ms, int64_t *delay_ms);

/* Stores in *delay_ms the time until the job may next be claimed: until it is
 * due when free, until its lease expires when held. 0 when there is no row. */
int gr_sched__lease_probe(gr_db *db, const gr_sched__lease_sql *sql, const char *job_id,
                          int64_t *delay_ms);

/* Returns the wait before the next lease attempt in ms, which is `delay_ms`
 * kept between GR_SCHED_RETRY_MIN_MS and `max_ms`. A `delay_ms` below the
 * minimum returns the minimum even when `max_ms` is lower. */
int64_t gr_sched__retry_delay(int64_t delay_ms, int64_t max_ms);

/* Makes a free job due now. Returns 0, or GR_ECONFLICT when a live lease
 * holds it. */
int gr_sched__lease_trigger(gr_db *db, const gr_sched__lease_sql *sql, const char *job_id);

#endif
