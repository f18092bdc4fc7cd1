/* SPDX-License-Identifier: MIT */
/* UI services for plugins: pages, sidebar entries, entity tabs and cards, HTML helpers, the layout. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/plugin/ctx.h"
#include "host/plugin/services.h"
#include "host/plugin/ui_portal.h"

/*
 * When a layout provider runs (the web UI publishes one under
 * GR_PLUGIN_SERVICE_LAYOUT), pages, sidebar entries, entity tabs and
 * overview cards go to it (ui_portal.c) and appear in its layout. Without
 * one the host serves them itself, so that a plugin's pages work in a
 * deployment without the web UI: pages at their own path in the plain
 * layout below, entity tabs at /catalog/:namespace/:kind/:name/tabs/:plugin/:tab
 * and the overview cards at /catalog/:namespace/:kind/:name/cards. Those two
 * routes are registered with a layout provider running too.
 */

/** Maximum number of sidebar entries and of tabs shown on one entity. */
#define MAX_SHOWN 64

/* ---- HTML helpers ---- */

void gr_plugin__html_text(gr_html *out, const char *text)
{
    if (text != NULL)
        gr_buf_put_html(&out->buf, text);
}

void gr_plugin__html_raw(gr_html *out, const char *html)
{
    if (html != NULL)
        gr_buf_puts(&out->buf, html);
}

static void put_url(gr_buf *out, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL) {
            gr_buf_putc(out, (char)*p);
        } else {
            gr_buf_putc(out, '%');
            gr_buf_putc(out, hex[*p >> 4]);
            gr_buf_putc(out, hex[*p & 15]);
        }
    }
}

void gr_plugin__html_url(gr_html *out, const char *text)
{
    if (text != NULL)
        put_url(&out->buf, text);
}

/* Splits "kind:namespace/name" (namespace optional) into lower-case kind, namespace, name. */
static bool split_ref(const char *ref, char **kind, char **ns, char **name)
{
    const char *colon = strchr(ref, ':');
    const char *slash = colon != NULL ? strchr(colon + 1, '/') : NULL;

    if (colon == NULL || colon == ref)
        return false;
    *kind = gr_xstrndup(ref, (size_t)(colon - ref));
    *ns = slash != NULL ? gr_xstrndup(colon + 1, (size_t)(slash - colon - 1))
                        : gr_xstrdup("default");
    *name = gr_xstrdup(slash != NULL ? slash + 1 : colon + 1);
    for (char *p = *kind; *p != '\0'; p++)
        *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
    return true;
}

void gr_plugin__html_entity_link(gr_html *out, const char *entity_ref)
{
    char *kind = NULL;
    char *ns = NULL;
    char *name = NULL;

    if (entity_ref == NULL)
        return;
    if (!split_ref(entity_ref, &kind, &ns, &name)) {
        gr_buf_put_html(&out->buf, entity_ref);
        return;
    }
    gr_buf_puts(&out->buf, "<a href=\"/catalog/");
    put_url(&out->buf, ns);
    gr_buf_putc(&out->buf, '/');
    put_url(&out->buf, kind);
    gr_buf_putc(&out->buf, '/');
    put_url(&out->buf, name);
    gr_buf_puts(&out->buf, "\">");
    gr_buf_put_html(&out->buf, entity_ref);
    gr_buf_puts(&out->buf, "</a>");
    free(kind);
    free(ns);
    free(name);
}

/* ---- Layout ---- */

static int compare_nav(const void *a, const void *b)
{
    const gr_plugin__nav *x = *(const gr_plugin__nav *const *)a;
    const gr_plugin__nav *y = *(const gr_plugin__nav *const *)b;

    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->label, y->label);
}

static void put_nav(gr_buf *out, const char *active_path)
{
    const gr_plugin__nav *shown[MAX_SHOWN];
    size_t count = 0;
    size_t ctx_count;
    gr_plugin_ctx *const *ctxs = gr_plugin__registry(&ctx_count);

    for (size_t i = 0; i < ctx_count; i++) {
        for (size_t j = 0; j < ctxs[i]->navs.count && count < MAX_SHOWN; j++)
            shown[count++] = ctxs[i]->navs.items[j];
    }
    if (count > 1)
        qsort(shown, count, sizeof(shown[0]), compare_nav);
    gr_buf_puts(out, "<nav aria-label=\"Plugins\"><ul>");
    for (size_t i = 0; i < count; i++) {
        bool active = active_path != NULL && strcmp(active_path, shown[i]->path) == 0;

        gr_buf_puts(out, "<li><a href=\"");
        gr_buf_put_html(out, shown[i]->path);
        gr_buf_puts(out, active ? "\" aria-current=\"page\">" : "\">");
        gr_buf_put_html(out, shown[i]->label);
        gr_buf_puts(out, "</a></li>");
    }
    gr_buf_puts(out, "</ul></nav>");
}

