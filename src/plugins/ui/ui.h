/* SPDX-License-Identifier: MIT */
/* The web UI plugin: server-rendered pages, the shell around them, and how features add pages. */
#ifndef GR_PLUGINS_UI_UI_H
#define GR_PLUGINS_UI_UI_H

#include <jansson.h>
#include <stddef.h>

#include "greenroom/plugin.h"
#include "host/common/buf.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/registry/registry.h"

/*
 * The UI renders every page on the server from templates embedded in the
 * binary (the .html files under src/plugins/ui/templates), which an operator can replace
 * from the folder named by `app.theme.dir`. It is set up through the plugin
 * ABI and publishes the layout provider (host/plugin/layout.h) under
 * GR_PLUGIN_SERVICE_LAYOUT, so that the pages, sidebar entries, entity tabs
 * and cards that plugins add with host->page_add() and the like appear in
 * its layout. Built-ins not yet moved onto those ABI functions find its
 * gr_ui under GR_UI_SERVICE in their init hook, which runs after the UI's,
 * and use the functions below. Their pages render inside the portal layout
 * with gr_ui_page_render() (a template) or gr_ui_page_render_html() (HTML
 * they built themselves).
 */

/** Name under which the UI plugin leaves its gr_ui on the host (host.h, gr_host_lookup()). */
#define GR_UI_SERVICE "ui"

typedef struct gr_ui gr_ui;
typedef struct gr_ui_page gr_ui_page;

/** The plugin's entry point, as a shared-library plugin's gr_plugin_init() (greenroom/plugin.h). */
int gr_ui_plugin_entry(const gr_host_api *host, const gr_plugin_info **out);

/**
 * The init hook of the built-in definition: runs the entry's setup through
 * the adapter (host/plugin/plugin.h), whose start, stop and destroy the
 * definition uses too. The setup reads the templates (with the operator's
 * overrides) and static files and adds every built-in page. The start hook
 * adds the fallback list pages /docs and /create on the paths that no
 * plugin took. It also finds the search service and checks that every
 * template partial exists. Must run after the catalog plugin's init,
 * because the pages read its tables and the UI's second migration indexes
 * one. Returns 0 and the adapter's state, or the setup's error.
 */
int gr_ui_plugin_init(gr_host *host, void **state_out);

/**
 * The migrate hook of the built-in definition: applies the migrations of
 * the entry's info to host->db without setting up the UI. Returns 0 or the error.
 */
int gr_ui_plugin_migrate(gr_host *host);

/** Maximum number of sidebar entries. */
#define GR_UI_MAX_NAV 32

/** Maximum number of entity-page tabs. */
#define GR_UI_MAX_TABS 32

/** A sidebar entry. */
typedef struct {
    const char *label; /* e.g. "Catalog" */
    const char *path;  /* e.g. "/catalog"; also marks the entry active below it */
    const char *icon;  /* a name from the built-in icon set ("home", "catalog", ...) */
    int order;         /* entries are sorted by order, then by label */
} gr_ui_nav_entry;

/**
 * Adds a sidebar entry. Strings are copied. Returns 0, GR_EINVALID when the
 * label or path is missing or the path does not start with '/', or
 * GR_ELIMIT past GR_UI_MAX_NAV. Not thread-safe: call during init.
 */
int gr_ui_nav_add(gr_ui *ui, const gr_ui_nav_entry *entry);

/**
 * Renders a page: called with the page's context prepared (identity, shell,
 * request); fills the context and calls gr_ui_page_render(). Returns 0 or a
 * negative GR_E* code, which becomes an error page.
 */
typedef int (*gr_ui_page_fn)(gr_ui_page *page, void *payload);

/**
 * Registers a page at `pattern` (see gr_http_route() for patterns) for
 * `method` ("GET" or "POST"). The route requires an identity. `payload` is
 * borrowed for the life of the server. An error the page function returns
 * becomes the portal's error page. Returns the codes of gr_http_route().
 */
int gr_ui_page_add(gr_ui *ui, const char *method, const char *pattern, gr_ui_page_fn fn,
                   void *payload);

