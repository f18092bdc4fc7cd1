/* SPDX-License-Identifier: MIT */
/* Results of the search plugin on the /search page and in the header's type-ahead. */
#include <string.h>

#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "plugins/search/search.h"
#include "plugins/ui/ui_internal.h"

/* Bytes of a document's text shown when the text did not match. */
#define SEARCH_TEXT_PREVIEW_BYTES 240
/* Suggestions of the type-ahead. */
#define SUGGEST_COUNT 8

/* The document types the page offers as a filter, with their labels. */
static const struct {
    const char *type;
    const char *label;
} known_types[] = {
    {"software-catalog", "Software Catalog"},
    {"techdocs", "Documentation"},
};

static const char *const known_kinds[] = {"component", "api",      "system",   "domain",
                                          "resource",  "group",    "user",     "template",
                                          "location",  NULL};
static const char *const known_lifecycles[] = {"production", "experimental", "deprecated", NULL};

static const char *type_label(const char *type)
{
    for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++) {
        if (strcmp(known_types[i].type, type) == 0)
            return known_types[i].label;
    }
    return type;
}

/* Returns `value` when it is in `allowed`, else NULL. */
static const char *allowed_value(const char *value, const char *const *allowed)
{
    for (size_t i = 0; value != NULL && allowed[i] != NULL; i++) {
        if (strcmp(allowed[i], value) == 0)
            return allowed[i];
    }
    return NULL;
}

static const char *allowed_type(const char *value)
{
    for (size_t i = 0; value != NULL && i < sizeof(known_types) / sizeof(known_types[0]); i++) {
        if (strcmp(known_types[i].type, value) == 0)
            return known_types[i].type;
    }
    return NULL;
}

/* Appends `text` HTML-escaped, with the spans between `pre` and `post` in <mark>. */
static void put_highlighted(gr_buf *out, const char *text, const char *pre, const char *post)
{
    size_t pre_len = pre != NULL ? strlen(pre) : 0;
    size_t post_len = post != NULL ? strlen(post) : 0;

    while (pre_len > 0 && post_len > 0) {
        const char *open = strstr(text, pre);
        const char *close;
        char *part;

        if (open == NULL)
            break;
        part = gr_xstrndup(text, (size_t)(open - text));
        gr_buf_put_html(out, part);
        free(part);
        open += pre_len;
        close = strstr(open, post);
        part = close != NULL ? gr_xstrndup(open, (size_t)(close - open)) : gr_xstrdup(open);
        gr_buf_puts(out, "<mark>");
        gr_buf_put_html(out, part);
        gr_buf_puts(out, "</mark>");
        free(part);
        if (close == NULL)
            return;
        text = close + post_len;
    }
    gr_buf_put_html(out, text);
}

/* The start of `text`, cut at a UTF-8 character boundary, escaped. */
static void put_preview(gr_buf *out, const char *text)
{
    size_t len = strlen(text);
    char *part;

    if (len <= SEARCH_TEXT_PREVIEW_BYTES) {
        gr_buf_put_html(out, text);
        return;
    }
    len = SEARCH_TEXT_PREVIEW_BYTES;
    while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
        len--;
    part = gr_xstrndup(text, len);
    gr_buf_put_html(out, part);
    gr_buf_puts(out, "\u2026");
    free(part);
}

static json_t *highlighted_field(const json_t *result, const char *field, int preview)
{
    const json_t *highlight = json_object_get(result, "highlight");
    const char *marked = json_string_value(
        json_object_get(json_object_get(highlight, "fields"), field));
    const char *plain =
        json_string_value(json_object_get(json_object_get(result, "document"), field));
    gr_buf html = GR_BUF_INIT;
    json_t *value;

    if (marked != NULL)
        put_highlighted(&html, marked,
                        json_string_value(json_object_get(highlight, "preTag")),
                        json_string_value(json_object_get(highlight, "postTag")));
    else if (plain != NULL && preview)
        put_preview(&html, plain);
    else if (plain != NULL)
        gr_buf_put_html(&html, plain);
    value = json_string(gr_buf_cstr(&html));
    gr_buf_free(&html);
    return value;
}

static json_t *document_string(const json_t *document, const char *field)
{
    const char *value = json_string_value(json_object_get(document, field));

    return json_string(value != NULL ? value : "");
}

static json_t *result_view(const json_t *result)
{
    const json_t *document = json_object_get(result, "document");
    const char *type = json_string_value(json_object_get(result, "type"));

    return json_pack("{s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "href",
                     document_string(document, "location"), "titleHtml",
                     highlighted_field(result, "title", 0), "textHtml",
                     highlighted_field(result, "text", 1), "typeLabel",
                     type_label(type != NULL ? type : ""), "kind",
                     document_string(document, "kind"), "lifecycle",
                     document_string(document, "lifecycle"), "owner",
                     document_string(document, "owner"));
}

/* The type options as [{value, label, selected}]; the first, with an empty value, is "all". */
static json_t *type_options(const char *selected)
{
    json_t *options = json_array();

    json_array_append_new(options, json_pack("{s:s, s:s, s:b}", "value", "", "label",
                                             "All results", "selected", selected == NULL));
    for (size_t i = 0; i < sizeof(known_types) / sizeof(known_types[0]); i++)
        json_array_append_new(options,
                              json_pack("{s:s, s:s, s:b}", "value", known_types[i].type,
                                        "label", known_types[i].label, "selected",
                                        selected == known_types[i].type));
    return options;
}

