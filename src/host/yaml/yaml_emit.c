/* SPDX-License-Identifier: MIT */
/* Writes JSON values as block-style YAML that reads back to the same values. */
#include "host/yaml/yaml.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "host/common/error.h"
#include "host/yaml/yaml_emit.h"
#include "host/yaml/yaml_scalar.h"

/* libyaml rejects implicit keys longer than 1024 characters, so longer keys are written as "? key".
 */
#define MAX_IMPLICIT_KEY 1000

/* Spaces added per nesting level. */
#define INDENT_STEP 2

/*
 * Decodes the UTF-8 sequence at text[*pos], advancing *pos. Returns the code
 * point, or -1 for an invalid, overlong or surrogate sequence.
 */
static long next_code_point(const char *text, size_t len, size_t *pos)
{
    const unsigned char *s = (const unsigned char *)text + *pos;
    size_t left = len - *pos;
    size_t width;
    long cp;
    long min;

    if (s[0] < 0x80) {
        (*pos)++;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) {
        width = 2, cp = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        width = 3, cp = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        width = 4, cp = s[0] & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (left < width)
        return -1;
    for (size_t i = 1; i < width; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *pos += width;
    return cp;
}

/* YAML's printable set, without the line breaks that libyaml also accepts (NEL, LS, PS). */
static int is_printable(long cp)
{
    if (cp == '\t')
        return 1;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
        return 0;
    return cp != 0x2028 && cp != 0x2029 && cp != 0xFEFF && cp != 0xFFFE && cp != 0xFFFF;
}

static int is_valid_utf8(const char *text, size_t len)
{
    size_t pos = 0;

    while (pos < len) {
        if (next_code_point(text, len, &pos) < 0)
            return 0;
    }
    return 1;
}

/* Checks that every character is printable, allowing tabs and newlines only when asked. */
static int all_printable(const char *text, size_t len, int allow_tab, int allow_newline)
{
    size_t pos = 0;

    while (pos < len) {
        long cp = next_code_point(text, len, &pos);
        if (cp == '\n' && allow_newline)
            continue;
        if (cp < 0 || !is_printable(cp) || (cp == '\t' && !allow_tab))
            return 0;
    }
    return 1;
}

static int contains(const char *text, size_t len, const char *needle)
{
    size_t needle_len = strlen(needle);

    for (size_t i = 0; i + needle_len <= len; i++) {
        if (memcmp(text + i, needle, needle_len) == 0)
            return 1;
    }
    return 0;
}

/*
 * Decides whether `text` can be written as a plain scalar and read back as the
 * same string. It is stricter than YAML requires, so anything doubtful is quoted.
 */
static int plain_is_safe(const char *text, size_t len, int is_key, int in_flow)
{
    if (len == 0 || gr_yaml__plain_is_typed(text, len))
        return 0;
    if (is_key && len == 2 && memcmp(text, "<<", 2) == 0)
        return 0;
    if (strchr("?:,[]{}#&*!|>'\"%@` \t", text[0]) != NULL)
        return 0;
    if (text[0] == '-' &&
        (len == 1 || text[1] == ' ' || memcmp(text, "---", len < 3 ? len : 3) == 0))
        return 0;
    if (len >= 3 && memcmp(text, "...", 3) == 0)
        return 0;
    if (text[len - 1] == ' ' || text[len - 1] == ':')
        return 0;
    if (contains(text, len, ": ") || contains(text, len, " #"))
        return 0;
    for (size_t i = 0; in_flow && i < len; i++) {
        if (memchr(",[]{}", text[i], 5) != NULL)
            return 0;
    }
    return all_printable(text, len, 0, 0);
}

static void put_escape(gr_buf *out, long cp)
{
    static const char *const named[0x20] = {
        ['\0'] = "\\0", ['\a'] = "\\a", ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
        ['\v'] = "\\v", ['\f'] = "\\f", ['\r'] = "\\r", [0x1B] = "\\e",
    };

    if (cp < 0x20 && named[cp] != NULL)
        gr_buf_puts(out, named[cp]);
    else if (cp == 0x85)
        gr_buf_puts(out, "\\N");
    else if (cp == 0x2028)
        gr_buf_puts(out, "\\L");
    else if (cp == 0x2029)
        gr_buf_puts(out, "\\P");
    else if (cp <= 0xFF)
        gr_buf_printf(out, "\\x%02lX", cp);
    else
        gr_buf_printf(out, "\\u%04lX", cp);
}

/* Writes a double-quoted scalar. `text` must be valid UTF-8. */
static void put_double_quoted(gr_buf *out, const char *text, size_t len)
{
    size_t pos = 0;

    gr_buf_putc(out, '"');
    while (pos < len) {
        size_t start = pos;
        long cp = next_code_point(text, len, &pos);
        if (cp == '"' || cp == '\\') {
            gr_buf_putc(out, '\\');
            gr_buf_putc(out, (char)cp);
        } else if (cp < 0 || cp == '\t' || !is_printable(cp)) {
            put_escape(out, cp < 0 ? (unsigned char)text[start] : cp);
        } else {
            gr_buf_append(out, text + start, pos - start);
        }
    }
    gr_buf_putc(out, '"');
}

static size_t count_trailing_newlines(const char *text, size_t len)
{
    size_t count = 0;

    while (count < len && text[len - 1 - count] == '\n')
        count++;
    return count;
}

/*
 * A literal block (|) keeps multi-line text readable. It is used only when
 * every line reads back unchanged: printable text, no carriage return, no
 * trailing blanks and no line made only of blanks.
 */
static int literal_is_safe(const char *text, size_t len)
{
    size_t line_start = 0;
    int has_content = 0;

    if (memchr(text, '\n', len) == NULL || !all_printable(text, len, 1, 1))
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n')
            continue;
        size_t line_len = i - line_start;
        const char *line = text + line_start;
        if (line_len > 0) {
            char last = line[line_len - 1];
            if (last == ' ' || last == '\t')
                return 0;
            has_content = 1;
        }
        line_start = i + 1;
    }
    return has_content;
}

static void put_indent(gr_buf *out, size_t indent)
{
    for (size_t i = 0; i < indent; i++)
        gr_buf_putc(out, ' ');
}

/*
 * Writes the header and lines of a literal block whose lines are indented by
 * `indent`. The chomping indicator keeps the exact number of final newlines,
 * and an indentation indicator is given when the first line starts with a
 * space or a tab or is empty, where YAML could not guess the indentation (a
 * parser reads a tab there as a tab in the indentation, which is an error).
 */
static void put_literal(gr_buf *out, const char *text, size_t len, size_t indent)
{
    size_t trailing = count_trailing_newlines(text, len);
    size_t line_start = 0;

    gr_buf_putc(out, '|');
    if (text[0] == ' ' || text[0] == '\t' || text[0] == '\n')
        gr_buf_printf(out, "%d", INDENT_STEP);
    if (trailing == 0)
        gr_buf_putc(out, '-');
    else if (trailing > 1)
        gr_buf_putc(out, '+');
    gr_buf_putc(out, '\n');
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\n')
            continue;
        if (i > line_start) {
            put_indent(out, indent);
            gr_buf_append(out, text + line_start, i - line_start);
        }
        gr_buf_putc(out, '\n');
        line_start = i + 1;
    }
    if (line_start < len) {
        put_indent(out, indent);
        gr_buf_append(out, text + line_start, len - line_start);
        gr_buf_putc(out, '\n');
    }
}

