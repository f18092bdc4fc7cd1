/* SPDX-License-Identifier: MIT */
/* JavaScript value semantics for the template engine: conversions, operators, JSON text. */
#include "plugins/scaffolder/template/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/js_number.h"

/* Integers up to 2^53 are exact in a double, so they round-trip through json_integer. */
#define MAX_SAFE_INTEGER 9007199254740992.0

gr_tv gr_tv_null(void)
{
    return (gr_tv){.kind = GR_TV_NULL};
}

gr_tv gr_tv_bool(bool value)
{
    return (gr_tv){.kind = GR_TV_BOOL, .boolean = value};
}

gr_tv gr_tv_number(double value)
{
    return (gr_tv){.kind = GR_TV_NUMBER, .number = value};
}

gr_tv gr_tv_string(const char *str, size_t len)
{
    return (gr_tv){.kind = GR_TV_STRING, .json = json_stringn_nocheck(str ? str : "", len)};
}

gr_tv gr_tv_string_buf(gr_buf *buf)
{
    gr_tv value = gr_tv_string(buf->data, buf->len);

    gr_buf_free(buf);
    return value;
}

gr_tv gr_tv_take_json(json_t *json)
{
    gr_tv value = GR_TV_UNDEF;

    if (json == NULL)
        return value;
    switch (json_typeof(json)) {
    case JSON_NULL:
        value.kind = GR_TV_NULL;
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        value.kind = GR_TV_BOOL;
        value.boolean = json_is_true(json);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        value.kind = GR_TV_NUMBER;
        value.number = json_number_value(json);
        break;
    case JSON_STRING:
        value.kind = GR_TV_STRING;
        value.json = json;
        return value;
    case JSON_ARRAY:
        value.kind = GR_TV_ARRAY;
        value.json = json;
        return value;
    case JSON_OBJECT:
        value.kind = GR_TV_OBJECT;
        value.json = json;
        return value;
    }
    json_decref(json);
    return value;
}

gr_tv gr_tv_from_json(json_t *json)
{
    if (json != NULL && (json_is_string(json) || json_is_array(json) || json_is_object(json)))
        json_incref(json);
    else
        return gr_tv_take_json(json ? json_incref(json) : NULL);
    return gr_tv_take_json(json);
}

gr_tv gr_tv_copy(const gr_tv *value)
{
    gr_tv copy = *value;

    if (copy.json != NULL)
        json_incref(copy.json);
    return copy;
}

void gr_tv_release(gr_tv *value)
{
    if (value->json != NULL)
        json_decref(value->json);
    *value = GR_TV_UNDEF;
}

json_t *gr_tv_to_json(const gr_tv *value)
{
    switch (value->kind) {
    case GR_TV_UNDEFINED:
    case GR_TV_NULL:
        return json_null();
    case GR_TV_BOOL:
        return json_boolean(value->boolean);
    case GR_TV_NUMBER:
        if (!isfinite(value->number))
            return json_null();
        if (value->number == floor(value->number) && fabs(value->number) <= MAX_SAFE_INTEGER)
            return json_integer((json_int_t)value->number);
        return json_real(value->number);
    default:
        return json_incref(value->json);
    }
}

const char *gr_tv_str(const gr_tv *value, size_t *len)
{
    if (value->kind != GR_TV_STRING) {
        *len = 0;
        return "";
    }
    *len = json_string_length(value->json);
    return json_string_value(value->json);
}

const char *gr_tv_kind_name(gr_tv_kind kind)
{
    static const char *const names[] = {"undefined", "null",  "boolean", "number",
                                        "string",    "array", "object"};

    return names[kind];
}

bool gr_tv_truthy(const gr_tv *value)
{
    switch (value->kind) {
    case GR_TV_UNDEFINED:
    case GR_TV_NULL:
        return false;
    case GR_TV_BOOL:
        return value->boolean;
    case GR_TV_NUMBER:
        return value->number != 0 && !isnan(value->number);
    case GR_TV_STRING:
        return json_string_length(value->json) > 0;
    default:
        return true;
    }
}

/* ---- numbers ---------------------------------------------------------- */

