/* SPDX-License-Identifier: MIT */
/* Resolution of YAML scalars to typed values by the YAML 1.2 core schema. */
#include "host/yaml/yaml_scalar.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/common/js_number.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

/* 2^53: above it not every integer has an exact double, so JSON integers stop there. */
#define SAFE_INTEGER_LIMIT 9007199254740992.0

static int text_equals(const char *text, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(text, word, len) == 0;
}

static int text_in(const char *text, size_t len, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++) {
        if (text_equals(text, len, words[i]))
            return 1;
    }
    return 0;
}

static size_t count_digits(const char *text, size_t len, size_t start, int base)
{
    size_t i = start;

    while (i < len) {
        char c = text[i];
        int ok = base == 16
                     ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                     : (c >= '0' && c < '0' + base);
        if (!ok)
            break;
        i++;
    }
    return i - start;
}

static int is_null_literal(const char *text, size_t len)
{
    static const char *const words[] = {"", "~", "null", "Null", "NULL", NULL};

    return text_in(text, len, words);
}

static int is_bool_literal(const char *text, size_t len, int *value)
{
    static const char *const truths[] = {"true", "True", "TRUE", NULL};
    static const char *const lies[] = {"false", "False", "FALSE", NULL};

    if (text_in(text, len, truths)) {
        *value = 1;
        return 1;
    }
    if (text_in(text, len, lies)) {
        *value = 0;
        return 1;
    }
    return 0;
}

