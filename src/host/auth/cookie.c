/* SPDX-License-Identifier: MIT */
/* Cookies, HMAC-signed values and CSRF protection for browser sessions. */
#include "host/auth/cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/auth/base64url.h"
#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/error.h"

const char *gr_auth_cookie(gr_request *req, const char *name)
{
    const char *header = gr_req_header(req, "Cookie");
    size_t name_len = strlen(name);

    while (header != NULL && *header != '\0') {
        const char *end = strchr(header, ';');
        size_t len = end ? (size_t)(end - header) : strlen(header);

        while (len > 0 && *header == ' ') {
            header++;
            len--;
        }
        if (len > name_len && strncmp(header, name, name_len) == 0 && header[name_len] == '=') {
            size_t value_len = len - name_len - 1;

            if (value_len > GR_AUTH_MAX_COOKIE_BYTES)
                return NULL;
            return gr_arena_strndup(gr_req_arena(req), header + name_len + 1, value_len);
        }
        header = end ? end + 1 : NULL;
    }
    return NULL;
}

char *gr_auth_cookie_header(const char *name, const char *value, const char *path,
                            int64_t max_age_s, int secure)
{
    return gr_xasprintf("%s=%s; Path=%s; Max-Age=%lld; HttpOnly; SameSite=Lax%s", name, value,
                        path, (long long)max_age_s, secure ? "; Secure" : "");
}

char *gr_auth_hmac(const unsigned char *secret, const char *data)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;

    HMAC(EVP_sha256(), secret, 32, (const unsigned char *)data, strlen(data), mac, &mac_len);
    return gr_base64url_encode(mac, mac_len);
}

int gr_auth_equal(const char *a, const char *b)
{
    size_t len = strlen(a);

    return strlen(b) == len && CRYPTO_memcmp(a, b, len) == 0;
}

const char *gr_auth_csrf_token(gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);

    if (identity == NULL || identity->csrf_token == NULL)
        return "";
    return identity->csrf_token;
}

/* Reads field `name` of a form body into arena memory, or returns NULL when it is absent. */
static const char *form_field(gr_request *req, const char *name)
{
    const char *content_type = gr_req_header(req, "Content-Type");
    size_t len = 0;
    const char *body = gr_req_body(req, &len);
    size_t name_len = strlen(name);

    if (content_type == NULL ||
        strncasecmp(content_type, "application/x-www-form-urlencoded", 33) != 0)
        return NULL;
    while (body != NULL && *body != '\0') {
        const char *end = strchr(body, '&');
        size_t pair_len = end ? (size_t)(end - body) : strlen(body);

        if (pair_len > name_len && strncmp(body, name, name_len) == 0 && body[name_len] == '=')
            return gr_arena_strndup(gr_req_arena(req), body + name_len + 1,
                                    pair_len - name_len - 1);
        body = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Returns nonzero when `url` starts with `origin` followed by '/', '?' or its end. */
static int same_origin(const char *url, const char *origin)
{
    size_t len = strlen(origin);

    return strncasecmp(url, origin, len) == 0 &&
           (url[len] == '\0' || url[len] == '/' || url[len] == '?');
}

int gr_auth_csrf_check(gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);
    const char *method = gr_req_method(req);
    const char *origin = gr_req_header(req, "Origin");
    const char *referer = gr_req_header(req, "Referer");
    const char *presented;

    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
        strcmp(method, "OPTIONS") == 0)
        return GR_OK;
    if (identity == NULL)
        return gr_error_set(GR_EUNAUTH, "Missing credentials");
    if (identity->csrf_token == NULL)
        return GR_OK;

    if (origin != NULL && identity->app_origin != NULL &&
        !same_origin(origin, identity->app_origin))
        return gr_error_set(GR_EDENIED, "Cross-site request rejected: origin '%s' is not the "
                                        "portal's origin",
                            origin);
    if (origin == NULL && referer != NULL && identity->app_origin != NULL &&
        !same_origin(referer, identity->app_origin))
        return gr_error_set(GR_EDENIED, "Cross-site request rejected: the referer is not on "
                                        "the portal's origin");

    presented = gr_req_header(req, GR_AUTH_CSRF_HEADER);
    if (presented == NULL)
        presented = form_field(req, GR_AUTH_CSRF_FIELD);
    if (presented == NULL || !gr_auth_equal(identity->csrf_token, presented))
        return gr_error_set(GR_EDENIED, "The CSRF token of the form is missing or invalid; "
                                        "reload the page and submit it again");
    return GR_OK;
}
