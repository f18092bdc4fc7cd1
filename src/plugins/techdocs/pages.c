/* SPDX-License-Identifier: MIT */
/* The docs pages of the portal: /docs lists documented entities, /docs/... shows their sites. */
#include "plugins/techdocs/pages.h"

#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/assets.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/techdocs/api.h"
#include "plugins/techdocs/docs_list.h"
#include "plugins/techdocs/path.h"
#include "plugins/techdocs/render.h"

#define HTML_TYPE "text/html; charset=utf-8"

/* Where one docs request is answered. */
typedef struct {
    gr_request *req;
    gr_response *res;
    gr_html *html; /* the page being rendered */
    const gr_techdocs_pages *pages;
} docs_out;

/* How a body is framed: its title and whether it starts with its own <h1>. */
typedef struct {
    int status;
    const char *title;
    const char *site_name; /* the site's name for the breadcrumbs, or NULL */
    const char *site_url;
    int own_heading;
    int refresh_seconds; /* > 0 reloads the page, for notices that wait for a build */
} docs_frame;

/* Marks the page as sent whole by the handler (a redirect, a file or the
 * plain layout), so that the host adds no layout. */
static int send_raw(docs_out *out)
{
    gr_plugin_page_frame frame = {.struct_size = sizeof(frame), .flags = GR_PLUGIN_PAGE_RAW};

    return out->pages->api->page_frame(out->html, &frame);
}

/* Frames `body` in the portal layout, with breadcrumbs back to /docs. */
static int send_framed(docs_out *out, const docs_frame *frame, const char *body)
{
    const gr_host_api *api = out->pages->api;
    gr_plugin_crumb crumbs[] = {
        {"Home", "/"},
        {"Documentation", frame->site_name != NULL ? "/docs" : NULL},
        {frame->site_name, frame->site_url},
    };
    gr_plugin_page_frame page_frame = {
        .struct_size = sizeof(page_frame),
        .status = frame->status,
        .title = frame->title,
        .flags = frame->own_heading ? GR_PLUGIN_PAGE_OWN_HEADING : 0,
        .refresh_seconds = frame->refresh_seconds,
        .stylesheet = GR_TECHDOCS_STYLESHEET_URL,
        .crumbs = crumbs,
        .crumb_count = frame->site_name != NULL ? 3 : 2,
    };
    int rc = api->page_frame(out->html, &page_frame);

    if (rc == GR_PLUGIN_OK)
        api->html_raw(out->html, body);
    return rc;
}

/* Sends `body` inside the portal layout (or the plain one without the UI),
 * always with the docs pages' policy: docs HTML never runs scripts. */
static int send_page(docs_out *out, const docs_frame *frame, const char *body)
{
    const gr_host_api *api = out->pages->api;
    gr_buf page = GR_BUF_INIT;
    char *html;
    int rc;

    api->res_header(out->res, "Content-Security-Policy", GR_TECHDOCS_PAGE_CSP);
    if (out->pages->framed)
        return send_framed(out, frame, body);
    if (!frame->own_heading) {
        gr_buf_puts(&page, "<h1>");
        gr_buf_put_html(&page, frame->title);
        gr_buf_puts(&page, "</h1>");
    }
    gr_buf_puts(&page, body);
    html = gr_buf_detach(&page);
    gr_techdocs_render_layout(&page, frame->title, html, frame->refresh_seconds);
    free(html);
    api->res_header(out->res, "Cache-Control", "no-store");
    rc = api->res_body(out->res, frame->status, HTML_TYPE, page.data, page.len);
    gr_buf_free(&page);
    return rc == GR_PLUGIN_OK ? send_raw(out) : rc;
}

static int send_notice(docs_out *out, int status, const char *heading, const char *message,
                       int refresh_seconds)
{
    docs_frame frame = {status, heading, NULL, NULL, 1, refresh_seconds};
    gr_buf body = GR_BUF_INIT;
    int rc;

    gr_techdocs_render_notice(&body, heading, message);
    rc = send_page(out, &frame, gr_buf_cstr(&body));
    gr_buf_free(&body);
    return rc;
}

