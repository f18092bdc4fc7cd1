/* SPDX-License-Identifier: MIT */
/* Rendering step inputs: every string of a JSON tree, keeping the type of lone expressions. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/scaffolder/template/ast.h"
#include "plugins/scaffolder/template/template.h"

typedef struct {
    gr_tmpl_engine *engine;
    json_t *context;
    gr_tmpl_budget *budget; /* may be NULL */
    gr_buf path; /* JSONPath-like name of the value being rendered, for messages */
    size_t depth;
} walker;

/* A template that is one tag or expression and no text: Backstage keeps the value's type. */
static bool is_single(const gr_tmpl *tmpl)
{
    return tmpl->root->nitems == 1 && tmpl->root->items[0]->type != GR_NODE_DATA;
}

static size_t line_end(const char *str, size_t len, size_t pos)
{
    while (pos < len) {
        unsigned char c = (unsigned char)str[pos];

        if (c == '\n' || c == '\r')
            return pos;
        /* U+2028 and U+2029 also end a line for JavaScript's `.`. */
        if (c == 0xE2 && pos + 2 < len && (unsigned char)str[pos + 1] == 0x80 &&
            ((unsigned char)str[pos + 2] == 0xA8 || (unsigned char)str[pos + 2] == 0xA9))
            return pos;
        pos++;
    }
    return len;
}

/*
 * Backstage rewrites `${{ expr }}` to `${{ ( expr ) | dump }}` with the
 * regular expression /\${{(.+)}}/g, whose `.` stops at line ends: on each
 * line the first `${{` and the last `}}` after it delimit the expression.
 */
static void wrap_in_dump(gr_buf *out, const char *str, size_t len)
{
    size_t pos = 0;

    while (pos < len) {
        size_t end = line_end(str, len, pos);
        const char *open = memmem(str + pos, end - pos, "${{", 3);
        const char *close = NULL;

        if (open != NULL) {
            for (const char *c = open + 4; c + 2 <= str + end; c++)
                if (c[0] == '}' && c[1] == '}')
                    close = c;
        }
        if (close != NULL) {
            gr_buf_append(out, str + pos, (size_t)(open - (str + pos)));
            gr_buf_puts(out, "${{ ( ");
            gr_buf_append(out, open + 3, (size_t)(close - open - 3));
            gr_buf_puts(out, " ) | dump }}");
            gr_buf_append(out, close + 2, (size_t)(str + end - close - 2));
        } else {
            gr_buf_append(out, str + pos, end - pos);
        }
        if (end < len) {
            size_t stop = end + ((unsigned char)str[end] == 0xE2 ? 3 : 1);
            gr_buf_append(out, str + end, stop - end);
            end = stop;
        }
        pos = end;
    }
}

static int render_text(walker *w, const char *source, size_t len, char **out, size_t *out_len)
{
    gr_tmpl *tmpl = NULL;
    int status = gr_tmpl_compile(w->engine, gr_buf_cstr(&w->path), source, len, &tmpl);

    if (status == GR_OK)
        status = gr_tmpl_render_budget(tmpl, w->context, w->budget, out, out_len);
    gr_tmpl_free(tmpl);
    return status;
}

/* Renders the dump-wrapped form and parses it back; false when that fails in any way. */
static bool render_typed(walker *w, const char *str, size_t len, json_t **out)
{
    gr_buf wrapped = GR_BUF_INIT;
    char *text = NULL;
    size_t text_len = 0;
    json_error_t error;
    bool ok = false;

    wrap_in_dump(&wrapped, str, len);
    if (render_text(w, gr_buf_cstr(&wrapped), wrapped.len, &text, &text_len) != GR_OK)
        goto done;
    if (text_len == 0) {
        *out = NULL;
        ok = true;
        goto done;
    }
    *out = json_loadb(text, text_len, JSON_DECODE_ANY, &error);
    if (*out == NULL)
        *out = json_loadb(text, text_len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &error);
    ok = *out != NULL;

done:
    free(text);
    gr_buf_free(&wrapped);
    return ok;
}

