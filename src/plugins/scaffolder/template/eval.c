/* SPDX-License-Identifier: MIT */
/* The template evaluator: walks a syntax tree with a JSON context and writes the output. */
#include "plugins/scaffolder/template/eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/lexer.h"

/*
 * A scope is one Nunjucks frame: the root, or the body of a for loop.
 * Lookups walk outwards and then read the context; `set` writes to the
 * nearest scope that already has the name, else to the current one.
 */
typedef struct scope {
    struct scope *parent;
    const char **names;
    gr_tv *values;
    size_t count;
    size_t cap;
    /* The loop variables of a for-loop scope, read through `loop`. */
    bool is_loop;
    size_t loop_index;
    size_t loop_length;
} scope;

struct gr_tmpl_eval {
    const gr_tmpl *tmpl;
    json_t *context;
    scope *scope;
    gr_buf *out;
    size_t iterations;
    gr_tmpl_budget *budget;  /* may be NULL */
    size_t next_clock_check; /* value of `iterations` at which the deadline is checked next */
};

static int eval_expr(gr_tmpl_eval *e, const gr_node *node, gr_tv *out);
static int render_list(gr_tmpl_eval *e, const gr_node *list);

const gr_tmpl_engine *gr_tmpl__engine(const gr_tmpl_eval *eval)
{
    return eval->tmpl->engine;
}

int gr_tmpl__error(gr_tmpl_eval *eval, const gr_node *node, int code, const char *fmt, ...)
{
    char message[GR_ERROR_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    return gr_tmpl__fail(code, eval->tmpl->name, node ? node->line : 0, node ? node->col : 0, "%s",
                         message);
}

int gr_tmpl__error_wrap(gr_tmpl_eval *eval, const gr_node *node, int code, const char *fmt, ...)
{
    char context[GR_ERROR_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(context, sizeof(context), fmt, args);
    va_end(args);
    return gr_error_wrap(code, "%s:%d:%d: %s", eval->tmpl->name, node ? node->line + 1 : 1,
                         node ? node->col + 1 : 1, context);
}

const gr_tv *gr_tmpl__arg(const gr_filter_call *call, size_t i)
{
    static const gr_tv undefined_value = {.kind = GR_TV_UNDEFINED};

    return i < call->nargs ? &call->args[i] : &undefined_value;
}

int gr_tmpl__filter_error(const gr_filter_call *call, const char *fmt, ...)
{
    char message[GR_ERROR_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    return gr_tmpl__error(call->eval, call->node, GR_EINVALID, "filter %s: %s", call->node->name,
                          message);
}

static int64_t monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Charges `count` iterations to the budget and checks its deadline now and then. */
static int charge_budget(gr_tmpl_eval *eval, const gr_node *node, size_t count)
{
    gr_tmpl_budget *budget = eval->budget;
    const char *setting;

    if (budget->exhausted || count > budget->iterations_left) {
        budget->exhausted = true;
        budget->iterations_left = 0;
        setting = budget->iterations_setting ? budget->iterations_setting : "the run's budget";
        return gr_tmpl__error(eval, node, GR_ELIMIT,
                              "the templates of this run exceed the limit of %llu loop "
                              "iterations or generated items in all (%s)",
                              (unsigned long long)budget->iterations_total, setting);
    }
    budget->iterations_left -= count;
    if (budget->deadline_ms <= 0 || eval->iterations < eval->next_clock_check)
        return GR_OK;
    eval->next_clock_check = eval->iterations + GR_TMPL_CLOCK_CHECK_ITERATIONS;
    if (monotonic_ms() <= budget->deadline_ms)
        return GR_OK;
    budget->exhausted = true;
    setting = budget->deadline_setting ? budget->deadline_setting : "the run's time limit";
    return gr_tmpl__error(eval, node, GR_ELIMIT,
                          "the run reached its time limit while rendering a template (%s)",
                          setting);
}

int gr_tmpl__count(gr_tmpl_eval *eval, const gr_node *node, size_t count)
{
    eval->iterations += count;
    if (eval->iterations > GR_TMPL_MAX_ITERATIONS || count > GR_TMPL_MAX_ITERATIONS)
        return gr_tmpl__error(eval, node, GR_ELIMIT,
                              "more than %u loop iterations or generated items in one render",
                              GR_TMPL_MAX_ITERATIONS);
    if (eval->budget != NULL)
        return charge_budget(eval, node, count);
    return GR_OK;
}

int gr_tmpl__check_length(gr_tmpl_eval *eval, const gr_node *node, size_t len)
{
    if (len > GR_TMPL_MAX_OUTPUT)
        return gr_tmpl__error(eval, node, GR_ELIMIT, "a string or the output would exceed %u bytes",
                              GR_TMPL_MAX_OUTPUT);
    return GR_OK;
}

/* ---- scopes ----------------------------------------------------------- */

static void scope_free(scope *s)
{
    for (size_t i = 0; i < s->count; i++)
        gr_tv_release(&s->values[i]);
    free(s->names);
    free(s->values);
}

static gr_tv *scope_find(scope *s, const char *name)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->names[i], name) == 0)
            return s->values[i].kind == GR_TV_UNDEFINED ? NULL : &s->values[i];
    return NULL;
}

