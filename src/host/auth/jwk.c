/* SPDX-License-Identifier: MIT */
/* JSON Web Keys (RFC 7517) to and from OpenSSL keys: EC P-256/P-384 and RSA public keys. */
#include "host/auth/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/base64url.h"
#include "host/common/alloc.h"
#include "host/common/error.h"

/* Maximum size of one decoded JWK member (an RSA modulus of 8192 bits). */
#define JWK_MAX_MEMBER_BYTES 1024

static char *bn_base64url(const BIGNUM *bn, int width)
{
    int len = width > 0 ? width : BN_num_bytes(bn);
    unsigned char *bytes = gr_xmalloc((size_t)len + 1);
    char *text;

    BN_bn2binpad(bn, bytes, len);
    text = gr_base64url_encode(bytes, (size_t)len);
    free(bytes);
    return text;
}

static void set_bn_member(json_t *jwk, const char *member, EVP_PKEY *key, const char *param,
                          int width)
{
    BIGNUM *bn = NULL;
    char *text;

    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
        return;
    text = bn_base64url(bn, width);
    json_object_set_new(jwk, member, json_string(text));
    free(text);
    BN_free(bn);
}

json_t *gr_jwk_from_pkey(EVP_PKEY *key, const char *kid, const char *alg)
{
    json_t *jwk = json_object();

    if (EVP_PKEY_is_a(key, "EC")) {
        char group[32] = "";
        int width;

        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       NULL);
        width = strcmp(group, "secp384r1") == 0 ? 48 : 32;
        json_object_set_new(jwk, "kty", json_string("EC"));
        json_object_set_new(jwk, "crv", json_string(width == 48 ? "P-384" : "P-256"));
        set_bn_member(jwk, "x", key, OSSL_PKEY_PARAM_EC_PUB_X, width);
        set_bn_member(jwk, "y", key, OSSL_PKEY_PARAM_EC_PUB_Y, width);
    } else if (EVP_PKEY_is_a(key, "RSA")) {
        json_object_set_new(jwk, "kty", json_string("RSA"));
        set_bn_member(jwk, "n", key, OSSL_PKEY_PARAM_RSA_N, 0);
        set_bn_member(jwk, "e", key, OSSL_PKEY_PARAM_RSA_E, 0);
    } else {
        json_decref(jwk);
        gr_error_set(GR_EINVALID, "only EC and RSA keys can be written as a JWK");
        return NULL;
    }
    if (kid != NULL)
        json_object_set_new(jwk, "kid", json_string(kid));
    json_object_set_new(jwk, "use", json_string("sig"));
    if (alg != NULL)
        json_object_set_new(jwk, "alg", json_string(alg));
    return jwk;
}

/* Decodes base64url member `name` of `jwk`, or sets an error and returns NULL. */
static unsigned char *jwk_member(const json_t *jwk, const char *name, size_t *len)
{
    const char *text = json_string_value(json_object_get(jwk, name));
    unsigned char *bytes;

    if (text == NULL) {
        gr_error_set(GR_EINVALID, "JWK member '%s' is missing", name);
        return NULL;
    }
    bytes = gr_base64url_decode(text, strlen(text), len);
    if (bytes == NULL || *len == 0 || *len > JWK_MAX_MEMBER_BYTES) {
        free(bytes);
        gr_error_set(GR_EINVALID, "JWK member '%s' is not valid base64url of at most %d bytes",
                     name, JWK_MAX_MEMBER_BYTES);
        return NULL;
    }
    return bytes;
}

static int pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    int rc = GR_OK;

    *out = NULL;
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        ERR_clear_error();
        rc = gr_error_set(GR_EINVALID, "the JWK does not describe a valid %s public key", type);
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return rc;
}

static int jwk_ec_to_pkey(const json_t *jwk, EVP_PKEY **out)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *group;
    size_t width;
    unsigned char *x = NULL;
    unsigned char *y = NULL;
    unsigned char point[1 + 2 * 48];
    size_t x_len = 0;
    size_t y_len = 0;
    OSSL_PARAM_BLD *bld = NULL;
    int rc;

    if (crv != NULL && strcmp(crv, "P-256") == 0) {
        group = "prime256v1";
        width = 32;
    } else if (crv != NULL && strcmp(crv, "P-384") == 0) {
        group = "secp384r1";
        width = 48;
    } else {
        return gr_error_set(GR_EINVALID, "JWK curve '%s' is not supported; use P-256 or P-384",
                            crv ? crv : "");
    }
    if ((x = jwk_member(jwk, "x", &x_len)) == NULL || (y = jwk_member(jwk, "y", &y_len)) == NULL) {
        rc = GR_EINVALID;
        goto done;
    }
    if (x_len != width || y_len != width) {
        rc = gr_error_set(GR_EINVALID, "JWK members x and y must be %zu bytes for %s", width, crv);
        goto done;
    }

    point[0] = 0x04; /* uncompressed point: 04 || x || y */
    memcpy(point + 1, x, width);
    memcpy(point + 1 + width, y, width);
    bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * width);
    rc = pkey_from_params("EC", bld, out);

done:
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return rc;
}

static int jwk_rsa_to_pkey(const json_t *jwk, EVP_PKEY **out)
{
    unsigned char *n = NULL;
    unsigned char *e = NULL;
    size_t n_len = 0;
    size_t e_len = 0;
    BIGNUM *bn_n = NULL;
    BIGNUM *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    int rc;

    if ((n = jwk_member(jwk, "n", &n_len)) == NULL || (e = jwk_member(jwk, "e", &e_len)) == NULL) {
        rc = GR_EINVALID;
        goto done;
    }
    if (n_len < 256) {
        rc = gr_error_set(GR_EINVALID, "JWK RSA modulus has %zu bits; at least 2048 are required",
                          n_len * 8);
        goto done;
    }
    bn_n = BN_bin2bn(n, (int)n_len, NULL);
    bn_e = BN_bin2bn(e, (int)e_len, NULL);
    bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
    rc = pkey_from_params("RSA", bld, out);

done:
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    return rc;
}

int gr_jwk_to_pkey(const json_t *jwk, EVP_PKEY **out)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));

    *out = NULL;
    if (!json_is_object(jwk))
        return gr_error_set(GR_EINVALID, "a JWK must be a JSON object");
    if (kty != NULL && strcmp(kty, "EC") == 0)
        return jwk_ec_to_pkey(jwk, out);
    if (kty != NULL && strcmp(kty, "RSA") == 0)
        return jwk_rsa_to_pkey(jwk, out);
    return gr_error_set(GR_EINVALID, "JWK key type '%s' is not supported; use EC or RSA",
                        kty ? kty : "");
}

int gr_pem_public_key(const char *pem, size_t len, EVP_PKEY **out)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *cert = NULL;

    *out = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    if (*out == NULL) {
        (void)BIO_reset(bio);
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (cert != NULL)
            *out = X509_get_pubkey(cert);
    }
    X509_free(cert);
    BIO_free(bio);
    ERR_clear_error();
    if (*out == NULL)
        return gr_error_set(GR_EINVALID, "no PEM public key or certificate found");
    return GR_OK;
}

int gr_jwk_generate_es256(EVP_PKEY **out)
{
    *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (*out == NULL) {
        ERR_clear_error();
        return gr_error_set(GR_ERROR, "generating an EC P-256 key failed");
    }
    return GR_OK;
}

void gr_jwk_random_uuid(char out[37])
{
    unsigned char b[16];

    if (RAND_bytes(b, sizeof(b)) != 1)
        abort(); /* no entropy: keys and ids must never be predictable */
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}
