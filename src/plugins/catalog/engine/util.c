/* SPDX-License-Identifier: MIT */
/* Small helpers of the catalog engine: time, ids, hashes, location references, globs. */
#include "plugins/catalog/engine/util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/json_text.h"

int64_t gr_catalog__now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void gr_catalog__uuid(char out[GR_CATALOG_UUID_SIZE])
{
    unsigned char bytes[16];
    static const char hex[] = "0123456789abcdef";
    uint64_t ms = (uint64_t)gr_catalog__now_ms();
    size_t pos = 0;

    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
        /* The OpenSSL generator fails only when it cannot seed itself. The
         * fallback mixes the clock and an address, which is not secret but
         * keeps ids of one process distinct. */
        uint64_t seed = ms ^ (uint64_t)(uintptr_t)out;
        for (size_t i = 0; i < sizeof(bytes); i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            bytes[i] = (unsigned char)(seed >> 56);
        }
    }
    /* Version 7 (RFC 9562): the first 48 bits are the time in ms, so new
     * rows land at the end of the primary key and uid indexes instead of
     * on random pages, which keeps large ingestions fast. */
    for (int i = 0; i < 6; i++)
        bytes[i] = (unsigned char)(ms >> (40 - 8 * i));
    bytes[6] = (unsigned char)((bytes[6] & 0x0f) | 0x70);
    bytes[8] = (unsigned char)((bytes[8] & 0x3f) | 0x80);
    for (size_t i = 0; i < sizeof(bytes); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[pos++] = '-';
        out[pos++] = hex[bytes[i] >> 4];
        out[pos++] = hex[bytes[i] & 0x0f];
    }
    out[pos] = '\0';
}

