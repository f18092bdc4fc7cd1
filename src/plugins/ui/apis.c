/* SPDX-License-Identifier: MIT */
/* Entity lists with a fixed purpose: APIs (/api-docs), documentation (/docs), templates (/create). */
#include "plugins/ui/ui_internal.h"

#include "host/common/error.h"
#include "host/log/log.h"

static int apis_page(gr_ui_page *page, void *payload)
{
    (void)payload;
    gr_ui_page_crumb(page, "Home", "/");
    gr_ui_page_crumb(page, "APIs", NULL);
    gr_ui__page_put(page, "fixedKind", json_true());
    return gr_ui__catalog_table(page, "/api-docs", "api", NULL, "api-docs", "APIs");
}

/* Without the TechDocs plugin, /docs lists the entities that have documentation. */
static int docs_page(gr_ui_page *page, void *payload)
{
    (void)payload;
    gr_ui_page_crumb(page, "Home", "/");
    gr_ui_page_crumb(page, "Documentation", NULL);
    return gr_ui__catalog_table(page, "/docs", "all", "backstage.io/techdocs-ref", "docs",
                                "Documentation");
}

/* Without the scaffolder, /create lists the templates of the catalog. */
static int create_page(gr_ui_page *page, void *payload)
{
    (void)payload;
    gr_ui_page_crumb(page, "Home", "/");
    gr_ui_page_crumb(page, "Create", NULL);
    gr_ui__page_put(page, "fixedKind", json_true());
    return gr_ui__catalog_table(page, "/create", "template", NULL, "create",
                                "Create a new component");
}

/* Adds a fallback list page unless the feature plugin that owns the path
 * (TechDocs for /docs, the scaffolder for /create) registered it during its
 * init hook, which ran before the UI's start hook. */
static int add_fallback_page(gr_ui *ui, const char *path, gr_ui_page_fn render)
{
    int error = gr_ui_page_add(ui, "GET", path, render, NULL);

    if (error == GR_ECONFLICT) {
        gr_error_clear();
        return 0;
    }
    if (error == 0)
        gr_info("ui", "no plugin serves %s; the UI lists the catalog's entities there", path);
    return error;
}

int gr_ui__apis_init(gr_ui *ui)
{
    return gr_ui_page_add(ui, "GET", "/api-docs", apis_page, NULL);
}

int gr_ui__fallback_pages(gr_ui *ui)
{
    int error = add_fallback_page(ui, "/docs", docs_page);

    if (error == 0)
        error = add_fallback_page(ui, "/create", create_page);
    return error;
}