/* [-+]?[0-9]+ */
static int is_decimal_literal(const char *text, size_t len)
{
    size_t start = (len > 0 && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    size_t digits = count_digits(text, len, start, 10);

    return digits > 0 && start + digits == len;
}

/* 0o[0-7]+ and 0x[0-9a-fA-F]+: returns the base, or 0. */
static int prefixed_literal_base(const char *text, size_t len)
{
    if (len < 3 || text[0] != '0')
        return 0;
    if (text[1] == 'o' && count_digits(text, len, 2, 8) == len - 2)
        return 8;
    if (text[1] == 'x' && count_digits(text, len, 2, 16) == len - 2)
        return 16;
    return 0;
}

/*
 * [-+]?(\.[0-9]+|[0-9]+\.[0-9]*) or, with an exponent,
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+
 */
static int is_float_literal(const char *text, size_t len)
{
    size_t i = (len > 0 && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    size_t whole = count_digits(text, len, i, 10);
    size_t fraction = 0;
    int dot = 0;

    i += whole;
    if (i < len && text[i] == '.') {
        dot = 1;
        i++;
        fraction = count_digits(text, len, i, 10);
        i += fraction;
    }
    if (whole == 0 && fraction == 0)
        return 0;
    if (i == len)
        return dot;
    if (text[i] != 'e' && text[i] != 'E')
        return 0;
    i++;
    if (i < len && (text[i] == '-' || text[i] == '+'))
        i++;
    size_t exponent = count_digits(text, len, i, 10);
    return exponent > 0 && i + exponent == len;
}

static int is_special_float_literal(const char *text, size_t len)
{
    static const char *const words[] = {
        ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",  ".INF", "+.inf",
        "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", NULL,
    };

    return text_in(text, len, words);
}

/* Copies a numeric literal (short or not, never with NUL) into a C string. */
static char *literal_cstr(const char *text, size_t len)
{
    return gr_xstrndup(text, len);
}

static void set_number(gr_yaml__value *out, double number)
{
    out->type = GR_YAML__NUMBER;
    out->number = number;
    out->exact = 0;
}

static void resolve_decimal(const char *text, size_t len, gr_yaml__value *out)
{
    char *literal = literal_cstr(text, len);
    char *end = NULL;

    errno = 0;
    long long integer = strtoll(literal, &end, 10);
    if (errno == 0 && *end == '\0') {
        set_number(out, (double)integer);
        out->exact = 1;
        out->integer = integer;
    } else {
        set_number(out, strtod(literal, NULL));
    }
    free(literal);
}

/*
 * Octal digits are rewritten as hexadecimal so that strtod() rounds values
 * beyond 64 bits correctly, as JavaScript's parseInt() does for base 8.
 */
static double octal_to_double(const char *digits, size_t count)
{
    gr_buf hex = GR_BUF_INIT;
    size_t bits = count * 3;
    size_t pad = (4 - bits % 4) % 4;
    unsigned nibble = 0;
    size_t filled = pad;

    gr_buf_puts(&hex, "0x");
    for (size_t i = 0; i < count; i++) {
        unsigned digit = (unsigned)(digits[i] - '0');
        for (int bit = 2; bit >= 0; bit--) {
            nibble = (nibble << 1) | ((digit >> bit) & 1u);
            if (++filled == 4) {
                gr_buf_putc(&hex, "0123456789abcdef"[nibble]);
                nibble = 0;
                filled = 0;
            }
        }
    }
    double number = strtod(gr_buf_cstr(&hex), NULL);
    gr_buf_free(&hex);
    return number;
}

static void resolve_prefixed(const char *text, size_t len, int base, gr_yaml__value *out)
{
    char *literal = literal_cstr(text, len);
    char *end = NULL;

    errno = 0;
    unsigned long long value = strtoull(literal + 2, &end, base);
    if (errno == 0 && *end == '\0' && value <= (unsigned long long)LLONG_MAX) {
        set_number(out, (double)value);
        out->exact = 1;
        out->integer = (long long)value;
    } else if (base == 16) {
        set_number(out, strtod(literal, NULL));
    } else {
        set_number(out, octal_to_double(literal + 2, len - 2));
    }
    free(literal);
}

static void resolve_float(const char *text, size_t len, gr_yaml__value *out)
{
    char *literal = literal_cstr(text, len);

    set_number(out, strtod(literal, NULL));
    free(literal);
}

static void resolve_special_float(const char *text, size_t len, gr_yaml__value *out)
{
    if (text[len - 1] == 'n' || text[len - 1] == 'N')
        set_number(out, NAN);
    else
        set_number(out, text[0] == '-' ? -INFINITY : INFINITY);
}

static int resolve_null(const char *text, size_t len, gr_yaml__value *out)
{
    if (!is_null_literal(text, len))
        return 0;
    out->type = GR_YAML__NULL;
    return 1;
}

static int resolve_bool(const char *text, size_t len, gr_yaml__value *out)
{
    int truth = 0;

    if (!is_bool_literal(text, len, &truth))
        return 0;
    out->type = GR_YAML__BOOL;
    out->boolean = truth;
    return 1;
}

static int resolve_int(const char *text, size_t len, gr_yaml__value *out)
{
    int base = prefixed_literal_base(text, len);

    if (base != 0) {
        resolve_prefixed(text, len, base, out);
        return 1;
    }
    if (is_decimal_literal(text, len)) {
        resolve_decimal(text, len, out);
        return 1;
    }
    return 0;
}

static int resolve_float_tag(const char *text, size_t len, gr_yaml__value *out)
{
    if (is_special_float_literal(text, len)) {
        resolve_special_float(text, len, out);
        return 1;
    }
    if (is_float_literal(text, len)) {
        resolve_float(text, len, out);
        return 1;
    }
    return 0;
}

/*
 * Returns whether the core schema could type the text. Every null, bool
 * and number literal above is empty or starts with one of these
 * characters. Most scalars of a catalog file are names and refs, so this
 * spares them the literal tests.
 */
static int may_be_typed(const char *text, size_t len)
{
    return len == 0 || (text[0] != '\0' && strchr("~nNtTfF+-.0123456789", text[0]) != NULL);
}

/* Applies the core schema's tests in its order: null, bool, int, float. */
static void resolve_untagged_plain(const char *text, size_t len, gr_yaml__value *out)
{
    if (!may_be_typed(text, len)) {
        out->type = GR_YAML__STRING;
        return;
    }
    if (resolve_null(text, len, out) || resolve_bool(text, len, out) ||
        resolve_int(text, len, out) || resolve_float_tag(text, len, out))
        return;
    out->type = GR_YAML__STRING;
}

/*
 * An explicit tag applies only that tag's tests. A value that fails them, and
 * any tag the schema does not know, resolves to a string: the `yaml` package
 * (v2) reports "Unresolved tag" as a warning, not an error, in that case.
 */
static int resolve_tagged(const char *text, size_t len, const char *tag, gr_yaml__value *out)
{
    static const char *const unsupported[] = {"binary", "timestamp", "set", "omap", "pairs", NULL};
    const char *name = tag + strlen(TAG_PREFIX);

    out->type = GR_YAML__STRING;
    if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0)
        return GR_OK;
    if (strcmp(name, "null") == 0)
        resolve_null(text, len, out);
    else if (strcmp(name, "bool") == 0)
        resolve_bool(text, len, out);
    else if (strcmp(name, "int") == 0)
        resolve_int(text, len, out);
    else if (strcmp(name, "float") == 0)
        resolve_float_tag(text, len, out);
    else if (text_in(name, strlen(name), unsupported))
        return gr_error_set(GR_EINVALID,
                            "the tag !!%s is not supported because it has no JSON form; "
                            "remove the tag or quote the value",
                            name);
    return GR_OK;
}

int gr_yaml__resolve(const char *text, size_t len, const char *tag, gr_yaml__style style,
                     gr_yaml__value *out)
{
    memset(out, 0, sizeof(*out));
    if (tag != NULL && strcmp(tag, "!") != 0)
        return resolve_tagged(text, len, tag, out);
    if (tag == NULL && style == GR_YAML__PLAIN)
        resolve_untagged_plain(text, len, out);
    else
        out->type = GR_YAML__STRING;
    return GR_OK;
}

int gr_yaml__plain_is_typed(const char *text, size_t len)
{
    gr_yaml__value value;

    resolve_untagged_plain(text, len, &value);
    return value.type != GR_YAML__STRING;
}

json_t *gr_yaml__value_json(const gr_yaml__value *value, const char *text, size_t len)
{
    double number = value->number;

    switch (value->type) {
    case GR_YAML__NULL:
        return json_null();
    case GR_YAML__BOOL:
        return json_boolean(value->boolean);
    case GR_YAML__NUMBER:
        if (value->exact)
            return json_integer(value->integer);
        if (!isfinite(number))
            return json_null();
        if (number == trunc(number) && fabs(number) < SAFE_INTEGER_LIMIT)
            return json_integer((json_int_t)number);
        return json_real(number);
    case GR_YAML__STRING:
        break;
    }
    return json_stringn_nocheck(text, len);
}

void gr_yaml__value_key(const gr_yaml__value *value, const char *text, size_t len, gr_buf *out)
{
    char number[GR_YAML__NUMBER_MAX];

    switch (value->type) {
    case GR_YAML__NULL:
        return;
    case GR_YAML__BOOL:
        gr_buf_puts(out, value->boolean ? "true" : "false");
        return;
    case GR_YAML__NUMBER:
        gr_yaml__format_number(value->number, number);
        gr_buf_puts(out, number);
        return;
    case GR_YAML__STRING:
        break;
    }
    gr_buf_append(out, text, len);
}

void gr_yaml__format_number(double number, char out[GR_YAML__NUMBER_MAX])
{
    gr_js_number_format(number, out);
}
