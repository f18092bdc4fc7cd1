/* SPDX-License-Identifier: MIT */
/* Sign-in and sign-out in the browser: /signin, /signout and the redirect of signed-out views. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/auth/audit.h"
#include "host/auth/auth.h"
#include "host/common/error.h"
#include "host/http/http.h"
#include "plugins/auth/plugin.h"
#include "plugins/ui/ui_internal.h"

/* Appends "/signin?redirect=<path>", with `path` percent-encoded. */
static void put_signin_url(gr_buf *out, const char *path)
{
    gr_buf_puts(out, "/signin?redirect=");
    gr_template_put_uri(out, gr_auth_plugin_local_path(path));
}

/*
 * Sends a browser that opens a page without a valid identity to the sign-in
 * page, which brings it back afterwards. Only page views qualify: GET or
 * HEAD outside /api, from a client that accepts HTML. Everything else keeps
 * Backstage's 401 JSON body, which API clients expect.
 */
static int redirect_to_signin(gr_request *req, gr_response *res, void *payload)
{
    const char *method = gr_req_method(req);
    const char *path = gr_req_path(req);
    const char *accept = gr_req_header(req, "Accept");
    gr_buf location = GR_BUF_INIT;
    int rc;

    (void)payload;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return 1;
    if (strcmp(path, "/api") == 0 || strncmp(path, "/api/", 5) == 0)
        return 1;
    if (accept == NULL || strcasestr(accept, "text/html") == NULL)
        return 1;
    put_signin_url(&location, gr_req_url(req));
    gr_res_header(res, "Cache-Control", "no-store");
    rc = gr_res_redirect(res, 302, gr_buf_cstr(&location));
    gr_buf_free(&location);
    return rc;
}

/* The one sign-in page of the portal: the auth plugin's providers in the
 * portal layout, without the sidebar, each returning to `redirect`. */
static int signin_page(gr_request *req, gr_response *res, void *payload)
{
    gr_ui *ui = payload;
    const auth_plugin *auth = gr_host_lookup(ui->host, GR_AUTH_SERVICE);
    const char *redirect = gr_auth_plugin_local_path(gr_req_query(req, "redirect"));
    gr_ui_page page;
    int error;

    if ((error = gr_ui__page_begin(ui, req, res, &page)) < 0)
        return error;
    gr_ui__page_put(&page, "providers",
                    auth != NULL ? gr_auth_plugin_providers(auth, redirect) : json_array());
    if (strcmp(redirect, "/") != 0)
        gr_ui__page_put(&page, "returnTo", json_string(redirect));
    gr_ui__page_put(&page, "nav", json_array());
    /* The header's sign-in link would lead to this page again, inside its own redirect. */
    gr_ui__page_put(&page, "signinPage", json_true());
    if ((error = gr_ui_page_render(&page, 200, "signin", "Sign in")) < 0)
        return gr_ui__page_error(&page, error);
    return 0;
}

/*
 * Ends the caller's sign-in session on every instance, deletes the session
 * cookie and sends the browser to the sign-in page. The form must carry the
 * session-bound CSRF token, so another site cannot sign a user out.
 */
static int signout_post(gr_ui_page *page, void *payload)
{
    gr_auth *auth = page->ui->host->auth;
    const gr_identity *identity = gr_req_identity(page->req);
    char *cookie;
    int error;

    (void)payload;
    if ((error = gr_ui_page_check_post(page)) < 0)
        return error;
    if (auth == NULL)
        return gr_error_set(GR_EINVALID, "Sign-out is not available: the portal runs without "
                                         "authentication");
    if ((error = gr_auth_sign_out(auth, identity)) < 0)
        return error;
    gr_audit_sign_out("portal", identity->subject, gr_req_client_addr(page->req));

    cookie = gr_auth_session_cookie(auth, NULL);
    gr_res_header_add(page->res, "Set-Cookie", cookie);
    free(cookie);
    gr_res_header(page->res, "Cache-Control", "no-store");
    return gr_ui_page_redirect(page, "/signin");
}

int gr_ui__signin_init(gr_ui *ui)
{
    int error;

    gr_http_set_unauthenticated(ui->host->http, redirect_to_signin, ui);
    error = gr_http_route(ui->host->http, "GET", "/signin", GR_ROUTE_PUBLIC, signin_page, ui);
    if (error < 0)
        return error;
    return gr_ui_page_add(ui, "POST", "/signout", signout_post, NULL);
}