/* Stores `value` (taken) as `name` in `s`; the name is borrowed from the tree. */
static void scope_put(scope *s, const char *name, gr_tv value)
{
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->names[i], name) == 0) {
            gr_tv_release(&s->values[i]);
            s->values[i] = value;
            return;
        }
    }
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->names = gr_xrealloc(s->names, s->cap * sizeof(*s->names));
        s->values = gr_xrealloc(s->values, s->cap * sizeof(*s->values));
    }
    s->names[s->count] = name;
    s->values[s->count++] = value;
}

static void set_variable(gr_tmpl_eval *e, const char *name, gr_tv value)
{
    for (scope *s = e->scope; s != NULL; s = s->parent) {
        if (scope_find(s, name) != NULL) {
            scope_put(s, name, value);
            return;
        }
    }
    scope_put(e->scope, name, value);
}

static gr_tv loop_field(const scope *s, const char *field)
{
    double index = (double)s->loop_index;
    double length = (double)s->loop_length;

    if (strcmp(field, "index") == 0)
        return gr_tv_number(index + 1);
    if (strcmp(field, "index0") == 0)
        return gr_tv_number(index);
    if (strcmp(field, "revindex") == 0)
        return gr_tv_number(length - index);
    if (strcmp(field, "revindex0") == 0)
        return gr_tv_number(length - index - 1);
    if (strcmp(field, "first") == 0)
        return gr_tv_bool(s->loop_index == 0);
    if (strcmp(field, "last") == 0)
        return gr_tv_bool(s->loop_index + 1 == s->loop_length);
    if (strcmp(field, "length") == 0)
        return gr_tv_number(length);
    return GR_TV_UNDEF;
}

static gr_tv loop_object(const scope *s)
{
    static const char *const fields[] = {"index", "index0", "revindex", "revindex0",
                                         "first", "last",   "length"};
    json_t *object = json_object();

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        gr_tv value = loop_field(s, fields[i]);
        json_object_set_new(object, fields[i], gr_tv_to_json(&value));
    }
    return gr_tv_take_json(object);
}

/* Finds the scope that defines `loop` implicitly, unless a set tag shadows it first. */
static const scope *find_loop_scope(const gr_tmpl_eval *e)
{
    for (scope *s = e->scope; s != NULL; s = s->parent) {
        if (scope_find(s, "loop") != NULL)
            return NULL;
        if (s->is_loop)
            return s;
    }
    return NULL;
}

static gr_tv lookup(gr_tmpl_eval *e, const char *name)
{
    for (scope *s = e->scope; s != NULL; s = s->parent) {
        gr_tv *value = scope_find(s, name);

        if (value != NULL)
            return gr_tv_copy(value);
        if (s->is_loop && strcmp(name, "loop") == 0)
            return loop_object(s);
    }
    if (e->context != NULL && json_is_object(e->context))
        return gr_tv_from_json(json_object_get(e->context, name));
    return GR_TV_UNDEF;
}

/* ---- member access ---------------------------------------------------- */

/* Reads a canonical array index ("0", "12"); returns false for any other name. */
static bool parse_index(const char *name, size_t len, size_t *index)
{
    size_t value = 0;

    if (len == 0 || len > 15 || (name[0] == '0' && len > 1))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        value = value * 10 + (size_t)(name[i] - '0');
    }
    *index = value;
    return true;
}

static gr_tv string_char_at(const gr_tv *target, size_t index)
{
    size_t len;
    const char *str = gr_tv_str(target, &len);
    size_t start = gr_utf8_offset(str, len, index);
    size_t end = start;

    if (start >= len)
        return GR_TV_UNDEF;
    gr_utf8_next(str, len, &end);
    return gr_tv_string(str + start, end - start);
}