static json_t *value_options(const char *const *values, const char *selected)
{
    json_t *options = json_array();

    for (size_t i = 0; values[i] != NULL; i++)
        json_array_append_new(options, json_pack("{s:s, s:b}", "value", values[i], "selected",
                                                 selected == values[i]));
    return options;
}

/* The state of the search form, which every page link keeps. */
typedef struct {
    const char *text;
    const char *type;      /* a known type, or NULL for all */
    const char *kind;      /* a known kind, or NULL */
    const char *lifecycle; /* a known lifecycle, or NULL */
} search_form;

static json_t *page_link(const search_form *form, const char *cursor)
{
    gr_buf href = GR_BUF_INIT;
    json_t *link;

    gr_buf_puts(&href, "/search?query=");
    gr_template_put_uri(&href, form->text);
    if (form->type != NULL)
        gr_buf_printf(&href, "&type=%s", form->type);
    if (form->kind != NULL)
        gr_buf_printf(&href, "&kind=%s", form->kind);
    if (form->lifecycle != NULL)
        gr_buf_printf(&href, "&lifecycle=%s", form->lifecycle);
    gr_buf_puts(&href, "&pageCursor=");
    gr_template_put_uri(&href, cursor);
    link = json_string(gr_buf_cstr(&href));
    gr_buf_free(&href);
    return link;
}

/* Runs the query of `form`; *result belongs to the caller. With `suggest`,
 * the query is the header's type-ahead: no count, ranking or highlights. */
static int run_query(gr_ui_page *page, const search_form *form, const char *cursor, int limit,
                     int suggest, json_t **result)
{
    const char *types[1] = {form->type};
    const char *kinds[1] = {form->kind};
    const char *lifecycles[1] = {form->lifecycle};
    gr_search_filter filters[2];
    gr_search_request request;

    memset(&request, 0, sizeof(request));
    request.term = form->text;
    request.types = types;
    request.type_count = form->type != NULL ? 1 : 0;
    request.filters = filters;
    if (form->kind != NULL)
        filters[request.filter_count++] = (gr_search_filter){"kind", kinds, 1};
    if (form->lifecycle != NULL)
        filters[request.filter_count++] = (gr_search_filter){"lifecycle", lifecycles, 1};
    request.page_cursor = cursor != NULL && cursor[0] != '\0' ? cursor : NULL;
    request.page_limit = limit;
    request.suggest = suggest;
    return gr_search_query(page->ui->search, &request, gr_req_identity(page->req), result);
}

int gr_ui__search_documents(gr_ui_page *page, const char *text)
{
    search_form form = {
        .text = text,
        .type = allowed_type(gr_req_query(page->req, "type")),
        .kind = allowed_value(gr_req_query(page->req, "kind"), known_kinds),
        .lifecycle = allowed_value(gr_req_query(page->req, "lifecycle"), known_lifecycles),
    };
    int searched = text[0] != '\0' || form.type != NULL || form.kind != NULL ||
                   form.lifecycle != NULL;
    json_t *result = NULL;
    json_t *documents = json_array();
    const json_t *item;
    const char *cursor;
    size_t i;
    int error;

    gr_ui__page_put(page, "filters",
                    json_pack("{s:o, s:o, s:o}", "types", type_options(form.type), "kinds",
                              value_options(known_kinds, form.kind), "lifecycles",
                              value_options(known_lifecycles, form.lifecycle)));
    if (!searched) {
        json_decref(documents);
        return 0;
    }
    error = run_query(page, &form, gr_req_query(page->req, "pageCursor"), UI_SEARCH_PAGE_SIZE, 0,
                      &result);
    if (error < 0) {
        json_decref(documents);
        return error;
    }
    json_array_foreach(json_object_get(result, "results"), i, item)
        json_array_append_new(documents, result_view(item));
    gr_ui__page_put(page, "documents", documents);
    gr_ui__page_put(page, "total", json_incref(json_object_get(result, "numberOfResults")));
    cursor = json_string_value(json_object_get(result, "nextPageCursor"));
    if (cursor != NULL)
        gr_ui__page_put(page, "next", page_link(&form, cursor));
    cursor = json_string_value(json_object_get(result, "previousPageCursor"));
    if (cursor != NULL)
        gr_ui__page_put(page, "prev", page_link(&form, cursor));
    json_decref(result);
    return 0;
}

int gr_ui__search_suggest(gr_ui_page *page, const char *text, json_t **out)
{
    search_form form = {.text = text};
    json_t *result = NULL;
    const json_t *item;
    size_t i;
    int error;

    *out = json_array();
    if (text[0] == '\0')
        return 0;
    if ((error = run_query(page, &form, NULL, SUGGEST_COUNT, 1, &result)) < 0) {
        json_decref(*out);
        *out = NULL;
        return error;
    }
    json_array_foreach(json_object_get(result, "results"), i, item)
    {
        const json_t *document = json_object_get(item, "document");
        const char *type = json_string_value(json_object_get(item, "type"));

        json_array_append_new(*out, json_pack("{s:o, s:s, s:o}", "title",
                                              document_string(document, "title"), "ref",
                                              type_label(type != NULL ? type : ""), "href",
                                              document_string(document, "location")));
    }
    json_decref(result);
    return 0;
}
