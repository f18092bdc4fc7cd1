/* SPDX-License-Identifier: MIT */
/* One page being rendered: its request, identity, template context and the shell around it. */
#ifndef GR_PLUGINS_UI_PAGE_H
#define GR_PLUGINS_UI_PAGE_H

#include <jansson.h>

#include "host/common/arena.h"
#include "host/http/http.h"
#include "plugins/ui/ui.h"

/*
 * The context every template sees:
 *   app         {title, organization}
 *   assets      {css, js, logo}: URLs with a content hash
 *   nav         [{label, path, icon, active}]
 *   user        {subject, ref, name, signedIn}; ref only for user identities
 *   theme       "auto", "light" or "dark" (from the gr_theme cookie)
 *   csrf        the token that POST forms send back as `csrf`
 *   title       the page title; breadcrumbs [{label, href}]
 *   query       the text of the header's search box
 * Pages add their own members next to these.
 */
struct gr_ui_page {
    gr_ui *ui;
    gr_request *req;
    gr_response *res;
    gr_arena *arena;
    const char *subject;  /* identity subject, or NULL without an identity (borrowed) */
    const char *user_ref; /* "user:<namespace>/<name>" for user identities, else NULL */
    json_t *context;      /* root template context; released with the arena */
};

/** Returns the root template context (borrowed). */
json_t *gr_ui_page_context(gr_ui_page *page);

/**
 * Returns the refs, in lower case, that count as owned by the signed-in
 * identity: the ownership refs that its token carries (Backstage's
 * ownershipEntityRefs, which a sign-in resolver or a guest's
 * ownershipEntityRefs setting fill), or else the user and the groups of its
 * memberOf relations. An empty array without a user identity. Caller releases.
 */
json_t *gr_ui_page_ownership(gr_ui_page *page);

/** Appends a breadcrumb; `href` may be NULL for the current page. Strings are copied. */
void gr_ui_page_crumb(gr_ui_page *page, const char *label, const char *href);

/**
 * Renders template `name` with the page context, wraps it in the layout with
 * `title`, and sets the response: `status`, text/html, an ETag of the
 * content (304 when If-None-Match matches), Cache-Control private/no-cache
 * and Vary: Cookie. Returns 0 or the template's error.
 */
int gr_ui_page_render(gr_ui_page *page, int status, const char *name, const char *title);

/**
 * Hands the rest of a page to `run` on one of the server's job threads
 * (gr_res_defer()), so that slow work such as a URL read does not hold an
 * HTTP thread. A page function calls it last, after its fast checks, and
 * returns its result. `run` gets a copy of the page with its context, fills
 * it and renders as a page function does, and an error it returns becomes the
 * error page. `payload` belongs to the job: free_fn(payload) runs once, after
 * `run` or at once when the job is rejected (free_fn may be NULL). It may
 * live in the page arena. Returns 0, also after rendering a 503 error page
 * with Retry-After when every job thread is taken or the server is stopping,
 * or GR_EINVALID when the request has a job already.
 */
int gr_ui_page_defer(gr_ui_page *page, gr_ui_page_fn run, void *payload,
                     void (*free_fn)(void *payload));

/** Answers 303 See Other to a local path (anything else becomes "/"). Returns 0. */
int gr_ui_page_redirect(gr_ui_page *page, const char *location);

/**
 * Returns the value of field `name` of a POST form body
 * (application/x-www-form-urlencoded), decoded, or NULL. Borrowed from the
 * request arena.
 */
const char *gr_ui_page_form(gr_ui_page *page, const char *name);

/**
 * Checks a form post: the `csrf` field must be the caller's token and a
 * present Origin header must be this server's. Returns 0, or GR_EDENIED.
 */
int gr_ui_page_check_post(gr_ui_page *page);

/** Returns the value of cookie `name` of the request, or NULL (borrowed from the arena). */
const char *gr_ui_page_cookie(gr_ui_page *page, const char *name);

#endif
