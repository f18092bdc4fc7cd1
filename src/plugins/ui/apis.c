/* SPDX-License-Identifier: MIT */
/* Entity lists with a fixed purpose: APIs (/api-docs), documentation (/docs), templates (/create). */
#include "plugins/ui/ui_internal.h"

#include "host/common/error.h"

static int apis_page(gr_ui_page *page, void *payload)
{
    (void)payload;
    gr_ui_page_crumb(page, "Home", "/");
    gr_ui_page_crumb(page, "APIs", NULL);
    gr_ui__page_put(page, "fixedKind", json_true());
    return gr_ui__catalog_table(page, "/api-docs", "api", NULL, "api-docs", "APIs");
}

/* TODO: the TechDocs reader will serve /docs/:namespace/:kind/:name; this
 * page only lists the entities that have documentation. */
static int docs_page(gr_ui_page *page, void *payload)
{
    (void)payload;
    gr_ui_page_crumb(page, "Home", "/");
    gr_ui_page_crumb(page, "Documentation", NULL);
    return gr_ui__catalog_table(page, "/docs", "all", "backstage.io/techdocs-ref", "docs",
                                "Documentation");
}

/* TODO: the scaffolder will serve /create/templates/:namespace/:name; this
 * page only lists the templates. */
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
 * (TechDocs for /docs, the scaffolder for /create) registered it first. */
static int add_fallback_page(gr_ui *ui, const char *path, gr_ui_page_fn render)
{
    int error = gr_ui_page_add(ui, "GET", path, render, NULL);

    if (error == GR_ECONFLICT) {
        gr_error_clear();
        return 0;
    }
    return error;
}

int gr_ui__apis_init(gr_ui *ui)
{
    int error;

    if ((error = gr_ui_page_add(ui, "GET", "/api-docs", apis_page, NULL)) < 0 ||
        (error = add_fallback_page(ui, "/docs", docs_page)) < 0)
        return error;
    return add_fallback_page(ui, "/create", create_page);
}
