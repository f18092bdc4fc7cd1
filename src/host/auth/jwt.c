/* SPDX-License-Identifier: MIT */
/* JSON Web Tokens (RFC 7519) in compact JWS form: parse, sign (ES256), verify, check claims. */
#include "host/auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/base64url.h"
#include "host/common/alloc.h"
#include "host/common/error.h"

void gr_jwt_clear(gr_jwt *jwt)
{
    if (jwt == NULL)
        return;
    json_decref(jwt->header);
    json_decref(jwt->payload);
    free(jwt->signing_input);
    free(jwt->signature);
    memset(jwt, 0, sizeof(*jwt));
}

static json_t *decode_json_part(const char *text, size_t len)
{
    size_t bytes_len = 0;
    unsigned char *bytes = gr_base64url_decode(text, len, &bytes_len);
    json_t *value;

    if (bytes == NULL)
        return NULL;
    value = json_loadb((const char *)bytes, bytes_len, JSON_REJECT_DUPLICATES, NULL);
    free(bytes);
    if (!json_is_object(value)) {
        json_decref(value);
        return NULL;
    }
    return value;
}

int gr_jwt_parse(const char *compact, gr_jwt *out)
{
    size_t len = strnlen(compact, GR_JWT_MAX_BYTES + 1);
    const char *dot1;
    const char *dot2;

    memset(out, 0, sizeof(*out));
    if (len > GR_JWT_MAX_BYTES)
        return gr_error_set(GR_ELIMIT, "token is longer than %d bytes", GR_JWT_MAX_BYTES);
    dot1 = memchr(compact, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - compact)) : NULL;
    if (dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
        return gr_error_set(GR_EINVALID, "token is not a compact JWS of three parts");

    out->header = decode_json_part(compact, (size_t)(dot1 - compact));
    if (out->header == NULL || !json_is_string(json_object_get(out->header, "alg"))) {
        gr_jwt_clear(out);
        return gr_error_set(GR_EINVALID, "token header is not a JSON object with \"alg\"");
    }
    out->payload = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (out->payload == NULL) {
        gr_jwt_clear(out);
        return gr_error_set(GR_EINVALID, "token payload is not a JSON object");
    }
    out->signature = gr_base64url_decode(dot2 + 1, strlen(dot2 + 1), &out->signature_len);
    if (out->signature == NULL) {
        gr_jwt_clear(out);
        return gr_error_set(GR_EINVALID, "token signature is not base64url");
    }
    out->signing_input = gr_xstrndup(compact, (size_t)(dot2 - compact));
    return GR_OK;
}

/* Turns a raw r || s signature (JWS form) into DER for OpenSSL. */
static unsigned char *ecdsa_raw_to_der(const unsigned char *raw, size_t raw_len, size_t *der_len)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)(raw_len / 2), NULL);
    BIGNUM *s = BN_bin2bn(raw + raw_len / 2, (int)(raw_len / 2), NULL);
    unsigned char *der = NULL;
    int len;

    ECDSA_SIG_set0(sig, r, s);
    len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (len <= 0)
        return NULL;
    *der_len = (size_t)len;
    return der;
}

static int curve_width(EVP_PKEY *key)
{
    char group[32] = "";

    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL);
    if (strcmp(group, "prime256v1") == 0)
        return 32;
    if (strcmp(group, "secp384r1") == 0)
        return 48;
    return 0;
}

static int digest_verify(EVP_PKEY *key, const EVP_MD *md, const char *input,
                         const unsigned char *sig, size_t sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input, strlen(input)) == 1;

    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

int gr_jwt_verify(const gr_jwt *jwt, EVP_PKEY *key)
{
    const char *alg = json_string_value(json_object_get(jwt->header, "alg"));
    int ok = 0;

    if (strcmp(alg, "ES256") == 0 || strcmp(alg, "ES384") == 0) {
        size_t width = strcmp(alg, "ES256") == 0 ? 32 : 48;
        unsigned char *der;
        size_t der_len = 0;

        if (!EVP_PKEY_is_a(key, "EC") || (size_t)curve_width(key) != width)
            return gr_error_set(GR_EUNAUTH, "token algorithm %s does not match the key", alg);
        if (jwt->signature_len != 2 * width)
            return gr_error_set(GR_EUNAUTH, "token signature has the wrong length for %s", alg);
        der = ecdsa_raw_to_der(jwt->signature, jwt->signature_len, &der_len);
        ok = der != NULL && digest_verify(key, width == 32 ? EVP_sha256() : EVP_sha384(),
                                          jwt->signing_input, der, der_len);
        OPENSSL_free(der);
    } else if (strcmp(alg, "RS256") == 0) {
        if (!EVP_PKEY_is_a(key, "RSA"))
            return gr_error_set(GR_EUNAUTH, "token algorithm RS256 does not match the key");
        ok = digest_verify(key, EVP_sha256(), jwt->signing_input, jwt->signature,
                           jwt->signature_len);
    } else {
        return gr_error_set(GR_EUNAUTH, "token algorithm '%s' is not accepted", alg);
    }
    return ok ? GR_OK : gr_error_set(GR_EUNAUTH, "token signature is invalid");
}