void gr_plugin__layout(gr_buf *out, gr_host *host, const char *title, const char *body,
                       const char *active_path, const gr_html *frame)
{
    (void)host;
    gr_buf_puts(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<title>");
    gr_buf_put_html(out, title);
    gr_buf_puts(out, "</title>");
    if (frame != NULL && frame->stylesheet != NULL) {
        gr_buf_puts(out, "<link rel=\"stylesheet\" href=\"");
        gr_buf_put_html(out, frame->stylesheet);
        gr_buf_puts(out, "\">");
    }
    if (frame != NULL && frame->refresh_seconds > 0)
        gr_buf_printf(out, "%s<meta http-equiv=\"refresh\" content=\"%d\">%s",
                      (frame->flags & GR_PLUGIN_PAGE_REFRESH_NOSCRIPT) ? "<noscript>" : "",
                      frame->refresh_seconds,
                      (frame->flags & GR_PLUGIN_PAGE_REFRESH_NOSCRIPT) ? "</noscript>" : "");
    gr_buf_puts(out, "</head><body><header><a href=\"/\">greenroom</a></header>");
    put_nav(out, active_path);
    gr_buf_puts(out, "<main>");
    if (frame == NULL || !(frame->flags & GR_PLUGIN_PAGE_OWN_HEADING)) {
        gr_buf_puts(out, "<h1>");
        gr_buf_put_html(out, title);
        gr_buf_puts(out, "</h1>\n");
    }
    gr_buf_puts(out, body);
    gr_buf_puts(out, "\n</main></body></html>\n");
}

static int send_page(gr_response *res, gr_host *host, const char *title, const char *body,
                     const char *active_path, const gr_html *frame)
{
    gr_buf page = GR_BUF_INIT;
    int status = frame != NULL && frame->status != 0 ? frame->status : 200;

    gr_plugin__layout(&page, host, title, body, active_path, frame);
    gr_res_body(res, status, "text/html; charset=utf-8", page.data, page.len);
    gr_buf_free(&page);
    return GR_OK;
}

/* ---- Page frames ---- */

void gr_plugin__html_free(gr_html *out)
{
    gr_buf_free(&out->buf);
    free(out->title);
    free(out->stylesheet);
    for (size_t i = 0; i < out->crumb_count; i++) {
        free(out->crumb_labels[i]);
        free(out->crumb_hrefs[i]);
    }
    out->title = NULL;
    out->stylesheet = NULL;
    out->crumb_count = 0;
}

static char *copy_or_null(const char *text)
{
    return text != NULL ? gr_xstrdup(text) : NULL;
}

int gr_plugin__page_frame(gr_html *out, const gr_plugin_page_frame *frame)
{
    gr_buf body;

    if (out == NULL || out->res == NULL)
        return gr_error_set(GR_EINVALID, "page_frame: only a page's render function may set a "
                                         "frame, not an entity tab or card");
    if (frame == NULL || frame->struct_size < sizeof(gr_plugin_page_frame))
        return gr_error_set(GR_EINVALID, "page_frame: the frame needs its struct_size");
    if (frame->status != 0 && (frame->status < 100 || frame->status > 599))
        return gr_error_set(GR_EINVALID, "page_frame: status %d is not an HTTP status",
                            frame->status);
    if (frame->crumb_count > GR_PLUGIN_PAGE_MAX_CRUMBS ||
        (frame->crumb_count > 0 && frame->crumbs == NULL))
        return gr_error_set(GR_EINVALID, "page_frame: %zu breadcrumbs, at most %d allowed",
                            frame->crumb_count, GR_PLUGIN_PAGE_MAX_CRUMBS);
    for (size_t i = 0; i < frame->crumb_count; i++)
        if (frame->crumbs[i].label == NULL)
            return gr_error_set(GR_EINVALID, "page_frame: breadcrumb %zu has no label", i);

    /* Replace an earlier frame but keep the body written so far. */
    body = out->buf;
    out->buf = (gr_buf)GR_BUF_INIT;
    gr_plugin__html_free(out);
    out->buf = body;
    out->status = frame->status;
    out->title = copy_or_null(frame->title);
    out->flags = frame->flags;
    out->refresh_seconds = frame->refresh_seconds;
    out->stylesheet = copy_or_null(frame->stylesheet);
    for (size_t i = 0; i < frame->crumb_count; i++) {
        out->crumb_labels[i] = gr_xstrdup(frame->crumbs[i].label);
        out->crumb_hrefs[i] = copy_or_null(frame->crumbs[i].href);
    }
    out->crumb_count = frame->crumb_count;
    return GR_OK;
}

gr_response *gr_plugin__page_response(gr_html *out)
{
    return out != NULL ? out->res : NULL;
}

/* ---- Pages and sidebar entries ---- */

static int page_handler(gr_request *req, gr_response *res, void *payload)
{
    const gr_plugin__page *page = payload;
    gr_html out = {.buf = GR_BUF_INIT, .res = res};
    int rc;

    if (!page->ctx->set_up)
        return gr_error_set(GR_ENOTFOUND, "plugin %s is not running", page->ctx->id);
    if (page->form && (rc = gr_plugin__form_accept(req)) < 0)
        return rc;
    gr_error_clear();
    rc = page->render(req, &out, page->payload);
    if (rc == GR_PLUGIN_DECLINED)
        rc = gr_error_set(GR_ENOTFOUND, "No page at %s", gr_req_path(req));
    else if (rc == GR_OK && !(out.flags & GR_PLUGIN_PAGE_RAW))
        rc = send_page(res, page->ctx->host, out.title != NULL ? out.title : page->title,
                       gr_buf_cstr(&out.buf), page->path, &out);
    gr_plugin__html_free(&out);
    return rc;
}

/* Paths the host serves itself, which no plugin page may take or shadow. */
static const char *const reserved_paths[] = {"/api", "/.backstage", "/.well-known", "/metrics",
                                             "/signin", "/static", NULL};

/*
 * Returns whether `path` may be a plugin page's path: it starts with '/',
 * holds only printable characters without '?', '#', '\\' or spaces, has no
 * empty, "." or ".." segment, and is not under a path the host serves.
 */
static bool page_path_valid(const char *path)
{
    const char *segment = path + 1;

    if (path[0] != '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("?#\\", *p) != NULL)
            return false;
    }
    for (size_t i = 0; reserved_paths[i] != NULL; i++) {
        size_t len = strlen(reserved_paths[i]);

        if (strncmp(path, reserved_paths[i], len) == 0 && (path[len] == '\0' || path[len] == '/'))
            return false;
    }
    while (path[1] != '\0') {
        size_t len = strcspn(segment, "/");

        if (len == 0 || (len == 1 && segment[0] == '.') ||
            (len == 2 && segment[0] == '.' && segment[1] == '.'))
            return false;
        if (segment[len] == '\0')
            break;
        segment += len + 1;
    }
    return true;
}

/* Registers a page for GET, or a form page for POST when `form` is set. */
static int page_register(gr_plugin_ctx *ctx, const gr_plugin_page *def, bool form)
{
    gr_plugin__page *page;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, form ? "form_page_add" : "page_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_page) || def->render == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: a page needs struct_size and a render "
                                         "function",
                            ctx->id);
    if (def->path == NULL || !page_path_valid(def->path))
        return gr_error_set(GR_EINVALID,
                            "plugin %s: page path '%s' is invalid; use a path starting with '/', "
                            "without '?', '#', spaces or dot segments, outside /api, "
                            "/.backstage, /.well-known, /metrics, /signin and /static",
                            ctx->id, def->path != NULL ? def->path : "(null)");
    if (ctx->host == NULL || ctx->host->http == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: pages need a running server", ctx->id);
    page = gr_xcalloc(1, sizeof(*page));
    page->ctx = ctx;
    page->path = gr_xstrdup(def->path);
    page->title = gr_xstrdup(def->title != NULL ? def->title : ctx->id);
    page->render = def->render;
    page->payload = def->payload;
    page->form = form;
    if ((rc = gr_plugin__list_push(&ctx->pages, page)) < 0) {
        free(page->path);
        free(page->title);
        free(page);
        return rc;
    }
    if (gr_plugin__portal() != NULL)
        return gr_plugin__portal_page(gr_plugin__portal(), page);
    return gr_http_route(ctx->host->http, form ? "POST" : "GET", page->path, 0, page_handler, page);
}

int gr_plugin__page_add(gr_plugin_ctx *ctx, const gr_plugin_page *def)
{
    return page_register(ctx, def, false);
}

int gr_plugin__form_page_add(gr_plugin_ctx *ctx, const gr_plugin_page *def)
{
    return page_register(ctx, def, true);
}

int gr_plugin__nav_add(gr_plugin_ctx *ctx, const gr_plugin_nav *def)
{
    gr_plugin__nav *nav;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, "nav_add")) < 0)
        return rc;
    if (def == NULL || def->struct_size < sizeof(gr_plugin_nav) || def->label == NULL ||
        def->path == NULL || def->path[0] != '/')
        return gr_error_set(GR_EINVALID,
                            "plugin %s: a sidebar entry needs a label and a path starting with '/'",
                            ctx->id);
    nav = gr_xcalloc(1, sizeof(*nav));
    nav->label = gr_xstrdup(def->label);
    nav->path = gr_xstrdup(def->path);
    nav->icon = def->icon != NULL ? gr_xstrdup(def->icon) : NULL;
    nav->order = def->order;
    if ((rc = gr_plugin__list_push(&ctx->navs, nav)) < 0) {
        free(nav->label);
        free(nav->path);
        free(nav->icon);
        free(nav);
        return rc;
    }
    return gr_plugin__portal() != NULL ? gr_plugin__portal_nav(gr_plugin__portal(), nav) : GR_OK;
}

