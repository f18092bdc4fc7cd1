/* SPDX-License-Identifier: MIT */
/* The built-in Nunjucks filters, with the results Nunjucks 3.2 gives for JSON values. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/eval.h"

static const gr_tv undefined_value = {.kind = GR_TV_UNDEFINED};
/* The i-th argument, or the keyword argument `name` (for filters that accept keywords). */
static const gr_tv *param(const gr_filter_call *call, size_t i, const char *name)
{
    if (i < call->nargs)
        return &call->args[i];
    for (size_t k = 0; k < call->nkw; k++)
        if (strcmp(call->kw_names[k], name) == 0)
            return &call->kw_values[k];
    return &undefined_value;
}

static int need_string(const gr_filter_call *call, const gr_tv *value)
{
    return gr_tmpl__filter_error(call, "expected a string, got %s", gr_tv_kind_name(value->kind));
}

/* Nunjucks' normalize(): undefined, null and false become the default. */
static bool is_blank(const gr_tv *value)
{
    return value->kind == GR_TV_UNDEFINED || value->kind == GR_TV_NULL ||
           (value->kind == GR_TV_BOOL && !value->boolean);
}

static int finish_string(gr_filter_call *call, gr_buf *buf, gr_tv *out)
{
    int status = gr_tmpl__check_length(call->eval, call->node, buf->len);

    if (status != GR_OK) {
        gr_buf_free(buf);
        return status;
    }
    *out = gr_tv_string_buf(buf);
    return GR_OK;
}

static void append_spaces(gr_buf *buf, double count)
{
    for (double i = 0; i < count; i++)
        gr_buf_putc(buf, ' ');
}

/* Makes an array of the items of an array, or the characters of a string; other values give []. */
static json_t *items_of(const gr_tv *value)
{
    json_t *array = json_array();

    if (value->kind == GR_TV_ARRAY) {
        json_array_extend(array, value->json);
    } else if (value->kind == GR_TV_STRING) {
        size_t len;
        const char *str = gr_tv_str(value, &len);
        size_t pos = 0;

        while (pos < len) {
            size_t start = pos;
            gr_utf8_next(str, len, &pos);
            json_array_append_new(array, json_stringn_nocheck(str + start, pos - start));
        }
    }
    return array;
}

/* Reads a dotted attribute path ("a.b") of an item, as Nunjucks' getAttrGetter does. */
static gr_tv attribute(const gr_tv *item, const gr_tv *attr)
{
    gr_tv current = gr_tv_copy(item);
    size_t len;
    const char *path;
    size_t start = 0;

    if (attr->kind != GR_TV_STRING) {
        gr_tv result = gr_tmpl__member(item, attr);
        gr_tv_release(&current);
        return result;
    }
    path = gr_tv_str(attr, &len);
    while (start <= len) {
        const char *dot = memchr(path + start, '.', len - start);
        size_t end = dot ? (size_t)(dot - path) : len;
        gr_tv key = gr_tv_string(path + start, end - start);
        gr_tv next = gr_tmpl__member(&current, &key);

        gr_tv_release(&key);
        gr_tv_release(&current);
        current = next;
        if (current.kind == GR_TV_UNDEFINED)
            break;
        start = end + 1;
    }
    return current;
}

/* ---- stable sort ------------------------------------------------------ */

typedef int (*compare_fn)(const gr_tv *a, const gr_tv *b, void *payload);

static void merge_sort(gr_tv *items, gr_tv *scratch, size_t count, compare_fn compare,
                       void *payload)
{
    size_t half = count / 2;
    size_t i = 0;
    size_t j = half;
    size_t k = 0;

    if (count < 2)
        return;
    merge_sort(items, scratch, half, compare, payload);
    merge_sort(items + half, scratch, count - half, compare, payload);
    while (i < half && j < count)
        scratch[k++] = compare(&items[j], &items[i], payload) < 0 ? items[j++] : items[i++];
    while (i < half)
        scratch[k++] = items[i++];
    while (j < count)
        scratch[k++] = items[j++];
    memcpy(items, scratch, count * sizeof(*items));
}

/* Sorts the items of `array` stably into a new array value. */
static gr_tv sorted_array(json_t *array, compare_fn compare, void *payload)
{
    size_t count = json_array_size(array);
    gr_tv *items = gr_xcalloc(count ? count : 1, sizeof(*items));
    gr_tv *scratch = gr_xcalloc(count ? count : 1, sizeof(*scratch));
    json_t *result = json_array();

    for (size_t i = 0; i < count; i++)
        items[i] = gr_tv_from_json(json_array_get(array, i));
    merge_sort(items, scratch, count, compare, payload);
    for (size_t i = 0; i < count; i++) {
        json_array_append_new(result, gr_tv_to_json(&items[i]));
        gr_tv_release(&items[i]);
    }
    free(items);
    free(scratch);
    return gr_tv_take_json(result);
}

static gr_tv case_folded(const gr_tv *value, bool upper)
{
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    const char *str;

    if (value->kind != GR_TV_STRING)
        return gr_tv_copy(value);
    str = gr_tv_str(value, &len);
    gr_js_append_case(&buf, str, len, upper);
    return gr_tv_string_buf(&buf);
}

/* ---- filters A to F ---------------------------------------------------- */

static int filter_abs(gr_filter_call *call, gr_tv *out)
{
    *out = gr_tv_number(fabs(gr_tv_to_number(call->value)));
    return GR_OK;
}

