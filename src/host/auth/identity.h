/* SPDX-License-Identifier: MIT */
/* The caller of a request, as the authenticator sets it. */
#ifndef GR_HOST_AUTH_IDENTITY_H
#define GR_HOST_AUTH_IDENTITY_H

#include <stddef.h>

/** Maximum number of ownership refs in one identity (the `ent` claim). */
#define GR_AUTH_MAX_OWNERSHIP 256

typedef struct gr_auth_restrictions gr_auth_restrictions;
typedef struct gr_auth_restriction gr_auth_restriction;

/*
 * Set on every authenticated request with gr_req_set_identity(). Strings are
 * borrowed: from the request arena for user identities, from the gr_auth for
 * static and legacy service identities.
 */
typedef struct {
    const char *type;    /* "user", "service" (external access) or "none" (anonymous) */
    const char *subject; /* user entity ref, e.g. "user:default/jane"; or "external:ci-bot" */
    /* Users: the user's own ref and the refs of the groups it belongs to. */
    const char *const *ownership;
    size_t ownership_count;
    /* How the identity was presented: "token", "cookie", "static", "legacy", "jwks",
     * "proxy:<provider>", or "anonymous". */
    const char *source;
    /* The user's identity token (presented or issued for a proxy identity), for
     * forwarding to other services; NULL for service and anonymous identities. */
    const char *token;
    /* User tokens: the sign-in session the token belongs to ("sid"), which
     * signing out revokes; NULL for other identities. */
    const char *session_id;
    /* Cookie sessions only: the value a form post must echo (gr_auth_csrf_check()). */
    const char *csrf_token;
    /* Origin of app.baseUrl ("https://portal.example.com"), for the CSRF Origin check. */
    const char *app_origin;
    /* Service identities of externalAccess entries with accessRestrictions: all
     * restrictions of the entry (borrowed from the gr_auth), and the one of the
     * plugin that the request calls. Both are NULL for unrestricted callers. */
    const gr_auth_restrictions *restrictions;
    const gr_auth_restriction *restriction;
} gr_identity;

#endif