static int render_string(walker *w, json_t *value, json_t **out)
{
    const char *str = json_string_value(value);
    size_t len = json_string_length(value);
    gr_tmpl *tmpl = NULL;
    char *text = NULL;
    size_t text_len = 0;
    bool single = false;
    int status;

    if (w->engine->options.delimiters == GR_TMPL_DELIMITERS_BACKSTAGE &&
        gr_tmpl_compile(w->engine, gr_buf_cstr(&w->path), str, len, &tmpl) == GR_OK) {
        single = is_single(tmpl);
        gr_tmpl_free(tmpl);
    }
    if (single && render_typed(w, str, len, out))
        return GR_OK;
    /* The typed render used up the budget: its message is the error. */
    if (w->budget != NULL && w->budget->exhausted)
        return GR_ELIMIT;

    status = render_text(w, str, len, &text, &text_len);
    if (status != GR_OK) {
        if (w->engine->options.strict_values || (w->budget != NULL && w->budget->exhausted))
            return status;
        gr_log_fields(GR_LOG_WARN, "scaffolder", "template error; the value keeps its text",
                      "error", gr_error_last(), NULL);
        if (w->budget != NULL && w->budget->on_kept_error != NULL)
            w->budget->on_kept_error(w->budget->payload, gr_error_last());
        *out = json_incref(value);
        return GR_OK;
    }
    *out = text_len > 0 ? json_stringn(text, text_len) : NULL;
    free(text);
    return GR_OK;
}

static int walk(walker *w, json_t *value, json_t **out);

static int walk_array(walker *w, json_t *value, json_t **out)
{
    json_t *result = json_array();
    size_t saved = w->path.len;
    size_t index;
    json_t *item;

    json_array_foreach(value, index, item)
    {
        json_t *rendered = NULL;
        int status;

        gr_buf_printf(&w->path, "[%zu]", index);
        status = walk(w, item, &rendered);
        w->path.len = saved;
        w->path.data[saved] = '\0';
        if (status != GR_OK) {
            json_decref(result);
            return status;
        }
        json_array_append_new(result, rendered ? rendered : json_null());
    }
    *out = result;
    return GR_OK;
}

static int walk_object(walker *w, json_t *value, json_t **out)
{
    json_t *result = json_object();
    size_t saved = w->path.len;
    const char *key;
    json_t *member;

    json_object_foreach(value, key, member)
    {
        json_t *rendered = NULL;
        int status;

        gr_buf_printf(&w->path, ".%s", key);
        status = walk(w, member, &rendered);
        w->path.len = saved;
        w->path.data[saved] = '\0';
        if (status != GR_OK) {
            json_decref(result);
            return status;
        }
        if (rendered != NULL)
            json_object_set_new(result, key, rendered);
    }
    *out = result;
    return GR_OK;
}

static int walk(walker *w, json_t *value, json_t **out)
{
    int status;

    *out = NULL;
    if (w->depth >= GR_TMPL_MAX_VALUE_DEPTH)
        return gr_error_set(GR_ELIMIT, "%s: input is nested deeper than %d levels",
                            gr_buf_cstr(&w->path), GR_TMPL_MAX_VALUE_DEPTH);
    w->depth++;
    switch (json_typeof(value)) {
    case JSON_STRING:
        status = render_string(w, value, out);
        break;
    case JSON_ARRAY:
        status = walk_array(w, value, out);
        break;
    case JSON_OBJECT:
        status = walk_object(w, value, out);
        break;
    default:
        *out = json_incref(value);
        status = GR_OK;
        break;
    }
    w->depth--;
    return status;
}

int gr_tmpl_render_value(gr_tmpl_engine *engine, json_t *input, json_t *context, json_t **out)
{
    return gr_tmpl_render_value_budget(engine, input, context, NULL, out);
}

int gr_tmpl_render_value_budget(gr_tmpl_engine *engine, json_t *input, json_t *context,
                                gr_tmpl_budget *budget, json_t **out)
{
    walker w = {.engine = engine, .context = context, .budget = budget, .path = GR_BUF_INIT};
    int status;

    gr_buf_puts(&w.path, "input");
    status = walk(&w, input, out);
    gr_buf_free(&w.path);
    return status;
}
