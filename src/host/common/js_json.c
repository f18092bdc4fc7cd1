/* SPDX-License-Identifier: MIT */
/* JSON text as JavaScript's JSON.stringify() writes it, for pages that show JSON to people. */
#include "host/common/js_json.h"

#include <stdio.h>
#include <string.h>

#include "host/common/js_number.h"

static void write_value(gr_buf *out, const json_t *value, int indent, int depth);

/* Starts a new line indented for `depth` levels; nothing when the text is compact. */
static void new_line(gr_buf *out, int indent, int depth)
{
    if (indent <= 0)
        return;
    gr_buf_putc(out, '\n');
    for (int i = 0; i < indent * depth; i++)
        gr_buf_putc(out, ' ');
}

static void write_string(gr_buf *out, const char *text, size_t len)
{
    gr_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        char escape[8];

        switch (c) {
        case '"':
            gr_buf_puts(out, "\\\"");
            break;
        case '\\':
            gr_buf_puts(out, "\\\\");
            break;
        case '\b':
            gr_buf_puts(out, "\\b");
            break;
        case '\f':
            gr_buf_puts(out, "\\f");
            break;
        case '\n':
            gr_buf_puts(out, "\\n");
            break;
        case '\r':
            gr_buf_puts(out, "\\r");
            break;
        case '\t':
            gr_buf_puts(out, "\\t");
            break;
        default:
            if (c < 0x20) {
                snprintf(escape, sizeof(escape), "\\u%04x", c);
                gr_buf_puts(out, escape);
            } else {
                gr_buf_putc(out, (char)c);
            }
        }
    }
    gr_buf_putc(out, '"');
}

static void write_object(gr_buf *out, const json_t *object, int indent, int depth)
{
    const char *key;
    json_t *member;
    int first = 1;

    if (json_object_size(object) == 0) {
        gr_buf_puts(out, "{}");
        return;
    }
    gr_buf_putc(out, '{');
    json_object_foreach((json_t *)object, key, member)
    {
        if (!first)
            gr_buf_putc(out, ',');
        first = 0;
        new_line(out, indent, depth + 1);
        write_string(out, key, strlen(key));
        gr_buf_puts(out, indent > 0 ? ": " : ":");
        write_value(out, member, indent, depth + 1);
    }
    new_line(out, indent, depth);
    gr_buf_putc(out, '}');
}

static void write_array(gr_buf *out, const json_t *array, int indent, int depth)
{
    size_t count = json_array_size(array);

    if (count == 0) {
        gr_buf_puts(out, "[]");
        return;
    }
    gr_buf_putc(out, '[');
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            gr_buf_putc(out, ',');
        new_line(out, indent, depth + 1);
        write_value(out, json_array_get(array, i), indent, depth + 1);
    }
    new_line(out, indent, depth);
    gr_buf_putc(out, ']');
}

static void write_value(gr_buf *out, const json_t *value, int indent, int depth)
{
    char number[GR_JS_NUMBER_MAX];

    if (depth > GR_JS_JSON_MAX_DEPTH) {
        gr_buf_puts(out, "null");
        return;
    }
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        write_object(out, value, indent, depth);
        break;
    case JSON_ARRAY:
        write_array(out, value, indent, depth);
        break;
    case JSON_STRING:
        write_string(out, json_string_value(value), json_string_length(value));
        break;
    case JSON_INTEGER:
        snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        gr_buf_puts(out, number);
        break;
    case JSON_REAL:
        gr_js_number_format(json_real_value(value), number);
        gr_buf_puts(out, number);
        break;
    case JSON_TRUE:
        gr_buf_puts(out, "true");
        break;
    case JSON_FALSE:
        gr_buf_puts(out, "false");
        break;
    default:
        gr_buf_puts(out, "null");
        break;
    }
}

void gr_js_json_write(gr_buf *out, const json_t *value, int indent)
{
    write_value(out, value, indent, 0);
}
