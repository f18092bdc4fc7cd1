/* SPDX-License-Identifier: MIT */
/* The entity page: header, banners, tabs, and the star, refresh and unregister actions. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/throttle.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"
#include "plugins/ui/view.h"

/* Reads the entity named by the route's :namespace, :kind and :name. */
static int load_entity(gr_ui_page *page, char **ref_out, json_t **entity_out)
{
    const char *namespace = gr_req_param(page->req, "namespace");
    const char *kind = gr_req_param(page->req, "kind");
    const char *name = gr_req_param(page->req, "name");
    char *ref = gr_arena_printf(page->arena, "%s:%s/%s", kind, namespace, name);
    int error;

    for (char *p = ref; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    /* An entity the caller may not read is "not found", as in the catalog API. */
    error = gr_catalog_permission_check(page->ui->db, page->ui->host->permissions,
                                        gr_req_identity(page->req), "catalog.entity.read",
                                        GR_CATALOG_BY_REF, ref, gr_req_path(page->req));
    if (error == 0)
        error = gr_ui_entity_get(page->ui, ref, entity_out);
    if (error == GR_ENOTFOUND) {
        /* The hint's lookup clears the last error, so the message is set after it. */
        gr_ui__put_unprocessed_hint(page, ref);
        return gr_error_set(GR_ENOTFOUND, "No entity named '%s' found", ref);
    }
    if (error < 0)
        return error;
    gr_arena_defer(page->arena, (void (*)(void *))json_decref, *entity_out);
    *ref_out = ref;
    return 0;
}

/* Whether the page may show an action that needs `permission` on entity `ref`.
 * The POST handlers check again, with an audit line when denied. */
static int can_change(gr_ui_page *page, const char *ref, const char *permission)
{
    json_t *access = NULL;
    int allowed;

    if (page->subject == NULL || page->ui->catalog == NULL)
        return 0;
    if (gr_catalog_access_get(page->ui->host->permissions, gr_req_identity(page->req),
                              permission, &access) < 0) {
        gr_error_clear();
        return 0;
    }
    allowed = access == NULL || gr_catalog_access_matches(page->ui->db, access,
                                                          GR_CATALOG_BY_REF, ref) == 1;
    json_decref(access);
    gr_error_clear();
    return allowed;
}

/* Checks `permission` on entity `ref` for a POST: 0, or GR_EDENIED (403) after an audit line. */
static int require_change(gr_ui_page *page, const char *ref, const char *permission)
{
    if (page->subject == NULL || page->ui->catalog == NULL)
        return gr_error_set(GR_EDENIED, "You may not change entities");
    return gr_catalog_permission_check(page->ui->db, page->ui->host->permissions,
                                       gr_req_identity(page->req), permission, GR_CATALOG_BY_REF,
                                       ref, gr_req_path(page->req));
}

static json_t *tabs_context(gr_ui_page *page, const json_t *entity, const char *href,
                            const gr_ui_tab **selected)
{
    const char *wanted = gr_req_query(page->req, "tab");
    json_t *tabs = json_array();

    *selected = NULL;
    for (size_t i = 0; i < page->ui->tab_count; i++) {
        const gr_ui_tab *tab = &page->ui->tabs[i];

        if (tab->applies != NULL && !tab->applies(entity, tab->payload))
            continue;
        if (*selected == NULL || (wanted != NULL && strcmp(wanted, tab->id) == 0))
            *selected = tab;
    }
    for (size_t i = 0; i < page->ui->tab_count; i++) {
        const gr_ui_tab *tab = &page->ui->tabs[i];

        if (tab->applies != NULL && !tab->applies(entity, tab->payload))
            continue;
        json_array_append_new(tabs, json_pack("{s:s, s:s, s:s, s:b}", "id", tab->id, "label",
                                              tab->label, "href",
                                              gr_arena_printf(page->arena, "%s?tab=%s", href,
                                                              tab->id),
                                              "current", tab == *selected));
    }
    return tabs;
}

/* Tells the reader when `?tab=` names no tab of this entity, so that the page shown instead
 * (the first tab) is not taken for the one requested. */
static void put_unknown_tab(gr_ui_page *page, const gr_ui_tab *fallback)
{
    const char *requested = gr_req_query(page->req, "tab");

    if (requested == NULL || strcmp(requested, fallback->id) == 0)
        return;
    gr_ui__page_put(page, "unknownTab",
                    json_pack("{s:s, s:s}", "requested", requested, "fallback", fallback->label));
}

static int unregister_plan(gr_ui_page *page, const char *ref, json_t **location);

/* Returns whether the Unregister action can succeed. Readonly mode rejects it for an entity
 * whose location a user registered, so the page does not offer it then. */
static bool unregister_possible(gr_ui_page *page, const char *ref)
{
    json_t *location = NULL;
    int error;

    if (page->ui->catalog == NULL || !gr_catalog_readonly(page->ui->catalog))
        return true;
    error = unregister_plan(page, ref, &location);
    json_decref(location);
    gr_error_clear();
    return error == 0;
}

static int entity_page(gr_ui_page *page, void *payload)
{
    const gr_ui_tab *tab = NULL;
    json_t *entity = NULL;
    json_t *view;
    char *ref = NULL;
    const char *href;
    json_t *body;
    int starred = 0;
    int error;

    (void)payload;
    if ((error = load_entity(page, &ref, &entity)) < 0)
        return error;
    view = gr_ui_entity_view(entity);
    gr_ui__page_put(page, "view", view);
    gr_ui__page_put(page, "entity", json_incref(entity));
    href = json_string_value(json_object_get(view, "href"));
    if (page->subject != NULL &&
        (error = gr_ui__star_get(page->ui, page->subject, ref, &starred)) < 0)
        return error;

    gr_ui__page_put(page, "entityHeader", json_incref(view));
    gr_ui__page_put(page, "starred", json_boolean(starred));
    gr_ui__page_put(page, "starIcon", json_string(gr_ui__icon("star")));
    gr_ui__page_put(page, "canRefresh",
                    json_boolean(can_change(page, ref, "catalog.entity.refresh")));
    gr_ui__page_put(page, "canUnregister",
                    json_boolean(can_change(page, ref, "catalog.entity.delete") &&
                                 unregister_possible(page, ref)));
    gr_ui__page_put(page, "tabs", tabs_context(page, entity, href, &tab));
    if (tab == NULL)
        return gr_error_set(GR_ENOTFOUND, "No tab applies to '%s'", ref);
    put_unknown_tab(page, tab);

    if ((error = tab->render(page, tab->payload)) < 0)
        return error;
    if ((error = gr_ui__page_fragment(page, tab->template_name, &body)) < 0)
        return error;
    gr_ui__page_put(page, "tabBody", body);

    gr_ui_page_crumb(page, "Catalog",
                     gr_arena_printf(page->arena, "/catalog?filters%%5Bkind%%5D=%.*s",
                                     (int)strcspn(ref, ":"), ref));
    gr_ui_page_crumb(page, json_string_value(json_object_get(view, "title")), NULL);
    return gr_ui_page_render(page, 200, "entity",
                             json_string_value(json_object_get(view, "title")));
}

static const char *return_path(gr_ui_page *page, const char *fallback)
{
    const char *back = gr_ui_page_form(page, "return");

    return back != NULL && back[0] == '/' ? back : fallback;
}

static const char *entity_path(gr_ui_page *page)
{
    char *href = gr_ui_entity_href(gr_arena_printf(page->arena, "%s:%s/%s",
                                                   gr_req_param(page->req, "kind"),
                                                   gr_req_param(page->req, "namespace"),
                                                   gr_req_param(page->req, "name")));
    const char *copy = gr_arena_strdup(page->arena, href != NULL ? href : "/catalog");

    free(href);
    return copy;
}

static int star_post(gr_ui_page *page, void *payload)
{
    const char *starred = gr_ui_page_form(page, "starred");
    json_t *entity = NULL;
    char *ref = NULL;
    int error;

    (void)payload;
    if ((error = gr_ui_page_check_post(page)) < 0)
        return error;
    if (page->subject == NULL)
        return gr_error_set(GR_EUNAUTH, "Sign in to star entities");
    if ((error = load_entity(page, &ref, &entity)) < 0)
        return error;
    if ((error = gr_ui__star_set(page->ui, page->subject, ref,
                                 starred == NULL || strcmp(starred, "0") != 0)) < 0)
        return error;
    return gr_ui_page_redirect(page, return_path(page, entity_path(page)));
}

static int refresh_post(gr_ui_page *page, void *payload)
{
    json_t *entity = NULL;
    char *ref = NULL;
    int error;

    (void)payload;
    if ((error = gr_ui_page_check_post(page)) < 0)
        return error;
    if ((error = load_entity(page, &ref, &entity)) < 0 ||
        (error = require_change(page, ref, "catalog.entity.refresh")) < 0)
        return error;
    if (gr_http_rate_limit(page->req, GR_RATE_EXPENSIVE, page->subject) < 0)
        return gr_ui__page_error_status(page, 429);
    if ((error = gr_catalog_refresh_as(page->ui->catalog, ref, page->subject)) < 0)
        return error;
    gr_log_fields(GR_LOG_INFO, "ui", "refresh requested", "entity", ref, "subject",
                  page->subject, NULL);
    return gr_ui_page_redirect(page, entity_path(page));
}

/* Unregistering removes the user location the entity came from, with every
 * entity it emits, as Backstage does; an entity from the config or an
 * orphan is deleted alone (it comes back if a location still emits it). */
static int unregister_plan(gr_ui_page *page, const char *ref, json_t **location)
{
    int error = gr_catalog_location_by_entity(page->ui->catalog, ref, location);
    const char *origin;

    if (error == GR_ENOTFOUND) {
        gr_error_clear();
        *location = NULL;
        return 0;
    }
    if (error < 0)
        return error;
    origin = json_string_value(json_object_get(*location, "origin"));
    if (origin == NULL || strcmp(origin, "user") != 0) {
        json_decref(*location);
        *location = NULL;
        return 0;
    }
    /* Removing a location is what DELETE /api/catalog/locations/:id rejects in readonly mode. */
    if ((error = gr_ui__reject_readonly(page)) < 0) {
        json_decref(*location);
        *location = NULL;
    }
    return error;
}

static int unregister_page(gr_ui_page *page, void *payload)
{
    json_t *entity = NULL;
    json_t *location = NULL;
    json_t *view;
    char *ref = NULL;
    int error;

    (void)payload;
    if ((error = load_entity(page, &ref, &entity)) < 0 ||
        (error = require_change(page, ref, "catalog.entity.delete")) < 0 ||
        (error = unregister_plan(page, ref, &location)) < 0)
        return error;
    view = gr_ui_entity_view(entity);
    gr_ui__page_put(page, "view", view);
    gr_ui__page_put(page, "location", location);
    gr_ui_page_crumb(page, "Catalog", "/catalog");
    gr_ui_page_crumb(page, json_string_value(json_object_get(view, "title")),
                     json_string_value(json_object_get(view, "href")));
    return gr_ui_page_render(page, 200, "unregister", "Unregister entity");
}

static int unregister_post(gr_ui_page *page, void *payload)
{
    json_t *entity = NULL;
    json_t *location = NULL;
    char *ref = NULL;
    const char *uid;
    int error;

    (void)payload;
    if ((error = gr_ui_page_check_post(page)) < 0)
        return error;
    if ((error = load_entity(page, &ref, &entity)) < 0 ||
        (error = require_change(page, ref, "catalog.entity.delete")) < 0 ||
        (error = unregister_plan(page, ref, &location)) < 0)
        return error;

    if (location != NULL) {
        const char *id = json_string_value(json_object_get(location, "id"));

        /* Removing the location takes its other entities too, as
         * DELETE /api/catalog/locations/:id does. */
        error = gr_catalog_permission_require(page->ui->host->permissions,
                                              gr_req_identity(page->req),
                                              "catalog.location.delete", gr_req_path(page->req));
        if (error < 0) {
            json_decref(location);
            return error;
        }

        error = gr_catalog_remove_location(page->ui->catalog, id);
        gr_log_fields(GR_LOG_INFO, "ui", "location unregistered", "location", id, "entity", ref,
                      "subject", page->subject, NULL);
        json_decref(location);
    } else {
        uid = json_string_value(json_object_get(json_object_get(entity, "metadata"), "uid"));
        if (uid == NULL)
            return gr_error_set(GR_EINVALID, "Entity '%s' has no uid", ref);
        error = gr_catalog_delete_entity_as(page->ui->catalog, uid, page->subject);
        gr_log_fields(GR_LOG_INFO, "ui", "entity deleted", "entity", ref, "subject",
                      page->subject, NULL);
    }
    if (error < 0)
        return error;
    return gr_ui_page_redirect(page, "/catalog");
}

/*
 * Sub-paths of the entity pages in the EntityPage.tsx of Backstage's
 * create-app template, and the greenroom tab with the same content. A NULL
 * tab is the overview, which also shows the provided, consumed and
 * depended-on entities of a component (Backstage's /api and /dependencies).
 */
static const struct {
    const char *section;
    const char *tab;
} backstage_sections[] = {
    {"docs", "docs"}, {"definition", "api"},  {"diagram", "diagram"},
    {"api", NULL},    {"dependencies", NULL}, {"ci-cd", NULL},
};

/* Redirects a Backstage entity sub-path, such as /catalog/default/component/x/docs, to the
 * matching tab of the entity page. Other sub-paths are not found. */
static int section_redirect(gr_ui_page *page, void *payload)
{
    const char *section = gr_req_param(page->req, "section");
    const char *path = entity_path(page);

    (void)payload;
    for (size_t i = 0; i < sizeof(backstage_sections) / sizeof(backstage_sections[0]); i++) {
        const char *tab = backstage_sections[i].tab;

        if (strcmp(section, backstage_sections[i].section) != 0)
            continue;
        /* A bookmark moved, so 302, not the 303 that gr_ui_page_redirect() sends after a
         * form. entity_path() is always a local path. */
        if (tab == NULL)
            return gr_res_redirect(page->res, 302, path);
        return gr_res_redirect(page->res, 302,
                               gr_arena_printf(page->arena, "%s?tab=%s", path, tab));
    }
    return gr_error_set(GR_ENOTFOUND, "No page '%s' for an entity. Open %s and choose a tab",
                        section, path);
}

int gr_ui__entity_init(gr_ui *ui)
{
    static const struct {
        const char *method;
        const char *pattern;
        gr_ui_page_fn fn;
    } routes[] = {
        {"GET", "/catalog/:namespace/:kind/:name", entity_page},
        {"POST", "/catalog/:namespace/:kind/:name/star", star_post},
        {"POST", "/catalog/:namespace/:kind/:name/refresh", refresh_post},
        {"GET", "/catalog/:namespace/:kind/:name/unregister", unregister_page},
        {"POST", "/catalog/:namespace/:kind/:name/unregister", unregister_post},
        {"GET", "/catalog/:namespace/:kind/:name/:section", section_redirect},
    };
    int error;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if ((error = gr_ui_page_add(ui, routes[i].method, routes[i].pattern, routes[i].fn,
                                    NULL)) < 0)
            return error;
    }
    return gr_ui__entity_tabs_init(ui);
}