static gr_tv member_by_name(const gr_tv *target, const char *name, size_t name_len)
{
    size_t index;

    switch (target->kind) {
    case GR_TV_ARRAY:
        if (name_len == 6 && memcmp(name, "length", 6) == 0)
            return gr_tv_number((double)json_array_size(target->json));
        if (parse_index(name, name_len, &index))
            return gr_tv_from_json(json_array_get(target->json, index));
        return GR_TV_UNDEF;
    case GR_TV_STRING: {
        size_t len;
        const char *str = gr_tv_str(target, &len);

        if (name_len == 6 && memcmp(name, "length", 6) == 0)
            return gr_tv_number((double)gr_utf8_js_length(str, len));
        if (parse_index(name, name_len, &index))
            return string_char_at(target, index);
        return GR_TV_UNDEF;
    }
    case GR_TV_OBJECT:
        return gr_tv_from_json(json_object_getn(target->json, name, name_len));
    default:
        return GR_TV_UNDEF;
    }
}

gr_tv gr_tmpl__member_name(const gr_tv *target, const char *name)
{
    return member_by_name(target, name, strlen(name));
}

gr_tv gr_tmpl__member(const gr_tv *target, const gr_tv *key)
{
    gr_tv name;
    gr_tv result;
    size_t len;
    const char *str;

    if (target->kind == GR_TV_UNDEFINED || target->kind == GR_TV_NULL)
        return GR_TV_UNDEF;
    if (key->kind == GR_TV_NUMBER && key->number >= 0 && key->number == floor(key->number) &&
        key->number < 1e15) {
        if (target->kind == GR_TV_ARRAY)
            return gr_tv_from_json(json_array_get(target->json, (size_t)key->number));
        if (target->kind == GR_TV_STRING)
            return string_char_at(target, (size_t)key->number);
    }
    if (key->kind == GR_TV_STRING) {
        str = gr_tv_str(key, &len);
        return member_by_name(target, str, len);
    }
    name = gr_tv_to_string(key);
    str = gr_tv_str(&name, &len);
    result = member_by_name(target, str, len);
    gr_tv_release(&name);
    return result;
}

/* ---- calls ------------------------------------------------------------ */

/* Describes a callee as Nunjucks does in "Unable to call" messages. */
static void describe_callee(gr_buf *buf, const gr_node *node)
{
    switch (node->type) {
    case GR_NODE_SYMBOL:
        gr_buf_puts(buf, node->name);
        break;
    case GR_NODE_CALL:
        gr_buf_puts(buf, "the return value of (");
        describe_callee(buf, node->left);
        gr_buf_putc(buf, ')');
        break;
    case GR_NODE_LOOKUP:
        describe_callee(buf, node->left);
        gr_buf_puts(buf, "[\"");
        describe_callee(buf, node->right);
        gr_buf_puts(buf, "\"]");
        break;
    case GR_NODE_LITERAL:
        gr_tv_append_string(buf, &node->literal);
        break;
    default:
        gr_buf_puts(buf, "--expression--");
        break;
    }
}

static int not_callable(gr_tmpl_eval *e, const gr_node *node, const gr_tv *callee)
{
    gr_buf name = GR_BUF_INIT;
    int status;

    describe_callee(&name, node->left);
    status =
        gr_tmpl__error(e, node, GR_EINVALID, "Unable to call `%s`, which is %s", gr_buf_cstr(&name),
                       gr_tv_truthy(callee) ? "not a function" : "undefined or falsey");
    gr_buf_free(&name);
    return status;
}

static void release_all(gr_tv *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gr_tv_release(&values[i]);
    free(values);
}

static int eval_list(gr_tmpl_eval *e, gr_node *const *nodes, size_t count, gr_tv **out)
{
    gr_tv *values = gr_xcalloc(count ? count : 1, sizeof(*values));
    int status;

    for (size_t i = 0; i < count; i++) {
        status = eval_expr(e, nodes[i], &values[i]);
        if (status != GR_OK) {
            release_all(values, i);
            return status;
        }
    }
    *out = values;
    return GR_OK;
}

/* The range(start, stop, step) global of Nunjucks. */
static int call_range(gr_tmpl_eval *e, const gr_node *node, const gr_tv *args, size_t nargs,
                      gr_tv *out)
{
    double start = nargs > 0 ? gr_tv_to_number(&args[0]) : NAN;
    double stop;
    double step;
    json_t *array = json_array();
    int status = GR_OK;

    if (nargs < 2 || args[1].kind == GR_TV_UNDEFINED) {
        stop = start;
        start = 0;
        step = 1;
    } else {
        stop = gr_tv_to_number(&args[1]);
        step = nargs > 2 ? gr_tv_to_number(&args[2]) : 0;
        if (step == 0 || isnan(step))
            step = 1;
    }
    for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
        gr_tv item = gr_tv_number(i);

        status = gr_tmpl__count(e, node, 1);
        if (status != GR_OK)
            break;
        json_array_append_new(array, gr_tv_to_json(&item));
    }
    if (status != GR_OK) {
        json_decref(array);
        return status;
    }
    *out = gr_tv_take_json(array);
    return GR_OK;
}

