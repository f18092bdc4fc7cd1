/* SPDX-License-Identifier: MIT */
/* Compact JSON text of entities, written in one pass into a buffer and read back. */
#include "plugins/catalog/engine/json_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/js_number.h"
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

/*
 * Appends a real in JavaScript's form, except that a whole number of 19 digits or more is
 * written with an exponent ("1e+20" for 100000000000000000000). jansson, which reads stored
 * entities back, rejects an integer beyond 64 bits, while the exponent makes it read a real of
 * the same value.
 */
static void put_real(gr_buf *out, const char *number)
{
    const char *digits = number + (number[0] == '-');
    size_t len = strlen(digits);
    size_t significant = len;

    if (len < 19 || strspn(digits, "0123456789") != len) {
        gr_buf_puts(out, number);
        return;
    }
    while (significant > 1 && digits[significant - 1] == '0')
        significant--;
    gr_buf_append(out, number, (size_t)(digits - number) + 1);
    if (significant > 1) {
        gr_buf_putc(out, '.');
        gr_buf_append(out, digits + 1, significant - 1);
    }
    gr_buf_printf(out, "e+%zu", len - 1);
}

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
        unsigned char c;
        char escape[6] = {'\\', 'u', '0', '0', 0, 0};
        size_t escape_len = 2;

        /* Most bytes of entity text are printable ASCII without an escape. */
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p == end)
            break;
        c = *p;
        if (c >= 0x80) {
            size_t seq = gr_utf8_sequence_length(p);

            if (seq == 0 || seq > (size_t)(end - p))
                return false;
            p += seq;
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
    char number[GR_JS_NUMBER_MAX];
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
        /* Sorted text is hashed, and its reals stay as jansson writes them. jansson stores
         * finite reals only, so the JavaScript form is always a JSON number. */
        if (w->sorted)
            return false;
        gr_js_number_format(json_real_value(value), number);
        put_real(w->out, number);
        break;
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

/* A position in NUL-terminated text being read, and a buffer for strings with escapes. */
typedef struct {
    const char *next;
    gr_buf unescaped;
} reader;

static json_t *read_value(reader *r, int depth);

static void skip_space(reader *r)
{
    while (*r->next == ' ' || *r->next == '\t' || *r->next == '\n' || *r->next == '\r')
        r->next++;
}

/* Returns the character that the escape "\<c>" decodes to, or 0 for a \u escape (left to
 * jansson) or an invalid one. */
static char simple_escape(char c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return 0;
    }
}

/*
 * Reads the string that starts at the quote at r->next into *text and *len:
 * a span of the input when it has no escape, else r->unescaped. Returns false
 * for what jansson decides: a \u escape, a control character or a byte
 * sequence that is not UTF-8.
 */
static bool read_string(reader *r, const char **text, size_t *len)
{
    const unsigned char *p = (const unsigned char *)r->next + 1;
    const unsigned char *run = p;
    bool escaped = false;

    for (;;) {
        unsigned char c = *p;
        char decoded;

        if (c == '"')
            break;
        if (c < 0x20)
            return false;
        if (c >= 0x80) {
            size_t seq = gr_utf8_sequence_length(p);

            if (seq == 0)
                return false;
            p += seq;
            continue;
        }
        if (c != '\\') {
            p++;
            continue;
        }

        decoded = simple_escape((char)p[1]);
        if (decoded == 0)
            return false;
        if (!escaped)
            gr_buf_reset(&r->unescaped);
        escaped = true;
        gr_buf_append(&r->unescaped, run, (size_t)(p - run));
        gr_buf_putc(&r->unescaped, decoded);
        p += 2;
        run = p;
    }
    if (escaped) {
        gr_buf_append(&r->unescaped, run, (size_t)(p - run));
        *text = r->unescaped.data;
        *len = r->unescaped.len;
    } else {
        *text = (const char *)run;
        *len = (size_t)(p - run);
    }
    r->next = (const char *)p + 1;
    return true;
}

/* Reads an integer of at most 18 digits, which cannot overflow. Returns NULL for what jansson
 * decides: a fraction, an exponent, a leading zero or a longer integer. */
