/* SPDX-License-Identifier: MIT */
/* Authentication of API requests by static external-access tokens. */
#include "host/auth/external_access.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/http.h"
#include "host/log/log.h"

/** Minimum length of a static token, as Backstage requires. */
#define AUTH_TOKEN_MIN_LEN 8

typedef struct {
    char *token;
    gr_identity identity;
} auth_static_token;

struct gr_auth {
    auth_static_token *tokens;
    size_t count;
    bool allow_anonymous;
    gr_identity anonymous;
};

void gr_auth_free(gr_auth *auth)
{
    if (auth == NULL)
        return;
    for (size_t i = 0; i < auth->count; i++) {
        OPENSSL_cleanse(auth->tokens[i].token, strlen(auth->tokens[i].token));
        free(auth->tokens[i].token);
        free((char *)auth->tokens[i].identity.subject);
    }
    free(auth->tokens);
    free(auth);
}

static int auth_add_static(gr_auth *auth, size_t index, const json_t *options)
{
    const char *token = json_string_value(json_object_get(options, "token"));
    const char *subject = json_string_value(json_object_get(options, "subject"));
    auth_static_token *entry;

    if (token == NULL || subject == NULL)
        return gr_error_set(GR_EINVALID,
                            "backend.auth.externalAccess[%zu]: a static entry needs "
                            "options.token and options.subject",
                            index);
    if (strlen(token) < AUTH_TOKEN_MIN_LEN || strpbrk(token, " \t\r\n") != NULL)
        return gr_error_set(GR_EINVALID,
                            "backend.auth.externalAccess[%zu].options.token: a static token "
                            "needs at least %d characters and no whitespace",
                            index, AUTH_TOKEN_MIN_LEN);

    entry = &auth->tokens[auth->count++];
    entry->token = gr_xstrdup(token);
    entry->identity.type = "service";
    entry->identity.subject = gr_xasprintf("external:%s", subject);
    return 0;
}

int gr_auth_new(gr_auth **out, const gr_config *cfg)
{
    const json_t *entries = gr_config_node(cfg, "backend.auth.externalAccess");
    gr_auth *auth = gr_xcalloc(1, sizeof(*auth));
    size_t index;
    const json_t *entry;
    int error = 0;

    auth->tokens = gr_xcalloc(json_array_size(entries) + 1, sizeof(auth_static_token));
    json_array_foreach(entries, index, entry)
    {
        const char *type = json_string_value(json_object_get(entry, "type"));

        if (type == NULL || strcmp(type, "static") != 0) {
            /* TODO: legacy (HS256 shared secret) and jwks external access. */
            gr_warn("auth", "backend.auth.externalAccess[%zu]: type '%s' is not supported; "
                    "the entry is ignored", index, type ? type : "");
            continue;
        }
        if ((error = auth_add_static(auth, index, json_object_get(entry, "options"))) < 0)
            goto done;
    }

    auth->allow_anonymous =
        gr_config_bool(cfg, "backend.auth.dangerouslyDisableDefaultAuthPolicy", false);
    auth->anonymous.type = "none";
    auth->anonymous.subject = "anonymous";
    if (auth->allow_anonymous)
        gr_warn("auth", "backend.auth.dangerouslyDisableDefaultAuthPolicy is true: every API "
                "route is open to unauthenticated callers");

done:
    if (error < 0) {
        gr_auth_free(auth);
        return error;
    }
    *out = auth;
    return 0;
}

static const char *auth_bearer_token(const gr_request *req)
{
    const char *header = gr_req_header(req, "Authorization");

    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    header += 7;
    while (*header == ' ')
        header++;
    return *header != '\0' ? header : NULL;
}

static bool auth_token_equal(const char *expected, const char *presented)
{
    size_t len = strlen(expected);

    if (strlen(presented) != len)
        return false;
    return CRYPTO_memcmp(expected, presented, len) == 0;
}

int gr_auth_authenticate(gr_request *req, void *payload)
{
    gr_auth *auth = payload;
    const char *token = auth_bearer_token(req);

    if (token == NULL) {
        if (auth->allow_anonymous) {
            gr_req_set_identity(req, &auth->anonymous);
            return 0;
        }
        return gr_error_set(GR_EUNAUTH, "Missing credentials");
    }

    for (size_t i = 0; i < auth->count; i++) {
        if (auth_token_equal(auth->tokens[i].token, token)) {
            gr_req_set_identity(req, &auth->tokens[i].identity);
            return 0;
        }
    }
    /* TODO: user identity tokens (ES256 JWTs) and browser sessions. */
    return gr_error_set(GR_EUNAUTH, "Invalid token");
}