static int filter_batch(gr_filter_call *call, gr_tv *out)
{
    json_t *items = items_of(call->value);
    double per_line = gr_tv_to_number(gr_tmpl__arg(call, 0));
    const gr_tv *fill = gr_tmpl__arg(call, 1);
    json_t *result = json_array();
    json_t *row = json_array();
    size_t index;
    json_t *item;
    int status = gr_tmpl__count(call->eval, call->node, json_array_size(items));

    json_array_foreach(items, index, item)
    {
        if (fmod((double)index, per_line) == 0 && json_array_size(row) > 0) {
            json_array_append_new(result, row);
            row = json_array();
        }
        json_array_append(row, item);
    }
    if (json_array_size(row) > 0) {
        if (gr_tv_truthy(fill)) {
            for (double i = (double)json_array_size(row); status == GR_OK && i < per_line; i++) {
                status = gr_tmpl__count(call->eval, call->node, 1);
                json_array_append_new(row, gr_tv_to_json(fill));
            }
        }
        json_array_append_new(result, row);
    } else {
        json_decref(row);
    }
    json_decref(items);
    if (status != GR_OK) {
        json_decref(result);
        return status;
    }
    *out = gr_tv_take_json(result);
    return GR_OK;
}

static void append_capitalized(gr_buf *buf, const char *str, size_t len)
{
    size_t pos = 0;

    if (len == 0)
        return;
    gr_utf8_put(buf, gr_js_to_upper(gr_js_to_lower(gr_utf8_next(str, len, &pos))));
    gr_js_append_case(buf, str + pos, len - pos, false);
}

static int filter_capitalize(gr_filter_call *call, gr_tv *out)
{
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    const char *str;

    if (is_blank(call->value)) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    str = gr_tv_str(call->value, &len);
    append_capitalized(&buf, str, len);
    return finish_string(call, &buf, out);
}

static int filter_center(gr_filter_call *call, gr_tv *out)
{
    gr_buf buf = GR_BUF_INIT;
    double width =
        gr_tv_truthy(gr_tmpl__arg(call, 0)) ? gr_tv_to_number(gr_tmpl__arg(call, 0)) : 80;
    size_t len;
    const char *str;
    double spaces;
    int status;

    if (is_blank(call->value)) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING) {
        *out = gr_tv_to_string(call->value);
        return GR_OK;
    }
    str = gr_tv_str(call->value, &len);
    spaces = width - (double)gr_utf8_js_length(str, len);
    if (!(spaces > 0)) {
        *out = gr_tv_copy(call->value);
        return GR_OK;
    }
    status = gr_tmpl__check_length(call->eval, call->node, (size_t)fmin(spaces, 1e12) + len);
    if (status != GR_OK)
        return status;
    append_spaces(&buf, spaces / 2 - fmod(spaces, 2));
    gr_buf_append(&buf, str, len);
    append_spaces(&buf, spaces / 2);
    return finish_string(call, &buf, out);
}

static int filter_default(gr_filter_call *call, gr_tv *out)
{
    bool use_default = gr_tv_truthy(gr_tmpl__arg(call, 1)) ? !gr_tv_truthy(call->value)
                                                           : call->value->kind == GR_TV_UNDEFINED;

    *out = gr_tv_copy(use_default ? gr_tmpl__arg(call, 0) : call->value);
    return GR_OK;
}

typedef struct {
    size_t field; /* 0 sorts by key, 1 by value */
    bool case_sensitive;
} dictsort_order;

static int compare_pairs(const gr_tv *a, const gr_tv *b, void *payload)
{
    const dictsort_order *order = payload;
    gr_tv index = gr_tv_number((double)order->field);
    gr_tv x = gr_tmpl__member(a, &index);
    gr_tv y = gr_tmpl__member(b, &index);
    int result;

    if (!order->case_sensitive) {
        gr_tv upper_x = case_folded(&x, true);
        gr_tv upper_y = case_folded(&y, true);

        gr_tv_release(&x);
        gr_tv_release(&y);
        x = upper_x;
        y = upper_y;
    }
    result = gr_tv_less(&y, &x, false) ? 1 : gr_tv_strict_equal(&x, &y) ? 0 : -1;
    gr_tv_release(&x);
    gr_tv_release(&y);
    return result;
}

static int filter_dictsort(gr_filter_call *call, gr_tv *out)
{
    dictsort_order order = {.case_sensitive = gr_tv_truthy(gr_tmpl__arg(call, 0))};
    const gr_tv *by = gr_tmpl__arg(call, 1);
    json_t *pairs;
    const char **keys;
    size_t count;

    if (call->value->kind != GR_TV_OBJECT)
        return gr_tmpl__filter_error(call, "dictsort filter: val must be an object");
    if (by->kind == GR_TV_STRING && strcmp(json_string_value(by->json), "value") == 0)
        order.field = 1;
    else if (by->kind != GR_TV_UNDEFINED &&
             !(by->kind == GR_TV_STRING && strcmp(json_string_value(by->json), "key") == 0))
        return gr_tmpl__filter_error(call,
                                     "dictsort filter: You can only sort by either key or value");

    keys = gr_tv_object_keys(call->value->json, &count);
    pairs = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(
            pairs, json_pack("[sO]", keys[i], json_object_get(call->value->json, keys[i])));
    free(keys);
    *out = sorted_array(pairs, compare_pairs, &order);
    json_decref(pairs);
    return GR_OK;
}

static int filter_dump(gr_filter_call *call, gr_tv *out)
{
    const gr_tv *spaces = gr_tmpl__arg(call, 0);
    gr_buf buf = GR_BUF_INIT;
    char indent[11] = "";

    if (spaces->kind == GR_TV_NUMBER && spaces->number >= 1) {
        size_t count = spaces->number > 10 ? 10 : (size_t)spaces->number;
        memset(indent, ' ', count);
        indent[count] = '\0';
    } else if (spaces->kind == GR_TV_STRING) {
        size_t len;
        const char *str = gr_tv_str(spaces, &len);
        size_t end = gr_utf8_offset(str, len, 10);
        snprintf(indent, sizeof(indent), "%.*s", (int)(end < 10 ? end : 10), str);
    }
    if (!gr_tv_append_json(&buf, call->value, indent)) {
        *out = GR_TV_UNDEF;
        return GR_OK;
    }
    return finish_string(call, &buf, out);
}

