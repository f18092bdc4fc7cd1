/* SPDX-License-Identifier: MIT */
/* Hands plugin pages, sidebar entries, entity tabs and cards to the web UI's layout. */
#ifndef GR_HOST_PLUGIN_UI_PORTAL_H
#define GR_HOST_PLUGIN_UI_PORTAL_H

#include "host/plugin/ctx.h"

typedef struct gr_ui gr_ui;

/** Returns the web UI that the ui plugin published, or NULL when it does not run (borrowed). */
gr_ui *gr_plugin__portal(const gr_plugin_ctx *ctx);

/**
 * Registers `page` (borrowed until the server stops) as a portal page at its
 * path, for GET, or for POST when it is a form page: the plugin renders the
 * body, the UI the layout, sidebar and header.
 * Returns the codes of gr_ui_page_add(). Setup only.
 */
int gr_plugin__portal_page(gr_ui *ui, gr_plugin__page *page);

/** Adds `nav` to the portal sidebar (strings copied). Returns the codes of gr_ui_nav_add(). */
int gr_plugin__portal_nav(gr_ui *ui, const gr_plugin__nav *nav);

/**
 * Adds `view` (borrowed until the server stops) as an entity-page tab,
 * shown where its filter matches. Its id is "<plugin-id>-<tab-id>" for a
 * shared-library plugin and the tab's own id for a built-in. Returns the
 * codes of gr_ui_tab_add(). Setup only.
 */
int gr_plugin__portal_tab(gr_ui *ui, gr_plugin__view *view);

/**
 * Adds `view` (borrowed until the server stops) as a card on the entity
 * Overview tab, shown where its filter matches, with an id made as a tab's
 * is. Returns the codes of gr_ui_card_add(). Setup only.
 */
int gr_plugin__portal_card(gr_ui *ui, gr_plugin__view *view);

#endif
