/* SPDX-License-Identifier: MIT */
/* JavaScript methods that templates call on values, such as "a,b".split(","). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/eval.h"

/*
 * Nunjucks runs templates as JavaScript, so `name.toUpperCase()` calls the
 * string method. These are the String, Array and Number methods templates
 * use. Positions count characters (code points), where JavaScript counts
 * UTF-16 units; the two differ only after characters outside the BMP.
 */

typedef struct {
    gr_tmpl_eval *eval;
    const gr_node *node;
    const gr_tv *args;
    size_t nargs;
} method_call;

static const gr_tv undefined_value = {.kind = GR_TV_UNDEFINED};

static const gr_tv *arg(const method_call *call, size_t i)
{
    return i < call->nargs ? &call->args[i] : &undefined_value;
}

/* ToIntegerOrInfinity, then a relative index resolved against `length` and clamped. */
static size_t relative_index(const gr_tv *value, size_t length, size_t fallback)
{
    double index;

    if (value->kind == GR_TV_UNDEFINED)
        return fallback;
    index = trunc(gr_tv_to_number(value));
    if (isnan(index))
        index = 0;
    if (index < 0)
        index = fmax((double)length + index, 0);
    return index > (double)length ? length : (size_t)index;
}

static size_t clamped_index(const gr_tv *value, size_t length, size_t fallback)
{
    double index;

    if (value->kind == GR_TV_UNDEFINED)
        return fallback;
    index = trunc(gr_tv_to_number(value));
    if (isnan(index) || index < 0)
        return 0;
    return index > (double)length ? length : (size_t)index;
}

static gr_tv substring(const char *str, size_t len, size_t start, size_t end)
{
    size_t from = gr_utf8_offset(str, len, start);
    size_t to = gr_utf8_offset(str, len, end);

    return gr_tv_string(str + from, to > from ? to - from : 0);
}

/* Finds `needle` at or after character `from`; returns the character index or -1. */
static double find_text(const char *str, size_t len, const char *needle, size_t needle_len,
                        size_t from, bool last)
{
    size_t start = gr_utf8_offset(str, len, from);
    const char *found = NULL;

    if (!last) {
        found =
            needle_len == 0 ? str + start : memmem(str + start, len - start, needle, needle_len);
    } else {
        for (size_t pos = 0; pos + needle_len <= len; pos++)
            if (memcmp(str + pos, needle, needle_len) == 0)
                found = str + pos;
    }
    return found ? (double)gr_utf8_count(str, (size_t)(found - str)) : -1;
}

static void append_replacement(gr_buf *buf, const char *replacement, size_t rep_len,
                               const char *str, size_t len, size_t match, size_t match_len)
{
    for (size_t i = 0; i < rep_len; i++) {
        if (replacement[i] != '$' || i + 1 >= rep_len) {
            gr_buf_putc(buf, replacement[i]);
            continue;
        }
        switch (replacement[i + 1]) {
        case '$':
            gr_buf_putc(buf, '$');
            break;
        case '&':
            gr_buf_append(buf, str + match, match_len);
            break;
        case '`':
            gr_buf_append(buf, str, match);
            break;
        case '\'':
            gr_buf_append(buf, str + match + match_len, len - match - match_len);
            break;
        default:
            gr_buf_putc(buf, '$');
            continue;
        }
        i++;
    }
}