static int filter_escape(gr_filter_call *call, gr_tv *out)
{
    gr_buf text = GR_BUF_INIT;
    gr_buf buf = GR_BUF_INIT;

    if (call->value->kind == GR_TV_UNDEFINED || call->value->kind == GR_TV_NULL) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    gr_tv_append_string(&text, call->value);
    for (size_t i = 0; i < text.len; i++) {
        switch (text.data[i]) {
        case '&':
            gr_buf_puts(&buf, "&amp;");
            break;
        case '"':
            gr_buf_puts(&buf, "&quot;");
            break;
        case '\'':
            gr_buf_puts(&buf, "&#39;");
            break;
        case '<':
            gr_buf_puts(&buf, "&lt;");
            break;
        case '>':
            gr_buf_puts(&buf, "&gt;");
            break;
        case '\\':
            gr_buf_puts(&buf, "&#92;");
            break;
        default:
            gr_buf_putc(&buf, text.data[i]);
        }
    }
    gr_buf_free(&text);
    return finish_string(call, &buf, out);
}

static int need_indexable(const gr_filter_call *call)
{
    if (call->value->kind == GR_TV_UNDEFINED || call->value->kind == GR_TV_NULL)
        return gr_tmpl__filter_error(call, "cannot read an item of %s",
                                     gr_tv_kind_name(call->value->kind));
    return GR_OK;
}

static int filter_first(gr_filter_call *call, gr_tv *out)
{
    gr_tv zero = gr_tv_number(0);
    int status = need_indexable(call);

    if (status == GR_OK)
        *out = gr_tmpl__member(call->value, &zero);
    return status;
}

static int filter_float(gr_filter_call *call, gr_tv *out)
{
    gr_buf text = GR_BUF_INIT;
    double number;

    gr_tv_append_string(&text, call->value);
    number = gr_tv_parse_float(gr_buf_cstr(&text), text.len);
    gr_buf_free(&text);
    *out = isnan(number) ? gr_tv_copy(gr_tmpl__arg(call, 0)) : gr_tv_number(number);
    return GR_OK;
}

/* ---- filters G to L ---------------------------------------------------- */

static int filter_groupby(gr_filter_call *call, gr_tv *out)
{
    json_t *items = items_of(call->value);
    json_t *groups = json_object();
    size_t index;
    json_t *item;
    int status = gr_tmpl__count(call->eval, call->node, json_array_size(items));

    json_array_foreach(items, index, item)
    {
        gr_tv value = gr_tv_from_json(item);
        gr_tv key = attribute(&value, gr_tmpl__arg(call, 0));
        gr_buf name = GR_BUF_INIT;
        json_t *group;

        if (key.kind == GR_TV_UNDEFINED && gr_tmpl__engine(call->eval)->options.throw_on_undefined)
            status = gr_tmpl__filter_error(call, "groupby: attribute resolved to undefined");
        gr_tv_append_string(&name, &key);
        group = json_object_get(groups, gr_buf_cstr(&name));
        if (group == NULL) {
            group = json_array();
            json_object_set_new(groups, gr_buf_cstr(&name), group);
        }
        json_array_append(group, item);
        gr_buf_free(&name);
        gr_tv_release(&key);
        gr_tv_release(&value);
        if (status != GR_OK)
            break;
    }
    json_decref(items);
    if (status != GR_OK) {
        json_decref(groups);
        return status;
    }
    *out = gr_tv_take_json(groups);
    return GR_OK;
}

static int filter_indent(gr_filter_call *call, gr_tv *out)
{
    double width = gr_tv_truthy(gr_tmpl__arg(call, 0)) ? gr_tv_to_number(gr_tmpl__arg(call, 0)) : 4;
    bool indent_first = gr_tv_truthy(gr_tmpl__arg(call, 1));
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    const char *str;
    size_t lines = 1;
    int status;

    if (is_blank(call->value)) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    str = gr_tv_str(call->value, &len);
    if (len == 0) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    for (size_t i = 0; i < len; i++)
        lines += str[i] == '\n';
    status = gr_tmpl__check_length(call->eval, call->node,
                                   (size_t)fmin(fmax(width, 0) * (double)lines, 1e12) + len);
    if (status != GR_OK)
        return status;
    if (indent_first)
        append_spaces(&buf, width);
    for (size_t i = 0; i < len; i++) {
        gr_buf_putc(&buf, str[i]);
        if (str[i] == '\n')
            append_spaces(&buf, width);
    }
    return finish_string(call, &buf, out);
}

static int filter_int(gr_filter_call *call, gr_tv *out)
{
    const gr_tv *fallback = param(call, 0, "default");
    const gr_tv *base = param(call, 1, "base");
    int radix = 10;
    gr_buf text = GR_BUF_INIT;
    double number;

    if (base->kind != GR_TV_UNDEFINED) {
        double value = gr_tv_to_number(base);
        radix = isfinite(value) ? (int)value : 0;
    }
    gr_tv_append_string(&text, call->value);
    number = gr_tv_parse_int(gr_buf_cstr(&text), text.len, radix);
    gr_buf_free(&text);
    *out = isnan(number) ? gr_tv_copy(fallback) : gr_tv_number(number);
    return GR_OK;
}

