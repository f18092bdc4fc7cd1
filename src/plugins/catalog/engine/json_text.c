/* SPDX-License-Identifier: MIT */
/* Compact JSON text of entities, written in one pass into a buffer. */
#include "plugins/catalog/engine/json_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/utf8.h"

/* Bytes the buffer may contain before the drain callback runs. */
#define DRAIN_BYTES ((size_t)64 << 10)

/* Members of one object that fit on the stack. Larger objects allocate their array. */
#define STACK_MEMBERS 32

typedef struct {
    gr_buf *out;
    bool sorted;
    gr_catalog_json_drain_fn drain;
    void *payload;
} writer;

typedef struct {
    const char *key;
    json_t *value;
} member;

static bool write_value(writer *w, const json_t *value, int depth);

/* Appends `text` as a JSON string. Returns false when it is not UTF-8. */
static bool write_string(gr_buf *out, const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char *end = p + len;
    const unsigned char *run = p;

    gr_buf_putc(out, '"');
    while (p < end) {
        unsigned char c = *p;
        char escape[6] = {'\\', 'u', '0', '0', 0, 0};
        size_t escape_len = 2;

        if (c >= 0x80) {
            size_t seq = gr_utf8_sequence_length(p);

            if (seq == 0 || seq > (size_t)(end - p))
                return false;
            p += seq;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            p++;
            continue;
        }

        gr_buf_append(out, run, (size_t)(p - run));
        switch (c) {
        case '"':
            escape[1] = '"';
            break;
        case '\\':
            escape[1] = '\\';
            break;
        case '\b':
            escape[1] = 'b';
            break;
        case '\f':
            escape[1] = 'f';
            break;
        case '\n':
            escape[1] = 'n';
            break;
        case '\r':
            escape[1] = 'r';
            break;
        case '\t':
            escape[1] = 't';
            break;
        default:
            escape[4] = hex[c >> 4];
            escape[5] = hex[c & 0x0f];
            escape_len = 6;
            break;
        }
        gr_buf_append(out, escape, escape_len);
        p++;
        run = p;
    }
    gr_buf_append(out, run, (size_t)(p - run));
    gr_buf_putc(out, '"');
    return true;
}

static int compare_members(const void *a, const void *b)
{
    return strcmp(((const member *)a)->key, ((const member *)b)->key);
}

/* Collects the members of `object` in insertion order, or sorted by key. Returns false for a
 * key with a NUL byte, whose order jansson decides by length. */
static bool collect_members(const json_t *object, bool sorted, member *members)
{
    size_t count = 0;
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)object, key, value)
    {
        if (json_object_iter_key_len(json_object_key_to_iter(key)) != strlen(key))
            return false;
        members[count].key = key;
        members[count].value = value;
        count++;
    }
    if (sorted && count > 1)
        qsort(members, count, sizeof(*members), compare_members);
    return true;
}

static bool write_object(writer *w, const json_t *object, int depth)
{
    size_t count = json_object_size(object);
    member stack[STACK_MEMBERS];
    member *members = count <= STACK_MEMBERS ? stack : gr_xmalloc(count * sizeof(*members));
    bool ok = collect_members(object, w->sorted, members);

    gr_buf_putc(w->out, '{');
    for (size_t i = 0; i < count && ok; i++) {
        if (i > 0)
            gr_buf_putc(w->out, ',');
        ok = write_string(w->out, members[i].key, strlen(members[i].key));
        gr_buf_putc(w->out, ':');
        ok = ok && write_value(w, members[i].value, depth + 1);
    }
    gr_buf_putc(w->out, '}');
    if (members != stack)
        free(members);
    return ok;
}

static bool write_array(writer *w, const json_t *array, int depth)
{
    size_t count = json_array_size(array);
    bool ok = true;

    gr_buf_putc(w->out, '[');
    for (size_t i = 0; i < count && ok; i++) {
        if (i > 0)
            gr_buf_putc(w->out, ',');
        ok = write_value(w, json_array_get(array, i), depth + 1);
    }
    gr_buf_putc(w->out, ']');
    return ok;
}

static bool write_value(writer *w, const json_t *value, int depth)
{
    char number[32];
    bool ok = true;

    if (depth > GR_CATALOG_JSON_WRITE_DEPTH)
        return false;
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        ok = write_object(w, value, depth);
        break;
    case JSON_ARRAY:
        ok = write_array(w, value, depth);
        break;
    case JSON_STRING:
        ok = write_string(w->out, json_string_value(value), json_string_length(value));
        break;
    case JSON_INTEGER:
        snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        gr_buf_puts(w->out, number);
        break;
    case JSON_TRUE:
        gr_buf_puts(w->out, "true");
        break;
    case JSON_FALSE:
        gr_buf_puts(w->out, "false");
        break;
    case JSON_NULL:
        gr_buf_puts(w->out, "null");
        break;
    case JSON_REAL:
    default:
        return false;
    }
    if (ok && w->drain != NULL && w->out->len >= DRAIN_BYTES)
        w->drain(w->out, w->payload);
    return ok;
}

bool gr_catalog__json_write(gr_buf *out, const json_t *value, bool sorted,
                            gr_catalog_json_drain_fn drain, void *payload)
{
    writer w = {out, sorted, drain, payload};

    return value != NULL && write_value(&w, value, 0);
}
