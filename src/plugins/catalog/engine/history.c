/* SPDX-License-Identifier: MIT */
/* The history of final entities: JSON diffs between versions, stored with their cause. */
#include "plugins/catalog/engine/history.h"

#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
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