static int get_stylesheet(gr_request *req, gr_response *res, void *payload)
{
    const gr_asset *asset = gr_asset_find("plugins/techdocs/ui/techdocs.css");
    char etag[32];

    (void)req;
    (void)payload;
    if (asset == NULL)
        return gr_error_set(GR_ENOTFOUND, "the docs stylesheet is missing from the binary");
    snprintf(etag, sizeof(etag), "td-css-%zx", asset->size);
    gr_res_header(res, "Cache-Control", "no-cache");
    if (gr_res_etag(res, etag))
        return GR_OK;
    gr_res_body_borrowed(res, 200, "text/css; charset=utf-8", asset->data, asset->size);
    return GR_OK;
}

static int serve_list(docs_out *out, gr_techdocs_service *service)
{
    docs_frame frame = {200, "Documentation", NULL, NULL, 0, 0};
    gr_techdocs_list_query query;
    gr_buf body = GR_BUF_INIT;
    const char *offset = gr_req_query(out->req, "offset");
    const gr_permission_policy *policy = gr_techdocs_service_policy(service);
    const gr_identity *identity = gr_req_identity(out->req);
    json_t *readable = NULL;
    json_t *documented = NULL;
    json_t *access = NULL;
    int rc;

    memset(&query, 0, sizeof(query));
    query.owner = gr_req_query(out->req, "owner");
    query.kind = gr_req_query(out->req, "kind");
    query.text = gr_req_query(out->req, "text");
    query.offset = offset ? atol(offset) : 0;
    query.limit = GR_TECHDOCS_LIST_PAGE_SIZE;

    /* List only what the docs pages would show: entities the caller may
     * read whose docs the caller may read. */
    rc = gr_catalog_access_get(policy, identity, "catalog.entity.read", &readable);
    if (rc == GR_OK)
        rc = gr_catalog_access_get(policy, identity, "techdocs.read", &documented);
    if (rc == GR_OK) {
        access = gr_catalog_access_and(readable, documented);
        query.access = access;
        rc = gr_techdocs_list_render(gr_techdocs_service_db(service), &query, &body);
    }
    if (rc == GR_OK)
        rc = send_page(out, &frame, gr_buf_cstr(&body));
    json_decref(access);
    json_decref(documented);
    json_decref(readable);
    gr_buf_free(&body);
    return rc;
}

/* "guide/index.html" -> "guide/", "index.html" -> "./", other pages keep their path. */
static char *page_url_of(const char *path)
{
    size_t len = strlen(path);

    if (strcmp(path, "index.html") == 0)
        return gr_xstrdup("./");
    if (len > 11 && strcmp(path + len - 11, "/index.html") == 0)
        return gr_xstrndup(path, len - 10);
    return gr_xstrdup(path);
}

static int has_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;

    return strchr(base, '.') != NULL;
}

static int ends_with(const char *text, const char *suffix)
{
    size_t len = strlen(text);
    size_t suffix_len = strlen(suffix);

    return len >= suffix_len && strcmp(text + len - suffix_len, suffix) == 0;
}

/* Page directories need a trailing slash so the fragment's relative links resolve. */
static int redirect_to_folder(gr_request *req, gr_response *res)
{
    const char *url = gr_req_url(req);
    const char *query = strchr(url, '?');
    char *location = query ? gr_xasprintf("%.*s/%s", (int)(query - url), url, query)
                           : gr_xasprintf("%s/", url);
    int rc = gr_res_redirect(res, 301, location);

    free(location);
    return rc;
}

/* Everything one docs page request reads, freed together. */
typedef struct {
    gr_techdocs_triplet triplet;
    json_t *entity;
    json_t *nav;
    json_t *search_index;
    gr_techdocs_blob fragment;
    gr_techdocs_hit *hits;
    size_t hit_count;
    char *path;
    char *page_url;
    char *base_url;
} page_request;

static void page_request_free(page_request *page)
{
    gr_techdocs_triplet_free(&page->triplet);
    json_decref(page->entity);
    json_decref(page->nav);
    json_decref(page->search_index);
    gr_techdocs_blob_free(&page->fragment);
    gr_techdocs_hits_free(page->hits, page->hit_count);
    free(page->path);
    free(page->page_url);
    free(page->base_url);
}