static gr_tv string_replace(const char *str, size_t len, const method_call *call, bool all)
{
    gr_tv pattern = gr_tv_to_string(arg(call, 0));
    gr_tv replacement = gr_tv_to_string(arg(call, 1));
    size_t pat_len;
    size_t rep_len;
    const char *pat = gr_tv_str(&pattern, &pat_len);
    const char *rep = gr_tv_str(&replacement, &rep_len);
    gr_buf buf = GR_BUF_INIT;
    size_t pos = 0;

    while (pos <= len) {
        const char *found = memmem(str + pos, len - pos, pat, pat_len);
        size_t match;

        if (found == NULL)
            break;
        match = (size_t)(found - str);
        gr_buf_append(&buf, str + pos, match - pos);
        append_replacement(&buf, rep, rep_len, str, len, match, pat_len);
        pos = match + pat_len;
        if (!all || buf.len > GR_TMPL_MAX_OUTPUT)
            break;
        if (pat_len == 0) {
            /* An empty pattern matches between every two characters. */
            if (pos >= len)
                break;
            size_t next = pos;
            gr_utf8_next(str, len, &next);
            gr_buf_append(&buf, str + pos, next - pos);
            pos = next;
            if (pos == len) {
                append_replacement(&buf, rep, rep_len, str, len, pos, 0);
                break;
            }
        }
    }
    if (pos <= len)
        gr_buf_append(&buf, str + pos, len - pos);
    gr_tv_release(&pattern);
    gr_tv_release(&replacement);
    return gr_tv_string_buf(&buf);
}

static gr_tv string_split(const char *str, size_t len, const method_call *call)
{
    json_t *parts = json_array();
    const gr_tv *limit_arg = arg(call, 1);
    double limit = limit_arg->kind == GR_TV_UNDEFINED ? 4294967295.0 : gr_tv_to_number(limit_arg);
    gr_tv separator;
    size_t sep_len;
    const char *sep;
    size_t pos = 0;

    if (arg(call, 0)->kind == GR_TV_UNDEFINED) {
        if (limit > 0)
            json_array_append_new(parts, json_stringn_nocheck(str, len));
        return gr_tv_take_json(parts);
    }
    separator = gr_tv_to_string(arg(call, 0));
    sep = gr_tv_str(&separator, &sep_len);
    while ((double)json_array_size(parts) < limit) {
        const char *found;

        if (sep_len == 0) {
            size_t start = pos;

            if (pos >= len)
                break;
            gr_utf8_next(str, len, &pos);
            json_array_append_new(parts, json_stringn_nocheck(str + start, pos - start));
            continue;
        }
        found = memmem(str + pos, len - pos, sep, sep_len);
        if (found == NULL) {
            json_array_append_new(parts, json_stringn_nocheck(str + pos, len - pos));
            break;
        }
        json_array_append_new(parts, json_stringn_nocheck(str + pos, (size_t)(found - str) - pos));
        pos = (size_t)(found - str) + sep_len;
    }
    gr_tv_release(&separator);
    return gr_tv_take_json(parts);
}

static gr_tv string_pad(const char *str, size_t len, const method_call *call, bool at_start)
{
    double target = gr_tv_to_number(arg(call, 0));
    gr_tv fill = arg(call, 1)->kind == GR_TV_UNDEFINED ? gr_tv_string(" ", 1)
                                                       : gr_tv_to_string(arg(call, 1));
    size_t fill_len;
    const char *fill_str = gr_tv_str(&fill, &fill_len);
    size_t have = gr_utf8_count(str, len);
    gr_buf buf = GR_BUF_INIT;
    gr_buf padding = GR_BUF_INIT;

    if (!(target > (double)have) || fill_len == 0 || target > GR_TMPL_MAX_OUTPUT) {
        gr_tv_release(&fill);
        return gr_tv_string(str, len);
    }
    for (size_t n = have, pos = 0; (double)n < target; n++) {
        size_t start = pos;

        gr_utf8_next(fill_str, fill_len, &pos);
        gr_buf_append(&padding, fill_str + start, pos - start);
        if (pos >= fill_len)
            pos = 0;
    }
    if (at_start)
        gr_buf_append(&buf, gr_buf_cstr(&padding), padding.len);
    gr_buf_append(&buf, str, len);
    if (!at_start)
        gr_buf_append(&buf, gr_buf_cstr(&padding), padding.len);
    gr_buf_free(&padding);
    gr_tv_release(&fill);
    return gr_tv_string_buf(&buf);
}

