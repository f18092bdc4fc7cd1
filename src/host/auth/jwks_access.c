/* SPDX-License-Identifier: MIT */
/* External access of type `jwks`: tokens of an outside issuer, verified with its JSON Web Key Set.
 */
#include "host/auth/jwks_access.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/config_list.h"
#include "host/auth/jwks.h"
#include "host/auth/jwt.h"
#include "host/auth/restriction.h"
#include "host/auth/token.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"

/* The signature algorithms that gr_jwt_verify() supports. */
static const char *const supported_algorithms[] = {"ES256", "ES384", "RS256", NULL};

typedef struct {
    char *url;
    gr_jwks *keys;
    gr_auth_config_list algorithms;
    gr_auth_config_list issuers;
    gr_auth_config_list audiences;
    char *subject_prefix;
    gr_auth_restrictions *restrictions;
} jwks_entry;

struct gr_auth_jwks_access {
    jwks_entry *entries;
    size_t count;
};

static void entry_clear(jwks_entry *entry)
{
    free(entry->url);
    gr_jwks_free(entry->keys);
    gr_auth_config_list_clear(&entry->algorithms);
    gr_auth_config_list_clear(&entry->issuers);
    gr_auth_config_list_clear(&entry->audiences);
    free(entry->subject_prefix);
    gr_auth_restrictions_free(entry->restrictions);
}

void gr_auth_jwks_access_free(gr_auth_jwks_access *access)
{
    if (access == NULL)
        return;
    for (size_t i = 0; i < access->count; i++)
        entry_clear(&access->entries[i]);
    free(access->entries);
    free(access);
}