/** Returns the request of a page (borrowed). */
gr_request *gr_ui_page_request(gr_ui_page *page);

/** Returns the response of a page (borrowed); set it directly for non-HTML responses. */
gr_response *gr_ui_page_response(gr_ui_page *page);

/** Adds a stylesheet link (URL copied) to the page's head, after the portal's stylesheet. */
void gr_ui_page_add_stylesheet(gr_ui_page *page, const char *url);

/** Adds a deferred script (URL copied) to the page's head, after the portal's script. */
void gr_ui_page_add_script(gr_ui_page *page, const char *url);

/**
 * Makes the page reload itself every `seconds`; with `without_script` set
 * only when the browser runs no scripts (a script keeps the page current).
 */
void gr_ui_page_refresh(gr_ui_page *page, int seconds, int without_script);

/** Flags of gr_ui_page_render_html(). */
enum {
    /** The layout shows no <h1> title, because the HTML starts with its own. */
    GR_UI_PAGE_OWN_HEADING = 1u << 0,
};

/**
 * Wraps `html` (built and escaped by the caller; borrowed) in the portal
 * layout with `title` and sets the response as gr_ui_page_render() does.
 * Returns 0 or the layout template's error.
 */
int gr_ui_page_render_html(gr_ui_page *page, int status, const char *title, const char *html,
                           unsigned flags);

/**
 * Compiles a template that pages can render or include, under `name`
 * (a built-in template of that name is replaced). An operator's file
 * `<app.theme.dir>/<name>.html`, when present, is used instead of `text`.
 * Returns the codes of gr_template_add().
 */
int gr_ui_template_add(gr_ui *ui, const char *name, const char *text, size_t len);

/**
 * Decides whether an entity-page tab applies to `entity` (borrowed final
 * entity). Returns nonzero to show the tab.
 */
typedef int (*gr_ui_tab_filter_fn)(const json_t *entity, void *payload);

/** An entity-page tab, selected by `?tab=<id>`. */
typedef struct {
    const char *id;              /* lower case, e.g. "api" */
    const char *label;           /* e.g. "Definition" */
    const char *template_name;   /* template rendered inside the entity page */
    int order;                   /* tabs are sorted by order */
    gr_ui_tab_filter_fn applies; /* NULL shows the tab on every entity */
    /* Adds the tab's data to the page context, where the entity already is
     * as `entity` (raw) and `view` (display form). Returns 0 or an error. */
    gr_ui_page_fn render;
    void *payload;
} gr_ui_tab;

/** Adds an entity-page tab (strings copied). Returns 0, GR_EINVALID or GR_ELIMIT. */
int gr_ui_tab_add(gr_ui *ui, const gr_ui_tab *tab);

/** Maximum number of cards that features add to the Overview tab. */
#define GR_UI_MAX_CARDS 32

/** Return value of a gr_ui_card_fn that has nothing to show for the entity. */
#define GR_UI_CARD_EMPTY 1

/**
 * Renders the body of an overview card: appends HTML, escaped by the
 * function, to `out` (borrowed). The entity is in the page context as
 * `entity`. Returns 0, GR_UI_CARD_EMPTY to leave the card out, or an error,
 * which the Overview tab logs and shows in place of the card's body.
 */
typedef int (*gr_ui_card_fn)(gr_ui_page *page, gr_buf *out, void *payload);

/** A card on the entity Overview tab, after the built-in cards. */
typedef struct {
    const char *id;              /* unique among cards, e.g. "scorecards-score" */
    const char *label;           /* the card's heading */
    int order;                   /* cards are sorted by order, then by id */
    gr_ui_tab_filter_fn applies; /* NULL shows the card on every entity */
    gr_ui_card_fn render;
    void *payload;
} gr_ui_card;

/**
 * Adds an Overview card (strings copied). Returns 0, GR_EINVALID without an
 * id, label or render function, GR_ECONFLICT when the id is taken, or
 * GR_ELIMIT past GR_UI_MAX_CARDS. Not thread-safe: call during init.
 */
int gr_ui_card_add(gr_ui *ui, const gr_ui_card *card);

#endif