static int filter_join(gr_filter_call *call, gr_tv *out)
{
    const gr_tv *separator = gr_tmpl__arg(call, 0);
    const gr_tv *attr = gr_tmpl__arg(call, 1);
    gr_buf sep = GR_BUF_INIT;
    gr_buf buf = GR_BUF_INIT;
    size_t index;
    json_t *item;

    if (call->value->kind != GR_TV_ARRAY)
        return gr_tmpl__filter_error(call, "expected an array, got %s",
                                     gr_tv_kind_name(call->value->kind));
    if (gr_tv_truthy(separator))
        gr_tv_append_string(&sep, separator);
    json_array_foreach(call->value->json, index, item)
    {
        gr_tv value = gr_tv_from_json(item);

        if (index > 0)
            gr_buf_append(&buf, gr_buf_cstr(&sep), sep.len);
        if (gr_tv_truthy(attr)) {
            gr_tv picked = gr_tmpl__member(&value, attr);
            gr_tv_release(&value);
            value = picked;
        }
        gr_tv_append_output(&buf, &value);
        gr_tv_release(&value);
        if (buf.len > GR_TMPL_MAX_OUTPUT)
            break;
    }
    gr_buf_free(&sep);
    return finish_string(call, &buf, out);
}

static int filter_last(gr_filter_call *call, gr_tv *out)
{
    gr_tv length;
    gr_tv index;
    int status = need_indexable(call);

    if (status != GR_OK)
        return status;
    length = gr_tmpl__member_name(call->value, "length");
    index = gr_tv_number(gr_tv_to_number(&length) - 1);
    *out = gr_tmpl__member(call->value, &index);
    gr_tv_release(&length);
    return GR_OK;
}

static int filter_length(gr_filter_call *call, gr_tv *out)
{
    if (is_blank(call->value))
        *out = gr_tv_number(0);
    else if (call->value->kind == GR_TV_OBJECT)
        *out = gr_tv_number((double)json_object_size(call->value->json));
    else
        *out = gr_tmpl__member_name(call->value, "length");
    return GR_OK;
}

static int filter_list(gr_filter_call *call, gr_tv *out)
{
    const char *key;
    json_t *member;
    json_t *result;

    switch (call->value->kind) {
    case GR_TV_STRING:
    case GR_TV_ARRAY:
        *out = gr_tv_take_json(items_of(call->value));
        return GR_OK;
    case GR_TV_OBJECT:
        result = json_array();
        json_object_foreach(call->value->json, key, member)
        {
            json_array_append_new(result, json_pack("{s:s, s:O}", "key", key, "value", member));
        }
        *out = gr_tv_take_json(result);
        return GR_OK;
    default:
        return gr_tmpl__filter_error(call, "list filter: type not iterable");
    }
}

static int change_case(gr_filter_call *call, gr_tv *out, bool upper)
{
    if (is_blank(call->value)) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    *out = case_folded(call->value, upper);
    return GR_OK;
}

static int filter_lower(gr_filter_call *call, gr_tv *out)
{
    return change_case(call, out, false);
}

static int filter_upper(gr_filter_call *call, gr_tv *out)
{
    return change_case(call, out, true);
}

/* ---- filters N to R ---------------------------------------------------- */

static int filter_nl2br(gr_filter_call *call, gr_tv *out)
{
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    const char *str;

    if (call->value->kind == GR_TV_UNDEFINED || call->value->kind == GR_TV_NULL) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    str = gr_tv_str(call->value, &len);
    for (size_t i = 0; i < len; i++) {
        if (str[i] == '\r' && i + 1 < len && str[i + 1] == '\n') {
            gr_buf_puts(&buf, "<br />\n");
            i++;
        } else if (str[i] == '\n') {
            gr_buf_puts(&buf, "<br />\n");
        } else {
            gr_buf_putc(&buf, str[i]);
        }
    }
    return finish_string(call, &buf, out);
}

static int select_items(gr_filter_call *call, gr_tv *out, bool expected)
{
    const gr_tv *test = gr_tmpl__arg(call, 0);
    const char *name = test->kind == GR_TV_STRING ? json_string_value(test->json) : "truthy";
    json_t *items;
    json_t *result = json_array();
    size_t index;
    json_t *item;
    int status = GR_OK;

    if (call->value->kind == GR_TV_UNDEFINED || call->value->kind == GR_TV_NULL)
        return gr_tmpl__filter_error(call, "cannot convert %s to an array",
                                     gr_tv_kind_name(call->value->kind));
    items = items_of(call->value);
    json_array_foreach(items, index, item)
    {
        gr_tv value = gr_tv_from_json(item);
        bool passed = false;

        status =
            gr_tmpl__test(call->eval, call->node, name, &value, gr_tmpl__arg(call, 1), 1, &passed);
        gr_tv_release(&value);
        if (status != GR_OK)
            break;
        if (passed == expected)
            json_array_append(result, item);
    }
    json_decref(items);
    if (status != GR_OK) {
        json_decref(result);
        return status;
    }
    *out = gr_tv_take_json(result);
    return GR_OK;
}

static int filter_select(gr_filter_call *call, gr_tv *out)
{
    return select_items(call, out, true);
}

static int filter_reject(gr_filter_call *call, gr_tv *out)
{
    return select_items(call, out, false);
}

static int select_by_attribute(gr_filter_call *call, gr_tv *out, bool expected)
{
    json_t *result;
    size_t index;
    json_t *item;

    if (call->value->kind != GR_TV_ARRAY)
        return gr_tmpl__filter_error(call, "expected an array, got %s",
                                     gr_tv_kind_name(call->value->kind));
    result = json_array();
    json_array_foreach(call->value->json, index, item)
    {
        gr_tv value = gr_tv_from_json(item);
        gr_tv picked = gr_tmpl__member(&value, gr_tmpl__arg(call, 0));

        if (gr_tv_truthy(&picked) == expected)
            json_array_append(result, item);
        gr_tv_release(&picked);
        gr_tv_release(&value);
    }
    *out = gr_tv_take_json(result);
    return GR_OK;
}

static int filter_selectattr(gr_filter_call *call, gr_tv *out)
{
    return select_by_attribute(call, out, true);
}

