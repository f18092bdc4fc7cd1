/* SPDX-License-Identifier: MIT */
/* Sign-in sessions stored in the database, so that signing out revokes them on every instance. */
#include "host/auth/session.h"

#include <string.h>

#include "host/auth/jwk.h"
#include "host/common/error.h"

/* Runs one statement on a writer connection with texts `a`, `b` and integers
 * `n0`, `n1` bound in that order; NULL texts and negative integers are left out. */
static int session_write(gr_db *db, const char *sql, const char *a, const char *b, int64_t n0,
                         int64_t n1)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int index = 1;
    int rc;

    if ((rc = gr_db_acquire(db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    rc = gr_db_prepare(conn, sql, &stmt);
    if (rc == GR_OK && a != NULL)
        rc = gr_db_bind_text(stmt, index++, a);
    if (rc == GR_OK && b != NULL)
        rc = gr_db_bind_text(stmt, index++, b);
    if (rc == GR_OK && n0 >= 0)
        rc = gr_db_bind_int64(stmt, index++, n0);
    if (rc == GR_OK && n1 >= 0)
        rc = gr_db_bind_int64(stmt, index++, n1);
    if (rc == GR_OK)
        rc = gr_db_step(stmt);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc < 0 ? rc : GR_OK;
}

int gr_auth_sessions_create(gr_db *db, const char *subject, int64_t now, int64_t expires_at,
                            char id[GR_AUTH_SESSION_ID_LEN + 1])
{
    int rc;

    gr_jwk_random_uuid(id);
    rc = session_write(db, "DELETE FROM auth_sessions WHERE expires_at <= ?", NULL, NULL,
                       now * 1000, -1);
    if (rc == GR_OK)
        rc = session_write(db,
                           "INSERT INTO auth_sessions (id, subject, created_at, expires_at)"
                           " VALUES (?, ?, ?, ?)",
                           id, subject, now * 1000, expires_at * 1000);
    return rc;
}

int gr_auth_sessions_check(gr_db *db, const char *id, const char *subject, int64_t now)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0)
        return rc;
    rc = gr_db_prepare(conn, "SELECT subject, expires_at FROM auth_sessions WHERE id = ?", &stmt);
    if (rc == GR_OK && (rc = gr_db_bind_text(stmt, 1, id)) == GR_OK)
        rc = gr_db_step(stmt);
    if (rc == GR_DB_DONE)
        rc = gr_error_set(GR_EUNAUTH, "the session was signed out");
    else if (rc == GR_DB_ROW && strcmp(gr_db_column_text(stmt, 0), subject) != 0)
        rc = gr_error_set(GR_EUNAUTH, "the session belongs to another user");
    else if (rc == GR_DB_ROW && gr_db_column_int64(stmt, 1) <= now * 1000)
        rc = gr_error_set(GR_EUNAUTH, "the session has expired");
    else if (rc == GR_DB_ROW)
        rc = GR_OK;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

/* Tells why a refresh changed no row: the session is gone or it is too old. */
static int session_not_extended(gr_db_conn *conn, const char *id)
{
    gr_db_stmt *stmt = NULL;
    int rc = gr_db_prepare(conn, "SELECT 1 FROM auth_sessions WHERE id = ?", &stmt);

    if (rc == GR_OK && (rc = gr_db_bind_text(stmt, 1, id)) == GR_OK)
        rc = gr_db_step(stmt);
    gr_db_finalize(stmt);
    if (rc == GR_DB_ROW)
        return gr_error_set(GR_EUNAUTH, "the session is older than auth.sessionMaxAge; "
                                        "sign in again");
    if (rc == GR_DB_DONE)
        return gr_error_set(GR_EUNAUTH, "the session was signed out");
    return rc;
}

int gr_auth_sessions_extend(gr_db *db, const char *id, int64_t started_after, int64_t expires_at)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    if ((rc = gr_db_acquire(db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    rc = gr_db_prepare(conn, "UPDATE auth_sessions SET expires_at = ? WHERE id = ? AND created_at >= ?",
                       &stmt);
    if (rc == GR_OK && (rc = gr_db_bind_int64(stmt, 1, expires_at * 1000)) == GR_OK &&
        (rc = gr_db_bind_text(stmt, 2, id)) == GR_OK &&
        (rc = gr_db_bind_int64(stmt, 3, started_after * 1000)) == GR_OK)
        rc = gr_db_step(stmt);
    if (rc >= 0)
        rc = gr_db_changes(stmt) == 1 ? GR_OK : session_not_extended(conn, id);
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

int gr_auth_sessions_revoke(gr_db *db, const char *id)
{
    return session_write(db, "DELETE FROM auth_sessions WHERE id = ?", id, NULL, -1, -1);
}
