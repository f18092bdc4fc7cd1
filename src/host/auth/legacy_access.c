/* SPDX-License-Identifier: MIT */
/* Legacy external access: HS256 service tokens signed with a shared secret, as Backstage's. */
#include "host/auth/legacy_access.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/jwt.h"
#include "host/auth/restriction.h"
#include "host/auth/token.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"

typedef struct {
    unsigned char *secret;
    size_t secret_len;
    gr_identity identity;
    gr_auth_restrictions *restrictions;
} legacy_key;

struct gr_auth_legacy_keys {
    legacy_key *keys;
    size_t count;
};

void gr_auth_legacy_keys_free(gr_auth_legacy_keys *keys)
{
    if (keys == NULL)
        return;
    for (size_t i = 0; i < keys->count; i++) {
        OPENSSL_cleanse(keys->keys[i].secret, keys->keys[i].secret_len);
        free(keys->keys[i].secret);
        free((char *)keys->keys[i].identity.subject);
        gr_auth_restrictions_free(keys->keys[i].restrictions);
    }
    free(keys->keys);
    free(keys);
}

/* Decodes base64 in the standard or URL-safe alphabet, padded or not, as
 * Node.js's Buffer.from(text, "base64") reads Backstage's secrets. Returns the
 * bytes (caller frees) or NULL when `text` is empty, too long or not base64. */
static unsigned char *decode_secret(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    size_t padded_len;
    char *padded;
    unsigned char *bytes;
    int decoded;

    while (len > 0 && text[len - 1] == '=')
        len--;
    if (len == 0 || len > GR_AUTH_LEGACY_MAX_SECRET_BYTES * 4 / 3 + 4 || len % 4 == 1)
        return NULL;
    padded_len = (len + 3) / 4 * 4;
    padded = gr_xmalloc(padded_len + 1);
    for (size_t i = 0; i < padded_len; i++) {
        char c = i < len ? text[i] : '=';

        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        padded[i] = c;
    }
    padded[padded_len] = '\0';
    bytes = gr_xmalloc(padded_len / 4 * 3 + 1);
    decoded = EVP_DecodeBlock(bytes, (const unsigned char *)padded, (int)padded_len);
    OPENSSL_cleanse(padded, padded_len);
    free(padded);
    if (decoded < 0) {
        free(bytes);
        return NULL;
    }
    /* EVP_DecodeBlock counts the bytes of the padding as zeros. */
    *out_len = (size_t)decoded - (padded_len - len);
    /* The check on the text length above lets up to two bytes more through. */
    if (*out_len > GR_AUTH_LEGACY_MAX_SECRET_BYTES) {
        OPENSSL_cleanse(bytes, (size_t)decoded);
        free(bytes);
        return NULL;
    }
    return bytes;
}

static int add_legacy(gr_auth_legacy_keys *keys, size_t index, const json_t *item)
{
    const json_t *options = json_object_get(item, "options");
    const char *secret = json_string_value(json_object_get(options, "secret"));
    const char *subject = json_string_value(json_object_get(options, "subject"));
    legacy_key *entry = &keys->keys[keys->count];
    gr_auth_restrictions *restrictions = NULL;
    char *path;
    int rc;

    if (secret == NULL || subject == NULL)
        return gr_error_set(GR_EINVALID,
                            "backend.auth.externalAccess[%zu]: a legacy entry needs "
                            "options.secret and options.subject",
                            index);
    path = gr_xasprintf("backend.auth.externalAccess[%zu]", index);
    rc = gr_auth_restrictions_read(item, path, &restrictions);
    free(path);
    if (rc < 0)
        return rc;
    entry->secret = decode_secret(secret, &entry->secret_len);
    if (entry->secret == NULL) {
        gr_auth_restrictions_free(restrictions);
        return gr_error_set(GR_EINVALID,
                            "backend.auth.externalAccess[%zu].options.secret: the secret must "
                            "be base64 of 1 to %d bytes",
                            index, GR_AUTH_LEGACY_MAX_SECRET_BYTES);
    }
    entry->restrictions = restrictions;
    entry->identity.restrictions = restrictions;
    entry->identity.type = "service";
    entry->identity.subject = gr_xasprintf("external:%s", subject);
    entry->identity.source = "legacy";
    keys->count++;
    return GR_OK;
}

int gr_auth_legacy_keys_new(gr_auth_legacy_keys **out, const gr_config *cfg)
{
    const json_t *entries = gr_config_node(cfg, "backend.auth.externalAccess");
    gr_auth_legacy_keys *keys = gr_xcalloc(1, sizeof(*keys));
    size_t index;
    const json_t *entry;
    int rc;

    keys->keys = gr_xcalloc(json_array_size(entries) + 1, sizeof(legacy_key));
    json_array_foreach(entries, index, entry)
    {
        const char *type = json_string_value(json_object_get(entry, "type"));

        if (type == NULL || strcmp(type, "legacy") != 0)
            continue;
        if ((rc = add_legacy(keys, index, entry)) < 0) {
            gr_auth_legacy_keys_free(keys);
            return rc;
        }
    }
    *out = keys;
    return GR_OK;
}

/* Returns the entry whose secret signed `jwt`, or NULL. Every entry is tried,
 * so the time taken does not tell which one matched. */
static const legacy_key *find_signer(const gr_auth_legacy_keys *keys, const gr_jwt *jwt)
{
    const legacy_key *found = NULL;

    for (size_t i = 0; i < keys->count; i++) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_len = 0;
        const legacy_key *key = &keys->keys[i];

        HMAC(EVP_sha256(), key->secret, (int)key->secret_len,
             (const unsigned char *)jwt->signing_input, strlen(jwt->signing_input), mac, &mac_len);
        if (mac_len == jwt->signature_len && CRYPTO_memcmp(mac, jwt->signature, mac_len) == 0 &&
            found == NULL)
            found = key;
    }
    return found;
}

int gr_auth_legacy_keys_verify(const gr_auth_legacy_keys *keys, const char *token, int64_t now,
                               const gr_identity **identity)
{
    gr_jwt_expect expect = {.now = now, .leeway_s = GR_AUTH_TOKEN_LEEWAY_S, .require_exp = 1};
    const legacy_key *signer;
    const char *alg;
    const char *sub;
    gr_jwt jwt;
    int rc;

    *identity = NULL;
    if (keys->count == 0 || gr_jwt_parse(token, &jwt) < 0)
        return 1;
    alg = json_string_value(json_object_get(jwt.header, "alg"));
    sub = json_string_value(json_object_get(jwt.payload, "sub"));
    if (strcmp(alg, "HS256") != 0)
        rc = 1;
    else if ((signer = find_signer(keys, &jwt)) == NULL)
        rc = gr_error_set(GR_EUNAUTH, "legacy token signature is invalid");
    else if ((rc = gr_jwt_check_claims(jwt.payload, &expect)) < 0)
        ;
    else if (sub == NULL || strcmp(sub, GR_AUTH_LEGACY_SUBJECT) != 0)
        rc = gr_error_set(GR_EUNAUTH, "legacy token subject must be '%s'", GR_AUTH_LEGACY_SUBJECT);
    else
        *identity = &signer->identity;
    gr_jwt_clear(&jwt);
    return rc;
}