void gr_catalog__sha1_hex(const void *data, size_t len, char out[GR_CATALOG_HASH_SIZE])
{
    unsigned char digest[SHA_DIGEST_LENGTH];
    static const char hex[] = "0123456789abcdef";

    SHA1(data, len, digest);
    for (size_t i = 0; i < SHA_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    out[2 * SHA_DIGEST_LENGTH] = '\0';
}

/* The jansson flags whose text gr_catalog__json_write() reproduces. */
#define TEXT_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))
#define STABLE_FLAGS (TEXT_FLAGS | JSON_SORT_KEYS)

/* Bytes `text` collects before gr_catalog__sha1_flush() hashes them. */
#define SHA1_FLUSH_BYTES ((size_t)64 << 10)

static void digest_hex(const unsigned char *digest, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

/*
 * Bytes reserved at once for the text of an entity that is hashed. The
 * buffer started at 64 bytes and doubled five times for the 1 to 2 KiB of a
 * stitched entity of the benchmark. With its NUL the reserve takes 2 KiB.
 * Texts that are kept still grow from 64 bytes, so that they take no more
 * room than they need, because a location's children wait in memory by the
 * thousand. With the reserve on those too, a first load of 100,000 entities
 * peaked about 8 MiB higher.
 */
#define ENTITY_TEXT_RESERVE 2047

void gr_catalog__sha1_begin(gr_catalog_sha1 *hash)
{
    EVP_MD_CTX *context = EVP_MD_CTX_new();

    if (context == NULL || EVP_DigestInit_ex(context, EVP_sha1(), NULL) != 1)
        abort();
    hash->context = context;
    hash->text = (gr_buf)GR_BUF_INIT;
    gr_buf_reserve(&hash->text, ENTITY_TEXT_RESERVE);
}

static void sha1_update(gr_catalog_sha1 *hash)
{
    if (hash->text.len > 0 && EVP_DigestUpdate(hash->context, hash->text.data, hash->text.len) != 1)
        abort();
    gr_buf_reset(&hash->text);
}

void gr_catalog__sha1_flush(gr_catalog_sha1 *hash)
{
    if (hash->text.len >= SHA1_FLUSH_BYTES)
        sha1_update(hash);
}

void gr_catalog__sha1_end(gr_catalog_sha1 *hash, char out[GR_CATALOG_HASH_SIZE])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    sha1_update(hash);
    if (EVP_DigestFinal_ex(hash->context, digest, &len) != 1 || len != SHA_DIGEST_LENGTH)
        abort();
    digest_hex(digest, len, out);
    EVP_MD_CTX_free(hash->context);
    hash->context = NULL;
    gr_buf_free(&hash->text);
}

static int hash_piece(const char *buffer, size_t size, void *payload)
{
    gr_catalog_sha1 *hash = payload;

    gr_buf_append(&hash->text, buffer, size);
    gr_catalog__sha1_flush(hash);
    return 0;
}

static void hash_drain(gr_buf *text, void *payload)
{
    (void)text;
    gr_catalog__sha1_flush(payload);
}

/* Streams the text that gr_catalog__stable_json() returns into the hash, without a copy. */
void gr_catalog__stable_hash(const json_t *value, char out[GR_CATALOG_HASH_SIZE])
{
    gr_catalog_sha1 hash;

    gr_catalog__sha1_begin(&hash);
    if (gr_catalog__json_write(&hash.text, value, true, hash_drain, &hash)) {
        gr_catalog__sha1_end(&hash, out);
        return;
    }

    /* A value the writer leaves to jansson: hash again from the start. */
    gr_catalog__sha1_end(&hash, out);
    gr_catalog__sha1_begin(&hash);
    if (json_dump_callback(value, hash_piece, &hash, STABLE_FLAGS) == 0) {
        gr_catalog__sha1_end(&hash, out);
        return;
    }

    /* Jansson failed too, possibly after hashing some pieces: the text is "null". */
    gr_catalog__sha1_end(&hash, out);
    gr_catalog__sha1_begin(&hash);
    gr_buf_puts(&hash.text, "null");
    gr_catalog__sha1_end(&hash, out);
}

/* Writes `value` with gr_catalog__json_write(), or with jansson when that declines it. */
static char *json_text_with(const json_t *value, bool sorted)
{
    gr_buf text = GR_BUF_INIT;
    char *dumped;

    if (gr_catalog__json_write(&text, value, sorted, NULL, NULL))
        return gr_buf_detach(&text);
    gr_buf_free(&text);
    dumped = json_dumps(value, sorted ? STABLE_FLAGS : TEXT_FLAGS);
    return dumped != NULL ? dumped : gr_xstrdup("null");
}

char *gr_catalog__stable_json(const json_t *value)
{
    return json_text_with(value, true);
}

char *gr_catalog__json_text(const json_t *value)
{
    return json_text_with(value, false);
}

char *gr_catalog__ascii_lower(char *text)
{
    for (char *p = text; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return text;
}

int gr_catalog__location_ref_parse(const char *ref, char **type, char **target)
{
    const char *colon = ref ? strchr(ref, ':') : NULL;

    if (colon == NULL || colon == ref || colon[1] == '\0')
        return gr_error_set(GR_EINVALID, "Invalid location reference '%s', expected 'type:target'",
                            ref ? ref : "");
    *type = gr_xstrndup(ref, (size_t)(colon - ref));
    *target = gr_xstrdup(colon + 1);
    return GR_OK;
}

char *gr_catalog__location_entity_name(const char *type, const char *target)
{
    char hash[GR_CATALOG_HASH_SIZE];
    char *joined = gr_xasprintf("%s:%s", type, target);

    gr_catalog__sha1_hex(joined, strlen(joined), hash);
    free(joined);
    return gr_xasprintf("generated-%s", hash);
}

static int fold(int c, bool ignore_case)
{
    if (ignore_case && c >= 'A' && c <= 'Z')
        return c - 'A' + 'a';
    return c;
}

/* Matches one bracket expression at `pattern` (just after '['). Stores the
 * length of the expression including ']' in *used; returns -1 when the
 * bracket is not closed, so that '[' is taken literally. */
static int match_class(const char *pattern, int c, bool ignore_case, size_t *used)
{
    const char *p = pattern;
    bool negate = false;
    bool found = false;

    if (*p == '!' || *p == '^') {
        negate = true;
        p++;
    }
    if (*p == ']') {
        found = fold(']', ignore_case) == c;
        p++;
    }
    while (*p != '\0' && *p != ']') {
        int low = fold((unsigned char)*p, ignore_case);
        int high = low;

        if (p[1] == '-' && p[2] != '\0' && p[2] != ']') {
            high = fold((unsigned char)p[2], ignore_case);
            p += 3;
        } else {
            p++;
        }
        if (c >= low && c <= high)
            found = true;
    }
    if (*p != ']')
        return -1;
    *used = (size_t)(p - pattern) + 1;
    return found != negate;
}

/* The pattern and the text of one match, both whole, so that the start of a segment can be
 * recognised in either. */
typedef struct {
    const char *pattern;
    const char *text;
    bool ignore_case;
    bool dots; /* wildcards match a leading '.' too */
} glob_match_state;

/* Returns true when `text` is at the start of a segment that begins with '.', and wildcards must
 * not match that '.'. */
static bool at_dot_segment(const glob_match_state *state, const char *text)
{
    return !state->dots && *text == '.' && (text == state->text || text[-1] == '/');
}

/* Matches as gr_catalog__glob_match(), from `pattern` and `text` on. */
static bool glob_match_from(const glob_match_state *state, const char *pattern, const char *text)
{
    while (*pattern != '\0') {
        bool segment_start = pattern == state->pattern || pattern[-1] == '/';

        /* As in node-glob without its `dot` option, only a literal '.' matches a leading one. */
        if (segment_start && at_dot_segment(state, text) && *pattern != '.')
            return false;
        if (segment_start && pattern[0] == '*' && pattern[1] == '*' &&
            (pattern[2] == '/' || pattern[2] == '\0')) {
            /* `**` matches no segment, or any run of whole segments that do not begin with '.'. */
            if (pattern[2] != '\0' && glob_match_from(state, pattern + 3, text))
                return true;
            for (const char *t = text; *t != '\0'; t++) {
                if (at_dot_segment(state, t))
                    return false;
                if (*t == '/' && pattern[2] != '\0' && glob_match_from(state, pattern + 3, t + 1))
                    return true;
            }
            return pattern[2] == '\0';
        }
        if (*pattern == '*') {
            while (*pattern == '*')
                pattern++;
            for (const char *t = text;; t++) {
                if (glob_match_from(state, pattern, t))
                    return true;
                if (*t == '\0' || *t == '/')
                    return false;
            }
        }
        if (*text == '\0')
            return false;
        if (*pattern == '?') {
            if (*text == '/')
                return false;
        } else if (*pattern == '[') {
            size_t used = 0;
            int matched = match_class(pattern + 1, fold((unsigned char)*text, state->ignore_case),
                                      state->ignore_case, &used);

            if (matched >= 0) {
                if (!matched || *text == '/')
                    return false;
                pattern += used + 1;
                text++;
                continue;
            }
            if (*text != '[')
                return false;
        } else if (fold((unsigned char)*pattern, state->ignore_case) !=
                   fold((unsigned char)*text, state->ignore_case)) {
            return false;
        }
        pattern++;
        text++;
    }
    return *text == '\0';
}

bool gr_catalog__glob_match(const char *pattern, const char *text, bool ignore_case)
{
    glob_match_state state = {pattern, text, ignore_case, false};

    return glob_match_from(&state, pattern, text);
}

bool gr_catalog__glob_match_dots(const char *pattern, const char *text, bool ignore_case)
{
    glob_match_state state = {pattern, text, ignore_case, true};

    return glob_match_from(&state, pattern, text);
}

bool gr_catalog__has_glob(const char *text)
{
    return strpbrk(text, "*?[") != NULL;
}

char *gr_catalog__glob_root(const char *pattern)
{
    char *prefix = gr_xstrndup(pattern, strcspn(pattern, "*?["));
    char *slash = strrchr(prefix, '/');

    if (slash == NULL || slash == prefix) {
        free(prefix);
        return gr_xstrdup("/");
    }
    *slash = '\0';
    return prefix;
}

void gr_catalog__sort(void *base, size_t count, size_t size,
                      int (*compare)(const void *, const void *))
{
    if (base != NULL && count > 1)
        qsort(base, count, size, compare);
}
