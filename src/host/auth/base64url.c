/* SPDX-License-Identifier: MIT */
/* Base64url without padding (RFC 4648 section 5), as JOSE uses it. */
#include "host/auth/base64url.h"

#include <stdlib.h>

#include "host/common/alloc.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *gr_base64url_encode(const void *data, size_t len)
{
    const unsigned char *in = data;
    char *out = gr_xmalloc(len / 3 * 4 + 5);
    size_t o = 0;
    size_t i = 0;

    for (; i + 3 <= len; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;

        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;

        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

unsigned char *gr_base64url_decode(const char *text, size_t len, size_t *out_len)
{
    unsigned char *out;
    unsigned long acc = 0;
    int bits = 0;
    size_t o = 0;

    while (len > 0 && text[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return NULL;

    out = gr_xmalloc(len / 4 * 3 + 3);
    for (size_t i = 0; i < len; i++) {
        int value = sextet(text[i]);

        if (value < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (unsigned long)value) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}