void gr_tv_format_number(double value, char out[GR_TV_NUMBER_MAX])
{
    gr_js_number_format(value, out);
}

size_t gr_js_skip_space(const char *str, size_t len, size_t pos)
{
    while (pos < len) {
        size_t next = pos;
        if (!gr_js_is_space(gr_utf8_next(str, len, &next)))
            break;
        pos = next;
    }
    return pos;
}

size_t gr_js_trim_end(const char *str, size_t start, size_t len)
{
    while (len > start) {
        size_t back = len - 1;
        size_t probe;

        while (back > start && ((unsigned char)str[back] & 0xC0) == 0x80)
            back--;
        probe = back;
        if (!gr_js_is_space(gr_utf8_next(str, len, &probe)))
            break;
        len = back;
    }
    return len;
}

static size_t scan_digits(const char *str, size_t len, size_t pos)
{
    while (pos < len && str[pos] >= '0' && str[pos] <= '9')
        pos++;
    return pos;
}

/*
 * Scans the longest StrDecimalLiteral (digits, optional fraction, optional
 * complete exponent) at `pos`, sign excluded. Returns its end, or `pos` when
 * there is none.
 */
static size_t scan_decimal(const char *str, size_t len, size_t pos)
{
    size_t int_end = scan_digits(str, len, pos);
    size_t end = int_end;
    bool any = int_end > pos;

    if (end < len && str[end] == '.') {
        size_t frac_end = scan_digits(str, len, end + 1);
        if (any || frac_end > end + 1) {
            any = true;
            end = frac_end;
        }
    }
    if (!any)
        return pos;
    if (end < len && (str[end] == 'e' || str[end] == 'E')) {
        size_t exp = end + 1;
        size_t exp_end;

        if (exp < len && (str[exp] == '+' || str[exp] == '-'))
            exp++;
        exp_end = scan_digits(str, len, exp);
        if (exp_end > exp)
            end = exp_end;
    }
    return end;
}

static double strtod_range(const char *str, size_t len)
{
    char small[64];
    char *copy = len < sizeof(small) ? small : gr_xmalloc(len + 1);
    double value;

    memcpy(copy, str, len);
    copy[len] = '\0';
    value = strtod(copy, NULL);
    if (copy != small)
        free(copy);
    return value;
}

static double parse_radix(const char *str, size_t len, int radix, size_t *end)
{
    double value = 0;
    size_t pos = 0;

    for (; pos < len; pos++) {
        int c = str[pos];
        int digit;

        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'z')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'Z')
            digit = c - 'A' + 10;
        else
            break;
        if (digit >= radix)
            break;
        value = value * radix + digit;
    }
    *end = pos;
    return value;
}

double gr_tv_parse_number(const char *str, size_t len)
{
    size_t start = gr_js_skip_space(str, len, 0);
    size_t end = gr_js_trim_end(str, start, len);
    size_t pos = start;
    bool negative = false;

    if (start == end)
        return 0;
    if (end - start > 2 && str[start] == '0') {
        char kind = str[start + 1];
        int radix = (kind == 'x' || kind == 'X')   ? 16
                    : (kind == 'o' || kind == 'O') ? 8
                    : (kind == 'b' || kind == 'B') ? 2
                                                   : 0;
        if (radix != 0) {
            size_t used;
            double value = parse_radix(str + start + 2, end - start - 2, radix, &used);
            return used == end - start - 2 ? value : NAN;
        }
    }
    if (str[pos] == '+' || str[pos] == '-') {
        negative = str[pos] == '-';
        pos++;
    }
    if (end - pos == 8 && memcmp(str + pos, "Infinity", 8) == 0)
        return negative ? -INFINITY : INFINITY;
    if (scan_decimal(str, end, pos) != end || pos == end)
        return NAN;
    return strtod_range(str + start, end - start);
}

double gr_tv_parse_float(const char *str, size_t len)
{
    size_t start = gr_js_skip_space(str, len, 0);
    size_t pos = start;
    size_t end;
    bool negative = false;

    if (pos < len && (str[pos] == '+' || str[pos] == '-')) {
        negative = str[pos] == '-';
        pos++;
    }
    if (len - pos >= 8 && memcmp(str + pos, "Infinity", 8) == 0)
        return negative ? -INFINITY : INFINITY;
    end = scan_decimal(str, len, pos);
    if (end == pos)
        return NAN;
    return strtod_range(str + start, end - start);
}