static json_t *read_json(gr_techdocs_service *service, const gr_techdocs_triplet *triplet,
                         const char *path)
{
    gr_techdocs_blob blob;
    json_t *value = NULL;

    if (gr_techdocs_service_read(service, triplet, path, 1, &blob) == GR_OK)
        value = json_loadb((const char *)blob.data, blob.size, 0, NULL);
    gr_techdocs_blob_free(&blob);
    return value;
}

static const char *entity_title(const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *title = json_string_value(json_object_get(metadata, "title"));

    return title ? title : json_string_value(json_object_get(metadata, "name"));
}

/* The site is published: renders the page, search results or the in-site 404. */
static int send_site_page(docs_out *out, gr_techdocs_service *service, page_request *page,
                          const gr_techdocs_view *view)
{
    gr_techdocs_page_parts parts;
    docs_frame frame = {200, NULL, NULL, NULL, 1, 0};
    const char *query = gr_req_query(out->req, "q");
    gr_buf body = GR_BUF_INIT;
    int rc;

    memset(&parts, 0, sizeof(parts));
    page->nav = read_json(service, &page->triplet, "techdocs_nav.json");
    parts.site_name = json_string_value(json_object_get(page->nav, "site_name"));
    if (parts.site_name == NULL)
        parts.site_name = entity_title(page->entity);
    parts.entity_title = entity_title(page->entity);
    parts.entity_ref = page->triplet.ref;
    parts.base_url = page->base_url;
    parts.page_url = page->page_url;
    parts.nav_items = json_object_get(page->nav, "items");
    if (view->rebuilding)
        parts.notice = "A newer version of these docs is being built. Reload the page in a "
                       "moment to see it.";
    if (query != NULL && query[0] != '\0') {
        page->search_index = read_json(service, &page->triplet, "search/search_index.json");
        gr_techdocs_site_search(page->search_index, query, GR_TECHDOCS_SEARCH_RESULTS,
                                &page->hits, &page->hit_count);
        parts.query = query;
        parts.hits = page->hits;
        parts.hit_count = page->hit_count;
    } else {
        rc = gr_techdocs_service_read(service, &page->triplet, page->path, 1, &page->fragment);
        if (rc == GR_OK) {
            parts.fragment = (const char *)page->fragment.data;
            parts.fragment_len = page->fragment.size;
        } else if (rc == GR_ENOTFOUND) {
            frame.status = 404;
        } else {
            return rc;
        }
    }
    gr_techdocs_render_docs(&body, &parts);
    frame.title = parts.site_name;
    frame.site_name = parts.site_name;
    frame.site_url = page->base_url;
    rc = send_page(out, &frame, gr_buf_cstr(&body));
    gr_buf_free(&body);
    return rc;
}

static int send_view(docs_out *out, gr_techdocs_service *service, page_request *page)
{
    gr_techdocs_view view;
    char *message;
    int rc = gr_techdocs_service_view(service, &page->triplet,
                                      gr_techdocs_service_settings(service)->wait_ms, &view);

    if (rc != GR_OK)
        return rc;
    switch (view.state) {
    case GR_TECHDOCS_READY:
        rc = send_site_page(out, service, page, &view);
        break;
    case GR_TECHDOCS_BUILDING:
        message = gr_xasprintf("The docs of %s are being built for the first time. This page "
                               "reloads by itself every %d seconds until they are ready.",
                               page->triplet.ref, GR_TECHDOCS_REFRESH_SECONDS);
        rc = send_notice(out, 200, "Building the docs", message, GR_TECHDOCS_REFRESH_SECONDS);
        free(message);
        break;
    case GR_TECHDOCS_FAILED:
        message = gr_xasprintf("Building the docs of %s failed: %s", page->triplet.ref,
                               view.error);
        rc = send_notice(out, 500, "The docs could not be built", message, 0);
        free(message);
        break;
    default:
        message = gr_xasprintf("No docs are published for %s. Publish a built site with "
                               "'greenroom techdocs publish --entity %s SITE_DIR'.",
                               page->triplet.ref, page->triplet.ref);
        rc = send_notice(out, 404, "No docs yet", message, 0);
        free(message);
        break;
    }
    gr_techdocs_view_free(&view);
    return rc;
}