static json_t *read_integer(reader *r)
{
    const char *p = r->next;
    bool negative = *p == '-';
    json_int_t value = 0;
    int digits = 0;

    p += negative;
    if (*p == '0' && p[1] >= '0' && p[1] <= '9')
        return NULL;
    while (*p >= '0' && *p <= '9' && digits < 18) {
        value = value * 10 + (*p - '0');
        digits++;
        p++;
    }
    if (digits == 0 || *p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9'))
        return NULL;
    r->next = p;
    return json_integer(negative ? -value : value);
}

/* Returns `value` after the literal `word` (true, false or null), or NULL for anything else. */
static json_t *read_word(reader *r, const char *word, json_t *value)
{
    size_t len = strlen(word);

    if (strncmp(r->next, word, len) != 0)
        return NULL;
    r->next += len;
    return value;
}

/* Skips the opening character of an object or array and the space after it. Returns true
 * when the container is empty, after its closing character `closing`. */
static bool read_open(reader *r, char closing)
{
    r->next++;
    skip_space(r);
    if (*r->next != closing)
        return false;
    r->next++;
    return true;
}

/*
 * Reads what follows a member or item: the closing character `closing`
 * (returns 1), or a comma and the space after it (returns 0). Returns -1 for
 * anything else.
 */
static int read_separator(reader *r, char closing)
{
    skip_space(r);
    if (*r->next == closing) {
        r->next++;
        return 1;
    }
    if (*r->next != ',')
        return -1;
    r->next++;
    skip_space(r);
    return 0;
}

static json_t *read_object(reader *r, int depth)
{
    json_t *object = json_object();
    int after = 0;

    if (read_open(r, '}'))
        return object;
    while (after == 0) {
        const char *key;
        size_t key_len;
        char *key_copy;
        json_t *value;

        if (*r->next != '"' || !read_string(r, &key, &key_len))
            break;
        /* The value may reuse the buffer of an escaped key. */
        key_copy = key == r->unescaped.data ? gr_xstrndup(key, key_len) : NULL;
        skip_space(r);
        if (*r->next != ':') {
            free(key_copy);
            break;
        }
        r->next++;
        skip_space(r);
        value = read_value(r, depth + 1);
        if (value == NULL) {
            free(key_copy);
            break;
        }
        json_object_setn_new_nocheck(object, key_copy != NULL ? key_copy : key, key_len, value);
        free(key_copy);
        after = read_separator(r, '}');
    }
    if (after == 1)
        return object;
    json_decref(object);
    return NULL;
}

static json_t *read_array(reader *r, int depth)
{
    json_t *array = json_array();
    int after = 0;

    if (read_open(r, ']'))
        return array;
    while (after == 0) {
        json_t *value = read_value(r, depth + 1);

        if (value == NULL)
            break;
        json_array_append_new(array, value);
        after = read_separator(r, ']');
    }
    if (after == 1)
        return array;
    json_decref(array);
    return NULL;
}

static json_t *read_value(reader *r, int depth)
{
    const char *text;
    size_t len;

    if (depth > GR_CATALOG_JSON_WRITE_DEPTH)
        return NULL;
    switch (*r->next) {
    case '{':
        return read_object(r, depth);
    case '[':
        return read_array(r, depth);
    case '"':
        return read_string(r, &text, &len) ? json_stringn_nocheck(text, len) : NULL;
    case 't':
        return read_word(r, "true", json_true());
    case 'f':
        return read_word(r, "false", json_false());
    case 'n':
        return read_word(r, "null", json_null());
    default:
        return read_integer(r);
    }
}

json_t *gr_catalog__json_read(const char *text)
{
    reader r = {text, GR_BUF_INIT};
    json_t *value = NULL;

    if (text == NULL)
        return NULL;
    skip_space(&r);
    if (*r.next == '{' || *r.next == '[')
        value = read_value(&r, 0);
    if (value != NULL) {
        skip_space(&r);
        if (*r.next != '\0') {
            json_decref(value);
            value = NULL;
        }
    }
    gr_buf_free(&r.unescaped);
    return value != NULL ? value : json_loads(text, 0, NULL);
}