/* ---- Entity tabs and cards ---- */

void gr_plugin__view_free(void *item)
{
    gr_plugin__view *view = item;

    free(view->id);
    free(view->label);
    free(view->kinds);
    free(view->types);
    free(view->annotation);
    free(view);
}

static char *dup_or_null(const char *text)
{
    return text != NULL ? gr_xstrdup(text) : NULL;
}

int gr_plugin__view_copy(const gr_plugin_entity_view *in, gr_plugin__view **out)
{
    gr_plugin__view *view;

    *out = NULL;
    if (in == NULL || in->struct_size < sizeof(gr_plugin_entity_view) || in->id == NULL ||
        in->id[0] == '\0' || strchr(in->id, '/') != NULL || in->label == NULL ||
        in->render == NULL)
        return gr_error_set(GR_EINVALID,
                            "an entity tab or card needs struct_size, an id without '/', a "
                            "label and a render function");
    view = gr_xcalloc(1, sizeof(*view));
    view->id = gr_xstrdup(in->id);
    view->label = gr_xstrdup(in->label);
    view->order = in->order;
    view->kinds = dup_or_null(in->filter.kinds);
    view->types = dup_or_null(in->filter.types);
    view->annotation = dup_or_null(in->filter.annotation);
    view->applies = in->applies;
    view->render = in->render;
    view->payload = in->payload;
    *out = view;
    return GR_OK;
}

