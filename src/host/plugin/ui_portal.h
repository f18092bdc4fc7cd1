/* SPDX-License-Identifier: MIT */
/* Hands plugin pages, sidebar entries, entity tabs and cards to the layout provider. */
#ifndef GR_HOST_PLUGIN_UI_PORTAL_H
#define GR_HOST_PLUGIN_UI_PORTAL_H

#include "host/plugin/ctx.h"
#include "host/plugin/layout.h"

/**
 * Returns the layout provider that a built-in published under
 * GR_PLUGIN_SERVICE_LAYOUT (borrowed), or NULL when none runs, without
 * setting an error: the host then serves pages and views in its plain layout.
 */
const gr_layout_provider *gr_plugin__portal(void);

/**
 * Checks that `service`, which `ctx` publishes under GR_PLUGIN_SERVICE_LAYOUT,
 * comes from a built-in and is a whole gr_layout_provider. Returns 0 or
 * GR_EINVALID with a message naming the plugin.
 */
int gr_plugin__layout_check(const gr_plugin_ctx *ctx, const gr_plugin_service *service);

/**
 * Registers `page` (borrowed until the server stops) with the layout
 * provider at its path: the plugin renders the body, the provider the
 * layout, sidebar and header. Returns the provider's code. Setup only.
 */
int gr_plugin__portal_page(const gr_layout_provider *layout, gr_plugin__page *page);

/** Adds `nav` to the provider's sidebar (strings copied). Returns the provider's code. */
int gr_plugin__portal_nav(const gr_layout_provider *layout, const gr_plugin__nav *nav);

/**
 * Adds `view` (borrowed until the server stops) as an entity-page tab,
 * shown where its filter matches. Its id is "<plugin-id>-<tab-id>" for a
 * shared-library plugin and the tab's own id for a built-in. Returns the
 * provider's code. Setup only.
 */
int gr_plugin__portal_tab(const gr_layout_provider *layout, gr_plugin__view *view);

/**
 * Adds `view` (borrowed until the server stops) as a card on the entity
 * Overview tab, shown where its filter matches, with an id made as a tab's
 * is. Returns the provider's code. Setup only.
 */
int gr_plugin__portal_card(const gr_layout_provider *layout, gr_plugin__view *view);

#endif
