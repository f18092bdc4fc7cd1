/* SPDX-License-Identifier: MIT */
/* The web UI plugin: configuration, start-up, and registries of sidebar, pages, tabs and cards. */
#include "plugins/ui/ui.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/plugin/plugin.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/search/plugin.h"
#include "plugins/ui/ui_internal.h"

static const char *const theme_modes[] = {"auto", "light", "dark", NULL};

/* The UI's keys at the top level of app-config.yaml: the info's top_config_keys. */
static const gr_plugin_config_key config_keys[] = {
    {
        .path = "app.theme.dir",
        .types = GR_PLUGIN_CONFIG_STRING,
        .description = "Folder with files that replace the built-in look: `<name>.html` "
                       "replaces the page template of that name, `style.css` the stylesheet, "
                       "and `logo.svg` or `logo.png` the logo. Relative to the working "
                       "directory. Read once at start.",
    },
    {
        .path = "app.theme.default",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"auto\"",
        .allowed = theme_modes,
        .description = "Theme for users who have not chosen one in Settings: `auto` follows "
                       "the browser's preference (prefers-color-scheme).",
    },
    {.path = NULL},
};

static const gr_ui_nav_entry default_nav[] = {
    {"Home", "/", "home", 10},
    {"Catalog", "/catalog", "catalog", 20},
    {"APIs", "/api-docs", "api", 30},
    {"Docs", "/docs", "docs", 40},
    {"Create", "/create", "create", 50},
    {"Search", "/search", "search", 60},
    {"Settings", "/settings", "settings", 1000},
};

static int nav_compare(const void *a, const void *b)
{
    const gr_ui_nav_entry *x = a;
    const gr_ui_nav_entry *y = b;

    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->label, y->label);
}

int gr_ui_nav_add(gr_ui *ui, const gr_ui_nav_entry *entry)
{
    gr_ui_nav_entry *copy;

    if (entry->label == NULL || entry->path == NULL || entry->path[0] != '/')
        return gr_error_set(GR_EINVALID, "a sidebar entry needs a label and a path starting "
                                         "with '/'");
    if (ui->nav_count == GR_UI_MAX_NAV)
        return gr_error_set(GR_ELIMIT, "more than %d sidebar entries", GR_UI_MAX_NAV);

    copy = &ui->nav[ui->nav_count++];
    copy->label = gr_xstrdup(entry->label);
    copy->path = gr_xstrdup(entry->path);
    copy->icon = gr_xstrdup(entry->icon != NULL ? entry->icon : "");
    copy->order = entry->order;
    qsort(ui->nav, ui->nav_count, sizeof(ui->nav[0]), nav_compare);
    return 0;
}

static int tab_compare(const void *a, const void *b)
{
    const gr_ui_tab *x = a;
    const gr_ui_tab *y = b;

    return x->order != y->order ? (x->order < y->order ? -1 : 1) : strcmp(x->id, y->id);
}

int gr_ui_tab_add(gr_ui *ui, const gr_ui_tab *tab)
{
    gr_ui_tab *copy;

    if (tab->id == NULL || tab->label == NULL || tab->template_name == NULL ||
        tab->render == NULL)
        return gr_error_set(GR_EINVALID, "an entity tab needs an id, a label, a template and "
                                         "a render function");
    if (ui->tab_count == GR_UI_MAX_TABS)
        return gr_error_set(GR_ELIMIT, "more than %d entity tabs", GR_UI_MAX_TABS);

    copy = &ui->tabs[ui->tab_count++];
    *copy = *tab;
    copy->id = gr_xstrdup(tab->id);
    copy->label = gr_xstrdup(tab->label);
    copy->template_name = gr_xstrdup(tab->template_name);
    qsort(ui->tabs, ui->tab_count, sizeof(ui->tabs[0]), tab_compare);
    return 0;
}

static int card_compare(const void *a, const void *b)
{
    const gr_ui_card *x = a;
    const gr_ui_card *y = b;

    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->id, y->id);
}

