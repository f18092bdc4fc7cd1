/* SPDX-License-Identifier: MIT */
/* Request helpers of the UI: URL-encoded forms, cookies, CSRF tokens and content hashes. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "host/common/arena.h"
#include "plugins/ui/ui_internal.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *gr_ui__url_decode(gr_arena *arena, const char *text, size_t len)
{
    char *out = gr_arena_alloc(arena, len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        int high;
        int low;

        if (text[i] == '+') {
            out[n++] = ' ';
        } else if (text[i] == '%' && i + 2 < len && (high = hex_value(text[i + 1])) >= 0 &&
                   (low = hex_value(text[i + 2])) >= 0) {
            out[n++] = (char)(high * 16 + low);
            i += 2;
        } else {
            out[n++] = text[i];
        }
    }
    out[n] = '\0';
    return out;
}

const char *gr_ui__form_field(gr_arena *arena, const char *body, const char *name)
{
    size_t name_len = strlen(name);
    const char *p = body;

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '&');
        size_t pair_len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', pair_len);
        size_t key_len = eq != NULL ? (size_t)(eq - p) : pair_len;

        if (key_len == name_len && memcmp(p, name, name_len) == 0) {
            if (eq == NULL)
                return "";
            return gr_ui__url_decode(arena, eq + 1, pair_len - key_len - 1);
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

const char *gr_ui__cookie(gr_arena *arena, const char *header, const char *name)
{
    size_t name_len = strlen(name);
    const char *p = header;

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ';');
        size_t pair_len;

        while (*p == ' ')
            p++;
        pair_len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (pair_len > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == '=')
            return gr_arena_strndup(arena, p + name_len + 1, pair_len - name_len - 1);
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

static void put_hex(const unsigned char *bytes, size_t count, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < count; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * count] = '\0';
}

/* TODO: bind the token to the session too (gr_auth_csrf_token()); bound to the
 * subject alone, it stays the same across sign-ins. */
void gr_ui__csrf_token(const gr_ui *ui, const char *subject, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    const char *text = subject != NULL ? subject : "";

    HMAC(EVP_sha256(), ui->csrf_key, sizeof(ui->csrf_key), (const unsigned char *)text,
         strlen(text), mac, &mac_len);
    put_hex(mac, mac_len > 32 ? 32 : mac_len, out);
}

void gr_ui__sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;

    EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL);
    put_hex(digest, digest_len > 32 ? 32 : digest_len, out);
}
