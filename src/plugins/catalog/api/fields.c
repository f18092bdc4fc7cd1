/* SPDX-License-Identifier: MIT */
/* Selecting subtrees of entities by dotted field paths. */
#include "plugins/catalog/api/fields.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/util.h"

static int has_path(const gr_catalog_fields *fields, const char *path)
{
    for (size_t i = 0; i < fields->count; i++) {
        if (strcmp(fields->paths[i], path) == 0)
            return 1;
    }
    return 0;
}

/* Adds one path; `path` is owned by the call. */
static int add_path(gr_catalog_fields *fields, char *path)
{
    if (path[0] == '\0' || has_path(fields, path)) {
        free(path);
        return GR_OK;
    }
    if (strchr(path, '[') != NULL) {
        int rc = gr_error_set(GR_EINVALID,
                              "Invalid field \"%s\", array type fields are not supported", path);

        free(path);
        return rc;
    }
    if (fields->count >= GR_CATALOG_FIELDS_MAX) {
        free(path);
        return gr_error_set(GR_ELIMIT, "Too many fields; at most %d may be selected",
                            GR_CATALOG_FIELDS_MAX);
    }
    fields->paths = gr_xrealloc(fields->paths, (fields->count + 1) * sizeof(*fields->paths));
    fields->paths[fields->count++] = path;
    return GR_OK;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int add_list(gr_catalog_fields *fields, const char *value)
{
    const char *start = value;

    for (;;) {
        const char *comma = strchr(start, ',');
        const char *end = comma ? comma : start + strlen(start);
        const char *first = start;
        int rc;

        while (first < end && is_space(*first))
            first++;
        while (end > first && is_space(end[-1]))
            end--;
        rc = add_path(fields, gr_xstrndup(first, (size_t)(end - first)));
        if (rc != GR_OK || comma == NULL)
            return rc;
        start = comma + 1;
    }
}

int gr_catalog_fields_add(gr_catalog_fields *fields, const char *const *values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int rc = add_list(fields, values[i]);

        if (rc != GR_OK)
            return rc;
    }
    return GR_OK;
}

int gr_catalog_fields_add_json(gr_catalog_fields *fields, const json_t *array)
{
    size_t index;
    json_t *item;

    if (array == NULL || json_is_null(array))
        return GR_OK;
    if (!json_is_array(array))
        return gr_error_set(GR_EINVALID, "Invalid fields, expected an array of strings");
    json_array_foreach(array, index, item)
    {
        int rc;

        if (!json_is_string(item))
            return gr_error_set(GR_EINVALID, "Invalid fields, expected an array of strings");
        rc = add_list(fields, json_string_value(item));
        if (rc != GR_OK)
            return rc;
    }
    return GR_OK;
}

/* Returns whether `key` is an array index as lodash reads one: decimal digits, no leading zero. */
static bool is_index(const char *key)
{
    if (key[0] < '0' || key[0] > '9' || (key[0] == '0' && key[1] != '\0'))
        return false;
    for (const char *c = key; *c != '\0'; c++) {
        if (*c < '0' || *c > '9')
            return false;
    }
    return true;
}

/* Returns the member `key` of an object or, for an index, the item of an array. */
static json_t *child(const json_t *node, const char *key)
{
    if (json_is_object(node))
        return json_object_get(node, key);
    if (json_is_array(node) && is_index(key))
        return json_array_get(node, strtoul(key, NULL, 10));
    return NULL;
}

/*
 * Sets `value` (stolen) as the member `key` of an object, or as the item at index `key` of an
 * array, with null in the items skipped, as JSON.stringify() writes the holes that lodash's
 * set() leaves. Returns false, and frees `value`, for a key that is not an index of an array.
 * Indexes come from the entity's own arrays, so the padding is bounded by the entity's size.
 */
static bool container_set(json_t *container, const char *key, json_t *value)
{
    size_t index;

    if (json_is_object(container))
        return json_object_set_new(container, key, value) == 0;
    if (!is_index(key)) {
        json_decref(value);
        return false;
    }
    index = strtoul(key, NULL, 10);
    while (json_array_size(container) < index)
        json_array_append_new(container, json_null());
    if (index < json_array_size(container))
        return json_array_set_new(container, index, value) == 0;
    return json_array_append_new(container, value) == 0;
}

/* Copies the subtree at `path` from `entity` into `out`, creating containers on the way. */
static void select_path(json_t *out, const json_t *entity, const char *path)
{
    char *parts = gr_xstrdup(path);
    const char *found[64];
    size_t depth = 0;
    const json_t *node = entity;
    char *part = parts;

    /* Walk the parts; a part that does not exist absorbs the next one. */
    for (;;) {
        char *dot = strchr(part, '.');
        json_t *next;

        if (dot != NULL)
            *dot = '\0';
        next = child(node, part);
        while (next == NULL && dot != NULL) {
            char *following = strchr(dot + 1, '.');

            *dot = '.';
            dot = following;
            if (dot != NULL)
                *dot = '\0';
            next = child(node, part);
        }
        if (next == NULL || depth == sizeof(found) / sizeof(found[0]))
            goto done;
        found[depth++] = part;
        node = next;
        if (dot == NULL)
            break;
        part = dot + 1;
    }

    /* As lodash's set() builds the path: an array where the next part is an index. */
    for (size_t i = 0; i + 1 < depth; i++) {
        json_t *holder = child(out, found[i]);

        if (!json_is_object(holder) && !json_is_array(holder)) {
            holder = is_index(found[i + 1]) ? json_array() : json_object();
            if (!container_set(out, found[i], holder))
                goto done;
        }
        out = holder;
    }
    container_set(out, found[depth - 1], json_deep_copy(node));
done:
    free(parts);
}

json_t *gr_catalog_fields_select(const gr_catalog_fields *fields, const json_t *entity)
{
    json_t *out = json_object();

    for (size_t i = 0; i < fields->count; i++)
        select_path(out, entity, fields->paths[i]);
    return out;
}

int gr_catalog_fields_write(const gr_catalog_fields *fields, const char *entity_text, gr_buf *out)
{
    json_t *entity;
    json_t *selected;
    char *text;

    if (fields == NULL || fields->count == 0) {
        gr_buf_puts(out, entity_text);
        return GR_OK;
    }
    entity = json_loads(entity_text, JSON_DECODE_ANY, NULL);
    if (entity == NULL)
        return gr_error_set(GR_ERROR, "a stored entity is not valid JSON");
    selected = gr_catalog_fields_select(fields, entity);
    text = gr_catalog__json_text(selected);
    gr_buf_puts(out, text);
    free(text);
    json_decref(selected);
    json_decref(entity);
    return GR_OK;
}

void gr_catalog_fields_free(gr_catalog_fields *fields)
{
    if (fields == NULL)
        return;
    for (size_t i = 0; i < fields->count; i++)
        free(fields->paths[i]);
    free(fields->paths);
    fields->paths = NULL;
    fields->count = 0;
}