/* Writes a real in JavaScript's shortest form, keeping a '.' or exponent so it reads as a float. */
static void put_real(gr_buf *out, double number)
{
    char text[GR_YAML__NUMBER_MAX];

    gr_yaml__format_number(number, text);
    gr_buf_puts(out, text);
    if (strpbrk(text, ".e") == NULL)
        gr_buf_puts(out, ".0");
}

/* Writes a scalar other than a string. Returns 0 when `value` is a string or collection. */
static int put_non_string(gr_buf *out, const json_t *value)
{
    switch (json_typeof(value)) {
    case JSON_NULL:
        gr_buf_puts(out, "null");
        return 1;
    case JSON_TRUE:
        gr_buf_puts(out, "true");
        return 1;
    case JSON_FALSE:
        gr_buf_puts(out, "false");
        return 1;
    case JSON_INTEGER:
        gr_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return 1;
    case JSON_REAL:
        put_real(out, json_real_value(value));
        return 1;
    default:
        return 0;
    }
}

static void put_flow_string(gr_buf *out, const char *text, size_t len)
{
    if (plain_is_safe(text, len, 1, 1))
        gr_buf_append(out, text, len);
    else
        put_double_quoted(out, text, len);
}

void gr_yaml__emit_flow(const json_t *value, gr_buf *out)
{
    const char *key;
    size_t key_len;
    json_t *child;
    size_t index;
    int first = 1;

    if (put_non_string(out, value))
        return;
    if (json_is_string(value)) {
        put_flow_string(out, json_string_value(value), json_string_length(value));
        return;
    }
    if (json_is_array(value)) {
        if (json_array_size(value) == 0) {
            gr_buf_puts(out, "[]");
            return;
        }
        gr_buf_puts(out, "[ ");
        json_array_foreach(value, index, child)
        {
            gr_buf_puts(out, index ? ", " : "");
            gr_yaml__emit_flow(child, out);
        }
        gr_buf_puts(out, " ]");
        return;
    }
    if (json_object_size(value) == 0) {
        gr_buf_puts(out, "{}");
        return;
    }
    gr_buf_puts(out, "{ ");
    json_object_keylen_foreach((json_t *)value, key, key_len, child)
    {
        gr_buf_puts(out, first ? "" : ", ");
        first = 0;
        put_flow_string(out, key, key_len);
        /* The `yaml` package writes a pair without a value as its key alone, so the
         * key of a Jinja-style "{{ name }}" reads "{ name }". */
        if (json_is_null(child))
            continue;
        gr_buf_puts(out, ": ");
        gr_yaml__emit_flow(child, out);
    }
    gr_buf_puts(out, " }");
}

