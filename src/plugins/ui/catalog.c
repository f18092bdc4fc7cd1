/* SPDX-License-Identifier: MIT */
/* The catalog index: a table per kind with filters, counts, sorting and keyset paging. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"
#include "plugins/ui/view.h"

/* The filters use Backstage's query parameter names, so links into a
 * Backstage catalog keep working: filters[kind]=component&filters[user]=all... */
typedef struct {
    const char *kind; /* lower case; "all" for every kind */
    const char *user; /* "all", "owned" or "starred" */
    const char *text;
    const char **types;
    size_t type_count;
    const char **owners;
    size_t owner_count;
    const char **lifecycles;
    size_t lifecycle_count;
    const char **tags;
    size_t tag_count;
    const char **namespaces;
    size_t namespace_count;
    const char *sort;
    const char *order;
} catalog_state;

/** Columns shown for a kind. */
typedef struct {
    const char *kind;
    int system, owner, type, lifecycle, tags, kind_column;
} catalog_columns;

static const catalog_columns columns_by_kind[] = {
    {"component", 1, 1, 1, 1, 1, 0}, {"api", 1, 1, 1, 1, 1, 0},
    {"resource", 1, 1, 1, 0, 1, 0},  {"system", 0, 1, 0, 0, 1, 0},
    {"domain", 0, 1, 0, 0, 1, 0},    {"group", 0, 0, 1, 0, 0, 0},
    {"user", 0, 0, 0, 0, 0, 0},      {"template", 0, 1, 1, 0, 1, 0},
    {"location", 0, 0, 1, 0, 0, 0},
};

static const catalog_columns default_columns = {"all", 1, 1, 1, 1, 1, 1};

static const char *lower_arena(gr_arena *arena, const char *text)
{
    char *copy = gr_arena_strdup(arena, text);

    for (char *p = copy; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return copy;
}

static const char *query_or(gr_request *req, const char *name, const char *fallback)
{
    const char *value = gr_req_query(req, name);

    return value != NULL && value[0] != '\0' ? value : fallback;
}

static void state_read(gr_ui_page *page, catalog_state *state, const char *default_kind)
{
    gr_request *req = page->req;

    memset(state, 0, sizeof(*state));
    state->kind = lower_arena(page->arena, query_or(req, "filters[kind]", default_kind));
    state->user = query_or(req, "filters[user]", "all");
    if (strcmp(state->user, "owned") != 0 && strcmp(state->user, "starred") != 0)
        state->user = "all";
    state->text = query_or(req, "filters[text]", NULL);
    state->types = gr_req_query_all(req, "filters[type]", &state->type_count);
    state->owners = gr_req_query_all(req, "filters[owners]", &state->owner_count);
    state->lifecycles = gr_req_query_all(req, "filters[lifecycles]", &state->lifecycle_count);
    state->tags = gr_req_query_all(req, "filters[tags]", &state->tag_count);
    state->namespaces = gr_req_query_all(req, "filters[namespace]", &state->namespace_count);
    state->sort = query_or(req, "sort", "name");
    state->order = strcmp(query_or(req, "order", "asc"), "desc") == 0 ? "desc" : "asc";
}

static void put_param(gr_buf *out, const char *name, const char *value)
{
    if (value == NULL)
        return;
    gr_buf_putc(out, out->len == 0 ? '?' : '&');
    gr_template_put_uri(out, name);
    gr_buf_putc(out, '=');
    gr_template_put_uri(out, value);
}

static void put_params(gr_buf *out, const char *name, const char **values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        put_param(out, name, values[i]);
}

/* Writes the query string of `state` with a sort and a cursor. */
static char *state_url(gr_ui_page *page, const char *base, const catalog_state *state,
                       const char *sort, const char *order, const char *cursor_name,
                       const char *cursor)
{
    gr_buf query = GR_BUF_INIT;
    char *url;

    put_param(&query, "filters[kind]", state->kind);
    put_param(&query, "filters[user]", state->user);
    put_param(&query, "filters[text]", state->text);
    put_params(&query, "filters[type]", state->types, state->type_count);
    put_params(&query, "filters[owners]", state->owners, state->owner_count);
    put_params(&query, "filters[lifecycles]", state->lifecycles, state->lifecycle_count);
    put_params(&query, "filters[tags]", state->tags, state->tag_count);
    put_params(&query, "filters[namespace]", state->namespaces, state->namespace_count);
    put_param(&query, "sort", sort);
    put_param(&query, "order", order);
    if (cursor != NULL)
        put_param(&query, cursor_name, cursor);
    url = gr_arena_printf(page->arena, "%s%s", base, gr_buf_cstr(&query));
    gr_buf_free(&query);
    return url;
}

static int contains(const char **values, size_t count, const char *value)
{
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(values[i], value) == 0)
            return 1;
    }
    return 0;
}

