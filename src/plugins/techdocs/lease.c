/* SPDX-License-Identifier: MIT */
/* Build claims in techdocs_builds, so one site is built by one instance at a time. */
#include "plugins/techdocs/lease.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

int gr_techdocs_lease_claim(gr_db *db, const char *entity_ref, const char *owner,
                            int64_t lease_ms)
{
    const char *now = gr_db_sql_now_ms(db);
    char *sql = gr_xasprintf(
        "INSERT INTO techdocs_builds (entity_ref, lease_owner, lease_until, phase, started_at)"
        " VALUES (?, ?, %s + ?, 'check', %s)"
        " ON CONFLICT (entity_ref) DO UPDATE SET lease_owner = excluded.lease_owner,"
        " lease_until = excluded.lease_until, phase = excluded.phase,"
        " started_at = excluded.started_at"
        " WHERE techdocs_builds.lease_owner IS NULL"
        " OR techdocs_builds.lease_until <= excluded.started_at"
        " RETURNING entity_ref",
        now, now);
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_acquire(db, GR_DB_WRITE, &conn);

    if (rc == GR_OK)
        rc = gr_db_prepare(conn, sql, &stmt);
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, entity_ref);
        gr_db_bind_text(stmt, 2, owner);
        gr_db_bind_int64(stmt, 3, lease_ms);
        rc = gr_db_step(stmt);
    }
    if (rc == GR_DB_ROW)
        rc = 1;
    else if (rc == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(sql);
    return rc;
}

int gr_techdocs_lease_release(gr_db *db, const char *entity_ref, const char *owner,
                              const char *source_hash, int built, const char *error)
{
    char *sql = gr_xasprintf(
        "UPDATE techdocs_builds SET lease_owner = NULL, lease_until = 0, phase = NULL,"
        " source_hash = COALESCE(?, source_hash), checked_at = %s, finished_at = %s,"
        " build_count = build_count + ?, error = ?"
        " WHERE entity_ref = ? AND lease_owner = ?",
        gr_db_sql_now_ms(db), gr_db_sql_now_ms(db));
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_acquire(db, GR_DB_WRITE, &conn);

    if (rc == GR_OK)
        rc = gr_db_prepare(conn, sql, &stmt);
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, source_hash);
        gr_db_bind_int64(stmt, 2, built ? 1 : 0);
        gr_db_bind_text(stmt, 3, error);
        gr_db_bind_text(stmt, 4, entity_ref);
        gr_db_bind_text(stmt, 5, owner);
        rc = gr_db_step(stmt);
    }
    if (rc == GR_DB_DONE)
        rc = gr_db_changes(stmt) == 1
                 ? GR_OK
                 : gr_error_set(GR_ECONFLICT,
                                "the build lease of %s expired and passed to another owner",
                                entity_ref);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(sql);
    return rc;
}

int gr_techdocs_lease_state(gr_db *db, const char *entity_ref, gr_techdocs_build_state *out)
{
    const char *now = gr_db_sql_now_ms(db);
    char *sql = gr_xasprintf(
        "SELECT CASE WHEN lease_owner IS NOT NULL AND lease_until > %s THEN lease_owner END,"
        " source_hash, checked_at, %s - checked_at, build_count, error, phase"
        " FROM techdocs_builds WHERE entity_ref = ?",
        now, now);
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_acquire(db, GR_DB_READ, &conn);

    memset(out, 0, sizeof(*out));
    if (rc == GR_OK)
        rc = gr_db_prepare(conn, sql, &stmt);
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, entity_ref);
        rc = gr_db_step(stmt);
    }
    if (rc == GR_DB_ROW) {
        const char *owner = gr_db_column_text(stmt, 0);
        const char *hash = gr_db_column_text(stmt, 1);
        const char *error = gr_db_column_text(stmt, 5);

        const char *phase = gr_db_column_text(stmt, 6);

        out->held = owner != NULL;
        out->building = out->held && phase != NULL && strcmp(phase, "build") == 0;
        out->owner = owner ? gr_xstrdup(owner) : NULL;
        out->source_hash = hash ? gr_xstrdup(hash) : NULL;
        out->checked_at = gr_db_column_int64(stmt, 2);
        out->age_ms = gr_db_column_int64(stmt, 3);
        out->build_count = gr_db_column_int64(stmt, 4);
        out->error = error ? gr_xstrdup(error) : NULL;
        rc = GR_OK;
    } else if (rc == GR_DB_DONE) {
        rc = GR_OK;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(sql);
    return rc;
}

int gr_techdocs_lease_mark_building(gr_db *db, const char *entity_ref, const char *owner)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_acquire(db, GR_DB_WRITE, &conn);

    if (rc == GR_OK)
        rc = gr_db_prepare(conn,
                           "UPDATE techdocs_builds SET phase = 'build'"
                           " WHERE entity_ref = ? AND lease_owner = ?",
                           &stmt);
    if (rc == GR_OK) {
        gr_db_bind_text(stmt, 1, entity_ref);
        gr_db_bind_text(stmt, 2, owner);
        rc = gr_db_step(stmt);
    }
    if (rc == GR_DB_DONE)
        rc = GR_OK;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

void gr_techdocs_build_state_free(gr_techdocs_build_state *state)
{
    if (state == NULL)
        return;
    free(state->owner);
    free(state->source_hash);
    free(state->error);
    memset(state, 0, sizeof(*state));
}
