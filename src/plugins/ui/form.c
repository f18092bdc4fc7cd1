/* SPDX-License-Identifier: MIT */
/* Request helpers of the UI: URL-encoded forms, cookies, CSRF tokens and content hashes. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <strings.h>

#include "host/common/arena.h"
#include "host/common/error.h"
#include "host/common/utf8.h"
#include "plugins/ui/ui_internal.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *gr_ui__url_decode(gr_arena *arena, const char *text, size_t len, size_t *out_len)
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
    if (out_len != NULL)
        *out_len = n;
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
            return gr_ui__url_decode(arena, eq + 1, pair_len - key_len - 1, NULL);
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

int gr_ui__check_utf8(const char *label, const char *value)
{
    const unsigned char *p = (const unsigned char *)value;

    while (p != NULL && *p != '\0') {
        size_t sequence = gr_utf8_sequence_length(p);

        if (sequence == 0)
            return gr_error_set(GR_EINVALID,
                                "%s is not valid UTF-8. Enter it as text, and percent-encode "
                                "only UTF-8 bytes, such as %%C3%%A9",
                                label);
        p += sequence;
    }
    return 0;
}

/* Checks one name=value pair of a form body: the name as sent, the value after decoding. */
static int check_form_pair(gr_arena *arena, const char *pair, size_t pair_len)
{
    const char *eq = memchr(pair, '=', pair_len);
    size_t name_len = eq != NULL ? (size_t)(eq - pair) : pair_len;
    char *name = gr_arena_strndup(arena, pair, name_len);
    const char *label;
    char *value;
    size_t value_len = 0;

    if (gr_ui__check_utf8("A form field name", name) < 0)
        return GR_EINVALID;
    label = gr_arena_printf(arena, "The form field '%s'", name);
    if (eq == NULL)
        return 0;
    value = gr_ui__url_decode(arena, eq + 1, pair_len - name_len - 1, &value_len);
    if (strlen(value) != value_len)
        return gr_error_set(GR_EINVALID, "%s contains a NUL byte (%%00). Remove it and send the "
                                         "form again", label);
    return gr_ui__check_utf8(label, value);
}

int gr_ui__check_form(gr_arena *arena, const char *content_type, const char *body)
{
    const char *p = body;
    int error;

    if (content_type != NULL &&
        strncasecmp(content_type, "application/x-www-form-urlencoded", 33) != 0)
        return 0;
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '&');
        size_t pair_len = end != NULL ? (size_t)(end - p) : strlen(p);

        if ((error = check_form_pair(arena, p, pair_len)) < 0)
            return error;
        p = end != NULL ? end + 1 : NULL;
    }
    return 0;
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
