/* SPDX-License-Identifier: MIT */
/* Hands plugin pages, sidebar entries, entity tabs and cards to the web UI's layout. */
#include "host/plugin/ui_portal.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/ui/page.h"
#include "plugins/ui/ui.h"

/* Template of src/plugins/ui/templates/ that frames a plugin's tab HTML. */
#define PLUGIN_VIEW_TEMPLATE "plugin-view"

gr_ui *gr_plugin__portal(const gr_plugin_ctx *ctx)
{
    return ctx->host != NULL ? gr_host_lookup(ctx->host, GR_UI_SERVICE) : NULL;
}

/* Hands the frame a page set (page_frame()) to the portal layout. */
static void apply_frame(gr_ui_page *page, const gr_html *frame)
{
    if (frame->stylesheet != NULL)
        gr_ui_page_add_stylesheet(page, frame->stylesheet);
    if (frame->refresh_seconds > 0)
        gr_ui_page_refresh(page, frame->refresh_seconds,
                           (frame->flags & GR_PLUGIN_PAGE_REFRESH_NOSCRIPT) != 0);
    for (size_t i = 0; i < frame->crumb_count; i++)
        gr_ui_page_crumb(page, frame->crumb_labels[i], frame->crumb_hrefs[i]);
}

/* Renders a plugin page inside the portal layout. */
static int portal_page(gr_ui_page *page, void *payload)
{
    const gr_plugin__page *def = payload;
    gr_html out = {.buf = GR_BUF_INIT, .res = gr_ui_page_response(page)};
    int rc;

    if (!def->ctx->set_up)
        return gr_error_set(GR_ENOTFOUND, "plugin %s is not running", def->ctx->id);
    if (def->form && (rc = gr_plugin__form_accept(gr_ui_page_request(page))) < 0)
        return rc;
    gr_error_clear();
    rc = def->render(gr_ui_page_request(page), &out, def->payload);
    if (rc == GR_PLUGIN_DECLINED) {
        rc = gr_error_set(GR_ENOTFOUND, "No page at %s", gr_req_path(gr_ui_page_request(page)));
    } else if (rc == GR_OK && !(out.flags & GR_PLUGIN_PAGE_RAW)) {
        apply_frame(page, &out);
        rc = gr_ui_page_render_html(page, out.status != 0 ? out.status : 200,
                                    out.title != NULL ? out.title : def->title,
                                    gr_buf_cstr(&out.buf),
                                    (out.flags & GR_PLUGIN_PAGE_OWN_HEADING)
                                        ? GR_UI_PAGE_OWN_HEADING
                                        : 0);
    } else if (rc != GR_OK && gr_error_last()[0] == '\0') {
        rc = gr_error_set(rc, "plugin %s: page %s failed with %d", def->ctx->id, def->path, rc);
    }
    gr_plugin__html_free(&out);
    return rc;
}

int gr_plugin__portal_page(gr_ui *ui, gr_plugin__page *page)
{
    return gr_ui_page_add(ui, page->form ? "POST" : "GET", page->path, portal_page, page);
}

int gr_plugin__portal_nav(gr_ui *ui, const gr_plugin__nav *nav)
{
    gr_ui_nav_entry entry = {nav->label, nav->path, nav->icon, nav->order};

    return gr_ui_nav_add(ui, &entry);
}

/* Decides whether a plugin tab or card shows on `entity`, by its filter and applies function. */
static int portal_tab_applies(const json_t *entity, void *payload)
{
    const gr_plugin__view *view = payload;
    char *text;
    bool shown;

    if (!view->ctx->set_up)
        return 0;
    text = view->applies != NULL ? json_dumps(entity, JSON_COMPACT) : NULL;
    shown = gr_plugin__view_matches(view, entity, text);
    free(text);
    return shown;
}

/* Puts the HTML of a plugin tab into the page context as pluginHtml. */
static int portal_tab_render(gr_ui_page *page, void *payload)
{
    const gr_plugin__view *view = payload;
    json_t *context = gr_ui_page_context(page);
    char *text = json_dumps(json_object_get(context, "entity"), JSON_COMPACT);
    gr_html out = {.buf = GR_BUF_INIT};
    int rc;

    gr_error_clear();
    rc = view->render(gr_ui_page_request(page), text != NULL ? text : "{}", &out, view->payload);
    free(text);
    if (rc == GR_PLUGIN_DECLINED)
        rc = gr_error_set(GR_ENOTFOUND, "the tab %s has nothing for this entity", view->id);
    else if (rc < 0 && gr_error_last()[0] == '\0')
        rc = gr_error_set(rc, "plugin %s: tab %s failed with %d", view->ctx->id, view->id, rc);
    if (rc == GR_OK) {
        json_object_set_new(context, "pluginHtml", json_string(gr_buf_cstr(&out.buf)));
        json_object_set_new(context, "pluginLabel", json_string(view->label));
    }
    gr_buf_free(&out.buf);
    return rc;
}

/* Returns the portal id of a tab or card (caller frees). A shared-library
 * plugin's ids are prefixed so they cannot take a built-in's address or
 * another plugin's id. Built-ins keep theirs (api-docs keeps ?tab=api). */
static char *portal_view_id(const gr_plugin__view *view)
{
    if (view->ctx->path != NULL)
        return gr_xasprintf("%s-%s", view->ctx->id, view->id);
    return gr_xstrdup(view->id);
}

int gr_plugin__portal_tab(gr_ui *ui, gr_plugin__view *view)
{
    char *id = portal_view_id(view);
    gr_ui_tab tab = {
        .id = id,
        .label = view->label,
        .template_name = PLUGIN_VIEW_TEMPLATE,
        .order = view->order,
        .applies = portal_tab_applies,
        .render = portal_tab_render,
        .payload = view,
    };
    int rc = gr_ui_tab_add(ui, &tab);

    free(id);
    return rc;
}

/* Renders a plugin's overview card into `out`. A declined card is left out. */
static int portal_card_render(gr_ui_page *page, gr_buf *out, void *payload)
{
    const gr_plugin__view *view = payload;
    char *text = json_dumps(json_object_get(gr_ui_page_context(page), "entity"), JSON_COMPACT);
    gr_html html = {.buf = GR_BUF_INIT};
    int rc;

    rc = view->render(gr_ui_page_request(page), text != NULL ? text : "{}", &html,
                      view->payload);
    free(text);
    if (rc == GR_PLUGIN_DECLINED)
        rc = GR_UI_CARD_EMPTY;
    else if (rc < 0 && gr_error_last()[0] == '\0')
        rc = gr_error_set(rc, "plugin %s: card %s failed with %d", view->ctx->id, view->id, rc);
    if (rc == GR_OK)
        gr_buf_append(out, html.buf.data, html.buf.len);
    gr_buf_free(&html.buf);
    return rc;
}

int gr_plugin__portal_card(gr_ui *ui, gr_plugin__view *view)
{
    char *id = portal_view_id(view);
    gr_ui_card card = {
        .id = id,
        .label = view->label,
        .order = view->order,
        .applies = portal_tab_applies,
        .render = portal_card_render,
        .payload = view,
    };
    int rc = gr_ui_card_add(ui, &card);

    free(id);
    return rc;
}
