/* SPDX-License-Identifier: MIT */
/* One page being rendered: its request, identity, template context and the shell around it. */
#include "plugins/ui/page.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/cookie.h"
#include "host/auth/external_access.h"
#include "host/auth/signin.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"

static void context_release(void *context)
{
    json_decref(context);
}

json_t *gr_ui_page_context(gr_ui_page *page)
{
    return page->context;
}

void gr_ui__page_put(gr_ui_page *page, const char *key, json_t *value)
{
    json_object_set_new(page->context, key, value != NULL ? value : json_null());
}

void gr_ui_page_crumb(gr_ui_page *page, const char *label, const char *href)
{
    json_t *crumbs = json_object_get(page->context, "breadcrumbs");

    /* An explicit null stops templates from finding another crumb's href. */
    json_array_append_new(crumbs, json_pack("{s:s, s:s?}", "label", label != NULL ? label : "",
                                            "href", href));
}

const char *gr_ui_page_cookie(gr_ui_page *page, const char *name)
{
    const char *header = gr_req_header(page->req, "Cookie");

    return header != NULL ? gr_ui__cookie(page->arena, header, name) : NULL;
}

const char *gr_ui_page_form(gr_ui_page *page, const char *name)
{
    return gr_ui__form_field(page->arena, gr_req_body(page->req, NULL), name);
}

