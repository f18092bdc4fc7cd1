/* SPDX-License-Identifier: MIT */
/* The history of an entity as a caller whose read permission has conditions may see it. */
#ifndef GR_PLUGINS_CATALOG_PERMISSION_HISTORY_H
#define GR_PLUGINS_CATALOG_PERMISSION_HISTORY_H

#include <jansson.h>

#include "host/auth/identity.h"
#include "host/permission/permission.h"

/** The cause shown in place of a user or service that is not the caller. */
#define GR_CATALOG_HISTORY_OTHER_CAUSE "another caller"

/**
 * Filters *items, a history as gr_catalog_history() returns it (oldest
 * first), for `identity`. When catalog.entity.read is allowed without
 * conditions, *items stays as it is. When it is conditional, the versions of
 * the entity are rebuilt backwards from `current` (the final entity now, or
 * NULL when there is none) with gr_catalog__diff_revert(). An item stays
 * only when the conditions match the version before it and the version
 * after it. A "created" item needs only the version after it and a
 * "deleted" item only the version before it. Versions older than a diff that
 * does not fit are unreadable, so their items are dropped. A kept cause
 * "user:<subject>" naming another subject becomes
 * GR_CATALOG_HISTORY_OTHER_CAUSE. A denied caller gets an empty array.
 * *items is replaced by a new array (the old reference is released).
 * Returns 0, or GR_EINVALID for a policy without catalog.entity.read.
 * Thread-safe.
 */
int gr_catalog_access_history(const gr_permission_policy *policy, const gr_identity *identity,
                              const json_t *current, json_t **items);

#endif