void gr_yaml__emit_key_text(const char *text, size_t len, gr_buf *out)
{
    put_double_quoted(out, text, len);
}

/* Checks every string and key in the tree for valid UTF-8, which YAML text must be. */
static int check_utf8(const json_t *value)
{
    const char *key;
    size_t key_len;
    json_t *child;
    size_t index;

    if (json_is_string(value) &&
        !is_valid_utf8(json_string_value(value), json_string_length(value)))
        return gr_error_set(GR_EINVALID, "cannot write YAML: a string is not valid UTF-8");
    if (json_is_array(value)) {
        json_array_foreach(value, index, child)
        {
            if (check_utf8(child) != GR_OK)
                return GR_EINVALID;
        }
    }
    if (json_is_object(value)) {
        json_object_keylen_foreach((json_t *)value, key, key_len, child)
        {
            if (!is_valid_utf8(key, key_len))
                return gr_error_set(GR_EINVALID, "cannot write YAML: a key is not valid UTF-8");
            if (check_utf8(child) != GR_OK)
                return GR_EINVALID;
        }
    }
    return GR_OK;
}

static int is_nonempty_collection(const json_t *value)
{
    return (json_is_object(value) && json_object_size(value) > 0) ||
           (json_is_array(value) && json_array_size(value) > 0);
}

static void put_block(gr_buf *out, const json_t *value, size_t indent);

/*
 * Writes a value that follows an indicator on the current line ("key:" or
 * "-"). `indent` is the column of that line's mapping or sequence, and
 * `compact` allows a collection to start on the same line, as after "- ".
 */
static void put_after_indicator(gr_buf *out, const json_t *value, size_t indent, int compact)
{
    size_t child_indent = indent + INDENT_STEP;

    if (is_nonempty_collection(value)) {
        if (compact) {
            gr_buf_putc(out, ' ');
        } else {
            gr_buf_putc(out, '\n');
            put_indent(out, child_indent);
        }
        put_block(out, value, child_indent);
        return;
    }
    gr_buf_putc(out, ' ');
    if (put_non_string(out, value)) {
        gr_buf_putc(out, '\n');
        return;
    }
    if (json_is_array(value) || json_is_object(value)) {
        gr_buf_puts(out, json_is_array(value) ? "[]\n" : "{}\n");
        return;
    }

    const char *text = json_string_value(value);
    size_t len = json_string_length(value);
    if (plain_is_safe(text, len, 0, 0)) {
        gr_buf_append(out, text, len);
        gr_buf_putc(out, '\n');
    } else if (literal_is_safe(text, len)) {
        put_literal(out, text, len, child_indent);
    } else {
        put_double_quoted(out, text, len);
        gr_buf_putc(out, '\n');
    }
}

/* Writes "key:", or "? key" and ":" on the next line for a key too long to be implicit. */
static void put_key(gr_buf *out, const char *key, size_t key_len, size_t indent)
{
    gr_buf text = GR_BUF_INIT;

    if (plain_is_safe(key, key_len, 1, 0))
        gr_buf_append(&text, key, key_len);
    else
        put_double_quoted(&text, key, key_len);
    if (text.len > MAX_IMPLICIT_KEY) {
        gr_buf_puts(out, "? ");
        gr_buf_append(out, text.data, text.len);
        gr_buf_putc(out, '\n');
        put_indent(out, indent);
    } else {
        gr_buf_append(out, text.data, text.len);
    }
    gr_buf_putc(out, ':');
    gr_buf_free(&text);
}

/* Writes a non-empty collection whose first line is already indented to `indent`. */
static void put_block(gr_buf *out, const json_t *value, size_t indent)
{
    const char *key;
    size_t key_len;
    json_t *child;
    size_t index;
    int first = 1;

    if (json_is_array(value)) {
        json_array_foreach(value, index, child)
        {
            if (index > 0)
                put_indent(out, indent);
            gr_buf_putc(out, '-');
            put_after_indicator(out, child, indent, 1);
        }
        return;
    }
    json_object_keylen_foreach((json_t *)value, key, key_len, child)
    {
        if (!first)
            put_indent(out, indent);
        first = 0;
        put_key(out, key, key_len, indent);
        put_after_indicator(out, child, indent, 0);
    }
}

int gr_yaml_emit(json_t *value, gr_buf *out)
{
    int rc = check_utf8(value);

    if (rc != GR_OK)
        return rc;
    if (is_nonempty_collection(value)) {
        put_block(out, value, 0);
        return GR_OK;
    }
    /* A root scalar: reuse the "key: value" path and drop the leading space it writes. */
    size_t start = out->len;
    put_after_indicator(out, value, 0, 0);
    memmove(out->data + start, out->data + start + 1, out->len - start - 1);
    out->len--;
    out->data[out->len] = '\0';
    return GR_OK;
}