static int filter_rejectattr(gr_filter_call *call, gr_tv *out)
{
    return select_by_attribute(call, out, false);
}

/*
 * Appends `str` to `buf` with the first `max_count` (INFINITY for all)
 * non-overlapping occurrences of `old` replaced, leftmost first, as
 * JavaScript's indexOf loop in Nunjucks finds them. One Knuth-Morris-Pratt
 * pass keeps the time linear in len + old_len. A memmem call per match is
 * not, where each call costs the remaining length (AddressSanitizer checks the
 * whole range). Stops once `buf` passes GR_TMPL_MAX_OUTPUT, which the caller
 * then reports.
 */
static void replace_occurrences(gr_buf *buf, const char *str, size_t len, const char *old,
                                size_t old_len, const gr_buf *replacement, double max_count)
{
    /* border[i]: length of the longest proper prefix of old[0..i] that is also its suffix. */
    size_t *border = gr_xmalloc(old_len * sizeof(*border));
    size_t copied = 0;
    size_t matched = 0;
    double count = 0;

    border[0] = 0;
    for (size_t i = 1, k = 0; i < old_len; i++) {
        while (k > 0 && old[i] != old[k])
            k = border[k - 1];
        if (old[i] == old[k])
            k++;
        border[i] = k;
    }

    for (size_t i = 0; i < len && count < max_count; i++) {
        while (matched > 0 && str[i] != old[matched])
            matched = border[matched - 1];
        if (str[i] == old[matched])
            matched++;
        if (matched < old_len)
            continue;

        /* A whole match ends at i; the search restarts after it, so matches never overlap. */
        gr_buf_append(buf, str + copied, i + 1 - old_len - copied);
        gr_buf_append(buf, gr_buf_cstr(replacement), replacement->len);
        copied = i + 1;
        matched = 0;
        count++;
        if (buf->len > GR_TMPL_MAX_OUTPUT)
            break;
    }
    gr_buf_append(buf, str + copied, len - copied);
    free(border);
}

/* Python's rule, which Nunjucks follows: "abc" | replace("", ".") gives ".a.b.c.". */
static void replace_empty(gr_buf *buf, const char *str, size_t len, const gr_tv *new_value,
                          const gr_buf *replacement)
{
    /* JavaScript's join(undefined) separates with commas, but the ends print "undefined". */
    bool undefined = new_value->kind == GR_TV_UNDEFINED;
    const char *separator = undefined ? "," : gr_buf_cstr(replacement);
    size_t separator_len = undefined ? 1 : replacement->len;
    size_t i = 0;

    gr_buf_append(buf, gr_buf_cstr(replacement), replacement->len);
    while (i < len && buf->len <= GR_TMPL_MAX_OUTPUT) {
        size_t start = i;

        gr_utf8_next(str, len, &i);
        if (start > 0)
            gr_buf_append(buf, separator, separator_len);
        gr_buf_append(buf, str + start, i - start);
    }
    gr_buf_append(buf, gr_buf_cstr(replacement), replacement->len);
}

static int filter_replace(gr_filter_call *call, gr_tv *out)
{
    const gr_tv *old_value = gr_tmpl__arg(call, 0);
    const gr_tv *new_value = gr_tmpl__arg(call, 1);
    const gr_tv *max_value = gr_tmpl__arg(call, 2);
    gr_tv subject = GR_TV_UNDEF;
    gr_tv old_text = GR_TV_UNDEF;
    gr_buf replacement = GR_BUF_INIT;
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    size_t old_len;
    const char *str;
    const char *old;
    double max_count = INFINITY;

    /* Nunjucks replaces all for no count or the number -1. Other negatives or NaN replace none. */
    if (max_value->kind != GR_TV_UNDEFINED &&
        !(max_value->kind == GR_TV_NUMBER && gr_tv_to_number(max_value) == -1))
        max_count = gr_tv_to_number(max_value);
    if (old_value->kind == GR_TV_NUMBER)
        old_text = gr_tv_to_string(old_value);
    else if (old_value->kind == GR_TV_STRING)
        old_text = gr_tv_copy(old_value);
    else {
        *out = gr_tv_copy(call->value);
        return GR_OK;
    }
    subject =
        call->value->kind == GR_TV_NUMBER ? gr_tv_to_string(call->value) : gr_tv_copy(call->value);
    if (subject.kind != GR_TV_STRING) {
        gr_tv_release(&old_text);
        *out = subject;
        return GR_OK;
    }
    str = gr_tv_str(&subject, &len);
    old = gr_tv_str(&old_text, &old_len);
    gr_tv_append_string(&replacement, new_value);

    if (old_len == 0)
        replace_empty(&buf, str, len, new_value, &replacement);
    else
        replace_occurrences(&buf, str, len, old, old_len, &replacement, max_count);
    gr_buf_free(&replacement);
    gr_tv_release(&old_text);
    gr_tv_release(&subject);
    return finish_string(call, &buf, out);
}

static int filter_reverse(gr_filter_call *call, gr_tv *out)
{
    json_t *items = items_of(call->value);
    json_t *result = json_array();

    for (size_t i = json_array_size(items); i > 0; i--)
        json_array_append(result, json_array_get(items, i - 1));
    json_decref(items);
    if (call->value->kind == GR_TV_STRING) {
        gr_tv array = gr_tv_take_json(result);
        gr_buf buf = GR_BUF_INIT;
        size_t index;
        json_t *item;

        json_array_foreach(array.json, index, item)
        {
            gr_buf_append(&buf, json_string_value(item), json_string_length(item));
        }
        gr_tv_release(&array);
        return finish_string(call, &buf, out);
    }
    *out = gr_tv_take_json(result);
    return GR_OK;
}

