/* SPDX-License-Identifier: MIT */
/* Lists in auth config that may be written as one string or as an array of strings. */
#include "host/auth/config_list.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

void gr_auth_config_list_clear(gr_auth_config_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

int gr_auth_config_list_contains(const gr_auth_config_list *list, const char *text)
{
    if (text == NULL)
        return 0;
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->items[i], text) == 0)
            return 1;
    }
    return 0;
}

/* Adds each part of `text` between spaces and commas that is not in the list yet. */
static int list_add_parts(gr_auth_config_list *list, const char *text, const char *path)
{
    while (*text != '\0') {
        size_t len = strcspn(text, " ,");
        char *part;

        if (len == 0) {
            text++;
            continue;
        }
        part = gr_xstrndup(text, len);
        text += len;
        if (gr_auth_config_list_contains(list, part)) {
            free(part);
            continue;
        }
        if (list->count == GR_AUTH_CONFIG_LIST_MAX) {
            free(part);
            return gr_error_set(GR_EINVALID, "%s: more than %d values", path,
                                GR_AUTH_CONFIG_LIST_MAX);
        }
        list->items[list->count++] = part;
    }
    return GR_OK;
}

int gr_auth_config_list_read(const json_t *value, const char *path, gr_auth_config_list *out)
{
    const json_t *item;
    size_t index;
    int rc = GR_OK;

    memset(out, 0, sizeof(*out));
    if (value == NULL)
        return GR_OK;
    if (!json_is_string(value) && !json_is_array(value))
        return gr_error_set(GR_EINVALID, "%s: must be a string or a list of strings", path);

    out->items = gr_xcalloc(GR_AUTH_CONFIG_LIST_MAX, sizeof(*out->items));
    if (json_is_string(value))
        rc = list_add_parts(out, json_string_value(value), path);
    json_array_foreach(value, index, item)
    {
        if (!json_is_string(item)) {
            rc = gr_error_set(GR_EINVALID, "%s[%zu]: must be a string", path, index);
            break;
        }
        if ((rc = list_add_parts(out, json_string_value(item), path)) < 0)
            break;
    }
    if (rc < 0)
        gr_auth_config_list_clear(out);
    return rc;
}
