/* SPDX-License-Identifier: MIT */
/* Sign-in sessions stored in the database, so that signing out revokes them on every instance. */
#ifndef GR_HOST_AUTH_SESSION_H
#define GR_HOST_AUTH_SESSION_H

#include <stdint.h>

#include "host/store/db.h"

/** Length of a session id: a random UUID, which identity tokens carry as the "sid" claim. */
#define GR_AUTH_SESSION_ID_LEN 36

/*
 * Rows of auth_sessions(id, subject, created_at, expires_at), times in
 * milliseconds. A session lives until it expires or is revoked; a token
 * whose session row is gone is rejected. Every function is thread-safe.
 */

/**
 * Stores a new session of `subject` (borrowed) valid until `expires_at`
 * (seconds) and writes its id to `id`. Deletes sessions expired before
 * `now` on the way. Returns 0 or a database error.
 */
int gr_auth_sessions_create(gr_db *db, const char *subject, int64_t now, int64_t expires_at,
                            char id[GR_AUTH_SESSION_ID_LEN + 1]);

/**
 * Checks that session `id` exists, belongs to `subject` and has not expired
 * at `now` (seconds). Returns 0, GR_EUNAUTH when it was revoked or expired,
 * or a database error.
 */
int gr_auth_sessions_check(gr_db *db, const char *id, const char *subject, int64_t now);

/**
 * Moves the expiry of session `id` to `expires_at` (seconds), for a refresh,
 * unless the session started before `started_after` (seconds): a refresh
 * cannot keep a session alive past its maximum age. Returns 0, GR_EUNAUTH
 * when the session no longer exists or is too old, or a database error.
 */
int gr_auth_sessions_extend(gr_db *db, const char *id, int64_t started_after, int64_t expires_at);

/** Deletes session `id`; deleting a missing session succeeds. Returns 0 or a database error. */
int gr_auth_sessions_revoke(gr_db *db, const char *id);

#endif
