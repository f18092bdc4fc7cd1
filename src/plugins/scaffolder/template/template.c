/* SPDX-License-Identifier: MIT */
/* The template engine object: options, the filter registry, compiling and rendering. */
#include "plugins/scaffolder/template/template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/scaffolder/template/ast.h"
#include "plugins/scaffolder/template/eval.h"
#include "plugins/scaffolder/template/lexer.h"

gr_tmpl_engine *gr_tmpl_engine_new(const gr_tmpl_options *options)
{
    gr_tmpl_engine *engine = gr_xcalloc(1, sizeof(*engine));

    if (options != NULL)
        engine->options = *options;
    else
        engine->options.delimiters = GR_TMPL_DELIMITERS_BACKSTAGE;
    engine->integrations =
        json_pack("{s:s, s:s, s:s, s:s}", "github.com", "github", "gitlab.com", "gitlab",
                  "bitbucket.org", "bitbucketCloud", "dev.azure.com", "azure");
    gr_tmpl__add_builtin_filters(engine);
    gr_tmpl__add_backstage_filters(engine);
    gr_tmpl__add_now_filter(engine);
    return engine;
}

void gr_tmpl_engine_free(gr_tmpl_engine *engine)
{
    if (engine == NULL)
        return;
    for (size_t i = 0; i < engine->nfilters; i++) {
        free(engine->filters[i]->name);
        free(engine->filters[i]);
    }
    free(engine->filters);
    json_decref(engine->integrations);
    free(engine);
}

const gr_tmpl_filter *gr_tmpl__find_filter(const gr_tmpl_engine *engine, const char *name)
{
    for (size_t i = 0; i < engine->nfilters; i++)
        if (strcmp(engine->filters[i]->name, name) == 0)
            return engine->filters[i];
    return NULL;
}

/* Adds a filter entry, replacing an older one of the same name for later compiles. */
static gr_tmpl_filter *add_entry(gr_tmpl_engine *engine, const char *name)
{
    gr_tmpl_filter *filter = gr_xcalloc(1, sizeof(*filter));

    filter->name = gr_xstrdup(name);
    for (size_t i = 0; i < engine->nfilters; i++) {
        if (strcmp(engine->filters[i]->name, name) == 0) {
            /* Compiled templates may point at the old entry, so it stays allocated. */
            free(engine->filters[i]->name);
            engine->filters[i]->name = gr_xstrdup("");
        }
    }
    engine->filters = gr_xrealloc(engine->filters, (engine->nfilters + 1) * sizeof(*filter));
    engine->filters[engine->nfilters++] = filter;
    return filter;
}

void gr_tmpl__add_filter(gr_tmpl_engine *engine, const char *name, gr_builtin_filter_fn fn,
                         const char *rejected)
{
    gr_tmpl_filter *filter = add_entry(engine, name);

    filter->builtin = fn;
    filter->rejected = rejected;
    filter->keyword_args = strcmp(name, "int") == 0 || strcmp(name, "sort") == 0;
}

static bool valid_filter_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return false;
    for (const char *c = name; *c != '\0'; c++) {
        bool letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_';
        bool digit = *c >= '0' && *c <= '9';

        if (!letter && !(digit && c != name))
            return false;
    }
    return true;
}

int gr_tmpl_register_filter(gr_tmpl_engine *engine, const char *name, gr_tmpl_filter_fn fn,
                            void *payload)
{
    gr_tmpl_filter *filter;

    if (!valid_filter_name(name) || fn == NULL)
        return gr_error_set(GR_EINVALID,
                            "invalid filter name '%s': use letters, digits and '_', not starting "
                            "with a digit",
                            name ? name : "(null)");
    filter = add_entry(engine, name);
    filter->external = fn;
    filter->payload = payload;
    return GR_OK;
}

int gr_tmpl_set_integrations(gr_tmpl_engine *engine, json_t *hosts)
{
    if (!json_is_object(hosts))
        return gr_error_set(GR_EINVALID, "integrations must be a JSON object from host to type");
    json_decref(engine->integrations);
    engine->integrations = json_deep_copy(hosts);
    return GR_OK;
}

/* ---- filter calls ----------------------------------------------------- */

static json_t *to_external(const gr_tv *value)
{
    return value->kind == GR_TV_UNDEFINED ? NULL : gr_tv_to_json(value);
}

static int call_external(gr_filter_call *call, const gr_tmpl_filter *filter, gr_tv *out)
{
    size_t nargs = call->nargs + (call->nkw > 0 ? 1 : 0);
    json_t **args = gr_xcalloc(nargs ? nargs : 1, sizeof(*args));
    json_t *value = to_external(call->value);
    json_t *result = NULL;
    int status;

    for (size_t i = 0; i < call->nargs; i++)
        args[i] = to_external(&call->args[i]);
    if (call->nkw > 0) {
        json_t *keywords = json_object();

        for (size_t i = 0; i < call->nkw; i++)
            json_object_set_new(keywords, call->kw_names[i], gr_tv_to_json(&call->kw_values[i]));
        args[call->nargs] = keywords;
    }

    status = filter->external(filter->payload, value, args, nargs, &result);
    if (status != GR_OK)
        gr_tmpl__error_wrap(call->eval, call->node, status, "filter %s", filter->name);
    else
        *out = gr_tv_take_json(result);

    for (size_t i = 0; i < nargs; i++)
        json_decref(args[i]);
    free(args);
    json_decref(value);
    return status;
}

