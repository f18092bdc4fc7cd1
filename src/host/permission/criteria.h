/* SPDX-License-Identifier: MIT */
/* Three-valued conditions (true, false, or a criteria tree) and their combination. */
#ifndef GR_HOST_PERMISSION_CRITERIA_H
#define GR_HOST_PERMISSION_CRITERIA_H

#include <jansson.h>

/*
 * A condition evaluated for an identity is either decided (true or false)
 * or still depends on the resource, in which case `criteria` holds the
 * PermissionCriteria tree. Each function takes ownership of the criteria of
 * its arguments and returns a value that owns its own.
 */
typedef struct {
    int decided; /* nonzero: `value` is the result and criteria is NULL */
    int value;
    json_t *criteria;
} gr_permission__cond;

gr_permission__cond gr_permission__const(int value);
gr_permission__cond gr_permission__criteria(json_t *criteria);
gr_permission__cond gr_permission__not(gr_permission__cond c);

/** Combines `count` conditions with AND (`all`) or OR, simplifying decided members. */
gr_permission__cond gr_permission__join(gr_permission__cond *items, size_t count, int all);

#endif