int gr_ui_card_add(gr_ui *ui, const gr_ui_card *card)
{
    gr_ui_card *copy;

    if (card->id == NULL || card->label == NULL || card->render == NULL)
        return gr_error_set(GR_EINVALID, "an overview card needs an id, a label and a render "
                                         "function");
    for (size_t i = 0; i < ui->card_count; i++) {
        if (strcmp(ui->cards[i].id, card->id) == 0)
            return gr_error_set(GR_ECONFLICT, "the overview card '%s' is registered twice",
                                card->id);
    }
    if (ui->card_count == GR_UI_MAX_CARDS)
        return gr_error_set(GR_ELIMIT, "more than %d overview cards", GR_UI_MAX_CARDS);

    copy = &ui->cards[ui->card_count++];
    *copy = *card;
    copy->id = gr_xstrdup(card->id);
    copy->label = gr_xstrdup(card->label);
    qsort(ui->cards, ui->card_count, sizeof(ui->cards[0]), card_compare);
    return 0;
}

static int ui_route_handler(gr_request *req, gr_response *res, void *payload)
{
    ui_route *route = payload;
    gr_ui_page page;
    int error;

    if ((error = gr_ui__page_begin(route->ui, req, res, &page)) < 0)
        return error;
    /* Pages read form fields without checks, so a field that is no text stops here. */
    if ((error = gr_ui__check_form(page.arena, gr_req_header(req, "Content-Type"),
                                   gr_req_body(req, NULL))) < 0 ||
        (error = route->fn(&page, route->payload)) < 0)
        return gr_ui__page_error(&page, error);
    return 0;
}

int gr_ui_page_add(gr_ui *ui, const char *method, const char *pattern, gr_ui_page_fn fn,
                   void *payload)
{
    ui_route *route;
    int error;

    if (ui->route_count == sizeof(ui->routes) / sizeof(ui->routes[0]))
        return gr_error_set(GR_ELIMIT, "too many UI pages (maximum %zu)",
                            sizeof(ui->routes) / sizeof(ui->routes[0]));
    route = gr_xcalloc(1, sizeof(*route));
    route->ui = ui;
    route->fn = fn;
    route->payload = payload;
    if ((error = gr_http_route(ui->host->http, method, pattern, 0, ui_route_handler, route)) < 0) {
        free(route);
        return error;
    }
    ui->routes[ui->route_count++] = route;
    return 0;
}

static void ui_destroy(void *state)
{
    gr_ui *ui = state;

    if (ui == NULL)
        return;
    gr_ui__theme_free(ui);
    gr_ui__graph_release();
    gr_catalog_free(ui->catalog);
    for (size_t i = 0; i < ui->nav_count; i++) {
        free((char *)ui->nav[i].label);
        free((char *)ui->nav[i].path);
        free((char *)ui->nav[i].icon);
    }
    for (size_t i = 0; i < ui->tab_count; i++) {
        free((char *)ui->tabs[i].id);
        free((char *)ui->tabs[i].label);
        free((char *)ui->tabs[i].template_name);
    }
    for (size_t i = 0; i < ui->card_count; i++) {
        free((char *)ui->cards[i].id);
        free((char *)ui->cards[i].label);
    }
    for (size_t i = 0; i < ui->route_count; i++)
        free(ui->routes[i]);
    gr_ui__layout_free(ui);
    for (size_t i = 0; i < UI_FACET_CACHE_SIZE; i++) {
        free(ui->facet_cache[i].kind);
        json_decref(ui->facet_cache[i].facets);
    }
    for (size_t i = 0; i < UI_SORT_KEY_COUNT; i++)
        json_decref(ui->sort_gaps[i].ids);
    for (size_t i = 0; i < UI_COUNT_CACHE_SIZE; i++)
        free(ui->count_cache[i].query);
    pthread_mutex_destroy(&ui->cache_lock);
    free(ui);
}

static int ui_init_pages(gr_ui *ui)
{
    int (*const inits[])(gr_ui *) = {
        gr_ui__home_init,   gr_ui__catalog_init,     gr_ui__entity_init,    gr_ui__apis_init,
        gr_ui__import_init, gr_ui__settings_init,    gr_ui__graph_init,     gr_ui__search_init,
        gr_ui__signin_init, gr_ui__unprocessed_init, gr_ui__not_found_init,
    };
    int error;

    for (size_t i = 0; i < sizeof(default_nav) / sizeof(default_nav[0]); i++) {
        if ((error = gr_ui_nav_add(ui, &default_nav[i])) < 0)
            return error;
    }
    for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
        if ((error = inits[i](ui)) < 0)
            return error;
    }
    return 0;
}

/* The UI writes (import, refresh, unregister, history) through an engine
 * handle of its own whose workers never start: the writes land in the
 * database, where the catalog plugin's workers, in this instance or
 * another, pick them up. */
