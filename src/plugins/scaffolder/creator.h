/* SPDX-License-Identifier: MIT */
/* The identity of a task's creator: stored with the task and rebuilt when a worker runs it. */
#ifndef GR_SCAFFOLDER_CREATOR_H
#define GR_SCAFFOLDER_CREATOR_H

#include <jansson.h>

#include "host/auth/identity.h"

/*
 * Stored form (the `creator` column of scaffolder_tasks):
 *   {"type": "user", "userEntityRef": "user:default/jane",
 *    "ownershipEntityRefs": ["user:default/jane", "group:default/team-a"]}
 *   {"type": "service", "subject": "external:ci-bot"}
 *   {"type": "none"}   an anonymous caller
 * A service whose accessRestrictions exclude catalog.entity.read also gets
 * "catalogEntityRead": false. Tokens and sessions are never stored, so a
 * stored task contains no credential.
 */

/**
 * Returns the stored form of `identity` (borrowed, may be NULL for a caller
 * without identity, which gives {"type": "none"}). At most
 * GR_AUTH_MAX_OWNERSHIP ownership refs are kept. A new reference.
 */
json_t *gr_scaffolder_creator_from_identity(const gr_identity *identity);

/** An identity rebuilt from its stored form. Clear with gr_scaffolder_creator_clear(). */
typedef struct {
    gr_identity identity;
    const char **ownership; /* the identity's ownership array; owned, strings borrowed */
    json_t *stored;         /* the stored form that every string points into; owned */
} gr_scaffolder_creator;

/**
 * Rebuilds the identity that `stored` (borrowed; NULL, JSON null or an
 * object of the stored form) describes, with source "task". A missing or
 * malformed form, and a service whose restrictions excluded
 * catalog.entity.read, give an identity without a type, which every
 * enabled permission policy denies. Always fills `out`.
 */
void gr_scaffolder_creator_rebuild(const json_t *stored, gr_scaffolder_creator *out);

/** Releases what gr_scaffolder_creator_rebuild() took. NULL-safe and safe to call twice. */
void gr_scaffolder_creator_clear(gr_scaffolder_creator *creator);

#endif
