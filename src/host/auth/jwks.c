/* SPDX-License-Identifier: MIT */
/* Verification keys of an outside issuer: a JWKS URL, a per-kid PEM URL or a PEM file, cached. */
#include "host/auth/jwks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/fetch.h"
#include "host/auth/jwk.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"

/** Maximum size of a PEM key file, in bytes. */
#define JWKS_MAX_PEM_BYTES 65536
/** Maximum length of a kid put into a key URL. */
#define JWKS_MAX_KID 128

typedef struct {
    char *kid; /* NULL for the key of a PEM file */
    EVP_PKEY *key;
} jwks_key;

struct gr_jwks {
    char *jwks_url;
    char *key_url;
    pthread_mutex_t lock;
    jwks_key keys[GR_JWKS_MAX_KEYS];
    size_t count;
    int64_t fetched_at; /* 0: never; a static set is never fetched */
    int is_static;
};

static void jwks_clear_keys(gr_jwks *jwks)
{
    for (size_t i = 0; i < jwks->count; i++) {
        free(jwks->keys[i].kid);
        EVP_PKEY_free(jwks->keys[i].key);
    }
    jwks->count = 0;
}

void gr_jwks_free(gr_jwks *jwks)
{
    if (jwks == NULL)
        return;
    jwks_clear_keys(jwks);
    pthread_mutex_destroy(&jwks->lock);
    free(jwks->jwks_url);
    free(jwks->key_url);
    free(jwks);
}

static gr_jwks *jwks_alloc(void)
{
    gr_jwks *jwks = gr_xcalloc(1, sizeof(*jwks));

    pthread_mutex_init(&jwks->lock, NULL);
    return jwks;
}

static void jwks_add(gr_jwks *jwks, const char *kid, EVP_PKEY *key)
{
    if (jwks->count == GR_JWKS_MAX_KEYS) {
        EVP_PKEY_free(key);
        return;
    }
    jwks->keys[jwks->count].kid = kid ? gr_xstrdup(kid) : NULL;
    jwks->keys[jwks->count].key = key;
    jwks->count++;
}

/* Replaces the keys with those of a JWKS document. Keys that cannot be used are skipped. */
static int jwks_load_json(gr_jwks *jwks, const char *text, size_t len)
{
    json_t *doc = json_loadb(text, len, 0, NULL);
    const json_t *keys = json_object_get(doc, "keys");
    const json_t *jwk;
    size_t i;

    if (!json_is_array(keys)) {
        json_decref(doc);
        return gr_error_set(GR_EINVALID, "the key set is not a JSON object with a \"keys\" array");
    }
    jwks_clear_keys(jwks);
    json_array_foreach(keys, i, jwk)
    {
        const char *use = json_string_value(json_object_get(jwk, "use"));
        EVP_PKEY *key = NULL;

        if (use != NULL && strcmp(use, "sig") != 0)
            continue;
        if (gr_jwk_to_pkey(jwk, &key) < 0) {
            gr_debug("auth", "key %zu of the key set is skipped: %s", i, gr_error_last());
            continue;
        }
        jwks_add(jwks, json_string_value(json_object_get(jwk, "kid")), key);
    }
    json_decref(doc);
    return GR_OK;
}

int gr_jwks_from_json(gr_jwks **out, const char *text, size_t len)
{
    gr_jwks *jwks = jwks_alloc();
    int rc;

    jwks->is_static = 1;
    if ((rc = jwks_load_json(jwks, text, len)) < 0) {
        gr_jwks_free(jwks);
        return rc;
    }
    *out = jwks;
    return GR_OK;
}

static int jwks_read_pem(gr_jwks *jwks, const char *path)
{
    FILE *file = fopen(path, "rb");
    char *text;
    size_t len;
    EVP_PKEY *key = NULL;
    int rc;

    if (file == NULL)
        return gr_error_set(GR_ENOTFOUND, "%s: the public key file cannot be opened", path);
    text = gr_xmalloc(JWKS_MAX_PEM_BYTES + 1);
    len = fread(text, 1, JWKS_MAX_PEM_BYTES + 1, file);
    fclose(file);
    if (len > JWKS_MAX_PEM_BYTES) {
        free(text);
        return gr_error_set(GR_ELIMIT, "%s: the public key file is larger than %d bytes", path,
                            JWKS_MAX_PEM_BYTES);
    }
    rc = gr_pem_public_key(text, len, &key);
    free(text);
    if (rc < 0)
        return gr_error_wrap(rc, "%s", path);
    jwks_add(jwks, NULL, key);
    return GR_OK;
}

int gr_jwks_new(gr_jwks **out, const char *jwks_url, const char *key_url, const char *pem_file)
{
    gr_jwks *jwks = jwks_alloc();
    int rc = GR_OK;

    if ((jwks_url != NULL) + (key_url != NULL) + (pem_file != NULL) != 1) {
        rc = gr_error_set(GR_EINVALID, "exactly one of a JWKS URL, a key URL or a PEM file "
                                       "must be configured");
    } else if (pem_file != NULL) {
        jwks->is_static = 1;
        rc = jwks_read_pem(jwks, pem_file);
    } else if (key_url != NULL && strstr(key_url, "{kid}") == NULL) {
        rc = gr_error_set(GR_EINVALID, "key URL '%s' must contain {kid}", key_url);
    } else {
        jwks->jwks_url = jwks_url ? gr_xstrdup(jwks_url) : NULL;
        jwks->key_url = key_url ? gr_xstrdup(key_url) : NULL;
    }
    if (rc < 0) {
        gr_jwks_free(jwks);
        return rc;
    }
    *out = jwks;
    return GR_OK;
}

