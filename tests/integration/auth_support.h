/* SPDX-License-Identifier: MIT */
/* Helpers shared by the auth integration tests: response headers, cookies, logs, HS256 tokens. */
#ifndef GR_TEST_AUTH_SUPPORT_H
#define GR_TEST_AUTH_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "host/auth/base64url.h"
#include "host/common/alloc.h"

/* Returns the value of response header `name` in `headers` (caller frees), or NULL. */
static inline char *header_value(const char *headers, const char *name)
{
    size_t len = strlen(name);

    for (const char *line = headers; line != NULL && *line != '\0';) {
        const char *end = strstr(line, "\r\n");

        if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
            const char *value = line + len + 1;

            while (*value == ' ')
                value++;
            return gr_xstrndup(value, end ? (size_t)(end - value) : strlen(value));
        }
        line = end ? end + 2 : NULL;
    }
    return NULL;
}

/* Returns "name=value" of the Set-Cookie header for cookie `name` (caller frees), or NULL. */
static inline char *set_cookie(const char *headers, const char *name)
{
    size_t len = strlen(name);

    for (const char *line = headers; line != NULL && *line != '\0';) {
        const char *end = strstr(line, "\r\n");

        if (strncasecmp(line, "Set-Cookie: ", 12) == 0 && strncmp(line + 12, name, len) == 0 &&
            line[12 + len] == '=') {
            const char *semi = strchr(line + 12, ';');

            return gr_xstrndup(line + 12, (size_t)(semi - line - 12));
        }
        line = end ? end + 2 : NULL;
    }
    return NULL;
}

/* Returns the whole Set-Cookie line for cookie `name` (caller frees), or NULL. */
static inline char *set_cookie_line(const char *headers, const char *name)
{
    size_t len = strlen(name);

    for (const char *line = headers; line != NULL && *line != '\0';) {
        const char *end = strstr(line, "\r\n");

        if (strncasecmp(line, "Set-Cookie: ", 12) == 0 && strncmp(line + 12, name, len) == 0 &&
            line[12 + len] == '=')
            return gr_xstrndup(line + 12, end ? (size_t)(end - line - 12) : strlen(line + 12));
        line = end ? end + 2 : NULL;
    }
    return NULL;
}

/* Returns the value of query parameter `name` in `url` (caller frees, still encoded), or NULL. */
static inline char *query_value(const char *url, const char *name)
{
    const char *query = strchr(url, '?');
    size_t len = strlen(name);

    for (const char *p = query; p != NULL; p = strchr(p + 1, '&')) {
        if (strncmp(p + 1, name, len) == 0 && p[1 + len] == '=') {
            const char *value = p + 2 + len;

            return gr_xstrndup(value, strcspn(value, "&"));
        }
    }
    return NULL;
}

/* Returns the first MiB of the server log at `log_path` (caller frees), empty when unreadable. */
static inline char *read_server_log(const char *log_path)
{
    FILE *file = fopen(log_path, "r");
    char *text = gr_xcalloc(1, 1 << 20);

    if (file != NULL) {
        size_t n = fread(text, 1, (1 << 20) - 1, file);

        text[n] = '\0';
        fclose(file);
    }
    return text;
}

/* Signs `payload` (JSON text) as an HS256 token with `secret` (caller frees). */
static inline char *sign_hs256(const char *secret, const char *payload)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char *header_part = gr_base64url_encode((const unsigned char *)header, strlen(header));
    char *payload_part = gr_base64url_encode((const unsigned char *)payload, strlen(payload));
    char *input = gr_xasprintf("%s.%s", header_part, payload_part);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char *mac_part;
    char *token;

    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)input, strlen(input),
         mac, &mac_len);
    mac_part = gr_base64url_encode(mac, mac_len);
    token = gr_xasprintf("%s.%s", input, mac_part);
    free(mac_part);
    free(input);
    free(payload_part);
    free(header_part);
    return token;
}

#endif