static int check_url(const char *url, const char *path)
{
    if (url == NULL)
        return gr_error_set(GR_EINVALID,
                            "%s.options.url: missing; a jwks entry needs the URL "
                            "of the issuer's JSON Web Key Set",
                            path);
    if (url[0] == '\0' || strpbrk(url, " \t\r\n") != NULL ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return gr_error_set(GR_EINVALID,
                            "%s.options.url: '%s' is not an http or https URL "
                            "without spaces",
                            path, url);
    return GR_OK;
}

static int check_algorithms(const gr_auth_config_list *algorithms, const char *path)
{
    for (size_t i = 0; i < algorithms->count; i++) {
        size_t k = 0;

        while (supported_algorithms[k] != NULL &&
               strcmp(supported_algorithms[k], algorithms->items[i]) != 0)
            k++;
        if (supported_algorithms[k] == NULL)
            return gr_error_set(GR_EINVALID,
                                "%s.options.algorithm: '%s' is not supported; use "
                                "ES256, ES384 or RS256",
                                path, algorithms->items[i]);
    }
    return GR_OK;
}

/* Reads the list at options.<key> of an entry into `out`. */
static int read_list(const json_t *options, const char *key, const char *path,
                     gr_auth_config_list *out)
{
    char *where = gr_xasprintf("%s.options.%s", path, key);
    int rc = gr_auth_config_list_read(json_object_get(options, key), where, out);

    free(where);
    return rc;
}

static int entry_read(jwks_entry *entry, const json_t *item, const char *path)
{
    const json_t *options = json_object_get(item, "options");
    const char *url = json_string_value(json_object_get(options, "url"));
    const json_t *prefix = json_object_get(options, "subjectPrefix");
    int rc;

    if ((rc = check_url(url, path)) < 0)
        return rc;
    if (prefix != NULL && (!json_is_string(prefix) || json_string_length(prefix) == 0))
        return gr_error_set(GR_EINVALID, "%s.options.subjectPrefix: must be a non-empty string",
                            path);
    entry->url = gr_xstrdup(url);
    if (prefix != NULL)
        entry->subject_prefix = gr_xstrdup(json_string_value(prefix));
    if ((rc = read_list(options, "algorithm", path, &entry->algorithms)) < 0 ||
        (rc = check_algorithms(&entry->algorithms, path)) < 0 ||
        (rc = read_list(options, "issuer", path, &entry->issuers)) < 0 ||
        (rc = read_list(options, "audience", path, &entry->audiences)) < 0 ||
        (rc = gr_auth_restrictions_read(item, path, &entry->restrictions)) < 0)
        return rc;
    return gr_jwks_new(&entry->keys, url, NULL, NULL);
}

int gr_auth_jwks_access_new(gr_auth_jwks_access **out, const gr_config *cfg)
{
    const json_t *items = gr_config_node(cfg, "backend.auth.externalAccess");
    gr_auth_jwks_access *access = gr_xcalloc(1, sizeof(*access));
    const json_t *item;
    size_t index;
    int rc = GR_OK;

    access->entries = gr_xcalloc(json_array_size(items) + 1, sizeof(jwks_entry));
    json_array_foreach(items, index, item)
    {
        const char *type = json_string_value(json_object_get(item, "type"));
        char *path;

        if (type == NULL || strcmp(type, "jwks") != 0)
            continue;
        path = gr_xasprintf("backend.auth.externalAccess[%zu]", index);
        /* The entry is counted first, so that a failed read is cleared with the rest. */
        rc = entry_read(&access->entries[access->count++], item, path);
        free(path);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        gr_auth_jwks_access_free(access);
        return rc;
    }
    *out = access;
    return GR_OK;
}

/* Returns whether the "aud" claim (a string or an array of strings) names one of `audiences`. */
static int audience_matches(const json_t *aud, const gr_auth_config_list *audiences)
{
    const json_t *item;
    size_t index;

    if (json_is_string(aud))
        return gr_auth_config_list_contains(audiences, json_string_value(aud));
    json_array_foreach(aud, index, item)
    {
        if (gr_auth_config_list_contains(audiences, json_string_value(item)))
            return 1;
    }
    return 0;
}

/* Checks `jwt` against one entry. Returns 0, GR_EUNAUTH, or the error of a failed key fetch. */
static int entry_verify(const jwks_entry *entry, const gr_jwt *jwt, int64_t now)
{
    gr_jwt_expect expect = {.now = now, .leeway_s = GR_AUTH_TOKEN_LEEWAY_S};
    const char *alg = json_string_value(json_object_get(jwt->header, "alg"));
    const char *iss = json_string_value(json_object_get(jwt->payload, "iss"));
    const char *sub = json_string_value(json_object_get(jwt->payload, "sub"));
    int rc;

    if (entry->algorithms.count > 0 && !gr_auth_config_list_contains(&entry->algorithms, alg))
        return gr_error_set(GR_EUNAUTH, "token algorithm '%s' is not accepted", alg);
    if ((rc = gr_jwks_verify(entry->keys, jwt, now)) < 0)
        return rc;
    if (entry->issuers.count > 0 && !gr_auth_config_list_contains(&entry->issuers, iss))
        return gr_error_set(GR_EUNAUTH, "token issuer is not accepted");
    if (entry->audiences.count > 0 &&
        !audience_matches(json_object_get(jwt->payload, "aud"), &entry->audiences))
        return gr_error_set(GR_EUNAUTH, "token audience is not accepted");
    if ((rc = gr_jwt_check_claims(jwt->payload, &expect)) < 0)
        return rc;
    if (sub == NULL || sub[0] == '\0')
        return gr_error_set(GR_EUNAUTH, "token has no subject");
    return GR_OK;
}

int gr_auth_jwks_access_verify(const gr_auth_jwks_access *access, const char *token, int64_t now,
                               gr_arena *arena, gr_identity *identity)
{
    const jwks_entry *accepted = NULL;
    const char *sub;
    gr_jwt jwt;
    int rc = 1;

    if (access->count == 0 || gr_jwt_parse(token, &jwt) < 0)
        return 1;
    for (size_t i = 0; i < access->count && accepted == NULL; i++) {
        const jwks_entry *entry = &access->entries[i];

        /* gr_jwks_verify() logs a failed fetch, and the next entry may still accept. */
        rc = entry_verify(entry, &jwt, now);
        if (rc < 0 && rc != GR_EUNAUTH)
            rc = gr_error_set(GR_EUNAUTH, "the key set of the token issuer is unavailable");
        if (rc == GR_OK)
            accepted = entry;
    }
    if (accepted != NULL) {
        sub = json_string_value(json_object_get(jwt.payload, "sub"));
        memset(identity, 0, sizeof(*identity));
        identity->type = "service";
        identity->subject =
            accepted->subject_prefix
                ? gr_arena_printf(arena, "external:%s:%s", accepted->subject_prefix, sub)
                : gr_arena_printf(arena, "external:%s", sub);
        identity->source = "jwks";
        identity->restrictions = accepted->restrictions;
    }
    gr_jwt_clear(&jwt);
    return rc;
}
