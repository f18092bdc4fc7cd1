/* SPDX-License-Identifier: MIT */
/* Access restrictions of external-access entries: which plugins and permissions a token may use. */
#include "host/auth/restriction.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

struct gr_auth_restrictions {
    gr_auth_restriction items[GR_AUTH_MAX_RESTRICTIONS];
    size_t count;
};

/* The permission actions Backstage accepts in permissionAttribute.action. */
static const char *const known_actions[] = {"create", "read", "update", "delete", NULL};

void gr_auth_restrictions_free(gr_auth_restrictions *restrictions)
{
    if (restrictions == NULL)
        return;
    for (size_t i = 0; i < restrictions->count; i++) {
        free(restrictions->items[i].plugin);
        gr_auth_config_list_clear(&restrictions->items[i].permissions);
        gr_auth_config_list_clear(&restrictions->items[i].actions);
    }
    free(restrictions);
}

/* Returns GR_OK when every key of `object` is in `keys` (ended by NULL). */
static int check_keys(const json_t *object, const char *const *keys, const char *path)
{
    const char *key;
    const json_t *value;
    gr_buf known = GR_BUF_INIT;
    int rc = GR_OK;

    json_object_foreach((json_t *)object, key, value)
    {
        size_t i = 0;

        while (keys[i] != NULL && strcmp(keys[i], key) != 0)
            i++;
        if (keys[i] != NULL)
            continue;
        for (i = 0; keys[i] != NULL; i++)
            gr_buf_printf(&known, "%s%s", i > 0 ? ", " : "", keys[i]);
        rc = gr_error_set(GR_EINVALID, "%s.%s: unknown key; the keys are %s", path, key,
                          gr_buf_cstr(&known));
        gr_buf_free(&known);
        break;
    }
    return rc;
}

static int read_actions(const json_t *attribute, const char *path, gr_auth_config_list *out)
{
    static const char *const attribute_keys[] = {"action", NULL};
    char *where = gr_xasprintf("%s.permissionAttribute", path);
    char *action_path = gr_xasprintf("%s.action", where);
    int rc;

    if (!json_is_object(attribute))
        rc = gr_error_set(GR_EINVALID, "%s: must be an object such as {action: [read]}", where);
    else if ((rc = check_keys(attribute, attribute_keys, where)) == GR_OK)
        rc = gr_auth_config_list_read(json_object_get(attribute, "action"), action_path, out);
    for (size_t i = 0; rc == GR_OK && i < out->count; i++) {
        size_t k = 0;

        while (known_actions[k] != NULL && strcmp(known_actions[k], out->items[i]) != 0)
            k++;
        if (known_actions[k] == NULL)
            rc = gr_error_set(GR_EINVALID,
                              "%s: '%s' is not a permission action; use create, read, update "
                              "or delete",
                              action_path, out->items[i]);
    }
    free(action_path);
    free(where);
    return rc;
}

static int read_item(gr_auth_restrictions *restrictions, const json_t *item, const char *path)
{
    static const char *const item_keys[] = {"plugin", "permission", "permissionAttribute", NULL};
    gr_auth_restriction *entry = &restrictions->items[restrictions->count];
    const char *plugin = json_string_value(json_object_get(item, "plugin"));
    const json_t *attribute = json_object_get(item, "permissionAttribute");
    char *permission_path = NULL;
    int rc;

    if (!json_is_object(item))
        return gr_error_set(GR_EINVALID, "%s: must be an object with a plugin", path);
    if ((rc = check_keys(item, item_keys, path)) < 0)
        return rc;
    if (plugin == NULL || plugin[0] == '\0')
        return gr_error_set(GR_EINVALID, "%s.plugin: missing; name the plugin id, such as catalog",
                            path);
    for (size_t i = 0; i < restrictions->count; i++) {
        if (strcmp(restrictions->items[i].plugin, plugin) == 0)
            return gr_error_set(GR_EINVALID,
                                "%s.plugin: plugin '%s' has accessRestrictions twice; merge them "
                                "into one item",
                                path, plugin);
    }

    permission_path = gr_xasprintf("%s.permission", path);
    rc = gr_auth_config_list_read(json_object_get(item, "permission"), permission_path,
                                  &entry->permissions);
    free(permission_path);
    if (rc == GR_OK && attribute != NULL)
        rc = read_actions(attribute, path, &entry->actions);
    if (rc < 0) {
        gr_auth_config_list_clear(&entry->permissions);
        gr_auth_config_list_clear(&entry->actions);
        return rc;
    }
    entry->plugin = gr_xstrdup(plugin);
    restrictions->count++;
    return GR_OK;
}