/* Marks the selected values of one facet, keeping selected values that no
 * entity has any more so they can be unchecked. */
static json_t *facet_options(const json_t *facet, const char **selected, size_t count,
                             const char *default_kind)
{
    json_t *options = json_array();
    json_t *item;
    size_t i;

    json_array_foreach(facet, i, item)
    {
        const char *value = json_string_value(json_object_get(item, "value"));
        const char *label = json_string_value(json_object_get(item, "label"));
        json_t *option = json_deep_copy(item);

        if (default_kind != NULL) {
            json_t *ref = gr_ui_ref_view(label, default_kind);

            if (ref != NULL)
                json_object_set(option, "label", json_object_get(ref, "label"));
            json_decref(ref);
        }
        json_object_set_new(option, "checked", json_boolean(contains(selected, count, value)));
        json_array_append_new(options, option);
    }
    return options;
}

/*
 * Returns the options of the kind filter: all kinds, then each kind of the
 * facets. A selected kind without entities, such as the default kind on an
 * empty catalog, is added with count 0, so that the select shows the kind
 * that filters the table and its caption.
 */
static json_t *kind_options(gr_ui_page *page, const json_t *kinds, const char *selected)
{
    json_t *options = json_array();
    json_int_t total = 0;
    int found = strcmp(selected, "all") == 0;
    json_t *item;
    size_t i;

    json_array_foreach(kinds, i, item)
        total += json_integer_value(json_object_get(item, "count"));
    json_array_append_new(options, json_pack("{s:s, s:s, s:I, s:b}", "value", "all", "label",
                                             "All kinds", "count", total, "checked",
                                             strcmp(selected, "all") == 0));
    json_array_foreach(kinds, i, item)
    {
        const char *value = json_string_value(json_object_get(item, "value"));
        const char *label = json_string_value(json_object_get(item, "label"));

        json_array_append_new(options,
                              json_pack("{s:s, s:s, s:O, s:b}", "value", value, "label", label,
                                        "count", json_object_get(item, "count"), "checked",
                                        strcmp(selected, value) == 0));
        found = found || strcmp(selected, value) == 0;
    }
    if (!found) {
        char *label = gr_arena_strdup(page->arena, selected);

        label[0] = (char)toupper((unsigned char)label[0]);
        json_array_append_new(options, json_pack("{s:s, s:s, s:i, s:b}", "value", selected,
                                                 "label", label, "count", 0, "checked", 1));
    }
    return options;
}

static const catalog_columns *columns_for(const char *kind)
{
    for (size_t i = 0; i < sizeof(columns_by_kind) / sizeof(columns_by_kind[0]); i++) {
        if (strcmp(columns_by_kind[i].kind, kind) == 0)
            return &columns_by_kind[i];
    }
    return &default_columns;
}

static json_t *sort_links(gr_ui_page *page, const char *base, const catalog_state *state)
{
    static const char *const keys[] = {"name", "system", "owner", "type", "lifecycle"};
    json_t *links = json_object();

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        int active = strcmp(state->sort, keys[i]) == 0;
        const char *order = active && strcmp(state->order, "asc") == 0 ? "desc" : "asc";
        const char *aria = !active ? "none" : strcmp(state->order, "asc") == 0 ? "ascending"
                                                                                : "descending";

        json_object_set_new(links, keys[i],
                            json_pack("{s:s, s:s}", "href",
                                      state_url(page, base, state, keys[i], order, NULL, NULL),
                                      "aria", aria));
    }
    return links;
}

