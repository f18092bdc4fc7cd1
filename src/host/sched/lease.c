/* SPDX-License-Identifier: MIT */
/* The scheduler_leases table: taking, freeing and inspecting job leases. */
#include "host/sched/lease.h"

#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/sched/sched.h"
#include "host/store/migrate.h"

static const gr_db_migration lease_migrations[] = {
    {
        .version = 1,
        .description = "create scheduler_leases",
        .sql = "CREATE TABLE scheduler_leases ("
               " job_id TEXT PRIMARY KEY,"
               " owner TEXT,"
               " expires_at BIGINT NOT NULL DEFAULT 0,"
               " next_run_at BIGINT NOT NULL DEFAULT 0,"
               " last_run_at BIGINT NOT NULL DEFAULT 0)",
    },
};

int gr_sched__lease_migrate(gr_db *db)
{
    return gr_db_migrate(db, "scheduler", lease_migrations,
                         sizeof(lease_migrations) / sizeof(lease_migrations[0]));
}

void gr_sched__lease_sql_init(gr_sched__lease_sql *sql, gr_db *db)
{
    const char *now = gr_db_sql_now_ms(db);

    /* The row is free and due, or its holder let the lease expire. */
    sql->claim = gr_xasprintf(
        "INSERT INTO scheduler_leases (job_id, owner, expires_at, next_run_at, last_run_at)"
        " VALUES (?, ?, %s + ?, %s, %s)"
        " ON CONFLICT (job_id) DO UPDATE SET owner = excluded.owner,"
        " expires_at = excluded.expires_at, last_run_at = excluded.last_run_at"
        " WHERE (scheduler_leases.owner IS NULL"
        " AND scheduler_leases.next_run_at <= excluded.last_run_at)"
        " OR (scheduler_leases.owner IS NOT NULL"
        " AND scheduler_leases.expires_at <= excluded.last_run_at)"
        " RETURNING job_id",
        now, now, now);
    sql->release = gr_xasprintf("UPDATE scheduler_leases SET owner = NULL, expires_at = 0,"
                                " next_run_at = last_run_at + ?"
                                " WHERE job_id = ? AND owner = ?"
                                " RETURNING next_run_at - %s",
                                now);
    sql->probe = gr_xasprintf("SELECT CASE WHEN owner IS NULL THEN next_run_at ELSE expires_at END"
                              " - %s FROM scheduler_leases WHERE job_id = ?",
                              now);
    sql->trigger = gr_xasprintf("UPDATE scheduler_leases SET next_run_at = %s"
                                " WHERE job_id = ? AND (owner IS NULL OR expires_at <= %s)",
                                now, now);
}

void gr_sched__lease_sql_free(gr_sched__lease_sql *sql)
{
    free(sql->claim);
    free(sql->release);
    free(sql->probe);
    free(sql->trigger);
}

int gr_sched__lease_claim(gr_db *db, const gr_sched__lease_sql *sql, const char *job_id,
                          const char *owner, int64_t timeout_ms)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    rc = gr_db_acquire(db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, sql->claim, &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, job_id);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 2, owner);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, 3, timeout_ms);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW || rc == GR_DB_DONE)
        rc = rc == GR_DB_ROW ? 1 : 0;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

int gr_sched__lease_release(gr_db *db, const gr_sched__lease_sql *sql, const char *job_id,
                            const char *owner, int64_t interval_ms, int64_t *delay_ms)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    *delay_ms = 0;
    rc = gr_db_acquire(db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, sql->release, &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_int64(stmt, 1, interval_ms);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 2, job_id);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 3, owner);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW) {
        *delay_ms = gr_db_column_int64(stmt, 0);
        rc = 1;
    } else if (rc == GR_DB_DONE) {
        rc = 0;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

int gr_sched__lease_probe(gr_db *db, const gr_sched__lease_sql *sql, const char *job_id,
                          int64_t *delay_ms)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    *delay_ms = 0;
    rc = gr_db_acquire(db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, sql->probe, &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, job_id);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW)
        *delay_ms = gr_db_column_int64(stmt, 0);
    if (rc == GR_DB_ROW || rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

int gr_sched__lease_trigger(gr_db *db, const gr_sched__lease_sql *sql, const char *job_id)
{
    const char *exists_sql = "SELECT COUNT(*) FROM scheduler_leases WHERE job_id = ?";
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int64_t rows = 0;
    int rc;

    rc = gr_db_acquire(db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, sql->trigger, &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, job_id);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc != GR_DB_DONE || gr_db_changes(stmt) > 0)
        goto done;

    /* No row changed: either the job never ran (nothing to do) or it is leased. */
    gr_db_finalize(stmt);
    stmt = NULL;
    rc = gr_db_prepare(conn, exists_sql, &stmt);
    if (rc == GR_OK)
        rc = gr_db_bind_text(stmt, 1, job_id);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_ROW)
        rows = gr_db_column_int64(stmt, 0);
    if (rows > 0)
        rc = gr_error_set(GR_ECONFLICT, "job %s is running; trigger it again after it finishes",
                          job_id);
done:
    if (rc == GR_DB_DONE || rc == GR_DB_ROW)
        rc = GR_OK;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

int64_t gr_sched__retry_delay(int64_t delay_ms, int64_t max_ms)
{
    if (delay_ms < GR_SCHED_RETRY_MIN_MS)
        return GR_SCHED_RETRY_MIN_MS;
    return delay_ms > max_ms ? max_ms : delay_ms;
}