static int jwks_fetch_set(gr_jwks *jwks, int64_t now)
{
    gr_buf body = GR_BUF_INIT;
    long status = 0;
    int rc;

    jwks->fetched_at = now;
    rc = gr_auth_fetch(jwks->jwks_url, NULL, NULL, &body, &status);
    if (rc == GR_OK && status != 200)
        rc = gr_error_set(GR_EBACKEND, "%s: key set request returned HTTP %ld", jwks->jwks_url,
                          status);
    if (rc == GR_OK)
        rc = jwks_load_json(jwks, gr_buf_cstr(&body), body.len);
    gr_buf_free(&body);
    if (rc < 0)
        gr_log_fields(GR_LOG_WARN, "auth", "key set fetch failed", "url", jwks->jwks_url, "error",
                      gr_error_last(), NULL);
    return rc;
}

/* Checks that `kid` can be put into a key URL as it is. Sets the error when it cannot. */
static int kid_check(const char *kid)
{
    size_t len = strlen(kid);

    if (len == 0 || len > JWKS_MAX_KID)
        return gr_error_set(GR_EUNAUTH, "token key id is empty or longer than %d characters",
                            JWKS_MAX_KID);
    if (strspn(kid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != len)
        return gr_error_set(GR_EUNAUTH, "token key id has characters other than letters, "
                                        "digits, '-' and '_'");
    return GR_OK;
}

static int jwks_fetch_pem(gr_jwks *jwks, const char *kid)
{
    const char *mark = strstr(jwks->key_url, "{kid}");
    char *url;
    gr_buf body = GR_BUF_INIT;
    long status = 0;
    EVP_PKEY *key = NULL;
    int rc;

    if ((rc = kid_check(kid)) < 0)
        return rc;
    url = gr_xasprintf("%.*s%s%s", (int)(mark - jwks->key_url), jwks->key_url, kid, mark + 5);
    rc = gr_auth_fetch(url, NULL, NULL, &body, &status);
    if (rc == GR_OK && status != 200)
        rc = gr_error_set(GR_EUNAUTH, "%s: key request returned HTTP %ld", url, status);
    if (rc == GR_OK && (rc = gr_pem_public_key(gr_buf_cstr(&body), body.len, &key)) == GR_OK)
        jwks_add(jwks, kid, key);
    free(url);
    gr_buf_free(&body);
    return rc;
}

static EVP_PKEY *jwks_find(const gr_jwks *jwks, const char *kid)
{
    for (size_t i = 0; i < jwks->count; i++) {
        if (kid == NULL && jwks->count == 1)
            return jwks->keys[i].key;
        if (kid != NULL && (jwks->keys[i].kid == NULL ? jwks->count == 1
                                                      : strcmp(jwks->keys[i].kid, kid) == 0))
            return jwks->keys[i].key;
    }
    return NULL;
}

/* Finds the key for `kid`, fetching when the cache is stale or lacks it. Called locked. */
static EVP_PKEY *jwks_lookup(gr_jwks *jwks, const char *kid, int64_t now, int *rc)
{
    EVP_PKEY *key;
    int stale = now - jwks->fetched_at >= GR_JWKS_CACHE_TTL_S;

    *rc = GR_OK;
    if (jwks->is_static)
        return jwks_find(jwks, kid);
    if (jwks->key_url != NULL) {
        if ((key = jwks_find(jwks, kid)) != NULL || kid == NULL)
            return key;
        if (jwks->count == GR_JWKS_MAX_KEYS)
            jwks_clear_keys(jwks);
        *rc = jwks_fetch_pem(jwks, kid);
        return *rc == GR_OK ? jwks_find(jwks, kid) : NULL;
    }
    key = stale ? NULL : jwks_find(jwks, kid);
    if (key == NULL && (stale || now - jwks->fetched_at >= GR_JWKS_MIN_REFETCH_S)) {
        *rc = jwks_fetch_set(jwks, now);
        key = jwks_find(jwks, kid);
    }
    return key;
}

int gr_jwks_verify(gr_jwks *jwks, const gr_jwt *jwt, int64_t now)
{
    const char *kid = json_string_value(json_object_get(jwt->header, "kid"));
    EVP_PKEY *key;
    int rc;

    pthread_mutex_lock(&jwks->lock);
    key = jwks_lookup(jwks, kid, now, &rc);
    if (key != NULL)
        rc = gr_jwt_verify(jwt, key);
    else if (rc == GR_OK)
        rc = gr_error_set(GR_EUNAUTH, "no key with id '%s' is known for this token issuer",
                          kid ? kid : "");
    pthread_mutex_unlock(&jwks->lock);
    return rc;
}