static int eval_call(gr_tmpl_eval *e, const gr_node *node, gr_tv *out)
{
    const gr_node *callee = node->left;
    gr_tv *args = NULL;
    gr_tv target = GR_TV_UNDEF;
    gr_tv key = GR_TV_UNDEF;
    gr_tv member = GR_TV_UNDEF;
    bool found = false;
    int status;

    if (node->nkwargs > 0)
        return gr_tmpl__error(e, node, GR_EINVALID,
                              "keyword arguments are only supported in filter calls");
    status = eval_list(e, node->items, node->nitems, &args);
    if (status != GR_OK)
        return status;

    if (callee->type == GR_NODE_SYMBOL) {
        member = lookup(e, callee->name);
        /* TODO: the cycler and joiner globals of Nunjucks. */
        if (member.kind == GR_TV_UNDEFINED && strcmp(callee->name, "range") == 0) {
            status = call_range(e, node, args, node->nitems, out);
            goto done;
        }
        status = not_callable(e, node, &member);
        goto done;
    }
    if (callee->type == GR_NODE_LOOKUP) {
        status = eval_expr(e, callee->left, &target);
        if (status == GR_OK)
            status = eval_expr(e, callee->right, &key);
        if (status != GR_OK)
            goto done;
        if (key.kind == GR_TV_STRING) {
            status = gr_tmpl__call_method(e, node, &target, json_string_value(key.json), args,
                                          node->nitems, out, &found);
            if (status != GR_OK || found)
                goto done;
        }
        member = gr_tmpl__member(&target, &key);
        status = not_callable(e, node, &member);
        goto done;
    }
    status = eval_expr(e, callee, &member);
    if (status == GR_OK)
        status = not_callable(e, node, &member);

done:
    gr_tv_release(&target);
    gr_tv_release(&key);
    gr_tv_release(&member);
    release_all(args, node->nitems);
    return status;
}

static int eval_filter(gr_tmpl_eval *e, const gr_node *node, gr_tv *input, gr_tv *out)
{
    gr_filter_call call = {.eval = e, .node = node, .value = input};
    gr_tv *kw_values = NULL;
    int status;

    if (node->filter == NULL)
        return gr_tmpl__error(e, node, GR_EINVALID, "filter not found: %s", node->name);
    status = eval_list(e, node->items, node->nitems, &call.args);
    if (status != GR_OK)
        return status;
    status = eval_list(e, node->kwargs, node->nkwargs, &kw_values);
    if (status != GR_OK) {
        release_all(call.args, node->nitems);
        return status;
    }
    call.nargs = node->nitems;
    call.kw_names = node->kw_names;
    call.kw_values = kw_values;
    call.nkw = node->nkwargs;
    status = gr_tmpl__call_filter(&call, node->filter, out);
    release_all(call.args, node->nitems);
    release_all(kw_values, node->nkwargs);
    return status;
}

/* ---- operators -------------------------------------------------------- */

/* The `in` operator: an array or string contains, or an object has the key. */
static int eval_in(gr_tmpl_eval *e, const gr_node *node, const gr_tv *key, const gr_tv *container,
                   gr_tv *out)
{
    gr_buf text = GR_BUF_INIT;
    size_t index;
    json_t *item;
    bool found = false;

    switch (container->kind) {
    case GR_TV_ARRAY:
        json_array_foreach(container->json, index, item)
        {
            gr_tv element = gr_tv_from_json(item);
            found = gr_tv_strict_equal(&element, key);
            gr_tv_release(&element);
            if (found)
                break;
        }
        break;
    case GR_TV_STRING: {
        size_t hay_len;
        const char *hay = gr_tv_str(container, &hay_len);

        gr_tv_append_string(&text, key);
        found = text.len == 0 || memmem(hay, hay_len, text.data, text.len) != NULL;
        break;
    }
    case GR_TV_OBJECT:
        gr_tv_append_string(&text, key);
        found = json_object_getn(container->json, gr_buf_cstr(&text), text.len) != NULL;
        break;
    default: {
        int status;

        gr_tv_append_string(&text, key);
        status = gr_tmpl__error(e, node, GR_EINVALID,
                                "Cannot use \"in\" operator to search for \"%s\" in %s",
                                gr_buf_cstr(&text), gr_tv_kind_name(container->kind));
        gr_buf_free(&text);
        return status;
    }
    }
    gr_buf_free(&text);
    *out = gr_tv_bool(found);
    return GR_OK;
}

static double js_pow(double base, double exponent)
{
    if (isnan(exponent) || (fabs(base) == 1 && isinf(exponent)))
        return NAN;
    return pow(base, exponent);
}