/* JavaScript's Math.round: halves round towards +Infinity. */
static double js_round(double value)
{
    double lower = floor(value);

    if (!isfinite(value))
        return value;
    return value - lower >= 0.5 ? lower + 1 : lower;
}

static int filter_round(gr_filter_call *call, gr_tv *out)
{
    const gr_tv *precision = gr_tmpl__arg(call, 0);
    const gr_tv *method = gr_tmpl__arg(call, 1);
    double factor = pow(10, gr_tv_truthy(precision) ? gr_tv_to_number(precision) : 0);
    double value = gr_tv_to_number(call->value) * factor;
    const char *name = method->kind == GR_TV_STRING ? json_string_value(method->json) : "";

    if (strcmp(name, "ceil") == 0)
        value = ceil(value);
    else if (strcmp(name, "floor") == 0)
        value = floor(value);
    else
        value = js_round(value);
    *out = gr_tv_number(value / factor);
    return GR_OK;
}

/* ---- filters S to W ---------------------------------------------------- */

static int filter_safe(gr_filter_call *call, gr_tv *out)
{
    if (call->value->kind == GR_TV_UNDEFINED || call->value->kind == GR_TV_NULL)
        *out = gr_tv_string("", 0);
    else
        *out = gr_tv_to_string(call->value);
    return GR_OK;
}

static int filter_slice(gr_filter_call *call, gr_tv *out)
{
    json_t *items;
    double slices = gr_tv_to_number(gr_tmpl__arg(call, 0));
    const gr_tv *fill = gr_tmpl__arg(call, 1);
    json_t *result;
    double count;
    double size;
    double extra;
    double offset = 0;
    int status;

    if (call->value->kind != GR_TV_ARRAY)
        return gr_tmpl__filter_error(call, "expected an array, got %s",
                                     gr_tv_kind_name(call->value->kind));
    items = call->value->json;
    count = (double)json_array_size(items);
    size = floor(count / slices);
    extra = fmod(count, slices);
    status = gr_tmpl__count(call->eval, call->node, slices > 0 ? (size_t)fmin(slices, 1e9) : 0);
    if (status != GR_OK)
        return status;
    result = json_array();
    for (double i = 0; i < slices; i++) {
        double start = offset + i * size;
        json_t *slice = json_array();

        if (i < extra)
            offset++;
        for (double k = start; k < offset + (i + 1) * size && k < count; k++)
            json_array_append(slice, json_array_get(items, (size_t)k));
        if (gr_tv_truthy(fill) && i >= extra)
            json_array_append_new(slice, gr_tv_to_json(fill));
        json_array_append_new(result, slice);
    }
    *out = gr_tv_take_json(result);
    return GR_OK;
}

typedef struct {
    bool reverse;
    bool case_sensitive;
    const gr_tv *attr;
    gr_filter_call *call;
    int status;
} sort_order;

static int compare_sort(const gr_tv *a, const gr_tv *b, void *payload)
{
    sort_order *order = payload;
    bool by_attr = gr_tv_truthy(order->attr);
    gr_tv x = by_attr ? attribute(a, order->attr) : gr_tv_copy(a);
    gr_tv y = by_attr ? attribute(b, order->attr) : gr_tv_copy(b);
    int result;

    if (by_attr && (x.kind == GR_TV_UNDEFINED || y.kind == GR_TV_UNDEFINED) &&
        gr_tmpl__engine(order->call->eval)->options.throw_on_undefined && order->status == GR_OK)
        order->status = gr_tmpl__filter_error(order->call, "sort: attribute resolved to undefined");
    if (!order->case_sensitive && x.kind == GR_TV_STRING && y.kind == GR_TV_STRING) {
        gr_tv lower_x = case_folded(&x, false);
        gr_tv lower_y = case_folded(&y, false);

        gr_tv_release(&x);
        gr_tv_release(&y);
        x = lower_x;
        y = lower_y;
    }
    result = gr_tv_less(&x, &y, false) ? -1 : gr_tv_less(&y, &x, false) ? 1 : 0;
    gr_tv_release(&x);
    gr_tv_release(&y);
    return order->reverse ? -result : result;
}

static int filter_sort(gr_filter_call *call, gr_tv *out)
{
    sort_order order = {
        .reverse = gr_tv_truthy(param(call, 0, "reverse")),
        .case_sensitive = gr_tv_truthy(param(call, 1, "case_sensitive")),
        .attr = param(call, 2, "attribute"),
        .call = call,
    };
    json_t *items = items_of(call->value);

    *out = sorted_array(items, compare_sort, &order);
    json_decref(items);
    if (order.status != GR_OK)
        gr_tv_release(out);
    return order.status;
}

static int filter_string(gr_filter_call *call, gr_tv *out)
{
    if (call->value->kind == GR_TV_UNDEFINED || call->value->kind == GR_TV_NULL)
        return gr_tmpl__filter_error(call, "cannot convert %s to a string",
                                     gr_tv_kind_name(call->value->kind));
    *out = gr_tv_to_string(call->value);
    return GR_OK;
}

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Matches an HTML tag `</?name ...>` or a comment `<!-- -->` at `pos`; returns its length. */
static size_t match_tag(const char *str, size_t len, size_t pos)
{
    size_t i = pos + 1;
    size_t name_end;
    const char *end;

    if (len - pos >= 4 && memcmp(str + pos, "<!--", 4) == 0) {
        end = memmem(str + pos + 4, len - pos - 4, "-->", 3);
        if (end != NULL)
            return (size_t)(end + 3 - (str + pos));
    }
    if (i < len && str[i] == '/')
        i++;
    if (i >= len || !((str[i] >= 'a' && str[i] <= 'z') || (str[i] >= 'A' && str[i] <= 'Z')))
        return 0;
    name_end = i + 1;
    while (name_end < len && is_alnum(str[name_end]))
        name_end++;
    if (name_end < len && is_word_char(str[name_end]))
        return 0;
    end = memchr(str + name_end, '>', len - name_end);
    return end ? (size_t)(end + 1 - (str + pos)) : 0;
}