static void query_from_state(gr_ui_page *page, const catalog_state *state, json_t *ownership,
                             gr_ui_list_query *query)
{
    memset(query, 0, sizeof(*query));
    query->kind = strcmp(state->kind, "all") == 0 ? NULL : state->kind;
    query->types = state->types;
    query->type_count = state->type_count;
    query->owners = state->owners;
    query->owner_count = state->owner_count;
    query->lifecycles = state->lifecycles;
    query->lifecycle_count = state->lifecycle_count;
    query->tags = state->tags;
    query->tag_count = state->tag_count;
    query->namespaces = state->namespaces;
    query->namespace_count = state->namespace_count;
    query->text = state->text;
    query->sort = state->sort;
    query->descending = strcmp(state->order, "desc") == 0;
    query->after = gr_req_query(page->req, "after");
    query->before = gr_req_query(page->req, "before");
    query->limit = (int)strtol(query_or(page->req, "limit", "0"), NULL, 10);

    if (strcmp(state->user, "owned") == 0) {
        const char **refs = gr_arena_calloc(page->arena, (json_array_size(ownership) + 1) * sizeof(char *));

        for (size_t i = 0; i < json_array_size(ownership); i++)
            refs[i] = gr_arena_strdup(page->arena,
                                      json_string_value(json_array_get(ownership, i)));
        query->owned_by = refs;
        query->owned_by_count = json_array_size(ownership);
        query->owned_only = 1;
    }
    if (strcmp(state->user, "starred") == 0)
        query->starred_by = page->subject != NULL ? page->subject : "";
}

static json_t *rows_of(const json_t *entities)
{
    json_t *rows = json_array();
    json_t *entity;
    size_t i;

    json_array_foreach(entities, i, entity)
        json_array_append_new(rows, gr_ui_entity_view(entity));
    return rows;
}

static void put_filters(gr_ui_page *page, const catalog_state *state, const json_t *facets)
{
    json_t *filters = json_object();

    json_object_set_new(filters, "kinds", kind_options(page, json_object_get(facets, "kinds"),
                                                       state->kind));
    json_object_set_new(filters, "types", facet_options(json_object_get(facets, "type"),
                                                        state->types, state->type_count, NULL));
    json_object_set_new(filters, "owners",
                        facet_options(json_object_get(facets, "owner"), state->owners,
                                      state->owner_count, "group"));
    json_object_set_new(filters, "lifecycles",
                        facet_options(json_object_get(facets, "lifecycle"), state->lifecycles,
                                      state->lifecycle_count, NULL));
    json_object_set_new(filters, "tags", facet_options(json_object_get(facets, "tag"),
                                                       state->tags, state->tag_count, NULL));
    json_object_set_new(filters, "namespaces",
                        facet_options(json_object_get(facets, "namespace"), state->namespaces,
                                      state->namespace_count, NULL));
    json_object_set_new(filters, "text", json_string(state->text != NULL ? state->text : ""));
    json_object_set_new(filters, "user",
                        json_pack("{s:b, s:b, s:b}", "all", strcmp(state->user, "all") == 0,
                                  "owned", strcmp(state->user, "owned") == 0, "starred",
                                  strcmp(state->user, "starred") == 0));
    gr_ui__page_put(page, "filters", filters);
}

static void put_table(gr_ui_page *page, const char *base, const catalog_state *state,
                      const gr_ui_list_page *list)
{
    const catalog_columns *columns = columns_for(state->kind);
    json_t *table = json_object();

    json_object_set_new(table, "rows", rows_of(list->entities));
    json_object_set_new(table, "total", json_integer(list->total));
    json_object_set_new(table, "noun", json_string(list->total == 1 ? "entity" : "entities"));
    json_object_set_new(table, "columns",
                        json_pack("{s:b, s:b, s:b, s:b, s:b, s:b}", "system", columns->system,
                                  "owner", columns->owner, "type", columns->type, "lifecycle",
                                  columns->lifecycle, "tags", columns->tags, "kind",
                                  columns->kind_column));
    json_object_set_new(table, "sort", sort_links(page, base, state));
    if (list->next != NULL)
        json_object_set_new(table, "next",
                            json_string(state_url(page, base, state, state->sort, state->order,
                                                  "after", list->next)));
    if (list->prev != NULL)
        json_object_set_new(table, "prev",
                            json_string(state_url(page, base, state, state->sort, state->order,
                                                  "before", list->prev)));
    gr_ui__page_put(page, "table", table);
}

