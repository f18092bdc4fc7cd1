/* SPDX-License-Identifier: MIT */
/* The layout provider: how the host hands plugin pages, sidebar entries, entity tabs and cards to
 * the plugin that draws the portal layout. */
#ifndef GR_HOST_PLUGIN_LAYOUT_H
#define GR_HOST_PLUGIN_LAYOUT_H

#include <jansson.h>
#include <stddef.h>

#include "greenroom/plugin.h"

/*
 * A built-in that draws the portal layout (the web UI) publishes a
 * gr_layout_provider with host->service_publish() under
 * GR_PLUGIN_SERVICE_LAYOUT during its setup. The host's page_add(),
 * nav_add(), entity_tab_add() and entity_card_add() then forward each
 * registration of a plugin set up later to it. When no provider was
 * published, the host serves those pages and views itself in a plain
 * layout (host/plugin/ui.c).
 *
 * Every member is called from the setup of the plugin that registers, on
 * the setup thread. The callbacks the host passes in (page, applies,
 * render) are called by the provider while serving, from any thread.
 */

typedef struct gr_layout_provider gr_layout_provider;

/** Return value of a gr_layout_page_fn whose page sent a response of its own (a redirect, a file). */
#define GR_LAYOUT_PAGE_SENT 1

/**
 * The body and frame of a rendered page, for the layout to draw around it.
 * The strings come from the request's arena (gr_req_arena()), so they live
 * until the response is sent.
 */
typedef struct {
    int status;                    /* HTTP status, never 0 */
    const char *title;             /* heading and browser tab, never NULL */
    const char *html;              /* the body, built and escaped by the plugin */
    unsigned flags;                /* GR_PLUGIN_PAGE_OWN_HEADING or 0 */
    int refresh_seconds;           /* > 0 reloads the page after that many seconds */
    const char *stylesheet;        /* URL of an extra stylesheet, or NULL */
    const gr_plugin_crumb *crumbs; /* breadcrumbs in order, or NULL */
    size_t crumb_count;            /* at most GR_PLUGIN_PAGE_MAX_CRUMBS */
} gr_layout_page;

/**
 * Renders a plugin page into *out. The provider calls it from its route
 * handler after its own checks (identity, sign-in). Returns 0 when *out is
 * to be framed, GR_LAYOUT_PAGE_SENT when the page set the whole response on
 * `res` itself, or a negative code with the error message set.
 */
typedef int (*gr_layout_page_fn)(gr_request *req, gr_response *res, gr_layout_page *out,
                                 void *payload);

/** An entity tab or overview card, as the host hands it to the provider. */
typedef struct {
    const char *id;    /* unique among tabs (or among cards); copied */
    const char *label; /* tab label or card heading; copied */
    int order;         /* views sort by order, then id */
    /* Returns nonzero when the view shows on `entity` (the final entity,
     * borrowed). */
    int (*applies)(const json_t *entity, void *payload);
    /* Renders the view for `entity` into *html (from the request's arena).
     * Returns 0, GR_PLUGIN_DECLINED when the view has nothing for this
     * entity, or a negative code with the error message set. */
    int (*render)(gr_request *req, const json_t *entity, const char **html, void *payload);
    void *payload; /* borrowed until the provider's destroy hook returns */
} gr_layout_view;

/**
 * The interface a layout provider implements. Each member returns 0 or a
 * negative code with the error message set, which fails the registering
 * plugin's setup. Payloads are borrowed until the provider's destroy hook,
 * which runs after the destroy hook of every plugin set up after it.
 */
struct gr_layout_provider {
    gr_plugin_service header; /* struct_size = sizeof(gr_layout_provider) */
    /* Serves GET `path` (copied) in the layout, rendered by `page`. */
    int (*page_add)(const gr_layout_provider *self, const char *path, gr_layout_page_fn page,
                    void *payload);
    /* Adds a sidebar entry (checked by the host; strings copied). */
    int (*nav_add)(const gr_layout_provider *self, const gr_plugin_nav *nav);
    /* Adds an entity-page tab. */
    int (*tab_add)(const gr_layout_provider *self, const gr_layout_view *tab);
    /* Adds a card to the entity Overview tab. */
    int (*card_add)(const gr_layout_provider *self, const gr_layout_view *card);
};

#endif