double gr_tv_parse_int(const char *str, size_t len, int radix)
{
    size_t pos = gr_js_skip_space(str, len, 0);
    bool negative = false;
    size_t used;
    double value;

    if (pos < len && (str[pos] == '+' || str[pos] == '-')) {
        negative = str[pos] == '-';
        pos++;
    }
    if ((radix == 0 || radix == 16) && len - pos >= 2 && str[pos] == '0' &&
        (str[pos + 1] == 'x' || str[pos + 1] == 'X')) {
        radix = 16;
        pos += 2;
    }
    if (radix == 0)
        radix = 10;
    if (radix < 2 || radix > 36)
        return NAN;
    if (radix == 10) {
        size_t end = scan_digits(str, len, pos);
        if (end == pos)
            return NAN;
        value = strtod_range(str + pos, end - pos);
        return negative ? -value : value;
    }
    value = parse_radix(str + pos, len - pos, radix, &used);
    if (used == 0)
        return NAN;
    return negative ? -value : value;
}

static double string_to_number(json_t *json)
{
    return gr_tv_parse_number(json_string_value(json), json_string_length(json));
}

/* ---- strings ---------------------------------------------------------- */

static void append_json_string_form(gr_buf *buf, json_t *json, bool in_array);

static void append_number(gr_buf *buf, double number)
{
    char text[GR_TV_NUMBER_MAX];

    gr_tv_format_number(number, text);
    gr_buf_puts(buf, text);
}

/* Array.prototype.join(","), which prints null and undefined elements as "". */
static void append_array_join(gr_buf *buf, json_t *array)
{
    size_t index;
    json_t *item;

    json_array_foreach(array, index, item)
    {
        if (index > 0)
            gr_buf_putc(buf, ',');
        append_json_string_form(buf, item, true);
    }
}

static void append_json_string_form(gr_buf *buf, json_t *json, bool in_array)
{
    switch (json_typeof(json)) {
    case JSON_NULL:
        if (!in_array)
            gr_buf_puts(buf, "null");
        break;
    case JSON_TRUE:
        gr_buf_puts(buf, "true");
        break;
    case JSON_FALSE:
        gr_buf_puts(buf, "false");
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        append_number(buf, json_number_value(json));
        break;
    case JSON_STRING:
        gr_buf_append(buf, json_string_value(json), json_string_length(json));
        break;
    case JSON_ARRAY:
        append_array_join(buf, json);
        break;
    case JSON_OBJECT:
        gr_buf_puts(buf, "[object Object]");
        break;
    }
}

void gr_tv_append_string(gr_buf *buf, const gr_tv *value)
{
    switch (value->kind) {
    case GR_TV_UNDEFINED:
        gr_buf_puts(buf, "undefined");
        break;
    case GR_TV_NULL:
        gr_buf_puts(buf, "null");
        break;
    case GR_TV_BOOL:
        gr_buf_puts(buf, value->boolean ? "true" : "false");
        break;
    case GR_TV_NUMBER:
        append_number(buf, value->number);
        break;
    default:
        append_json_string_form(buf, value->json, false);
        break;
    }
}

void gr_tv_append_output(gr_buf *buf, const gr_tv *value)
{
    if (value->kind == GR_TV_UNDEFINED || value->kind == GR_TV_NULL)
        return;
    if (value->kind == GR_TV_STRING) {
        gr_buf_append(buf, json_string_value(value->json), json_string_length(value->json));
        return;
    }
    gr_tv_append_string(buf, value);
}

gr_tv gr_tv_to_string(const gr_tv *value)
{
    gr_buf buf = GR_BUF_INIT;

    if (value->kind == GR_TV_STRING)
        return gr_tv_copy(value);
    gr_tv_append_string(&buf, value);
    return gr_tv_string_buf(&buf);
}