/* Renders a filtered table of entities at `base` ("/catalog", "/api-docs"). */
int gr_ui__catalog_table(gr_ui_page *page, const char *base, const char *default_kind,
                         const char *annotation, const char *template_name, const char *title)
{
    catalog_state state;
    gr_ui_list_query query;
    gr_ui_list_page list;
    json_t *facets = NULL;
    json_t *ownership = NULL;
    int error;

    state_read(page, &state, default_kind);
    if (page->user_ref != NULL)
        ownership = gr_ui_page_ownership(page);
    query_from_state(page, &state, ownership, &query);
    query.annotation = annotation;
    query.access = gr_ui_read_access(page);

    error = gr_ui_facets(page->ui, query.kind, query.access, &facets);
    if (error == 0 && (error = gr_ui_entity_list(page->ui, &query, &list)) == 0) {
        put_filters(page, &state, facets);
        put_table(page, base, &state, &list);
        gr_ui__page_put(page, "kind", json_string(state.kind));
        /* The caption names the selected kind, and no kind for "all". */
        gr_ui__page_put(page, "kindCaption",
                        strcmp(state.kind, "all") == 0 ? json_null() : json_string(state.kind));
        gr_ui__page_put(page, "base", json_string(base));
        gr_ui_list_page_free(&list);
        error = gr_ui_page_render(page, 200, template_name, title);
    }
    json_decref(facets);
    json_decref(ownership);
    return error;
}

static int catalog_page(gr_ui_page *page, void *payload)
{
    (void)payload;
    gr_ui_page_crumb(page, "Home", "/");
    gr_ui_page_crumb(page, "Catalog", NULL);
    gr_ui__put_failed_notice(page);
    return gr_ui__catalog_table(page, "/catalog", "component", NULL, "catalog",
                                "Software Catalog");
}

/* Type-ahead for the header search box, as JSON [{title, ref, href}]: the
 * search plugin's first results, whose words match as prefixes, or without
 * it up to 8 entities whose name, title or description contains the text. */
static int suggest(gr_ui_page *page, void *payload)
{
    const char *text = gr_req_query(page->req, "q");
    gr_ui_list_query query;
    gr_ui_list_page list;
    json_t *items = NULL;
    json_t *entity;
    size_t i;
    int error;

    (void)payload;
    if (page->ui->search != NULL) {
        if ((error = gr_ui__search_suggest(page, text != NULL ? text : "", &items)) < 0)
            return error;
        gr_res_header(page->res, "Cache-Control", "private, max-age=30");
        return gr_res_json(page->res, 200, items);
    }
    items = json_array();
    memset(&query, 0, sizeof(query));
    query.text = text != NULL ? text : "";
    query.limit = 8;
    query.access = gr_ui_read_access(page);
    if ((error = gr_ui_entity_list(page->ui, &query, &list)) < 0) {
        json_decref(items);
        return error;
    }
    json_array_foreach(list.entities, i, entity)
    {
        json_t *view = gr_ui_entity_view(entity);

        json_array_append_new(items, json_pack("{s:O, s:O, s:O}", "title",
                                               json_object_get(view, "title"), "ref",
                                               json_object_get(view, "ref"), "href",
                                               json_object_get(view, "href")));
        json_decref(view);
    }
    gr_ui_list_page_free(&list);
    gr_res_header(page->res, "Cache-Control", "private, max-age=30");
    return gr_res_json(page->res, 200, items);
}

int gr_ui__catalog_init(gr_ui *ui)
{
    int error;

    if ((error = gr_ui_page_add(ui, "GET", "/catalog", catalog_page, NULL)) < 0)
        return error;
    return gr_ui_page_add(ui, "GET", "/catalog-suggest", suggest, NULL);
}