static int eval_binary(gr_tmpl_eval *e, const gr_node *node, gr_tv *left, gr_tv *right, gr_tv *out)
{
    double x;
    double y;

    switch (node->type) {
    case GR_NODE_ADD:
        *out = gr_tv_add(left, right);
        break;
    case GR_NODE_CONCAT: {
        gr_buf buf = GR_BUF_INIT;

        gr_tv_append_string(&buf, left);
        gr_tv_append_string(&buf, right);
        *out = gr_tv_string_buf(&buf);
        break;
    }
    case GR_NODE_EQ:
        *out = gr_tv_bool(gr_tv_loose_equal(left, right));
        return GR_OK;
    case GR_NODE_NE:
        *out = gr_tv_bool(!gr_tv_loose_equal(left, right));
        return GR_OK;
    case GR_NODE_STRICT_EQ:
        *out = gr_tv_bool(gr_tv_strict_equal(left, right));
        return GR_OK;
    case GR_NODE_STRICT_NE:
        *out = gr_tv_bool(!gr_tv_strict_equal(left, right));
        return GR_OK;
    case GR_NODE_LT:
        *out = gr_tv_bool(gr_tv_less(left, right, false));
        return GR_OK;
    case GR_NODE_GT:
        *out = gr_tv_bool(gr_tv_less(right, left, false));
        return GR_OK;
    case GR_NODE_LE:
        *out = gr_tv_bool(gr_tv_less(left, right, true));
        return GR_OK;
    case GR_NODE_GE:
        *out = gr_tv_bool(gr_tv_less(right, left, true));
        return GR_OK;
    default:
        x = gr_tv_to_number(left);
        y = gr_tv_to_number(right);
        switch (node->type) {
        case GR_NODE_SUB:
            *out = gr_tv_number(x - y);
            break;
        case GR_NODE_MUL:
            *out = gr_tv_number(x * y);
            break;
        case GR_NODE_DIV:
            *out = gr_tv_number(x / y);
            break;
        case GR_NODE_MOD:
            *out = gr_tv_number(fmod(x, y));
            break;
        default:
            *out = gr_tv_number(js_pow(x, y));
            break;
        }
        return GR_OK;
    }
    if (out->kind == GR_TV_STRING &&
        gr_tmpl__check_length(e, node, json_string_length(out->json)) != GR_OK) {
        gr_tv_release(out);
        return GR_ELIMIT;
    }
    return GR_OK;
}

static int eval_two(gr_tmpl_eval *e, const gr_node *node, gr_tv *out)
{
    gr_tv left = GR_TV_UNDEF;
    gr_tv right = GR_TV_UNDEF;
    int status = eval_expr(e, node->left, &left);

    if (status == GR_OK)
        status = eval_expr(e, node->right, &right);
    if (status == GR_OK) {
        switch (node->type) {
        case GR_NODE_LOOKUP:
            *out = gr_tmpl__member(&left, &right);
            break;
        case GR_NODE_IN:
            status = eval_in(e, node, &left, &right, out);
            break;
        default:
            status = eval_binary(e, node, &left, &right, out);
            break;
        }
    }
    gr_tv_release(&left);
    gr_tv_release(&right);
    return status;
}

static int eval_array(gr_tmpl_eval *e, const gr_node *node, gr_tv *out)
{
    json_t *array = json_array();

    for (size_t i = 0; i < node->nitems; i++) {
        gr_tv item;
        int status = eval_expr(e, node->items[i], &item);

        if (status != GR_OK) {
            json_decref(array);
            return status;
        }
        json_array_append_new(array, gr_tv_to_json(&item));
        gr_tv_release(&item);
    }
    *out = gr_tv_take_json(array);
    return GR_OK;
}

/* NOTE: a key whose value is undefined is left out, where JavaScript keeps it as undefined. */
static int eval_dict(gr_tmpl_eval *e, const gr_node *node, gr_tv *out)
{
    json_t *object = json_object();

    for (size_t i = 0; i < node->nitems; i++) {
        gr_tv item;
        int status = eval_expr(e, node->items[i], &item);

        if (status != GR_OK) {
            json_decref(object);
            return status;
        }
        if (item.kind != GR_TV_UNDEFINED)
            json_object_set_new(object, node->names[i], gr_tv_to_json(&item));
        else
            json_object_del(object, node->names[i]);
        gr_tv_release(&item);
    }
    *out = gr_tv_take_json(object);
    return GR_OK;
}

static int eval_is(gr_tmpl_eval *e, const gr_node *node, gr_tv *out)
{
    gr_tv value = GR_TV_UNDEF;
    gr_tv *args = NULL;
    bool result = false;
    int status = eval_expr(e, node->left, &value);

    if (status == GR_OK)
        status = eval_list(e, node->items, node->nitems, &args);
    if (status == GR_OK) {
        status = gr_tmpl__test(e, node, node->name, &value, args, node->nitems, &result);
        release_all(args, node->nitems);
    }
    gr_tv_release(&value);
    if (status == GR_OK)
        *out = gr_tv_bool(result);
    return status;
}

