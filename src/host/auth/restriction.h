/* SPDX-License-Identifier: MIT */
/* Access restrictions of external-access entries: which plugins and permissions a token may use. */
#ifndef GR_HOST_AUTH_RESTRICTION_H
#define GR_HOST_AUTH_RESTRICTION_H

#include <jansson.h>
#include <stdbool.h>

#include "host/auth/config_list.h"
#include "host/auth/identity.h"
#include "host/common/buf.h"

/** Maximum number of accessRestrictions items in one externalAccess entry. */
#define GR_AUTH_MAX_RESTRICTIONS 64

/** One accessRestrictions item: a plugin the token may call, and what it may do there. */
struct gr_auth_restriction {
    char *plugin;
    gr_auth_config_list permissions; /* permission names, or none to allow every permission */
    gr_auth_config_list actions;     /* permission actions, or none to allow every action */
};

/**
 * Reads `accessRestrictions` of one externalAccess entry as Backstage reads
 * it: items {plugin, permission?, permissionAttribute?: {action?}}, no other
 * keys, each plugin at most once, actions among create, read, update and
 * delete. Plugin ids are not checked against the loaded plugins. `path`
 * names the entry in messages ("backend.auth.externalAccess[2]"). Stores
 * NULL in *out when the entry has no restrictions or an empty list. Returns
 * 0 and *out (caller frees with gr_auth_restrictions_free()), or GR_EINVALID
 * naming the key path at fault.
 */
int gr_auth_restrictions_read(const json_t *entry, const char *path, gr_auth_restrictions **out);

/** Frees restrictions. NULL-safe. */
void gr_auth_restrictions_free(gr_auth_restrictions *restrictions);

/**
 * Config schema check of one externalAccess entry's accessRestrictions: the
 * rules of gr_auth_restrictions_read(). Returns 0, or 1 after appending
 * to `message` the key path below the entry and what is wrong.
 */
int gr_auth_restrictions_check(const json_t *entry, gr_buf *message);

/**
 * Limits a restricted `identity` to the plugin that `request_path` calls
 * ("/api/<plugin>/..."): sets identity->restriction to that plugin's item.
 * Returns 0 (also for an unrestricted identity), or GR_EDENIED with
 * Backstage's message naming the allowed plugins when the path calls another
 * plugin or no plugin API.
 */
int gr_auth_restrictions_enter(gr_identity *identity, const char *request_path);

/**
 * Returns whether the restrictions of `identity` (may be NULL) let it be
 * granted `permission` with `action` (NULL for a permission without one).
 * A restriction with permission names allows only those; one with actions
 * allows only permissions that have one of those actions. Unrestricted
 * identities are never limited. The policy decides everything that passes.
 */
bool gr_auth_restrictions_permit(const gr_identity *identity, const char *permission,
                                 const char *action);

#endif
