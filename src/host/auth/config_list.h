/* SPDX-License-Identifier: MIT */
/* Lists in auth config that may be written as one string or as an array of strings. */
#ifndef GR_HOST_AUTH_CONFIG_LIST_H
#define GR_HOST_AUTH_CONFIG_LIST_H

#include <jansson.h>
#include <stddef.h>

/** Maximum number of values in one such list. */
#define GR_AUTH_CONFIG_LIST_MAX 64

/** A list of distinct non-empty strings, each owned by the list. */
typedef struct {
    char **items;
    size_t count;
} gr_auth_config_list;

/**
 * Reads `value`, a string or an array of strings, as Backstage reads these
 * options: every string is split at spaces and commas, empty parts are
 * dropped and repeated parts are kept once. `value` NULL gives an empty
 * list. Returns 0 and fills *out (clear with gr_auth_config_list_clear()),
 * or GR_EINVALID naming `path` when `value` is of another type, an array item
 * is not a string or the list has more than GR_AUTH_CONFIG_LIST_MAX values.
 */
int gr_auth_config_list_read(const json_t *value, const char *path, gr_auth_config_list *out);

/** Frees the strings of a list and empties it. Safe to call twice. */
void gr_auth_config_list_clear(gr_auth_config_list *list);

/** Returns whether `text` (may be NULL, which is never found) is in the list. */
int gr_auth_config_list_contains(const gr_auth_config_list *list, const char *text);

#endif
