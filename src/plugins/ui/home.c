/* SPDX-License-Identifier: MIT */
/* The home page: starred entities, what the caller's groups own, recent changes, entry points. */
#include "host/common/error.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"
#include "plugins/ui/view.h"

/** Entities listed in each card of the home page. */
#define HOME_CARD_ROWS 10

static json_t *views_of(const json_t *entities)
{
    json_t *views = json_array();
    json_t *entity;
    size_t i;

    json_array_foreach(entities, i, entity)
        json_array_append_new(views, gr_ui_entity_view(entity));
    return views;
}

static int owned_entities(gr_ui_page *page, json_t **out)
{
    json_t *refs = gr_ui_page_ownership(page);
    const char **owners = gr_arena_calloc(page->arena, (json_array_size(refs) + 1) * sizeof(char *));
    gr_ui_list_query query = {0};
    gr_ui_list_page list;
    int error;

    for (size_t i = 0; i < json_array_size(refs); i++)
        owners[i] = gr_arena_strdup(page->arena, json_string_value(json_array_get(refs, i)));
    query.owned_by = owners;
    query.owned_by_count = json_array_size(refs);
    query.owned_only = 1;
    query.limit = HOME_CARD_ROWS;
    query.access = gr_ui_read_access(page);
    error = gr_ui_entity_list(page->ui, &query, &list);
    json_decref(refs);
    if (error < 0)
        return error;
    *out = json_pack("{s:o, s:I}", "items", views_of(list.entities), "total",
                     (json_int_t)list.total);
    gr_ui_list_page_free(&list);
    return 0;
}

static int home_page(gr_ui_page *page, void *payload)
{
    json_t *stars = NULL;
    json_t *recent = NULL;
    json_t *owned = NULL;
    int error;

    (void)payload;
    if ((error = gr_ui__starred_views(page, &stars)) < 0)
        goto done;
    if ((error = gr_ui_recent_entities(page->ui, HOME_CARD_ROWS, gr_ui_read_access(page),
                                       &recent)) < 0)
        goto done;
    if (page->user_ref != NULL && (error = owned_entities(page, &owned)) < 0)
        goto done;

    gr_ui__page_put(page, "stars", json_incref(stars));
    gr_ui__page_put(page, "recent", views_of(recent));
    gr_ui__page_put(page, "owned", json_incref(owned));
    gr_ui__page_put(page, "subtitle", json_string(json_string_value(json_object_get(
                                          json_object_get(page->context, "app"),
                                          "organization"))));
    error = gr_ui_page_render(page, 200, "home", "Home");

done:
    json_decref(stars);
    json_decref(recent);
    json_decref(owned);
    return error;
}

int gr_ui__home_init(gr_ui *ui)
{
    return gr_ui_page_add(ui, "GET", "/", home_page, NULL);
}