/* `loop.index` and friends, read without building the loop object. */
static bool eval_loop_field(gr_tmpl_eval *e, const gr_node *node, gr_tv *out)
{
    const scope *loop_scope;

    if (node->left->type != GR_NODE_SYMBOL || strcmp(node->left->name, "loop") != 0 ||
        node->right->type != GR_NODE_LITERAL || node->right->literal.kind != GR_TV_STRING)
        return false;
    loop_scope = find_loop_scope(e);
    if (loop_scope == NULL)
        return false;
    *out = loop_field(loop_scope, json_string_value(node->right->literal.json));
    return true;
}

static int eval_node(gr_tmpl_eval *e, const gr_node *node, gr_tv *out)
{
    gr_tv value = GR_TV_UNDEF;
    int status;

    switch (node->type) {
    case GR_NODE_LITERAL:
        *out = gr_tv_copy(&node->literal);
        return GR_OK;
    case GR_NODE_SYMBOL:
        *out = lookup(e, node->name);
        return GR_OK;
    case GR_NODE_LOOKUP:
        if (eval_loop_field(e, node, out))
            return GR_OK;
        return eval_two(e, node, out);
    case GR_NODE_CALL:
        return eval_call(e, node, out);
    case GR_NODE_FILTER:
        status = eval_expr(e, node->left, &value);
        if (status == GR_OK)
            status = eval_filter(e, node, &value, out);
        gr_tv_release(&value);
        return status;
    case GR_NODE_ARRAY:
        return eval_array(e, node, out);
    case GR_NODE_DICT:
        return eval_dict(e, node, out);
    case GR_NODE_GROUP:
        if (node->nitems == 0)
            return gr_tmpl__error(e, node, GR_EINVALID, "empty parentheses");
        for (size_t i = 0; i < node->nitems; i++) {
            gr_tv_release(out);
            status = eval_expr(e, node->items[i], out);
            if (status != GR_OK)
                return status;
        }
        return GR_OK;
    case GR_NODE_INLINE_IF:
        status = eval_expr(e, node->left, &value);
        if (status != GR_OK)
            return status;
        if (gr_tv_truthy(&value))
            status = eval_expr(e, node->right, out);
        else if (node->other != NULL)
            status = eval_expr(e, node->other, out);
        else
            *out = gr_tv_string("", 0);
        gr_tv_release(&value);
        return status;
    case GR_NODE_OR:
    case GR_NODE_AND:
        status = eval_expr(e, node->left, &value);
        if (status != GR_OK)
            return status;
        if (gr_tv_truthy(&value) == (node->type == GR_NODE_OR)) {
            *out = value;
            return GR_OK;
        }
        gr_tv_release(&value);
        return eval_expr(e, node->right, out);
    case GR_NODE_NOT:
        status = eval_expr(e, node->left, &value);
        if (status == GR_OK)
            *out = gr_tv_bool(!gr_tv_truthy(&value));
        gr_tv_release(&value);
        return status;
    case GR_NODE_IS:
        return eval_is(e, node, out);
    case GR_NODE_NEG:
    case GR_NODE_POS:
    case GR_NODE_FLOOR:
        status = eval_expr(e, node->left, &value);
        if (status != GR_OK)
            return status;
        *out = gr_tv_number(node->type == GR_NODE_NEG   ? -gr_tv_to_number(&value)
                            : node->type == GR_NODE_POS ? gr_tv_to_number(&value)
                                                        : floor(gr_tv_to_number(&value)));
        gr_tv_release(&value);
        return GR_OK;
    case GR_NODE_REGEX:
        /* TODO: regular expression literals (r/.../) for the replace filter. */
        return gr_tmpl__error(e, node, GR_EINVALID,
                              "regular expression literals are not supported; use a string");
    default:
        return eval_two(e, node, out);
    }
}

/* Evaluates an expression; on failure `*out` is left undefined, whatever the step that failed. */
static int eval_expr(gr_tmpl_eval *e, const gr_node *node, gr_tv *out)
{
    int status;

    *out = GR_TV_UNDEF;
    status = eval_node(e, node, out);
    if (status != GR_OK)
        gr_tv_release(out);
    return status;
}

/* ---- statements ------------------------------------------------------- */

static int emit(gr_tmpl_eval *e, const gr_node *node, const char *data, size_t len)
{
    if (e->out->len + len > GR_TMPL_MAX_OUTPUT)
        return gr_tmpl__check_length(e, node, e->out->len + len);
    gr_buf_append(e->out, data, len);
    return GR_OK;
}

