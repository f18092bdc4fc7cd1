/* SPDX-License-Identifier: MIT */
/* The history of final entities: JSON diffs between versions, stored with their cause. */
#include "plugins/catalog/engine/history.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/util.h"

static void push_change(json_t *changes, const char *path, const json_t *old_value,
                        const json_t *new_value)
{
    json_t *change = json_object();

    json_object_set_new(change, "path", json_string(path));
    json_object_set_new(change, "old", old_value ? json_deep_copy(old_value) : json_null());
    json_object_set_new(change, "new", new_value ? json_deep_copy(new_value) : json_null());
    json_array_append_new(changes, change);
}

/* Appends "/" and `key` escaped as RFC 6901 asks ('~' as ~0, '/' as ~1). */
static char *child_path(const char *path, const char *key)
{
    gr_buf out = GR_BUF_INIT;

    gr_buf_printf(&out, "%s/", path);
    for (const char *p = key; *p != '\0'; p++) {
        if (*p == '~')
            gr_buf_puts(&out, "~0");
        else if (*p == '/')
            gr_buf_puts(&out, "~1");
        else
            gr_buf_putc(&out, *p);
    }
    return gr_buf_detach(&out);
}

static void diff_into(json_t *changes, const char *path, const json_t *a, const json_t *b)
{
    if (a != NULL && b != NULL && json_equal(a, b))
        return;
    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        json_t *value;

        json_object_foreach ((json_t *)a, key, value) {
            char *sub = child_path(path, key);

            if (strcmp(sub, "/metadata/etag") != 0)
                diff_into(changes, sub, value, json_object_get(b, key));
            free(sub);
        }
        json_object_foreach ((json_t *)b, key, value) {
            char *sub;

            if (json_object_get(a, key) != NULL)
                continue;
            sub = child_path(path, key);
            if (strcmp(sub, "/metadata/etag") != 0)
                diff_into(changes, sub, NULL, value);
            free(sub);
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++) {
            char index[32];
            char *sub;

            snprintf(index, sizeof(index), "%zu", i);
            sub = child_path(path, index);
            diff_into(changes, sub, json_array_get(a, i), json_array_get(b, i));
            free(sub);
        }
        return;
    }
    push_change(changes, path, a, b);
}

json_t *gr_catalog__diff(const json_t *old_entity, const json_t *new_entity)
{
    json_t *changes = json_array();

    diff_into(changes, "", old_entity, new_entity);
    return changes;
}

int gr_catalog__history_add_text(gr_db_conn *conn, const char *entity_ref, const char *entity_id,
                                 int64_t changed_at, const char *cause, const char *change,
                                 const char *diff)
{
    int64_t rc = gr_catalog__exec(conn,
                                  "INSERT INTO catalog_history (entity_ref, entity_id, changed_at, "
                                  "cause, change, diff) VALUES (?, ?, ?, ?, ?, ?)",
                                  "ssisss", entity_ref, entity_id, changed_at,
                                  cause ? cause : "refresh", change, diff);

    return rc < 0 ? (int)rc : 0;
}

int gr_catalog__history_add(gr_db_conn *conn, const char *entity_ref, const char *entity_id,
                            int64_t changed_at, const char *cause, const char *change,
                            const json_t *diff)
{
    char *text = gr_catalog__json_text(diff);
    int rc = gr_catalog__history_add_text(conn, entity_ref, entity_id, changed_at, cause, change,
                                          text);

    free(text);
    return rc;
}

/* Decodes one RFC 6901 reference token ("~1" is '/', "~0" is '~'). Returns NULL for an invalid
 * escape.
 */
static char *pointer_token(const char *start, size_t length)
{
    gr_buf out = GR_BUF_INIT;

    for (size_t i = 0; i < length; i++) {
        if (start[i] != '~') {
            gr_buf_putc(&out, start[i]);
        } else if (i + 1 < length && (start[i + 1] == '0' || start[i + 1] == '1')) {
            gr_buf_putc(&out, start[i + 1] == '0' ? '~' : '/');
            i++;
        } else {
            gr_buf_free(&out);
            return NULL;
        }
    }
    return gr_buf_detach(&out);
}