/* Returns whether `value` is one of the comma-separated `list` (ignoring case and spaces). */
static bool in_list(const char *list, const char *value)
{
    const char *p = list;

    if (value == NULL)
        return false;
    while (*p != '\0') {
        size_t len;

        while (*p == ' ' || *p == ',')
            p++;
        len = strcspn(p, ",");
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len > 0 && strlen(value) == len && strncasecmp(p, value, len) == 0)
            return true;
        p += strcspn(p, ",");
    }
    return false;
}

bool gr_plugin__view_matches(const gr_plugin__view *view, const json_t *entity,
                             const char *entity_text)
{
    const json_t *annotations =
        json_object_get(json_object_get(entity, "metadata"), "annotations");

    if (view->kinds != NULL &&
        !in_list(view->kinds, json_string_value(json_object_get(entity, "kind"))))
        return false;
    if (view->types != NULL &&
        !in_list(view->types,
                 json_string_value(json_object_get(json_object_get(entity, "spec"), "type"))))
        return false;
    if (view->annotation != NULL && json_object_get(annotations, view->annotation) == NULL)
        return false;
    return view->applies == NULL || view->applies(entity_text, view->payload);
}

static int view_add(gr_plugin_ctx *ctx, gr_plugin__list *list, const gr_plugin_entity_view *def,
                    const char *what)
{
    gr_plugin__view *view = NULL;
    int rc;

    if ((rc = gr_plugin__check_setup(ctx, what)) < 0)
        return rc;
    if ((rc = gr_plugin__view_copy(def, &view)) < 0)
        return gr_error_wrap(rc, "plugin %s", ctx->id);
    view->ctx = ctx;
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(((gr_plugin__view *)list->items[i])->id, view->id) == 0) {
            rc = gr_error_set(GR_ECONFLICT, "plugin %s: %s '%s' is registered twice", ctx->id,
                              what, view->id);
            gr_plugin__view_free(view);
            return rc;
        }
    }
    if ((rc = gr_plugin__list_push(list, view)) < 0) {
        gr_plugin__view_free(view);
        return rc;
    }
    if (gr_plugin__portal() == NULL)
        return GR_OK;
    if (list == &ctx->tabs)
        return gr_plugin__portal_tab(gr_plugin__portal(), view);
    return gr_plugin__portal_card(gr_plugin__portal(), view);
}

