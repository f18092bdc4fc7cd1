/* SPDX-License-Identifier: MIT */
/* Static external-access tokens from `backend.auth.externalAccess`. */
#include "host/auth/external_access.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/restriction.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"

typedef struct {
    char *token;
    gr_identity identity;
    gr_auth_restrictions *restrictions;
} static_token;

struct gr_auth_static_tokens {
    static_token *tokens;
    size_t count;
};

void gr_auth_static_tokens_free(gr_auth_static_tokens *tokens)
{
    if (tokens == NULL)
        return;
    for (size_t i = 0; i < tokens->count; i++) {
        OPENSSL_cleanse(tokens->tokens[i].token, strlen(tokens->tokens[i].token));
        free(tokens->tokens[i].token);
        free((char *)tokens->tokens[i].identity.subject);
        gr_auth_restrictions_free(tokens->tokens[i].restrictions);
    }
    free(tokens->tokens);
    free(tokens);
}

static int add_static(gr_auth_static_tokens *tokens, size_t index, const json_t *entry)
{
    const json_t *options = json_object_get(entry, "options");
    const char *token = json_string_value(json_object_get(options, "token"));
    const char *subject = json_string_value(json_object_get(options, "subject"));
    gr_auth_restrictions *restrictions = NULL;
    static_token *added;
    char *path;
    int rc;

    if (token == NULL || subject == NULL)
        return gr_error_set(GR_EINVALID,
                            "backend.auth.externalAccess[%zu]: a static entry needs "
                            "options.token and options.subject",
                            index);
    if (strlen(token) < GR_AUTH_STATIC_TOKEN_MIN_LEN || strpbrk(token, " \t\r\n") != NULL)
        return gr_error_set(GR_EINVALID,
                            "backend.auth.externalAccess[%zu].options.token: a static token "
                            "needs at least %d characters and no whitespace",
                            index, GR_AUTH_STATIC_TOKEN_MIN_LEN);

    path = gr_xasprintf("backend.auth.externalAccess[%zu]", index);
    rc = gr_auth_restrictions_read(entry, path, &restrictions);
    free(path);
    if (rc < 0)
        return rc;

    added = &tokens->tokens[tokens->count++];
    added->token = gr_xstrdup(token);
    added->restrictions = restrictions;
    added->identity.type = "service";
    added->identity.subject = gr_xasprintf("external:%s", subject);
    added->identity.source = "static";
    added->identity.restrictions = restrictions;
    return GR_OK;
}

int gr_auth_static_tokens_new(gr_auth_static_tokens **out, const gr_config *cfg)
{
    const json_t *entries = gr_config_node(cfg, "backend.auth.externalAccess");
    gr_auth_static_tokens *tokens = gr_xcalloc(1, sizeof(*tokens));
    size_t index;
    const json_t *entry;
    int rc;

    tokens->tokens = gr_xcalloc(json_array_size(entries) + 1, sizeof(static_token));
    json_array_foreach(entries, index, entry)
    {
        const char *type = json_string_value(json_object_get(entry, "type"));

        if (type != NULL && (strcmp(type, "legacy") == 0 || strcmp(type, "jwks") == 0))
            continue; /* read by legacy_access.c and jwks_access.c */
        if (type == NULL || strcmp(type, "static") != 0) {
            gr_warn("auth",
                    "backend.auth.externalAccess[%zu]: type '%s' is not supported; "
                    "the entry is ignored",
                    index, type ? type : "");
            continue;
        }
        if ((rc = add_static(tokens, index, entry)) < 0) {
            gr_auth_static_tokens_free(tokens);
            return rc;
        }
    }
    *out = tokens;
    return GR_OK;
}

static int token_equal(const char *expected, const char *presented)
{
    size_t len = strlen(expected);

    if (strlen(presented) != len)
        return 0;
    return CRYPTO_memcmp(expected, presented, len) == 0;
}

const gr_identity *gr_auth_static_tokens_match(const gr_auth_static_tokens *tokens,
                                               const char *presented)
{
    const gr_identity *found = NULL;

    /* Every entry is compared, so the time taken does not tell which matched. */
    for (size_t i = 0; i < tokens->count; i++) {
        if (token_equal(tokens->tokens[i].token, presented) && found == NULL)
            found = &tokens->tokens[i].identity;
    }
    return found;
}