static int render_output(gr_tmpl_eval *e, const gr_node *node)
{
    gr_tv value;
    gr_buf text = GR_BUF_INIT;
    int status = eval_expr(e, node->left, &value);

    if (status != GR_OK)
        return status;
    if (gr_tmpl__engine(e)->options.throw_on_undefined &&
        (value.kind == GR_TV_UNDEFINED || value.kind == GR_TV_NULL)) {
        gr_tv_release(&value);
        return gr_tmpl__error(e, node, GR_EINVALID, "attempted to output null or undefined value");
    }
    if (value.kind == GR_TV_STRING) {
        status = emit(e, node, json_string_value(value.json), json_string_length(value.json));
    } else {
        gr_tv_append_output(&text, &value);
        status = emit(e, node, gr_buf_cstr(&text), text.len);
        gr_buf_free(&text);
    }
    gr_tv_release(&value);
    return status;
}

/* Renders `body` into a new string value, as `{% set x %}` and `{% filter %}` do. */
static int capture(gr_tmpl_eval *e, const gr_node *body, gr_tv *out)
{
    gr_buf buf = GR_BUF_INIT;
    gr_buf *saved = e->out;
    int status;

    e->out = &buf;
    status = render_list(e, body);
    e->out = saved;
    if (status != GR_OK) {
        gr_buf_free(&buf);
        return status;
    }
    *out = gr_tv_string_buf(&buf);
    return GR_OK;
}

static int render_if(gr_tmpl_eval *e, const gr_node *node)
{
    gr_tv cond;
    bool truthy;
    int status = eval_expr(e, node->left, &cond);

    if (status != GR_OK)
        return status;
    truthy = gr_tv_truthy(&cond);
    gr_tv_release(&cond);
    if (truthy)
        return render_list(e, node->right);
    if (node->other == NULL)
        return GR_OK;
    if (node->other->type == GR_NODE_IF)
        return render_if(e, node->other);
    return render_list(e, node->other);
}

static int render_set(gr_tmpl_eval *e, const gr_node *node)
{
    gr_tv value;
    int status = node->left ? eval_expr(e, node->left, &value) : capture(e, node->right, &value);

    if (status != GR_OK)
        return status;
    for (size_t i = 0; i < node->nnames; i++)
        set_variable(e, node->names[i], gr_tv_copy(&value));
    gr_tv_release(&value);
    return GR_OK;
}

/* Binds the loop names to one item: the item itself, or its elements 0, 1, ... */
static void bind_item(scope *s, const gr_node *node, const gr_tv *item)
{
    if (node->nnames == 1) {
        scope_put(s, node->names[0], gr_tv_copy(item));
        return;
    }
    for (size_t i = 0; i < node->nnames; i++) {
        gr_tv index = gr_tv_number((double)i);
        scope_put(s, node->names[i], gr_tmpl__member(item, &index));
    }
}

static int run_body(gr_tmpl_eval *e, const gr_node *node, scope *s, size_t index, size_t length)
{
    int status = gr_tmpl__count(e, node, 1);

    if (status != GR_OK)
        return status;
    s->loop_index = index;
    s->loop_length = length;
    return render_list(e, node->right);
}

static int loop_array(gr_tmpl_eval *e, const gr_node *node, scope *s, const gr_tv *items,
                      size_t *length)
{
    size_t count = json_array_size(items->json);
    int status = GR_OK;

    *length = count;
    for (size_t i = 0; i < count && status == GR_OK; i++) {
        gr_tv item = gr_tv_from_json(json_array_get(items->json, i));

        bind_item(s, node, &item);
        gr_tv_release(&item);
        status = run_body(e, node, s, i, count);
    }
    return status;
}

static int loop_string(gr_tmpl_eval *e, const gr_node *node, scope *s, const gr_tv *items,
                       size_t *length)
{
    size_t len;
    const char *str = gr_tv_str(items, &len);
    size_t count = 0;
    size_t pos = 0;
    size_t index = 0;
    int status = GR_OK;

    while (pos < len) {
        gr_utf8_next(str, len, &pos);
        count++;
    }
    *length = count;
    pos = 0;
    while (pos < len && status == GR_OK) {
        size_t start = pos;
        gr_tv item;

        gr_utf8_next(str, len, &pos);
        item = gr_tv_string(str + start, pos - start);
        if (node->nnames == 1) {
            scope_put(s, node->names[0], item);
        } else {
            /* Two names over a string iterate it like an object: index and character. */
            char digits[24];

            snprintf(digits, sizeof(digits), "%zu", index);
            scope_put(s, node->names[0], gr_tv_string(digits, strlen(digits)));
            scope_put(s, node->names[1], item);
        }
        status = run_body(e, node, s, index++, count);
    }
    return status;
}