double gr_tv_to_number(const gr_tv *value)
{
    gr_buf buf = GR_BUF_INIT;
    double number;

    switch (value->kind) {
    case GR_TV_UNDEFINED:
        return NAN;
    case GR_TV_NULL:
        return 0;
    case GR_TV_BOOL:
        return value->boolean ? 1 : 0;
    case GR_TV_NUMBER:
        return value->number;
    case GR_TV_STRING:
        return string_to_number(value->json);
    default:
        /* Arrays and objects convert through their string form. */
        gr_tv_append_string(&buf, value);
        number = gr_tv_parse_number(buf.data ? buf.data : "", buf.len);
        gr_buf_free(&buf);
        return number;
    }
}

/* ---- operators -------------------------------------------------------- */

static bool is_object_like(const gr_tv *value)
{
    return value->kind == GR_TV_ARRAY || value->kind == GR_TV_OBJECT;
}

static bool strings_equal(json_t *a, json_t *b)
{
    size_t len = json_string_length(a);

    return len == json_string_length(b) &&
           memcmp(json_string_value(a), json_string_value(b), len) == 0;
}

bool gr_tv_strict_equal(const gr_tv *a, const gr_tv *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case GR_TV_UNDEFINED:
    case GR_TV_NULL:
        return true;
    case GR_TV_BOOL:
        return a->boolean == b->boolean;
    case GR_TV_NUMBER:
        return a->number == b->number;
    case GR_TV_STRING:
        return a->json == b->json || strings_equal(a->json, b->json);
    default:
        return a->json == b->json;
    }
}

bool gr_tv_loose_equal(const gr_tv *a, const gr_tv *b)
{
    bool nullish_a = a->kind == GR_TV_UNDEFINED || a->kind == GR_TV_NULL;
    bool nullish_b = b->kind == GR_TV_UNDEFINED || b->kind == GR_TV_NULL;
    gr_tv converted;
    bool equal;

    if (nullish_a || nullish_b)
        return nullish_a && nullish_b;
    if (a->kind == b->kind)
        return gr_tv_strict_equal(a, b);
    if (a->kind == GR_TV_BOOL || b->kind == GR_TV_BOOL) {
        gr_tv number = gr_tv_number(a->kind == GR_TV_BOOL ? a->boolean : b->boolean);
        return a->kind == GR_TV_BOOL ? gr_tv_loose_equal(&number, b)
                                     : gr_tv_loose_equal(a, &number);
    }
    if (is_object_like(a) != is_object_like(b)) {
        /* ToPrimitive of an array or object is its string form. */
        converted = gr_tv_to_string(is_object_like(a) ? a : b);
        equal =
            is_object_like(a) ? gr_tv_loose_equal(&converted, b) : gr_tv_loose_equal(a, &converted);
        gr_tv_release(&converted);
        return equal;
    }
    if (is_object_like(a))
        return false;
    /* One side is a number and the other a string. */
    return gr_tv_to_number(a) == gr_tv_to_number(b);
}

bool gr_tv_less(const gr_tv *a, const gr_tv *b, bool or_equal)
{
    gr_tv left = is_object_like(a) ? gr_tv_to_string(a) : gr_tv_copy(a);
    gr_tv right = is_object_like(b) ? gr_tv_to_string(b) : gr_tv_copy(b);
    bool result;

    if (left.kind == GR_TV_STRING && right.kind == GR_TV_STRING) {
        size_t left_len = json_string_length(left.json);
        size_t right_len = json_string_length(right.json);
        int cmp = memcmp(json_string_value(left.json), json_string_value(right.json),
                         left_len < right_len ? left_len : right_len);

        if (cmp == 0 && left_len != right_len)
            cmp = left_len < right_len ? -1 : 1;
        result = or_equal ? cmp <= 0 : cmp < 0;
    } else {
        double x = gr_tv_to_number(&left);
        double y = gr_tv_to_number(&right);
        result = or_equal ? x <= y : x < y;
    }
    gr_tv_release(&left);
    gr_tv_release(&right);
    return result;
}

gr_tv gr_tv_add(const gr_tv *a, const gr_tv *b)
{
    gr_buf buf = GR_BUF_INIT;

    if (a->kind == GR_TV_STRING || b->kind == GR_TV_STRING || is_object_like(a) ||
        is_object_like(b)) {
        gr_tv_append_string(&buf, a);
        gr_tv_append_string(&buf, b);
        return gr_tv_string_buf(&buf);
    }
    return gr_tv_number(gr_tv_to_number(a) + gr_tv_to_number(b));
}

