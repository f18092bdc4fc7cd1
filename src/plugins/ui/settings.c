/* SPDX-License-Identifier: MIT */
/* The settings page: theme, identity and ownership, starred entities. */
#include <stdbool.h>
#include <string.h>

#include "host/common/error.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"
#include "plugins/ui/view.h"

/* Loads the caller's starred entities as views; stars of deleted entities
 * keep a plain entry so they can still be removed. */
int gr_ui__starred_views(gr_ui_page *page, json_t **out)
{
    json_t *refs = NULL;
    json_t *by_ref = NULL;
    json_t *views = json_array();
    int error;

    *out = views;
    if (page->subject == NULL)
        return 0;
    if ((error = gr_ui__stars_list(page->ui, page->subject, &refs)) < 0 ||
        (error = gr_ui_entities_get(page->ui, refs, gr_ui_read_access(page), &by_ref)) < 0)
        goto done;
    for (size_t i = 0; i < json_array_size(refs); i++) {
        const char *ref = json_string_value(json_array_get(refs, i));
        json_t *entity = json_object_get(by_ref, ref);
        json_t *view = entity != NULL ? gr_ui_entity_view(entity) : gr_ui_ref_view(ref, NULL);

        if (view != NULL)
            json_array_append_new(views, view);
    }

done:
    json_decref(refs);
    json_decref(by_ref);
    return error;
}

static bool entity_exists(gr_ui_page *page, const char *ref)
{
    json_t *entity = NULL;
    bool exists = gr_ui_entity_get(page->ui, ref, &entity) == 0;

    json_decref(entity);
    gr_error_clear();
    return exists;
}

static int settings_page(gr_ui_page *page, void *payload)
{
    json_t *stars = NULL;
    json_t *ownership = json_array();
    const char *theme = json_string_value(json_object_get(page->context, "theme"));
    int error;

    (void)payload;
    if ((error = gr_ui__starred_views(page, &stars)) < 0) {
        json_decref(stars);
        json_decref(ownership);
        return error;
    }
    /* Refs without an entity (the guest's own, or a proxy user the catalog lacks) are left
     * out, because a link to them would lead to a missing page. */
    if (page->user_ref != NULL) {
        json_t *refs = gr_ui_page_ownership(page);

        for (size_t i = 0; i < json_array_size(refs); i++) {
            const char *ref = json_string_value(json_array_get(refs, i));
            json_t *view = entity_exists(page, ref) ? gr_ui_ref_view(ref, NULL) : NULL;

            if (view != NULL)
                json_array_append_new(ownership, view);
        }
        json_decref(refs);
    }
    gr_ui__page_put(page, "stars", stars);
    gr_ui__page_put(page, "ownership", ownership);
    gr_ui__page_put(page, "themes",
                    json_pack("[{s:s,s:s,s:b},{s:s,s:s,s:b},{s:s,s:s,s:b}]", "value", "auto",
                              "label", "Same as the browser", "checked",
                              strcmp(theme, "auto") == 0, "value", "light", "label", "Light",
                              "checked", strcmp(theme, "light") == 0, "value", "dark", "label",
                              "Dark", "checked", strcmp(theme, "dark") == 0));
    gr_ui_page_crumb(page, "Home", "/");
    gr_ui_page_crumb(page, "Settings", NULL);
    return gr_ui_page_render(page, 200, "settings", "Settings");
}

static int theme_post(gr_ui_page *page, void *payload)
{
    const char *theme = gr_ui_page_form(page, "theme");
    const char *back = gr_ui_page_form(page, "return");
    const char *current = json_string_value(json_object_get(page->context, "theme"));
    int error;

    (void)payload;
    if ((error = gr_ui_page_check_post(page)) < 0)
        return error;
    if (theme != NULL && strcmp(theme, "toggle") == 0)
        theme = strcmp(current, "dark") == 0 ? "light" : "dark";
    if (theme == NULL ||
        (strcmp(theme, "auto") != 0 && strcmp(theme, "light") != 0 && strcmp(theme, "dark") != 0))
        return gr_error_set(GR_EINVALID, "Unknown theme; choose auto, light or dark");

    gr_res_header_add(page->res, "Set-Cookie",
                      gr_arena_printf(page->arena,
                                      "gr_theme=%s; Path=/; Max-Age=31536000; SameSite=Lax",
                                      theme));
    return gr_ui_page_redirect(page, back != NULL ? back : "/settings");
}

int gr_ui__settings_init(gr_ui *ui)
{
    int error;

    if ((error = gr_ui_page_add(ui, "GET", "/settings", settings_page, NULL)) < 0)
        return error;
    return gr_ui_page_add(ui, "POST", "/settings/theme", theme_post, NULL);
}