static int loop_entries(gr_tmpl_eval *e, const gr_node *node, scope *s, const gr_tv *items,
                        size_t *length)
{
    size_t count;
    const char **keys = gr_tv_object_keys(items->json, &count);
    int status = GR_OK;

    *length = count;
    for (size_t i = 0; i < count && status == GR_OK; i++) {
        scope_put(s, node->names[0], gr_tv_string(keys[i], strlen(keys[i])));
        scope_put(s, node->names[1], gr_tv_from_json(json_object_get(items->json, keys[i])));
        status = run_body(e, node, s, i, count);
    }
    free(keys);
    return status;
}

static int render_for(gr_tmpl_eval *e, const gr_node *node)
{
    scope s = {.parent = e->scope, .is_loop = true};
    gr_tv items;
    size_t length = 0;
    int status = eval_expr(e, node->left, &items);

    if (status != GR_OK)
        return status;
    e->scope = &s;
    if (gr_tv_truthy(&items)) {
        if (items.kind == GR_TV_ARRAY)
            status = loop_array(e, node, &s, &items, &length);
        else if (items.kind == GR_TV_STRING)
            status = loop_string(e, node, &s, &items, &length);
        else if (items.kind == GR_TV_OBJECT && node->nnames > 1)
            status = loop_entries(e, node, &s, &items, &length);
    }
    if (status == GR_OK && length == 0 && node->other != NULL)
        status = render_list(e, node->other);
    e->scope = s.parent;
    scope_free(&s);
    gr_tv_release(&items);
    return status;
}

static int render_filter_block(gr_tmpl_eval *e, const gr_node *node)
{
    gr_tv body;
    gr_tv result;
    gr_buf text = GR_BUF_INIT;
    int status = capture(e, node->right, &body);

    if (status != GR_OK)
        return status;
    status = eval_filter(e, node->left, &body, &result);
    gr_tv_release(&body);
    if (status != GR_OK)
        return status;
    gr_tv_append_output(&text, &result);
    status = emit(e, node, gr_buf_cstr(&text), text.len);
    gr_buf_free(&text);
    gr_tv_release(&result);
    return status;
}

/* JavaScript switch: the first case equal (===) to the subject runs, falling through empty bodies.
 */
static int render_switch(gr_tmpl_eval *e, const gr_node *node)
{
    gr_tv subject;
    size_t matched = node->nitems;
    int status = eval_expr(e, node->left, &subject);

    for (size_t i = 0; status == GR_OK && i < node->nitems; i++) {
        gr_tv value;

        status = eval_expr(e, node->items[i]->left, &value);
        if (status == GR_OK && gr_tv_strict_equal(&subject, &value))
            matched = i;
        gr_tv_release(&value);
        if (matched != node->nitems)
            break;
    }
    gr_tv_release(&subject);
    if (status != GR_OK)
        return status;
    for (size_t i = matched; i < node->nitems; i++) {
        status = render_list(e, node->items[i]->right);
        if (status != GR_OK || node->items[i]->right->nitems > 0)
            return status;
    }
    return node->other ? render_list(e, node->other) : GR_OK;
}

static int render_node(gr_tmpl_eval *e, const gr_node *node)
{
    switch (node->type) {
    case GR_NODE_DATA:
        return emit(e, node, node->text, node->text_len);
    case GR_NODE_OUTPUT:
        return render_output(e, node);
    case GR_NODE_IF:
        return render_if(e, node);
    case GR_NODE_FOR:
        return render_for(e, node);
    case GR_NODE_SET:
        return render_set(e, node);
    case GR_NODE_FILTER_BLOCK:
        return render_filter_block(e, node);
    case GR_NODE_SWITCH:
        return render_switch(e, node);
    case GR_NODE_LIST:
        return render_list(e, node);
    default:
        return gr_tmpl__error(e, node, GR_ERROR, "unexpected node type %d", (int)node->type);
    }
}

static int render_list(gr_tmpl_eval *e, const gr_node *list)
{
    for (size_t i = 0; i < list->nitems; i++) {
        int status = render_node(e, list->items[i]);

        if (status != GR_OK)
            return status;
    }
    return GR_OK;
}

int gr_tmpl__render(const gr_tmpl *tmpl, json_t *context, gr_tmpl_budget *budget, gr_buf *out)
{
    scope root = {0};
    gr_tmpl_eval eval = {
        .tmpl = tmpl,
        .context = context,
        .scope = &root,
        .out = out,
        .budget = budget,
    };
    int status = render_list(&eval, tmpl->root);

    scope_free(&root);
    return status;
}