static void trim_js(const char **str, size_t *len)
{
    size_t start = gr_js_skip_space(*str, *len, 0);
    size_t end = gr_js_trim_end(*str, start, *len);

    *str += start;
    *len = end - start;
}

/* Keeps line breaks: trims spaces around lines, squashes runs of spaces and of blank lines. */
static void tidy_lines(gr_buf *out, const char *str, size_t len)
{
    gr_buf lines = GR_BUF_INIT;
    size_t newlines = 0;

    for (size_t i = 0; i < len; i++) {
        size_t line_end = i;
        size_t start = i;
        size_t end;
        bool space = false;

        while (line_end < len && str[line_end] != '\n')
            line_end++;
        end = line_end;
        while (start < end && str[start] == ' ')
            start++;
        while (end > start && str[end - 1] == ' ')
            end--;
        if (end > start && str[end - 1] == '\r' && line_end < len)
            end--;
        for (size_t k = start; k < end; k++) {
            if (str[k] == ' ') {
                space = true;
                continue;
            }
            if (space)
                gr_buf_putc(&lines, ' ');
            space = false;
            gr_buf_putc(&lines, str[k]);
        }
        if (line_end < len)
            gr_buf_putc(&lines, '\n');
        i = line_end;
    }
    for (size_t i = 0; i < lines.len; i++) {
        newlines = lines.data[i] == '\n' ? newlines + 1 : 0;
        if (newlines <= 2)
            gr_buf_putc(out, lines.data[i]);
    }
    gr_buf_free(&lines);
}

static int filter_striptags(gr_filter_call *call, gr_tv *out)
{
    gr_buf stripped = GR_BUF_INIT;
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    const char *str;
    const char *text;
    size_t text_len;

    if (is_blank(call->value)) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    str = gr_tv_str(call->value, &len);
    for (size_t i = 0; i < len; i++) {
        size_t tag = str[i] == '<' ? match_tag(str, len, i) : 0;

        if (tag > 0)
            i += tag - 1;
        else
            gr_buf_putc(&stripped, str[i]);
    }
    text = gr_buf_cstr(&stripped);
    text_len = stripped.len;
    trim_js(&text, &text_len);
    if (gr_tv_truthy(gr_tmpl__arg(call, 0))) {
        tidy_lines(&buf, text, text_len);
    } else {
        size_t pos = 0;
        bool space = false;

        while (pos < text_len) {
            size_t start = pos;
            uint32_t c = gr_utf8_next(text, text_len, &pos);

            if (gr_js_is_space(c)) {
                space = true;
                continue;
            }
            if (space)
                gr_buf_putc(&buf, ' ');
            space = false;
            gr_buf_append(&buf, text + start, pos - start);
        }
    }
    gr_buf_free(&stripped);
    return finish_string(call, &buf, out);
}

static int filter_sum(gr_filter_call *call, gr_tv *out)
{
    const gr_tv *attr = gr_tmpl__arg(call, 0);
    const gr_tv *start = gr_tmpl__arg(call, 1);
    gr_tv total = gr_tv_number(0);
    size_t index;
    json_t *item;
    gr_tv result;

    if (call->value->kind != GR_TV_ARRAY)
        return gr_tmpl__filter_error(call, "expected an array, got %s",
                                     gr_tv_kind_name(call->value->kind));
    json_array_foreach(call->value->json, index, item)
    {
        gr_tv value = gr_tv_from_json(item);
        gr_tv next;

        if (gr_tv_truthy(attr)) {
            gr_tv picked = gr_tmpl__member(&value, attr);
            gr_tv_release(&value);
            value = picked;
        }
        next = gr_tv_add(&total, &value);
        gr_tv_release(&total);
        gr_tv_release(&value);
        total = next;
    }
    if (start->kind == GR_TV_UNDEFINED) {
        gr_tv zero = gr_tv_number(0);
        result = gr_tv_add(&zero, &total);
    } else {
        result = gr_tv_add(start, &total);
    }
    gr_tv_release(&total);
    *out = result;
    return GR_OK;
}

static int filter_title(gr_filter_call *call, gr_tv *out)
{
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    const char *str;
    size_t start = 0;

    if (is_blank(call->value)) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    str = gr_tv_str(call->value, &len);
    while (start <= len) {
        const char *space = memchr(str + start, ' ', len - start);
        size_t end = space ? (size_t)(space - str) : len;

        append_capitalized(&buf, str + start, end - start);
        if (space == NULL)
            break;
        gr_buf_putc(&buf, ' ');
        start = end + 1;
    }
    return finish_string(call, &buf, out);
}

static int filter_trim(gr_filter_call *call, gr_tv *out)
{
    size_t len;
    const char *str;

    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    str = gr_tv_str(call->value, &len);
    trim_js(&str, &len);
    *out = gr_tv_string(str, len);
    return GR_OK;
}