/* Parses an array index token: decimal digits only, below `size`. */
static bool array_index(const char *token, size_t size, size_t *out)
{
    char *end = NULL;
    unsigned long long value;

    if (token[0] < '0' || token[0] > '9')
        return false;
    value = strtoull(token, &end, 10);
    if (*end != '\0' || value >= size)
        return false;
    *out = (size_t)value;
    return true;
}

/* Returns the child of `container` named by `token`, or NULL. */
static json_t *child_of(json_t *container, const char *token)
{
    size_t index;

    if (json_is_object(container))
        return json_object_get(container, token);
    if (json_is_array(container) && array_index(token, json_array_size(container), &index))
        return json_array_get(container, index);
    return NULL;
}

/*
 * Finds the container of the value that `pointer` (not empty) names in `root`.
 * Returns it (borrowed) with its last token in *last (caller frees), or NULL
 * when a step is missing or malformed.
 */
static json_t *pointer_parent(json_t *root, const char *pointer, char **last)
{
    json_t *container = root;
    const char *at = pointer;

    *last = NULL;
    while (container != NULL && *at == '/') {
        const char *end = strchr(at + 1, '/');
        size_t length = end ? (size_t)(end - at - 1) : strlen(at + 1);
        char *token = pointer_token(at + 1, length);

        if (token == NULL)
            return NULL;
        if (end == NULL) {
            *last = token;
            return container;
        }
        container = child_of(container, token);
        free(token);
        at = end;
    }
    return NULL;
}

/* Compares two values of a diff, where a missing value and JSON null are the same. */
static bool same_value(const json_t *current, const json_t *recorded)
{
    if (current == NULL || json_is_null(current))
        return recorded == NULL || json_is_null(recorded);
    return recorded != NULL && json_equal(current, recorded);
}

/* Compares whole entities without metadata.etag, which the diff leaves out of its members. */
static bool same_entity(const json_t *current, const json_t *recorded)
{
    json_t *a;
    json_t *b;
    bool same;

    if (current == NULL || json_is_null(recorded))
        return same_value(current, recorded);
    a = json_deep_copy(current);
    b = json_deep_copy(recorded);
    json_object_del(json_object_get(a, "metadata"), "etag");
    json_object_del(json_object_get(b, "metadata"), "etag");
    same = json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return same;
}

/* Sets the member or item `token` of `parent` to `old`, after checking it is `recorded` now. */
static bool revert_in(json_t *parent, const char *token, const json_t *recorded, const json_t *old,
                      bool null_members)
{
    size_t index;

    if (json_is_object(parent)) {
        if (!same_value(json_object_get(parent, token), recorded))
            return false;
        if (!json_is_null(old))
            json_object_set_new(parent, token, json_deep_copy(old));
        else if (null_members)
            json_object_set_new(parent, token, json_null());
        else
            json_object_del(parent, token);
        return true;
    }
    if (!json_is_array(parent) || !array_index(token, json_array_size(parent), &index) ||
        !same_value(json_array_get(parent, index), recorded))
        return false;
    json_array_set_new(parent, index, json_deep_copy(old));
    return true;
}

/* Applies one {path, old, new} backwards to *version. Returns false when it does not fit. */
static bool revert_change(json_t **version, const json_t *change, bool null_members)
{
    const char *path = json_string_value(json_object_get(change, "path"));
    const json_t *old = json_object_get(change, "old");
    const json_t *recorded = json_object_get(change, "new");
    json_t *parent;
    char *token = NULL;
    bool done;

    if (path == NULL || old == NULL || recorded == NULL)
        return false;
    if (path[0] == '\0') {
        if (!same_entity(*version, recorded))
            return false;
        json_decref(*version);
        *version = json_is_null(old) ? NULL : json_deep_copy(old);
        return true;
    }
    parent = *version ? pointer_parent(*version, path, &token) : NULL;
    done = parent != NULL && revert_in(parent, token, recorded, old, null_members);
    free(token);
    return done;
}

int gr_catalog__diff_revert(json_t **version, const json_t *diff, bool null_members)
{
    const json_t *change;
    size_t i;

    if (!json_is_array(diff))
        return gr_error_set(GR_EINVALID, "The history diff is not an array");
    json_array_foreach(diff, i, change)
    {
        if (!revert_change(version, change, null_members))
            return gr_error_set(GR_EINVALID,
                                "The history diff at '%s' does not fit the version after it",
                                json_string_value(json_object_get(change, "path")));
    }
    return GR_OK;
}