/* ---- JSON.stringify --------------------------------------------------- */

static bool is_index_key(const char *key)
{
    char *end;
    unsigned long long index;

    if (key[0] == '0')
        return key[1] == '\0';
    if (key[0] < '1' || key[0] > '9')
        return false;
    index = strtoull(key, &end, 10);
    return *end == '\0' && index < 4294967295ULL && strlen(key) <= 10;
}

static int compare_index_keys(const void *a, const void *b)
{
    unsigned long long x = strtoull(*(const char *const *)a, NULL, 10);
    unsigned long long y = strtoull(*(const char *const *)b, NULL, 10);

    if (x == y)
        return 0;
    return x < y ? -1 : 1;
}

const char **gr_tv_object_keys(json_t *object, size_t *count)
{
    size_t size = json_object_size(object);
    const char **keys = gr_xmalloc((size ? size : 1) * sizeof(*keys));
    size_t indexes = 0;
    size_t others;
    const char *key;
    json_t *member;

    json_object_foreach(object, key, member)
    {
        if (is_index_key(key))
            keys[indexes++] = key;
    }
    qsort(keys, indexes, sizeof(*keys), compare_index_keys);
    others = indexes;
    json_object_foreach(object, key, member)
    {
        if (!is_index_key(key))
            keys[others++] = key;
    }
    *count = others;
    return keys;
}

static void append_json_quoted(gr_buf *buf, const char *str, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    gr_buf_putc(buf, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        switch (c) {
        case '"':
            gr_buf_puts(buf, "\\\"");
            break;
        case '\\':
            gr_buf_puts(buf, "\\\\");
            break;
        case '\b':
            gr_buf_puts(buf, "\\b");
            break;
        case '\f':
            gr_buf_puts(buf, "\\f");
            break;
        case '\n':
            gr_buf_puts(buf, "\\n");
            break;
        case '\r':
            gr_buf_puts(buf, "\\r");
            break;
        case '\t':
            gr_buf_puts(buf, "\\t");
            break;
        default:
            if (c < 0x20) {
                char escape[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], '\0'};
                gr_buf_puts(buf, escape);
            } else {
                gr_buf_putc(buf, (char)c);
            }
        }
    }
    gr_buf_putc(buf, '"');
}

static void append_newline_indent(gr_buf *buf, const char *indent, int depth)
{
    gr_buf_putc(buf, '\n');
    for (int i = 0; i < depth; i++)
        gr_buf_puts(buf, indent);
}

static void append_json_value(gr_buf *buf, json_t *json, const char *indent, int depth)
{
    bool pretty = indent[0] != '\0';

    switch (json_typeof(json)) {
    case JSON_STRING:
        append_json_quoted(buf, json_string_value(json), json_string_length(json));
        return;
    case JSON_ARRAY: {
        size_t index;
        json_t *item;

        if (json_array_size(json) == 0) {
            gr_buf_puts(buf, "[]");
            return;
        }
        gr_buf_putc(buf, '[');
        json_array_foreach(json, index, item)
        {
            if (index > 0)
                gr_buf_putc(buf, ',');
            if (pretty)
                append_newline_indent(buf, indent, depth + 1);
            append_json_value(buf, item, indent, depth + 1);
        }
        if (pretty)
            append_newline_indent(buf, indent, depth);
        gr_buf_putc(buf, ']');
        return;
    }
    case JSON_OBJECT: {
        size_t count;
        const char **keys;

        if (json_object_size(json) == 0) {
            gr_buf_puts(buf, "{}");
            return;
        }
        keys = gr_tv_object_keys(json, &count);
        gr_buf_putc(buf, '{');
        for (size_t i = 0; i < count; i++) {
            if (i > 0)
                gr_buf_putc(buf, ',');
            if (pretty)
                append_newline_indent(buf, indent, depth + 1);
            append_json_quoted(buf, keys[i], strlen(keys[i]));
            gr_buf_puts(buf, pretty ? ": " : ":");
            append_json_value(buf, json_object_get(json, keys[i]), indent, depth + 1);
        }
        free(keys);
        if (pretty)
            append_newline_indent(buf, indent, depth);
        gr_buf_putc(buf, '}');
        return;
    }
    case JSON_INTEGER:
    case JSON_REAL:
        append_number(buf, json_number_value(json));
        return;
    default:
        append_json_string_form(buf, json, false);
        return;
    }
}