static int string_method(const method_call *call, const gr_tv *target, const char *name, gr_tv *out,
                         bool *found)
{
    size_t len;
    const char *str = gr_tv_str(target, &len);
    size_t chars = gr_utf8_count(str, len);
    gr_buf buf = GR_BUF_INIT;
    gr_tv text = GR_TV_UNDEF;
    size_t text_len = 0;
    const char *needle = NULL;

    *found = true;
    if (call->nargs > 0) {
        text = gr_tv_to_string(arg(call, 0));
        needle = gr_tv_str(&text, &text_len);
    }
    if (strcmp(name, "toLowerCase") == 0 || strcmp(name, "toUpperCase") == 0) {
        gr_js_append_case(&buf, str, len, name[2] == 'U');
        *out = gr_tv_string_buf(&buf);
    } else if (strcmp(name, "trim") == 0 || strcmp(name, "trimStart") == 0 ||
               strcmp(name, "trimEnd") == 0) {
        size_t start = name[4] == 'E' ? 0 : gr_js_skip_space(str, len, 0);
        size_t end = name[4] == 'S' ? len : gr_js_trim_end(str, start, len);

        *out = gr_tv_string(str + start, end - start);
    } else if (strcmp(name, "startsWith") == 0) {
        size_t from = gr_utf8_offset(str, len, clamped_index(arg(call, 1), chars, 0));
        *out = gr_tv_bool(len - from >= text_len && memcmp(str + from, needle, text_len) == 0);
    } else if (strcmp(name, "endsWith") == 0) {
        size_t end = gr_utf8_offset(str, len, clamped_index(arg(call, 1), chars, chars));
        *out = gr_tv_bool(end >= text_len && memcmp(str + end - text_len, needle, text_len) == 0);
    } else if (strcmp(name, "includes") == 0) {
        *out = gr_tv_bool(find_text(str, len, needle, text_len,
                                    clamped_index(arg(call, 1), chars, 0), false) >= 0);
    } else if (strcmp(name, "indexOf") == 0) {
        *out = gr_tv_number(
            find_text(str, len, needle, text_len, clamped_index(arg(call, 1), chars, 0), false));
    } else if (strcmp(name, "lastIndexOf") == 0) {
        *out = gr_tv_number(find_text(str, len, needle, text_len, 0, true));
    } else if (strcmp(name, "split") == 0) {
        *out = string_split(str, len, call);
    } else if (strcmp(name, "replace") == 0 || strcmp(name, "replaceAll") == 0) {
        *out = string_replace(str, len, call, name[7] == 'A');
    } else if (strcmp(name, "slice") == 0) {
        size_t start = relative_index(arg(call, 0), chars, 0);
        size_t end = relative_index(arg(call, 1), chars, chars);
        *out = substring(str, len, start, end > start ? end : start);
    } else if (strcmp(name, "substring") == 0) {
        size_t start = clamped_index(arg(call, 0), chars, 0);
        size_t end = clamped_index(arg(call, 1), chars, chars);
        *out = start < end ? substring(str, len, start, end) : substring(str, len, end, start);
    } else if (strcmp(name, "substr") == 0) {
        size_t start = relative_index(arg(call, 0), chars, 0);
        size_t count = clamped_index(arg(call, 1), chars, chars);
        *out = substring(str, len, start, start + count > chars ? chars : start + count);
    } else if (strcmp(name, "charAt") == 0) {
        size_t index = clamped_index(arg(call, 0), chars, 0);
        *out = substring(str, len, index, index + 1 > chars ? chars : index + 1);
    } else if (strcmp(name, "at") == 0) {
        double index = trunc(gr_tv_to_number(arg(call, 0)));
        if (isnan(index))
            index = 0;
        if (index < 0)
            index += (double)chars;
        *out = index >= 0 && index < (double)chars
                   ? substring(str, len, (size_t)index, (size_t)index + 1)
                   : GR_TV_UNDEF;
    } else if (strcmp(name, "padStart") == 0 || strcmp(name, "padEnd") == 0) {
        *out = string_pad(str, len, call, name[3] == 'S');
    } else if (strcmp(name, "repeat") == 0) {
        double times = trunc(gr_tv_to_number(arg(call, 0)));
        if (times < 0 || isinf(times)) {
            gr_tv_release(&text);
            return gr_tmpl__error(call->eval, call->node, GR_EINVALID, "Invalid count value: %g",
                                  times);
        }
        if (!isnan(times) && times * (double)len > GR_TMPL_MAX_OUTPUT) {
            gr_tv_release(&text);
            return gr_tmpl__check_length(call->eval, call->node, GR_TMPL_MAX_OUTPUT + 1);
        }
        for (double i = 0; i < times; i++)
            gr_buf_append(&buf, str, len);
        *out = gr_tv_string_buf(&buf);
    } else if (strcmp(name, "concat") == 0) {
        gr_buf_append(&buf, str, len);
        for (size_t i = 0; i < call->nargs; i++)
            gr_tv_append_string(&buf, &call->args[i]);
        *out = gr_tv_string_buf(&buf);
    } else if (strcmp(name, "toString") == 0 || strcmp(name, "valueOf") == 0) {
        *out = gr_tv_copy(target);
    } else {
        *found = false;
    }
    gr_tv_release(&text);
    if (*found && out->kind == GR_TV_STRING)
        return gr_tmpl__check_length(call->eval, call->node, json_string_length(out->json));
    return GR_OK;
}