static int nav_is_active(const char *nav_path, const char *path)
{
    size_t len = strlen(nav_path);

    if (strcmp(nav_path, "/") == 0)
        return strcmp(path, "/") == 0;
    return strncmp(path, nav_path, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

static json_t *nav_context(const gr_ui *ui, const char *path)
{
    json_t *nav = json_array();

    for (size_t i = 0; i < ui->nav_count; i++) {
        const gr_ui_nav_entry *entry = &ui->nav[i];

        json_array_append_new(nav, json_pack("{s:s, s:s, s:s, s:b}", "label", entry->label,
                                             "path", entry->path, "icon",
                                             gr_ui__icon(entry->icon), "active",
                                             nav_is_active(entry->path, path)));
    }
    return nav;
}

/* Describes the signed-in caller; user identities get their catalog name.
 * Only a sign-in session can be signed out of, so "hasSession" is false for
 * static tokens and proxy headers, which authenticate each request anew. */
static json_t *user_context(gr_ui_page *page)
{
    const gr_identity *identity = gr_req_identity(page->req);
    json_t *user = json_object();
    json_t *entity = NULL;

    json_object_set_new(user, "signedIn", json_boolean(page->subject != NULL));
    if (page->subject == NULL)
        return user;
    json_object_set_new(user, "hasSession", json_boolean(identity->session_id != NULL));
    json_object_set_new(user, "subject", json_string(page->subject));
    json_object_set_new(user, "name", json_string(page->subject));
    if (page->user_ref == NULL)
        return user;

    json_object_set_new(user, "ref", json_string(page->user_ref));
    if (gr_ui_entity_get(page->ui, page->user_ref, &entity) == 0) {
        const json_t *spec = json_object_get(entity, "spec");
        const char *display = json_string_value(
            json_object_get(json_object_get(spec, "profile"), "displayName"));
        const char *name = json_string_value(
            json_object_get(json_object_get(entity, "metadata"), "name"));

        if (display != NULL || name != NULL)
            json_object_set_new(user, "name", json_string(display != NULL ? display : name));
        json_decref(entity);
    }
    gr_error_clear();
    return user;
}

static const char *page_theme(gr_ui_page *page)
{
    const char *theme = gr_ui_page_cookie(page, "gr_theme");

    if (theme != NULL &&
        (strcmp(theme, "light") == 0 || strcmp(theme, "dark") == 0 || strcmp(theme, "auto") == 0))
        return theme;
    return page->ui->default_theme;
}

/* Returns the CSRF token of the page's forms. A cookie session gets the
 * host's token, which is bound to the session and so changes with each
 * sign-in and dies with sign-out. Other callers get the UI's token of their
 * subject. */
static const char *page_csrf(const gr_ui *ui, gr_request *req, const char *subject)
{
    const char *bound = gr_auth_csrf_token(req);
    char own[65];

    if (bound[0] != '\0')
        return bound;
    gr_ui__csrf_token(ui, subject, own);
    return gr_arena_strdup(gr_req_arena(req), own);
}

int gr_ui__page_begin(gr_ui *ui, gr_request *req, gr_response *res, gr_ui_page *page)
{
    const gr_identity *identity = gr_req_identity(req);
    const char *query = gr_req_query(req, "query");

    memset(page, 0, sizeof(*page));
    page->ui = ui;
    page->req = req;
    page->res = res;
    page->arena = gr_req_arena(req);
    if (identity != NULL && identity->subject != NULL && strcmp(identity->type, "none") != 0)
        page->subject = identity->subject;
    if (page->subject != NULL && strncmp(page->subject, "user:", 5) == 0)
        page->user_ref = page->subject;

    page->context = json_object();
    gr_arena_defer(page->arena, context_release, page->context);

    gr_ui__page_put(page, "app",
                    json_pack("{s:s, s:s}", "title",
                              gr_config_string(ui->config, "app.title", "greenroom"),
                              "organization",
                              gr_config_string(ui->config, "organization.name", "")));
    gr_ui__page_put(page, "assets",
                    json_pack("{s:s, s:s, s:s}", "css", ui->assets[UI_ASSET_CSS].url, "js",
                              ui->assets[UI_ASSET_JS].url, "logo",
                              ui->assets[UI_ASSET_LOGO].url));
    gr_ui__page_put(page, "nav", nav_context(ui, gr_req_path(req)));
    gr_ui__page_put(page, "user", user_context(page));
    gr_ui__page_put(page, "theme", json_string(page_theme(page)));
    gr_ui__page_put(page, "csrf", json_string(page_csrf(ui, req, page->subject)));
    gr_ui__page_put(page, "breadcrumbs", json_array());
    gr_ui__page_put(page, "query", json_string(query != NULL ? query : ""));
    gr_ui__page_put(page, "path", json_string(gr_req_url(req)));
    return 0;
}

int gr_ui__page_fragment(gr_ui_page *page, const char *name, json_t **out)
{
    gr_buf html = GR_BUF_INIT;
    int error = gr_template_render(page->ui->templates, name, page->context, &html);

    if (error == 0)
        *out = json_stringn_nocheck(gr_buf_cstr(&html), html.len);
    gr_buf_free(&html);
    return error;
}

gr_request *gr_ui_page_request(gr_ui_page *page)
{
    return page->req;
}

gr_response *gr_ui_page_response(gr_ui_page *page)
{
    return page->res;
}

/* Appends `url` to the context array `key`, made on first use. */
static void append_url(gr_ui_page *page, const char *key, const char *url)
{
    json_t *list = json_object_get(page->context, key);

    if (list == NULL) {
        list = json_array();
        json_object_set_new(page->context, key, list);
    }
    json_array_append_new(list, json_string(url));
}

void gr_ui_page_add_stylesheet(gr_ui_page *page, const char *url)
{
    append_url(page, "stylesheets", url);
}

void gr_ui_page_add_script(gr_ui_page *page, const char *url)
{
    append_url(page, "scripts", url);
}

void gr_ui_page_refresh(gr_ui_page *page, int seconds, int without_script)
{
    gr_ui__page_put(page, "refresh",
                    json_pack("{s:i, s:b}", "seconds", seconds, "noscript", without_script));
}

/* Renders the layout around the context's `body` and sets the response. */
static int render_layout(gr_ui_page *page, int status, const char *title)
{
    gr_buf html = GR_BUF_INIT;
    char hash[65];
    char *etag;
    int error;

    gr_ui__page_put(page, "title", json_string(title));
    if ((error = gr_template_render(page->ui->templates, "layout", page->context, &html)) < 0)
        goto done;

    gr_res_header(page->res, "Cache-Control", "private, no-cache");
    gr_res_header(page->res, "Vary", "Cookie, Authorization");
    gr_ui__sha256_hex(html.data, html.len, hash);
    etag = gr_arena_printf(page->arena, "\"%.32s\"", hash);
    if (status == 200 && gr_res_etag(page->res, etag))
        goto done;
    gr_res_body(page->res, status, "text/html; charset=utf-8", html.data, html.len);

done:
    gr_buf_free(&html);
    return error;
}

int gr_ui_page_render(gr_ui_page *page, int status, const char *name, const char *title)
{
    gr_buf body = GR_BUF_INIT;
    int error;

    gr_ui__page_put(page, "title", json_string(title));
    error = gr_template_render(page->ui->templates, name, page->context, &body);
    if (error == 0) {
        gr_ui__page_put(page, "body", json_stringn_nocheck(gr_buf_cstr(&body), body.len));
        error = render_layout(page, status, title);
    }
    gr_buf_free(&body);
    return error;
}

int gr_ui_page_render_html(gr_ui_page *page, int status, const char *title, const char *html,
                           unsigned flags)
{
    gr_ui__page_put(page, "body", json_string_nocheck(html));
    gr_ui__page_put(page, "ownHeading", json_boolean(flags & GR_UI_PAGE_OWN_HEADING));
    return render_layout(page, status, title);
}

int gr_ui_page_redirect(gr_ui_page *page, const char *location)
{
    /* Only local paths: "//host", "/\host" and "/<TAB>/host", which browsers read as "//host",
     * would leave the site. */
    return gr_res_redirect(page->res, 303, gr_auth_local_path(location));
}

/* A present Origin (or Referer) header must name this server, so that another
 * site cannot post a form here even when it somehow learned a token. */
static int origin_is_same(gr_ui_page *page)
{
    const char *origin = gr_req_header(page->req, "Origin");
    const char *host = gr_req_header(page->req, "Host");
    const char *base = page->ui->host->base_url;
    const char *rest;

    if (origin == NULL || strcmp(origin, "null") == 0)
        origin = gr_req_header(page->req, "Referer");
    if (origin == NULL)
        return 1;
    if (base != NULL && strncmp(origin, base, strlen(base)) == 0 &&
        (origin[strlen(base)] == '\0' || origin[strlen(base)] == '/'))
        return 1;
    rest = strstr(origin, "://");
    if (rest == NULL || host == NULL)
        return 0;
    rest += 3;
    return strncmp(rest, host, strlen(host)) == 0 &&
           (rest[strlen(host)] == '\0' || rest[strlen(host)] == '/');
}

int gr_ui_page_check_post(gr_ui_page *page)
{
    const char *token = gr_ui_page_form(page, "csrf");
    const char *expected = page_csrf(page->ui, page->req, page->subject);

    if (token == NULL || strlen(token) != strlen(expected) ||
        CRYPTO_memcmp(token, expected, strlen(expected)) != 0)
        return gr_error_set(GR_EDENIED, "The form has expired or did not come from this site; "
                                        "reload the page and submit it again");
    if (!origin_is_same(page))
        return gr_error_set(GR_EDENIED, "The form was posted from another site");
    return 0;
}

static const char *status_title(int status)
{
    switch (status) {
    case 400: return "Invalid request";
    case 401: return "Sign-in required";
    case 403: return "Not allowed";
    case 404: return "Not found";
    case 409: return "Conflict";
    case 429: return "Too many requests";
    default: return status >= 500 ? "Server error" : "Error";
    }
}

int gr_ui__page_error(gr_ui_page *page, int code)
{
    return gr_ui__page_error_status(page, gr_error_http_status(code));
}

/* Renders the error page with `message` as it is, or plain text when the template fails. */
static int render_error(gr_ui_page *page, int status, const char *message)
{
    char *copy = gr_arena_strdup(page->arena, message);

    gr_ui__page_put(page, "error",
                    json_pack("{s:i, s:s, s:s}", "status", status, "name", status_title(status),
                              "message", copy));
    if (gr_ui_page_render(page, status, "error", status_title(status)) < 0)
        gr_res_body(page->res, status, "text/plain; charset=utf-8", copy, strlen(copy));
    return 0;
}

int gr_ui__page_error_status(gr_ui_page *page, int status)
{
    const char *message = gr_error_last();

    if (status >= 500) {
        gr_log_fields(GR_LOG_ERROR, "ui", "page failed", "path", gr_req_path(page->req), "error",
                      message, NULL);
        message = "Something went wrong on the server. The error was logged; try again later.";
    }
    return render_error(page, status, message);
}

/* Renders the portal's 404 page for an address that no route matched. Only browsers get it,
 * other clients keep the JSON error. */
static int not_found_page(gr_request *req, gr_response *res, void *payload)
{
    const char *accept = gr_req_header(req, "Accept");
    gr_ui_page page;

    if (accept == NULL || strcasestr(accept, "text/html") == NULL)
        return 1;
    gr_ui__page_begin(payload, req, res, &page);
    gr_error_set(GR_ENOTFOUND,
                 "There is no page at %s. Check the address, or find the page from the "
                 "catalog or the search.",
                 gr_req_path(req));
    gr_ui__page_error(&page, GR_ENOTFOUND);
    /* Other clients get JSON from the same address. */
    gr_res_header(res, "Vary", "Accept, Cookie, Authorization");
    return 0;
}

int gr_ui__not_found_init(gr_ui *ui)
{
    gr_http_set_not_found(ui->host->http, not_found_page, ui);
    return 0;
}

/*
 * The rest of a page on a job thread. The page is a copy in the request
 * arena, because the page function's own copy is gone once it returns.
 */
typedef struct {
    gr_ui_page page;
    gr_ui_page_fn run;
    void *payload;
    void (*free_fn)(void *payload);
} page_job;

static int page_job_run(gr_request *req, gr_response *res, void *payload)
{
    page_job *job = payload;
    int error;

    (void)req;
    (void)res;
    error = job->run(&job->page, job->payload);
    return error < 0 ? gr_ui__page_error(&job->page, error) : 0;
}

static void page_job_free(void *payload)
{
    page_job *job = payload;

    if (job->free_fn != NULL)
        job->free_fn(job->payload);
}

int gr_ui_page_defer(gr_ui_page *page, gr_ui_page_fn run, void *payload,
                     void (*free_fn)(void *payload))
{
    page_job *job = gr_arena_calloc(page->arena, sizeof(*job));
    int error;

    job->page = *page;
    job->run = run;
    job->payload = payload;
    job->free_fn = free_fn;
    error = gr_res_defer(page->res, page_job_run, job, page_job_free);
    if (error != GR_ELIMIT)
        return error;

    /* gr_res_defer() has set the 503 and its Retry-After. Its message names when to retry, so
     * the page shows it in place of the generic text of server errors. */
    gr_log_fields(GR_LOG_WARN, "ui", "deferred page rejected", "path", gr_req_path(page->req),
                  "error", gr_error_last(), NULL);
    return render_error(page, 503, gr_error_last());
}

json_t *gr_ui_page_ownership(gr_ui_page *page)
{
    const gr_identity *identity = gr_req_identity(page->req);
    json_t *refs;

    if (page->user_ref == NULL)
        return json_array();
    if (identity == NULL || identity->ownership_count == 0)
        return gr_ui_ownership_refs(page->ui, page->user_ref);

    refs = json_array();
    for (size_t i = 0; i < identity->ownership_count; i++) {
        char *lower = gr_xstrdup(identity->ownership[i]);

        for (char *c = lower; *c != '\0'; c++)
            *c = (char)tolower((unsigned char)*c);
        json_array_append_new(refs, json_string(lower));
        free(lower);
    }
    return refs;
}
