/* SPDX-License-Identifier: MIT */
/* Hands plugin pages, sidebar entries, entity tabs and cards to the layout provider. */
#include "host/plugin/ui_portal.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/arena.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/plugin/services.h"

const gr_layout_provider *gr_plugin__portal(void)
{
    return (const gr_layout_provider *)gr_plugin__service_find(GR_PLUGIN_SERVICE_LAYOUT);
}

int gr_plugin__layout_check(const gr_plugin_ctx *ctx, const gr_plugin_service *service)
{
    if (ctx->path != NULL)
        return gr_error_set(GR_EINVALID,
                            "plugin %s: only a built-in may publish the service %s, because "
                            "its members are internal to greenroom",
                            ctx->id, GR_PLUGIN_SERVICE_LAYOUT);
    if (service->struct_size < sizeof(gr_layout_provider))
        return gr_error_set(GR_EINVALID,
                            "plugin %s: the service %s has %u bytes but a layout provider "
                            "needs %zu",
                            ctx->id, GR_PLUGIN_SERVICE_LAYOUT, (unsigned)service->struct_size,
                            sizeof(gr_layout_provider));
    return GR_OK;
}

static const char *arena_copy(gr_arena *arena, const char *text)
{
    return text != NULL ? gr_arena_strdup(arena, text) : NULL;
}

/* Copies the body and frame of a rendered page into `out`, from the request's arena. */
static void copy_frame(gr_arena *arena, gr_html *html, const char *title, gr_layout_page *out)
{
    gr_plugin_crumb *crumbs = NULL;

    if (html->crumb_count > 0)
        crumbs = gr_arena_calloc(arena, html->crumb_count * sizeof(*crumbs));
    for (size_t i = 0; i < html->crumb_count; i++) {
        crumbs[i].label = arena_copy(arena, html->crumb_labels[i]);
        crumbs[i].href = arena_copy(arena, html->crumb_hrefs[i]);
    }
    *out = (gr_layout_page){
        .status = html->status != 0 ? html->status : 200,
        .title = arena_copy(arena, html->title != NULL ? html->title : title),
        .html = arena_copy(arena, gr_buf_cstr(&html->buf)),
        .flags = html->flags & GR_PLUGIN_PAGE_OWN_HEADING,
        .refresh_seconds = html->refresh_seconds,
        .stylesheet = arena_copy(arena, html->stylesheet),
        .crumbs = crumbs,
        .crumb_count = html->crumb_count,
    };
}

/* Renders a plugin page for the layout provider. */
static int render_page(gr_request *req, gr_response *res, gr_layout_page *out, void *payload)
{
    const gr_plugin__page *def = payload;
    gr_html html = {.buf = GR_BUF_INIT, .res = res};
    int rc;

    if (!def->ctx->set_up)
        return gr_error_set(GR_ENOTFOUND, "plugin %s is not running", def->ctx->id);
    gr_error_clear();
    rc = def->render(req, &html, def->payload);
    if (rc == GR_PLUGIN_DECLINED)
        rc = gr_error_set(GR_ENOTFOUND, "No page at %s", gr_req_path(req));
    else if (rc == GR_OK && (html.flags & GR_PLUGIN_PAGE_RAW))
        rc = GR_LAYOUT_PAGE_SENT;
    else if (rc == GR_OK)
        copy_frame(gr_req_arena(req), &html, def->title, out);
    else if (gr_error_last()[0] == '\0')
        rc = gr_error_set(rc, "plugin %s: page %s failed with %d", def->ctx->id, def->path, rc);
    gr_plugin__html_free(&html);
    return rc;
}

int gr_plugin__portal_page(const gr_layout_provider *layout, gr_plugin__page *page)
{
    return layout->page_add(layout, page->path, render_page, page);
}

int gr_plugin__portal_nav(const gr_layout_provider *layout, const gr_plugin__nav *nav)
{
    gr_plugin_nav entry = {
        .struct_size = sizeof(entry),
        .label = nav->label,
        .path = nav->path,
        .icon = nav->icon,
        .order = nav->order,
    };

    return layout->nav_add(layout, &entry);
}

/* Decides whether a plugin tab or card shows on `entity`, by its filter and applies function. */
static int view_applies(const json_t *entity, void *payload)
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

/* Renders a tab or card (`what`) of a plugin for `entity` into *html, from the request's arena. */
static int render_view(gr_request *req, const json_t *entity, const char **html,
                       const gr_plugin__view *view, const char *what)
{
    char *text = json_dumps(entity, JSON_COMPACT);
    gr_html out = {.buf = GR_BUF_INIT};
    int rc;

    gr_error_clear();
    rc = view->render(req, text != NULL ? text : "{}", &out, view->payload);
    free(text);
    if (rc == GR_OK)
        *html = gr_arena_strdup(gr_req_arena(req), gr_buf_cstr(&out.buf));
    else if (rc < 0 && rc != GR_PLUGIN_DECLINED && gr_error_last()[0] == '\0')
        rc = gr_error_set(rc, "plugin %s: %s %s failed with %d", view->ctx->id, what, view->id,
                          rc);
    gr_plugin__html_free(&out);
    return rc;
}

static int render_tab(gr_request *req, const json_t *entity, const char **html, void *payload)
{
    return render_view(req, entity, html, payload, "tab");
}

static int render_card(gr_request *req, const json_t *entity, const char **html, void *payload)
{
    return render_view(req, entity, html, payload, "card");
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

/* Hands `view` to `add` (the provider's tab_add or card_add) with `render`. */
static int add_view(const gr_layout_provider *layout,
                    int (*add)(const gr_layout_provider *, const gr_layout_view *),
                    gr_plugin__view *view,
                    int (*render)(gr_request *, const json_t *, const char **, void *))
{
    char *id = portal_view_id(view);
    gr_layout_view entry = {
        .id = id,
        .label = view->label,
        .order = view->order,
        .applies = view_applies,
        .render = render,
        .payload = view,
    };
    int rc = add(layout, &entry);

    free(id);
    return rc;
}

int gr_plugin__portal_tab(const gr_layout_provider *layout, gr_plugin__view *view)
{
    return add_view(layout, layout->tab_add, view, render_tab);
}

int gr_plugin__portal_card(const gr_layout_provider *layout, gr_plugin__view *view)
{
    return add_view(layout, layout->card_add, view, render_card);
}