/* SameValueZero, used by Array.prototype.includes: like === but NaN equals NaN. */
static bool same_value_zero(const gr_tv *a, const gr_tv *b)
{
    if (a->kind == GR_TV_NUMBER && b->kind == GR_TV_NUMBER && isnan(a->number) && isnan(b->number))
        return true;
    return gr_tv_strict_equal(a, b);
}

static double array_find(json_t *array, const gr_tv *needle, bool same_zero, bool last)
{
    double found = -1;
    size_t index;
    json_t *item;

    json_array_foreach(array, index, item)
    {
        gr_tv value = gr_tv_from_json(item);
        bool equal =
            same_zero ? same_value_zero(&value, needle) : gr_tv_strict_equal(&value, needle);

        gr_tv_release(&value);
        if (equal) {
            found = (double)index;
            if (!last)
                break;
        }
    }
    return found;
}

static int array_method(const method_call *call, const gr_tv *target, const char *name, gr_tv *out,
                        bool *found)
{
    json_t *array = target->json;
    size_t count = json_array_size(array);

    *found = true;
    if (strcmp(name, "join") == 0 || strcmp(name, "toString") == 0) {
        gr_buf buf = GR_BUF_INIT;
        gr_buf separator = GR_BUF_INIT;
        size_t index;
        json_t *item;

        if (name[0] == 't' || arg(call, 0)->kind == GR_TV_UNDEFINED)
            gr_buf_putc(&separator, ',');
        else
            gr_tv_append_string(&separator, arg(call, 0));
        json_array_foreach(array, index, item)
        {
            gr_tv value = gr_tv_from_json(item);

            if (index > 0)
                gr_buf_append(&buf, gr_buf_cstr(&separator), separator.len);
            gr_tv_append_output(&buf, &value);
            gr_tv_release(&value);
        }
        gr_buf_free(&separator);
        *out = gr_tv_string_buf(&buf);
        return gr_tmpl__check_length(call->eval, call->node, json_string_length(out->json));
    }
    if (strcmp(name, "includes") == 0) {
        *out = gr_tv_bool(array_find(array, arg(call, 0), true, false) >= 0);
    } else if (strcmp(name, "indexOf") == 0 || strcmp(name, "lastIndexOf") == 0) {
        *out = gr_tv_number(array_find(array, arg(call, 0), false, name[0] == 'l'));
    } else if (strcmp(name, "slice") == 0) {
        size_t start = relative_index(arg(call, 0), count, 0);
        size_t end = relative_index(arg(call, 1), count, count);
        json_t *result = json_array();

        for (size_t i = start; i < end; i++)
            json_array_append(result, json_array_get(array, i));
        *out = gr_tv_take_json(result);
    } else if (strcmp(name, "concat") == 0) {
        json_t *result = json_copy(array);

        for (size_t i = 0; i < call->nargs; i++) {
            if (call->args[i].kind == GR_TV_ARRAY)
                json_array_extend(result, call->args[i].json);
            else
                json_array_append_new(result, gr_tv_to_json(&call->args[i]));
        }
        *out = gr_tv_take_json(result);
    } else if (strcmp(name, "at") == 0) {
        double index = trunc(gr_tv_to_number(arg(call, 0)));

        if (isnan(index))
            index = 0;
        if (index < 0)
            index += (double)count;
        *out = index >= 0 && index < (double)count
                   ? gr_tv_from_json(json_array_get(array, (size_t)index))
                   : GR_TV_UNDEF;
    } else {
        *found = false;
    }
    return GR_OK;
}