static int serve_docs_page(docs_out *out, gr_techdocs_service *service)
{
    gr_request *req = out->req;
    page_request page;
    const char *raw = gr_techdocs_api_wildcard(req);
    const char *query = gr_req_query(req, "q");
    int rc;

    memset(&page, 0, sizeof(page));
    if ((raw[0] == '\0' && !ends_with(gr_req_path(req), "/")) ||
        (raw[0] != '\0' && !ends_with(raw, "/") && !has_extension(raw))) {
        rc = redirect_to_folder(req, out->res);
        return rc == GR_OK ? send_raw(out) : rc;
    }
    rc = gr_techdocs_api_load_entity(req, service, &page.triplet, &page.entity);
    if (rc == GR_ENOTFOUND) {
        return send_notice(out, 404, "Entity not found",
                           "The catalog has no entity with this namespace, kind and name.", 0);
    }
    if (rc != GR_OK)
        return rc;
    rc = gr_techdocs_path_normalize(raw, &page.path);
    if (rc == GR_OK && !ends_with(page.path, ".html") && (query == NULL || query[0] == '\0')) {
        rc = gr_techdocs_api_send_file(req, out->res, service, &page.triplet, page.path);
        if (rc == GR_OK)
            rc = send_raw(out);
        else if (rc == GR_ENOTFOUND)
            rc = send_notice(out, 404, "File not found",
                             "These docs have no file at this address.", 0);
        page_request_free(&page);
        return rc;
    }
    if (rc == GR_OK && json_string_value(json_object_get(
                           json_object_get(json_object_get(page.entity, "metadata"),
                                           "annotations"),
                           "backstage.io/techdocs-ref")) == NULL) {
        char *message = gr_xasprintf("%s has no backstage.io/techdocs-ref annotation, so it has "
                                     "no docs.",
                                     page.triplet.ref);

        rc = send_notice(out, 404, "No docs for this entity", message, 0);
        free(message);
        page_request_free(&page);
        return rc;
    }
    if (rc == GR_OK) {
        page.page_url = page_url_of(page.path);
        page.base_url = gr_xasprintf("/docs/%s/%s/%s/", page.triplet.namespace, page.triplet.kind,
                                     page.triplet.name);
        rc = send_view(out, service, &page);
    }
    page_request_free(&page);
    return rc;
}

/* Page render functions: the host frames them in the portal layout, or
 * send_page() sends them whole in the plain one. */

static int list_page(gr_request *req, gr_html *html, void *payload)
{
    const gr_techdocs_pages *pages = payload;
    docs_out out = {req, pages->api->page_response(html), html, pages};

    return serve_list(&out, pages->service);
}

static int docs_page(gr_request *req, gr_html *html, void *payload)
{
    const gr_techdocs_pages *pages = payload;
    docs_out out = {req, pages->api->page_response(html), html, pages};

    return serve_docs_page(&out, pages->service);
}

int gr_techdocs_pages_register(gr_plugin_ctx *ctx, gr_http_server *server,
                               gr_techdocs_pages *state)
{
    static const struct {
        const char *path;
        gr_plugin_page_fn render;
    } pages[] = {
        {"/docs", list_page},
        {"/docs/:namespace/:kind/:name/*", docs_page},
    };
    /* TODO: the stylesheet is public and outside /api/techdocs, while ABI
     * routes live under /api/<plugin-id> and pages need a signed-in caller,
     * so it stays on the host's server. */
    int rc = gr_http_route(server, "GET", "/docs/techdocs.css", GR_ROUTE_PUBLIC, get_stylesheet,
                           NULL);

    for (size_t i = 0; rc == GR_OK && i < sizeof(pages) / sizeof(pages[0]); i++) {
        gr_plugin_page page = {
            .struct_size = sizeof(page),
            .path = pages[i].path,
            .title = "Documentation",
            .render = pages[i].render,
            .payload = state,
        };

        rc = state->api->page_add(ctx, &page);
    }
    return rc;
}