static int filter_truncate(gr_filter_call *call, gr_tv *out)
{
    double length =
        gr_tv_truthy(gr_tmpl__arg(call, 0)) ? gr_tv_to_number(gr_tmpl__arg(call, 0)) : 255;
    const gr_tv *end = gr_tmpl__arg(call, 2);
    gr_buf buf = GR_BUF_INIT;
    size_t len;
    const char *str;
    size_t cut;

    if (is_blank(call->value)) {
        *out = gr_tv_string("", 0);
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    str = gr_tv_str(call->value, &len);
    if ((double)gr_utf8_count(str, len) <= length) {
        *out = gr_tv_copy(call->value);
        return GR_OK;
    }
    cut = gr_utf8_offset(str, len, length > 0 ? (size_t)length : 0);
    if (!gr_tv_truthy(gr_tmpl__arg(call, 1))) {
        /* Cut at the last space at or before `length` characters, if any. */
        size_t space = cut < len ? cut : len - 1;

        while (space > 0 && str[space] != ' ')
            space--;
        if (str[space] == ' ')
            cut = space;
    }
    gr_buf_append(&buf, str, cut);
    if (end->kind == GR_TV_UNDEFINED || end->kind == GR_TV_NULL)
        gr_buf_puts(&buf, "...");
    else
        gr_tv_append_string(&buf, end);
    return finish_string(call, &buf, out);
}

/* encodeURIComponent(): everything except A-Z a-z 0-9 - _ . ! ~ * ' ( ) is %-encoded UTF-8. */
static void append_uri_component(gr_buf *buf, const gr_tv *value)
{
    static const char hex[] = "0123456789ABCDEF";
    gr_buf text = GR_BUF_INIT;

    gr_tv_append_string(&text, value);
    for (size_t i = 0; i < text.len; i++) {
        unsigned char c = (unsigned char)text.data[i];

        if (is_alnum((char)c) || (c != '\0' && strchr("-_.!~*'()", c) != NULL)) {
            gr_buf_putc(buf, (char)c);
        } else {
            char escaped[4] = {'%', hex[c >> 4], hex[c & 15], '\0'};
            gr_buf_puts(buf, escaped);
        }
    }
    gr_buf_free(&text);
}

static int filter_urlencode(gr_filter_call *call, gr_tv *out)
{
    gr_buf buf = GR_BUF_INIT;
    size_t index;
    json_t *item;
    const char *key;

    switch (call->value->kind) {
    case GR_TV_STRING:
        append_uri_component(&buf, call->value);
        break;
    case GR_TV_ARRAY:
        json_array_foreach(call->value->json, index, item)
        {
            gr_tv pair = gr_tv_from_json(item);
            gr_tv zero = gr_tv_number(0);
            gr_tv one = gr_tv_number(1);
            gr_tv k = gr_tmpl__member(&pair, &zero);
            gr_tv v = gr_tmpl__member(&pair, &one);

            if (index > 0)
                gr_buf_putc(&buf, '&');
            append_uri_component(&buf, &k);
            gr_buf_putc(&buf, '=');
            append_uri_component(&buf, &v);
            gr_tv_release(&k);
            gr_tv_release(&v);
            gr_tv_release(&pair);
        }
        break;
    case GR_TV_OBJECT:
        index = 0;
        json_object_foreach(call->value->json, key, item)
        {
            gr_tv k = gr_tv_string(key, strlen(key));
            gr_tv v = gr_tv_from_json(item);

            if (index++ > 0)
                gr_buf_putc(&buf, '&');
            append_uri_component(&buf, &k);
            gr_buf_putc(&buf, '=');
            append_uri_component(&buf, &v);
            gr_tv_release(&k);
            gr_tv_release(&v);
        }
        break;
    case GR_TV_UNDEFINED:
    case GR_TV_NULL:
        return gr_tmpl__filter_error(call, "cannot convert %s to an object",
                                     gr_tv_kind_name(call->value->kind));
    default:
        break;
    }
    return finish_string(call, &buf, out);
}

static int filter_wordcount(gr_filter_call *call, gr_tv *out)
{
    size_t len;
    const char *str;
    size_t words = 0;

    if (is_blank(call->value) ||
        (call->value->kind == GR_TV_STRING && json_string_length(call->value->json) == 0)) {
        *out = gr_tv_null();
        return GR_OK;
    }
    if (call->value->kind != GR_TV_STRING)
        return need_string(call, call->value);
    str = gr_tv_str(call->value, &len);
    for (size_t i = 0; i < len; i++)
        if (is_word_char(str[i]) && (i == 0 || !is_word_char(str[i - 1])))
            words++;
    *out = words ? gr_tv_number((double)words) : gr_tv_null();
    return GR_OK;
}

void gr_tmpl__add_builtin_filters(gr_tmpl_engine *engine)
{
    static const struct {
        const char *name;
        gr_builtin_filter_fn fn;
    } filters[] = {
        {"abs", filter_abs},
        {"batch", filter_batch},
        {"capitalize", filter_capitalize},
        {"center", filter_center},
        {"default", filter_default},
        {"d", filter_default},
        {"dictsort", filter_dictsort},
        {"dump", filter_dump},
        {"escape", filter_escape},
        {"e", filter_escape},
        {"forceescape", filter_escape},
        {"first", filter_first},
        {"float", filter_float},
        {"groupby", filter_groupby},
        {"indent", filter_indent},
        {"int", filter_int},
        {"join", filter_join},
        {"last", filter_last},
        {"length", filter_length},
        {"list", filter_list},
        {"lower", filter_lower},
        {"nl2br", filter_nl2br},
        {"reject", filter_reject},
        {"rejectattr", filter_rejectattr},
        {"replace", filter_replace},
        {"reverse", filter_reverse},
        {"round", filter_round},
        {"safe", filter_safe},
        {"select", filter_select},
        {"selectattr", filter_selectattr},
        {"slice", filter_slice},
        {"sort", filter_sort},
        {"string", filter_string},
        {"striptags", filter_striptags},
        {"sum", filter_sum},
        {"title", filter_title},
        {"trim", filter_trim},
        {"truncate", filter_truncate},
        {"upper", filter_upper},
        {"urlencode", filter_urlencode},
        {"wordcount", filter_wordcount},
    };

    /* TODO: urlize, and jsonify for Backstage's cookiecutter compatibility mode. */
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
        gr_tmpl__add_filter(engine, filters[i].name, filters[i].fn, NULL);
    gr_tmpl__add_filter(engine, "random", NULL,
                        "it picks a different item on each run, and a template must render the "
                        "same output for the same input; use first or an index");
}