/* Number.prototype.toFixed: ties round away from zero, as JavaScript picks the larger n. */
static gr_tv number_to_fixed(double value, const gr_tv *digits_arg)
{
    double digits = digits_arg->kind == GR_TV_UNDEFINED ? 0 : trunc(gr_tv_to_number(digits_arg));
    char text[512];
    char exact[600];
    int places;
    bool negative = value < 0;
    double magnitude = fabs(value);

    if (isnan(digits) || digits < 0)
        digits = 0;
    if (digits > 100)
        digits = 100;
    places = (int)digits;
    if (!isfinite(value) || magnitude >= 1e21) {
        gr_tv number = gr_tv_number(value);
        return gr_tv_to_string(&number);
    }
    snprintf(exact, sizeof(exact), "%.*f", places + 60, magnitude);
    snprintf(text, sizeof(text), "%.*f", places, magnitude);
    {
        const char *tail = strchr(exact, '.');
        tail = tail ? tail + 1 + places : NULL;
        if (tail != NULL && tail[0] == '5' && strspn(tail + 1, "0") == strlen(tail + 1)) {
            /* An exact tie: printf rounded to even, JavaScript rounds up. */
            double scaled = floor(magnitude * pow(10, places)) + 1;
            snprintf(text, sizeof(text), "%.*f", places, scaled / pow(10, places));
        }
    }
    if (negative && strspn(text, "0.") != strlen(text)) {
        char signed_text[520];
        snprintf(signed_text, sizeof(signed_text), "-%s", text);
        return gr_tv_string(signed_text, strlen(signed_text));
    }
    return gr_tv_string(text, strlen(text));
}

int gr_tmpl__call_method(gr_tmpl_eval *eval, const gr_node *node, const gr_tv *target,
                         const char *name, const gr_tv *args, size_t nargs, gr_tv *out, bool *found)
{
    method_call call = {.eval = eval, .node = node, .args = args, .nargs = nargs};

    *found = false;
    switch (target->kind) {
    case GR_TV_STRING:
        return string_method(&call, target, name, out, found);
    case GR_TV_ARRAY:
        return array_method(&call, target, name, out, found);
    case GR_TV_NUMBER:
        if (strcmp(name, "toFixed") == 0) {
            *found = true;
            *out = number_to_fixed(target->number, arg(&call, 0));
        } else if (strcmp(name, "toString") == 0) {
            *found = true;
            *out = gr_tv_to_string(target);
        }
        return GR_OK;
    case GR_TV_BOOL:
        if (strcmp(name, "toString") == 0) {
            *found = true;
            *out = gr_tv_to_string(target);
        }
        return GR_OK;
    default:
        return GR_OK;
    }
}