/*
 * Nunjucks passes keyword arguments to a filter as one trailing object
 * (marked __keywords), unless the filter names its parameters (int, sort).
 */
static int call_with_keyword_object(gr_filter_call *call, const gr_tmpl_filter *filter, gr_tv *out)
{
    gr_filter_call positional = *call;
    json_t *keywords = json_object();
    int status;

    for (size_t i = 0; i < call->nkw; i++)
        json_object_set_new(keywords, call->kw_names[i], gr_tv_to_json(&call->kw_values[i]));
    json_object_set_new(keywords, "__keywords", json_true());
    positional.args = gr_xcalloc(call->nargs + 1, sizeof(*positional.args));
    memcpy(positional.args, call->args, call->nargs * sizeof(*call->args));
    positional.args[call->nargs] = gr_tv_take_json(keywords);
    positional.nargs = call->nargs + 1;
    positional.nkw = 0;
    status = filter->builtin(&positional, out);
    gr_tv_release(&positional.args[call->nargs]);
    free(positional.args);
    return status;
}

int gr_tmpl__call_filter(gr_filter_call *call, const gr_tmpl_filter *filter, gr_tv *out)
{
    int status;

    *out = GR_TV_UNDEF;
    if (filter->builtin == NULL)
        status = call_external(call, filter, out);
    else if (call->nkw > 0 && !filter->keyword_args)
        status = call_with_keyword_object(call, filter, out);
    else
        status = filter->builtin(call, out);
    if (status != GR_OK)
        gr_tv_release(out);
    return status;
}

/* ---- compile and render ----------------------------------------------- */

/* Checks UTF-8 encoding (no NUL bytes); `*bad` gets the offset of the first bad byte. */
static bool valid_utf8(const char *str, size_t len, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)str;

    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t extra;

        if (c >= 0x01 && c < 0x80)
            extra = 0;
        else if (c >= 0xC2 && c <= 0xDF)
            extra = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            extra = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            extra = 3;
        else
            extra = SIZE_MAX;
        if (extra == SIZE_MAX || i + extra >= len + (extra == 0)) {
            *bad = i;
            return false;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                *bad = i;
                return false;
            }
        }
        i += extra + 1;
    }
    return true;
}

int gr_tmpl_compile(gr_tmpl_engine *engine, const char *name, const char *source, size_t len,
                    gr_tmpl **out)
{
    gr_tmpl *tmpl;
    size_t bad = 0;
    int status;

    *out = NULL;
    if (name == NULL)
        name = "(template)";
    if (len > GR_TMPL_MAX_SOURCE)
        return gr_error_set(GR_ELIMIT, "%s: template is %zu bytes, more than the limit of %u", name,
                            len, GR_TMPL_MAX_SOURCE);
    if (!valid_utf8(source, len, &bad))
        return gr_error_set(GR_EINVALID,
                            "%s: template is not valid UTF-8 text (bad byte at offset %zu); copy "
                            "binary files without rendering them",
                            name, bad);

    tmpl = gr_xcalloc(1, sizeof(*tmpl));
    tmpl->engine = engine;
    tmpl->arena = gr_arena_new();
    tmpl->name = gr_xstrdup(name);
    /* The tree points into the source for text, so the arena keeps a copy. */
    source = gr_arena_strndup(tmpl->arena, source, len);
    status = gr_tmpl__parse(engine, tmpl->arena, tmpl->name, source, len, &tmpl->root);
    if (status != GR_OK) {
        gr_tmpl_free(tmpl);
        return status;
    }
    *out = tmpl;
    return GR_OK;
}

void gr_tmpl_free(gr_tmpl *tmpl)
{
    if (tmpl == NULL)
        return;
    gr_arena_free(tmpl->arena);
    free(tmpl->name);
    free(tmpl);
}

int gr_tmpl_render(const gr_tmpl *tmpl, json_t *context, char **out, size_t *out_len)
{
    return gr_tmpl_render_budget(tmpl, context, NULL, out, out_len);
}

int gr_tmpl_render_budget(const gr_tmpl *tmpl, json_t *context, gr_tmpl_budget *budget, char **out,
                          size_t *out_len)
{
    gr_buf buf = GR_BUF_INIT;
    int status = gr_tmpl__render(tmpl, context, budget, &buf);

    *out = NULL;
    if (status != GR_OK) {
        gr_buf_free(&buf);
        return status;
    }
    if (out_len != NULL)
        *out_len = buf.len;
    *out = buf.data ? gr_buf_detach(&buf) : gr_xstrdup("");
    return GR_OK;
}

int gr_tmpl_render_string(gr_tmpl_engine *engine, const char *name, const char *source,
                          json_t *context, char **out)
{
    return gr_tmpl_render_string_budget(engine, name, source, context, NULL, out);
}

int gr_tmpl_render_string_budget(gr_tmpl_engine *engine, const char *name, const char *source,
                                 json_t *context, gr_tmpl_budget *budget, char **out)
{
    gr_tmpl *tmpl = NULL;
    int status = gr_tmpl_compile(engine, name, source, strlen(source), &tmpl);

    *out = NULL;
    if (status == GR_OK)
        status = gr_tmpl_render_budget(tmpl, context, budget, out, NULL);
    gr_tmpl_free(tmpl);
    return status;
}
