/* SPDX-License-Identifier: MIT */
/* Origins of config values, the deep merge that carries them, and load error lists. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/internal.h"

int gr_config__add_file(gr_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->file_count; i++) {
        if (strcmp(cfg->files[i], name) == 0)
            return (int)i;
    }
    cfg->files = gr_xrealloc(cfg->files, (cfg->file_count + 1) * sizeof(*cfg->files));
    cfg->files[cfg->file_count] = gr_xstrdup(name);
    return (int)cfg->file_count++;
}

const char *gr_config__file_name(const gr_config *cfg, int file)
{
    if (file < 0 || (size_t)file >= cfg->file_count)
        return "default";
    return cfg->files[file];
}

json_t *gr_config__origin_new(int file, int line, int column)
{
    return json_pack("[iiin]", file, line, column);
}

void gr_config__origin_get(const json_t *origin, int *file, int *line, int *column)
{
    *file = GR_CONFIG__FILE_DEFAULT;
    *line = 0;
    if (column != NULL)
        *column = 0;
    if (origin == NULL)
        return;
    *file = (int)json_integer_value(json_array_get(origin, 0));
    *line = (int)json_integer_value(json_array_get(origin, 1));
    if (column != NULL)
        *column = (int)json_integer_value(json_array_get(origin, 2));
}

json_t *gr_config__origin_children(json_t *origin, bool object)
{
    json_t *children = json_array_get(origin, 3);

    if (object && json_is_object(children))
        return children;
    if (!object && json_is_array(children))
        return children;
    children = object ? json_object() : json_array();
    json_array_set_new(origin, 3, children);
    return children;
}

const json_t *gr_config__origin_member(const json_t *origin, const char *key)
{
    return json_object_get(json_array_get(origin, 3), key);
}

const json_t *gr_config__origin_item(const json_t *origin, size_t index)
{
    return json_array_get(json_array_get(origin, 3), index);
}

json_t *gr_config__origin_fill(const json_t *value, int file, int line, int column)
{
    json_t *origin = gr_config__origin_new(file, line, column);
    const char *key;
    json_t *member;
    size_t index;

    if (json_is_object(value)) {
        json_t *children = gr_config__origin_children(origin, true);

        json_object_foreach((json_t *)value, key, member)
            json_object_set_new(children, key, gr_config__origin_fill(member, file, line, column));
    } else if (json_is_array(value)) {
        json_t *children = gr_config__origin_children(origin, false);

        json_array_foreach(value, index, member)
            json_array_append_new(children, gr_config__origin_fill(member, file, line, column));
    }
    return origin;
}

void gr_config__merge(json_t *dst, json_t *dst_origin, json_t *src, json_t *src_origin)
{
    json_t *dst_children = gr_config__origin_children(dst_origin, true);
    const char *key;
    json_t *value;

    json_object_foreach(src, key, value)
    {
        json_t *old = json_object_get(dst, key);
        json_t *old_origin = json_object_get(dst_children, key);
        json_t *new_origin = (json_t *)gr_config__origin_member(src_origin, key);

        if (json_is_object(old) && json_is_object(value) && old_origin != NULL) {
            gr_config__merge(old, old_origin, value, new_origin);
            continue;
        }
        json_object_set(dst, key, value);
        if (new_origin != NULL)
            json_object_set(dst_children, key, new_origin);
        else
            json_object_set_new(dst_children, key,
                                gr_config__origin_fill(value, GR_CONFIG__FILE_DEFAULT, 0, 0));
    }
}

void gr_config__path_key(gr_buf *path, const char *key)
{
    if (path->len > 0)
        gr_buf_putc(path, '.');
    gr_buf_puts(path, key);
}

void gr_config__path_index(gr_buf *path, size_t index)
{
    gr_buf_printf(path, "[%zu]", index);
}

void gr_config__path_cut(gr_buf *path, size_t len)
{
    if (path->data == NULL)
        return;
    path->len = len;
    path->data[len] = '\0';
}

void gr_config__where(const gr_config *cfg, const json_t *origin, gr_buf *out)
{
    int file;
    int line;

    gr_config__origin_get(origin, &file, &line, NULL);
    gr_buf_puts(out, gr_config__file_name(cfg, file));
    if (line > 0)
        gr_buf_printf(out, ":%d", line);
}

void gr_config__error(gr_config__errors *errors, const gr_config *cfg, int code,
                      const json_t *origin, const char *path, const char *fmt, ...)
{
    va_list args;

    if (errors->count++ == 0)
        errors->code = code;
    if (errors->count > GR_CONFIG_MAX_ERRORS)
        return;

    if (errors->text.len > 0)
        gr_buf_putc(&errors->text, '\n');
    if (origin != NULL) {
        gr_config__where(cfg, origin, &errors->text);
        gr_buf_puts(&errors->text, ": ");
    }
    if (path != NULL && path[0] != '\0')
        gr_buf_printf(&errors->text, "%s: ", path);
    va_start(args, fmt);
    gr_buf_vprintf(&errors->text, fmt, args);
    va_end(args);
}

int gr_config__errors_report(gr_config__errors *errors)
{
    /* The thread's error message is at most GR_ERROR_MAX bytes long, so keep
     * the whole lines that fit and leave room for the count of the others. */
    const size_t room = GR_ERROR_MAX - 64;
    const char *text = gr_buf_cstr(&errors->text);
    size_t keep = errors->text.len;
    int shown = errors->count < GR_CONFIG_MAX_ERRORS ? errors->count : GR_CONFIG_MAX_ERRORS;

    while (keep > room) {
        const char *newline = memrchr(text, '\n', keep);

        if (newline == NULL) {
            /* A single line longer than the room is cut, not dropped. */
            keep = room;
            shown = 1;
            break;
        }
        keep = (size_t)(newline - text);
        shown--;
    }
    if (shown < errors->count)
        return gr_error_set(errors->code, "%.*s\n(%d more errors not shown)", (int)keep, text,
                            errors->count - shown);
    return gr_error_set(errors->code, "%s", text);
}

void gr_config__errors_free(gr_config__errors *errors)
{
    gr_buf_free(&errors->text);
}
