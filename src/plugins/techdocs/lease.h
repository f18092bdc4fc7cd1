/* SPDX-License-Identifier: MIT */
/* Build claims in techdocs_builds, so one site is built by one instance at a time. */
#ifndef GR_PLUGINS_TECHDOCS_LEASE_H
#define GR_PLUGINS_TECHDOCS_LEASE_H

#include <stdint.h>

#include "host/store/db.h"

/*
 * A builder takes the row of a site with one statement that succeeds only
 * when no owner has it or the owner's lease has expired, and frees it when
 * done. Times are milliseconds since the epoch on the database's clock.
 */

/** The techdocs_builds row of a site. Free with gr_techdocs_build_state_free(). */
typedef struct {
    int held;           /* a live lease: a build or check is running somewhere */
    int building;       /* held, and past the check: a new site is being built */
    char *owner;        /* the holder of a live lease, or NULL */
    char *source_hash;  /* the source hash last seen */
    int64_t checked_at; /* when the source was last compared, or 0 */
    int64_t age_ms;     /* milliseconds since checked_at, by the database's clock */
    int64_t build_count;
    char *error; /* the error of the last failed build, or NULL */
} gr_techdocs_build_state;

/**
 * Takes the lease of `entity_ref` for `owner` for `lease_ms`. Returns 1 when
 * taken, 0 when another owner holds a live lease, or a negative error.
 */
int gr_techdocs_lease_claim(gr_db *db, const char *entity_ref, const char *owner,
                            int64_t lease_ms);

/**
 * Frees the lease of `owner` and records the outcome: the source hash that
 * was compared (may be NULL), whether a build ran (`built`), and `error`
 * (NULL after success). Returns GR_OK, GR_ECONFLICT when the lease had
 * passed to another owner, or a database error.
 */
int gr_techdocs_lease_release(gr_db *db, const char *entity_ref, const char *owner,
                              const char *source_hash, int built, const char *error);

/** Records that the holder found the source changed and builds now. Returns GR_OK or an error. */
int gr_techdocs_lease_mark_building(gr_db *db, const char *entity_ref, const char *owner);

/**
 * Reads the state of `entity_ref`. A site never claimed reads as all zero.
 * Returns GR_OK or a database error.
 */
int gr_techdocs_lease_state(gr_db *db, const char *entity_ref, gr_techdocs_build_state *out);

/** Frees the strings of `state`. NULL-safe. */
void gr_techdocs_build_state_free(gr_techdocs_build_state *state);

#endif