static int ui_open_catalog(gr_ui *ui)
{
    gr_catalog_options options = {
        .db = ui->db,
        .config = gr_config_node(ui->config, ""),
        .instance_id = ui->host->instance_id,
        .registers_only = true,
    };

    return gr_catalog_new(&ui->catalog, &options);
}

/*
 * Reads the theme, adds the UI's pages and publishes the layout provider
 * (GR_PLUGIN_SERVICE_LAYOUT) for the plugins set up after it. The host
 * applied the migrations first. The gr_ui also stays on the host under
 * GR_UI_SERVICE for the built-ins that ask whether it runs (auth's sign-in
 * redirect).
 */
static int ui_setup(const gr_host_api *api, gr_plugin_ctx *ctx, void **out)
{
    gr_host *host = gr_plugin_builtin_host(ctx);
    gr_ui *ui;
    int error;

    if (host == NULL)
        return api->error_set(GR_PLUGIN_EINVALID, "the web UI runs only compiled into greenroom");
    ui = gr_xcalloc(1, sizeof(*ui));
    *out = ui;
    gr_ui__layout_init(ui);
    ui->api = api;
    ui->ctx = ctx;
    ui->host = host;
    ui->db = host->db;
    ui->config = host->config;
    ui->theme_dir = gr_config_string(host->config, "app.theme.dir", NULL);
    ui->default_theme = gr_config_string(host->config, "app.theme.default", "auto");
    pthread_mutex_init(&ui->cache_lock, NULL);

    /* On failure the host calls ui_destroy() with what was made so far. */
    if ((error = ui_open_catalog(ui)) < 0 || (error = gr_ui__store_csrf_key(ui)) < 0 ||
        (error = gr_ui__theme_load(ui)) < 0 || (error = gr_ui__static_routes(ui)) < 0 ||
        (error = ui_init_pages(ui)) < 0 ||
        (error = api->service_publish(ctx, GR_PLUGIN_SERVICE_LAYOUT, &ui->layout.header)) < 0 ||
        (error = gr_host_provide(host, GR_UI_SERVICE, ui)) < 0)
        return error;
    gr_log_fields(GR_LOG_INFO, "ui", "ready", "theme_dir", ui->theme_dir ? ui->theme_dir : "",
                  NULL);
    return 0;
}

/* Finds the search service, which the search plugin publishes after the UI's setup. */
static void ui_find_search(gr_ui *ui)
{
    const gr_plugin_service *found = NULL;

    if (ui->api->service_lookup(ui->ctx, GR_SEARCH_SERVICE, sizeof(gr_search_plugin_service),
                                &found) == GR_PLUGIN_OK) {
        ui->search = ((const gr_search_plugin_service *)found)->search;
        return;
    }
    gr_error_clear();
    ui->search = NULL;
    gr_info("ui", "the search plugin is not running; /search looks up catalog entities only");
}

static int ui_start(void *state)
{
    gr_ui *ui = state;
    int error;

    /* Every plugin's setup has run: the paths they took are known, and so
     * is the search service. */
    if ((error = gr_ui__fallback_pages(ui)) < 0)
        return error;
    ui_find_search(ui);

    /* Features added their templates during setup; every partial must exist now. */
    return gr_template_check(ui->templates);
}

/*
 * TODO: the UI's own pages, its static files and /signin stay on the
 * internal server (gr_ui_page_add(), gr_http_route()). ABI routes live
 * under /api/<id>, and ABI pages serve GET only and are framed by the
 * layout provider, which is the UI itself.
 */
static const gr_plugin_info ui_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "ui",
    .version = GR_VERSION,
    .description = "web UI: the portal layout, catalog, API docs, search, import, settings and "
                   "relation graphs",
    .setup = ui_setup,
    .start = ui_start,
    .destroy = ui_destroy,
    .migrations = gr_ui__migrations,
    .migration_count = UI_MIGRATION_COUNT,
    .migration_legacy_id = "ui",
    .top_config_keys = config_keys,
};

int gr_ui_plugin_entry(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &ui_info;
    return GR_PLUGIN_OK;
}

int gr_ui_plugin_init(gr_host *host, void **state_out)
{
    return gr_plugin_adapter_init(host, gr_ui_plugin_entry, state_out);
}

int gr_ui_plugin_migrate(gr_host *host)
{
    return gr_plugin_adapter_migrate(host, gr_ui_plugin_entry);
}