int gr_plugin__entity_tab_add(gr_plugin_ctx *ctx, const gr_plugin_entity_view *tab)
{
    return view_add(ctx, &ctx->tabs, tab, "entity_tab_add");
}

int gr_plugin__entity_card_add(gr_plugin_ctx *ctx, const gr_plugin_entity_view *card)
{
    return view_add(ctx, &ctx->cards, card, "entity_card_add");
}

/* One view shown on an entity page, with the plugin that owns it. */
typedef struct {
    gr_plugin_ctx *ctx;
    gr_plugin__view *view;
} shown_view;

static int compare_shown(const void *a, const void *b)
{
    const shown_view *x = a;
    const shown_view *y = b;

    if (x->view->order != y->view->order)
        return x->view->order < y->view->order ? -1 : 1;
    return strcmp(x->view->label, y->view->label);
}

/* Collects the tabs (or cards) of every plugin that apply to `entity`, sorted. */
static size_t collect_views(bool tabs, const json_t *entity, const char *entity_text,
                            shown_view *out)
{
    size_t count = 0;
    size_t ctx_count;
    gr_plugin_ctx *const *ctxs = gr_plugin__registry(&ctx_count);

    for (size_t i = 0; i < ctx_count; i++) {
        const gr_plugin__list *list = tabs ? &ctxs[i]->tabs : &ctxs[i]->cards;

        for (size_t j = 0; j < list->count && count < MAX_SHOWN; j++) {
            gr_plugin__view *view = list->items[j];

            if (gr_plugin__view_matches(view, entity, entity_text))
                out[count++] = (shown_view){ctxs[i], view};
        }
    }
    if (count > 1)
        qsort(out, count, sizeof(out[0]), compare_shown);
    return count;
}

/* Reads the entity of the route's parameters as the caller; *text and *entity are owned. */
static int load_entity(gr_request *req, gr_plugin_ctx *reader, char **text, json_t **entity,
                       char **ref)
{
    int rc;

    *ref = gr_xasprintf("%s:%s/%s", gr_req_param(req, "kind"), gr_req_param(req, "namespace"),
                        gr_req_param(req, "name"));
    rc = gr_plugin__catalog_get(reader, req, *ref, text);
    if (rc == GR_OK && (*entity = json_loads(*text, 0, NULL)) == NULL)
        rc = gr_error_set(GR_EBACKEND, "entity %s is stored as invalid JSON", *ref);
    return rc;
}

static void put_view_links(gr_buf *out, const char *base, const shown_view *tabs, size_t count,
                           const shown_view *current)
{
    gr_buf_puts(out, "<nav aria-label=\"Entity tabs\"><ul><li><a href=\"");
    gr_buf_put_html(out, base);
    gr_buf_puts(out, "/cards\">Overview</a></li>");
    for (size_t i = 0; i < count; i++) {
        bool active = current != NULL && tabs[i].view == current->view;

        gr_buf_puts(out, "<li><a href=\"");
        gr_buf_put_html(out, base);
        gr_buf_puts(out, "/tabs/");
        put_url(out, tabs[i].ctx->id);
        gr_buf_putc(out, '/');
        put_url(out, tabs[i].view->id);
        gr_buf_puts(out, active ? "\" aria-current=\"page\">" : "\">");
        gr_buf_put_html(out, tabs[i].view->label);
        gr_buf_puts(out, "</a></li>");
    }
    gr_buf_puts(out, "</ul></nav>\n");
}