bool gr_tv_append_json(gr_buf *buf, const gr_tv *value, const char *indent)
{
    switch (value->kind) {
    case GR_TV_UNDEFINED:
        return false;
    case GR_TV_NUMBER:
        if (!isfinite(value->number))
            gr_buf_puts(buf, "null");
        else
            append_number(buf, value->number);
        return true;
    case GR_TV_NULL:
    case GR_TV_BOOL:
        gr_tv_append_string(buf, value);
        return true;
    default:
        append_json_value(buf, value->json, indent, 0);
        return true;
    }
}

/* ---- UTF-8 and case mapping ------------------------------------------ */

uint32_t gr_utf8_next(const char *str, size_t len, size_t *pos)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = *pos;
    uint32_t c = s[i];
    int extra = 0;
    static const uint32_t lead_masks[] = {0x7F, 0x1F, 0x0F, 0x07};

    if (c >= 0xF0)
        extra = 3;
    else if (c >= 0xE0)
        extra = 2;
    else if (c >= 0xC0)
        extra = 1;

    if (i + (size_t)extra >= len && extra > 0) {
        /* A truncated sequence: valid input never has one. */
        *pos = len;
        return 0xFFFD;
    }
    c &= lead_masks[extra];
    for (int k = 1; k <= extra; k++)
        c = (c << 6) | (s[i + (size_t)k] & 0x3F);
    *pos = i + 1 + (size_t)extra;
    return c;
}

void gr_utf8_put(gr_buf *buf, uint32_t c)
{
    char out[4];
    size_t n;

    if (c < 0x80) {
        out[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (c >> 18));
        out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    gr_buf_append(buf, out, n);
}

size_t gr_utf8_js_length(const char *str, size_t len)
{
    size_t units = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        if ((c & 0xC0) != 0x80)
            units += c >= 0xF0 ? 2 : 1;
    }
    return units;
}

size_t gr_utf8_count(const char *str, size_t len)
{
    size_t count = 0;

    for (size_t i = 0; i < len; i++)
        if (((unsigned char)str[i] & 0xC0) != 0x80)
            count++;
    return count;
}

size_t gr_utf8_offset(const char *str, size_t len, size_t index)
{
    size_t pos = 0;

    while (index > 0 && pos < len) {
        gr_utf8_next(str, len, &pos);
        index--;
    }
    return pos;
}

bool gr_js_is_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

/*
 * TODO: full Unicode case mapping. These ranges cover ASCII, Latin-1,
 * Latin Extended-A, Greek and Cyrillic; other scripts keep their case.
 */
uint32_t gr_js_to_upper(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return c - 32;
    if (c < 0x80)
        return c;
    if ((c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) ||
        (c >= 0x430 && c <= 0x44F))
        return c - 32;
    if (c == 0xFF)
        return 0x178;
    if (c == 0xB5)
        return 0x39C;
    if (c >= 0x450 && c <= 0x45F)
        return c - 80;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c & ~1u;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1u) ? c : c - 1;
    return c;
}

uint32_t gr_js_to_lower(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0x80)
        return c;
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) ||
        (c >= 0x410 && c <= 0x42F))
        return c + 32;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1u;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1u) ? c + 1 : c;
    return c;
}

void gr_js_append_case(gr_buf *buf, const char *str, size_t len, bool upper)
{
    size_t pos = 0;

    while (pos < len) {
        uint32_t c = gr_utf8_next(str, len, &pos);

        if (upper && c == 0xDF)
            gr_buf_puts(buf, "SS"); /* the sharp s has no one-letter upper case */
        else
            gr_utf8_put(buf, upper ? gr_js_to_upper(c) : gr_js_to_lower(c));
    }
}