int gr_auth_restrictions_read(const json_t *entry, const char *path, gr_auth_restrictions **out)
{
    const json_t *items = json_object_get(entry, "accessRestrictions");
    gr_auth_restrictions *restrictions = NULL;
    const json_t *item;
    size_t index;
    int rc = GR_OK;

    *out = NULL;
    if (items == NULL || json_is_null(items))
        return GR_OK;
    if (!json_is_array(items))
        return gr_error_set(GR_EINVALID,
                            "%s.accessRestrictions: must be a list of items such as "
                            "{plugin: catalog}",
                            path);
    if (json_array_size(items) > GR_AUTH_MAX_RESTRICTIONS)
        return gr_error_set(GR_EINVALID, "%s.accessRestrictions: more than %d items", path,
                            GR_AUTH_MAX_RESTRICTIONS);
    if (json_array_size(items) == 0)
        return GR_OK;

    restrictions = gr_xcalloc(1, sizeof(*restrictions));
    json_array_foreach(items, index, item)
    {
        char *item_path = gr_xasprintf("%s.accessRestrictions[%zu]", path, index);

        rc = read_item(restrictions, item, item_path);
        free(item_path);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        gr_auth_restrictions_free(restrictions);
        return rc;
    }
    *out = restrictions;
    return GR_OK;
}

int gr_auth_restrictions_check(const json_t *entry, gr_buf *message)
{
    gr_auth_restrictions *restrictions = NULL;
    const char *text;

    /* An empty path makes messages start at ".accessRestrictions", which the
     * schema appends to the entry's own path without the dot. */
    if (gr_auth_restrictions_read(entry, "", &restrictions) == GR_OK) {
        gr_auth_restrictions_free(restrictions);
        return 0;
    }
    text = gr_error_last();
    gr_buf_puts(message, text[0] == '.' ? text + 1 : text);
    return 1;
}

/* Writes "'catalog', 'search'" into `out` for Backstage's NotAllowedError message. */
static void list_plugins(const gr_auth_restrictions *restrictions, gr_buf *out)
{
    for (size_t i = 0; i < restrictions->count; i++)
        gr_buf_printf(out, "%s'%s'", i > 0 ? ", " : "", restrictions->items[i].plugin);
}

int gr_auth_restrictions_enter(gr_identity *identity, const char *request_path)
{
    const gr_auth_restrictions *restrictions = identity->restrictions;
    gr_buf plugins = GR_BUF_INIT;
    size_t len;
    int rc;

    identity->restriction = NULL;
    if (restrictions == NULL)
        return GR_OK;
    if (strncmp(request_path, "/api/", 5) == 0) {
        const char *plugin = request_path + 5;

        len = strcspn(plugin, "/");
        for (size_t i = 0; i < restrictions->count; i++) {
            const char *allowed = restrictions->items[i].plugin;

            if (strlen(allowed) == len && strncmp(allowed, plugin, len) == 0) {
                identity->restriction = &restrictions->items[i];
                return GR_OK;
            }
        }
    }
    list_plugins(restrictions, &plugins);
    /* NOTE: the wording follows Backstage's NotAllowedError for restricted
     * external tokens as recalled; it was not compared with a captured response. */
    rc = gr_error_set(GR_EDENIED, "This token's access is restricted to plugin(s) %s",
                      gr_buf_cstr(&plugins));
    gr_buf_free(&plugins);
    return rc;
}

bool gr_auth_restrictions_permit(const gr_identity *identity, const char *permission,
                                 const char *action)
{
    const gr_auth_restriction *restriction;

    if (identity == NULL || identity->restrictions == NULL)
        return true;
    /* A restricted identity that never entered a plugin is denied everything. */
    restriction = identity->restriction;
    if (restriction == NULL)
        return false;
    if (restriction->permissions.count > 0 &&
        !gr_auth_config_list_contains(&restriction->permissions, permission))
        return false;
    if (restriction->actions.count > 0 &&
        !gr_auth_config_list_contains(&restriction->actions, action))
        return false;
    return true;
}
