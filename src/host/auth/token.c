/* SPDX-License-Identifier: MIT */
/* Backstage identity tokens: ES256 JWTs with sub (user ref) and ent (ownership refs). */
#include "host/auth/token.h"

#include <jansson.h>
#include <string.h>

#include "host/auth/jwt.h"
#include "host/common/error.h"

int gr_auth_token_issue(gr_auth_keys *keys, const char *issuer, const char *user_ref,
                        const char *const *ownership, size_t count, const char *session_id,
                        int64_t ttl_s, char **out, int64_t *expires_at)
{
    int64_t now = gr_auth_keys_now(keys);
    json_t *ent;
    json_t *claims;
    int rc;

    if (user_ref == NULL || user_ref[0] == '\0')
        return gr_error_set(GR_EINVALID, "an identity token needs a user entity ref");
    if (count > GR_AUTH_MAX_OWNERSHIP)
        return gr_error_set(GR_EINVALID, "an identity token takes at most %d ownership refs",
                            GR_AUTH_MAX_OWNERSHIP);

    ent = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(ent, json_string(ownership[i]));
    claims = json_pack("{s:s, s:s, s:o, s:s, s:I, s:I}", "iss", issuer, "sub", user_ref, "ent",
                       ent, "aud", GR_AUTH_TOKEN_AUDIENCE, "iat", (json_int_t)now, "exp",
                       (json_int_t)(now + ttl_s));
    if (session_id != NULL)
        json_object_set_new(claims, "sid", json_string(session_id));
    rc = gr_auth_keys_sign(keys, claims, GR_AUTH_TOKEN_TYPE, out);
    json_decref(claims);
    if (rc == GR_OK && expires_at != NULL)
        *expires_at = now + ttl_s;
    return rc;
}

static int read_ownership(const json_t *ent, gr_arena *arena, gr_identity *identity)
{
    size_t count = json_array_size(ent);
    const char **refs;

    if (!json_is_array(ent))
        return gr_error_set(GR_EUNAUTH, "token claim 'ent' is not an array");
    if (count > GR_AUTH_MAX_OWNERSHIP)
        return gr_error_set(GR_EUNAUTH, "token claim 'ent' has more than %d refs",
                            GR_AUTH_MAX_OWNERSHIP);
    refs = gr_arena_alloc(arena, (count + 1) * sizeof(*refs));
    for (size_t i = 0; i < count; i++) {
        const char *ref = json_string_value(json_array_get(ent, i));

        if (ref == NULL)
            return gr_error_set(GR_EUNAUTH, "token claim 'ent' has a value that is not a string");
        refs[i] = gr_arena_strdup(arena, ref);
    }
    refs[count] = NULL;
    identity->ownership = refs;
    identity->ownership_count = count;
    return GR_OK;
}

int gr_auth_token_verify(gr_auth_keys *keys, const char *issuer, const char *token,
                         gr_arena *arena, gr_identity *identity)
{
    gr_jwt jwt;
    gr_jwt_expect expect = {
        .issuer = issuer,
        .audience = GR_AUTH_TOKEN_AUDIENCE,
        .now = gr_auth_keys_now(keys),
        .leeway_s = GR_AUTH_TOKEN_LEEWAY_S,
        .require_exp = 1,
    };
    const char *typ;
    const char *sub;
    const char *sid;
    int rc;

    if ((rc = gr_jwt_parse(token, &jwt)) < 0)
        return gr_error_wrap(GR_EUNAUTH, "malformed token");
    typ = json_string_value(json_object_get(jwt.header, "typ"));
    sub = json_string_value(json_object_get(jwt.payload, "sub"));
    sid = json_string_value(json_object_get(jwt.payload, "sid"));
    if (strcmp(json_string_value(json_object_get(jwt.header, "alg")), "ES256") != 0)
        rc = gr_error_set(GR_EUNAUTH, "token algorithm must be ES256");
    else if (typ != NULL && strcmp(typ, GR_AUTH_TOKEN_TYPE) != 0)
        rc = gr_error_set(GR_EUNAUTH, "token type '%s' is not a user identity token", typ);
    else if ((rc = gr_auth_keys_verify(keys, &jwt)) < 0)
        ;
    else if ((rc = gr_jwt_check_claims(jwt.payload, &expect)) < 0)
        ;
    else if (sub == NULL || sub[0] == '\0')
        rc = gr_error_set(GR_EUNAUTH, "token has no subject claim 'sub'");
    else
        rc = read_ownership(json_object_get(jwt.payload, "ent"), arena, identity);

    if (rc == GR_OK) {
        identity->type = "user";
        identity->subject = gr_arena_strdup(arena, sub);
        identity->source = "token";
        identity->token = gr_arena_strdup(arena, token);
        identity->session_id = sid != NULL ? gr_arena_strdup(arena, sid) : NULL;
    }
    gr_jwt_clear(&jwt);
    return rc;
}