static char *encode_json(const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT);
    char *encoded = gr_base64url_encode(text, strlen(text));

    free(text);
    return encoded;
}

/* Signs `input` with ES256 and returns the raw r || s signature (64 bytes). */
static int sign_es256_raw(EVP_PKEY *key, const char *input, unsigned char raw[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t der_len = sizeof(der);
    const unsigned char *p = der;
    ECDSA_SIG *sig = NULL;
    int rc = GR_ERROR;

    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)input, strlen(input)) != 1)
        goto done;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (sig == NULL)
        goto done;
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
    rc = GR_OK;

done:
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return rc == GR_OK ? rc : gr_error_set(GR_ERROR, "signing the token with ES256 failed");
}

int gr_jwt_sign_es256(EVP_PKEY *key, const char *kid, const char *typ, const json_t *claims,
                      char **out)
{
    json_t *header = json_pack("{s:s, s:s}", "alg", "ES256", "kid", kid);
    char *header_part;
    char *payload_part;
    char *input;
    unsigned char raw[64];
    char *signature_part;
    int rc;

    if (typ != NULL)
        json_object_set_new(header, "typ", json_string(typ));
    header_part = encode_json(header);
    payload_part = encode_json(claims);
    input = gr_xasprintf("%s.%s", header_part, payload_part);
    rc = sign_es256_raw(key, input, raw);
    if (rc == GR_OK) {
        signature_part = gr_base64url_encode(raw, sizeof(raw));
        *out = gr_xasprintf("%s.%s", input, signature_part);
        free(signature_part);
    }
    free(input);
    free(payload_part);
    free(header_part);
    json_decref(header);
    return rc;
}

static int audience_contains(const json_t *aud, const char *audience)
{
    size_t i;
    const json_t *item;

    if (json_is_string(aud))
        return strcmp(json_string_value(aud), audience) == 0;
    json_array_foreach(aud, i, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), audience) == 0)
            return 1;
    }
    return 0;
}

static int check_time(const json_t *payload, const char *claim, int64_t limit, int must_exceed)
{
    const json_t *value = json_object_get(payload, claim);
    double t;

    if (value == NULL)
        return GR_OK;
    if (!json_is_number(value))
        return gr_error_set(GR_EUNAUTH, "token claim '%s' is not a number", claim);
    /* Compared as doubles, as JavaScript does: a real such as 1e300 does not fit in int64_t. */
    t = json_number_value(value);
    if (must_exceed ? t <= (double)limit : t > (double)limit)
        return gr_error_set(GR_EUNAUTH, must_exceed ? "token has expired"
                                                    : "token claim '%s' is in the future",
                            claim);
    return GR_OK;
}

int gr_jwt_check_claims(const json_t *payload, const gr_jwt_expect *expect)
{
    const char *iss = json_string_value(json_object_get(payload, "iss"));
    const char *nonce = json_string_value(json_object_get(payload, "nonce"));
    int rc;

    if (expect->require_exp && json_object_get(payload, "exp") == NULL)
        return gr_error_set(GR_EUNAUTH, "token has no expiry claim 'exp'");
    if ((rc = check_time(payload, "exp", expect->now - expect->leeway_s, 1)) < 0 ||
        (rc = check_time(payload, "nbf", expect->now + expect->leeway_s, 0)) < 0 ||
        (rc = check_time(payload, "iat", expect->now + expect->leeway_s, 0)) < 0)
        return rc;
    if (expect->issuer != NULL && (iss == NULL || strcmp(iss, expect->issuer) != 0))
        return gr_error_set(GR_EUNAUTH, "token issuer '%s' is not the expected '%s'",
                            iss ? iss : "", expect->issuer);
    if (expect->audience != NULL &&
        !audience_contains(json_object_get(payload, "aud"), expect->audience))
        return gr_error_set(GR_EUNAUTH, "token audience does not contain '%s'", expect->audience);
    if (expect->nonce != NULL && (nonce == NULL || strcmp(nonce, expect->nonce) != 0))
        return gr_error_set(GR_EUNAUTH, "token nonce does not match the sign-in request");
    return GR_OK;
}