/* Serves one tab (`tab_mode`) or the overview cards of an entity. */
static int entity_view(gr_request *req, gr_response *res, void *payload, bool tab_mode)
{
    gr_host *host = payload;
    shown_view tabs[MAX_SHOWN];
    shown_view cards[MAX_SHOWN];
    const shown_view *current = NULL;
    size_t tab_count;
    size_t card_count;
    gr_plugin_ctx *reader = gr_plugin__ctx_new("ui");
    gr_html body = {.buf = GR_BUF_INIT};
    char *text = NULL;
    char *ref = NULL;
    char *base = NULL;
    json_t *entity = NULL;
    int rc;

    reader->host = host;
    if ((rc = load_entity(req, reader, &text, &entity, &ref)) < 0)
        goto done;
    tab_count = collect_views(true, entity, text, tabs);
    card_count = collect_views(false, entity, text, cards);
    for (size_t i = 0; tab_mode && i < tab_count; i++) {
        if (strcmp(tabs[i].ctx->id, gr_req_param(req, "plugin")) == 0 &&
            strcmp(tabs[i].view->id, gr_req_param(req, "tab")) == 0)
            current = &tabs[i];
    }
    if (tab_mode && current == NULL) {
        rc = gr_error_set(GR_ENOTFOUND, "Entity %s has no tab %s/%s", ref,
                          gr_req_param(req, "plugin"), gr_req_param(req, "tab"));
        goto done;
    }
    base = gr_xasprintf("/catalog/%s/%s/%s", gr_req_param(req, "namespace"),
                        gr_req_param(req, "kind"), gr_req_param(req, "name"));
    put_view_links(&body.buf, base, tabs, tab_count, current);
    for (size_t i = 0; i < (tab_mode ? 1 : card_count) && rc == GR_OK; i++) {
        const shown_view *view = tab_mode ? current : &cards[i];
        size_t mark = body.buf.len;

        gr_buf_puts(&body.buf, "<section><h2>");
        gr_buf_put_html(&body.buf, view->view->label);
        gr_buf_puts(&body.buf, "</h2>\n");
        gr_error_clear();
        rc = view->view->render(req, text, &body, view->view->payload);
        gr_buf_puts(&body.buf, "\n</section>\n");
        if (rc == GR_PLUGIN_DECLINED) {
            /* A declined card leaves no trace; a declined tab is a 404. */
            body.buf.len = mark;
            body.buf.data[mark] = '\0';
            rc = tab_mode ? gr_error_set(GR_ENOTFOUND, "Entity %s has no such tab", ref) : GR_OK;
        } else if (rc < 0) {
            rc = gr_error_wrap(rc, "plugin %s, view %s", view->ctx->id, view->view->id);
        }
    }
    if (rc == GR_OK)
        rc = send_page(res, host, ref, gr_buf_cstr(&body.buf), NULL, NULL);
done:
    gr_plugin__ctx_free(reader);
    gr_buf_free(&body.buf);
    json_decref(entity);
    free(text);
    free(ref);
    free(base);
    return rc;
}

static int entity_tab_handler(gr_request *req, gr_response *res, void *payload)
{
    return entity_view(req, res, payload, true);
}

static int entity_cards_handler(gr_request *req, gr_response *res, void *payload)
{
    return entity_view(req, res, payload, false);
}

int gr_plugin__ui_routes(gr_host *host)
{
    int rc;

    if (host->http == NULL)
        return GR_OK;
    rc = gr_http_route(host->http, "GET", "/catalog/:namespace/:kind/:name/tabs/:plugin/:tab", 0,
                       entity_tab_handler, host);
    if (rc == GR_OK)
        rc = gr_http_route(host->http, "GET", "/catalog/:namespace/:kind/:name/cards", 0,
                           entity_cards_handler, host);
    return rc;
}
