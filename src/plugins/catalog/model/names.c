/* SPDX-License-Identifier: MIT */
/* Format rules for entity names, namespaces, kinds, label keys, tags and URLs. */
#include "plugins/catalog/model/names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Object name over the first `len` bytes of `value`. */
static bool is_object_name_span(const char *value, size_t len)
{
    if (len < 1 || len > GR_MODEL_NAME_MAX)
        return false;
    if (!is_alnum(value[0]) || !is_alnum(value[len - 1]))
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        char c = value[i];

        if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

bool gr_model_is_valid_object_name(const char *value)
{
    return is_object_name_span(value, strlen(value));
}

static bool is_dns_label_span(const char *value, size_t len)
{
    if (len < 1 || len > GR_MODEL_NAME_MAX)
        return false;
    if (!is_lower_alnum(value[0]) || !is_lower_alnum(value[len - 1]))
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        if (!is_lower_alnum(value[i]) && value[i] != '-')
            return false;
    }
    return true;
}

bool gr_model_is_valid_dns_label(const char *value)
{
    return is_dns_label_span(value, strlen(value));
}

static bool is_dns_subdomain_span(const char *value, size_t len)
{
    size_t start = 0;

    if (len < 1 || len > GR_MODEL_DNS_SUBDOMAIN_MAX)
        return false;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || value[i] == '.') {
            if (!is_dns_label_span(value + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

bool gr_model_is_valid_dns_subdomain(const char *value)
{
    return is_dns_subdomain_span(value, strlen(value));
}

bool gr_model_is_valid_kind(const char *value)
{
    size_t len = strlen(value);

    if (len < 1 || len > GR_MODEL_NAME_MAX || !is_alpha(value[0]))
        return false;
    for (size_t i = 1; i < len; i++) {
        if (!is_alnum(value[i]))
            return false;
    }
    return true;
}

static bool is_version_span(const char *value, size_t len)
{
    if (len < 1 || len > GR_MODEL_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_alnum(value[i]))
            return false;
    }
    return true;
}

/*
 * Splits `value` at '/' into an optional DNS-subdomain prefix and a suffix
 * checked by `suffix_ok`; more than one '/' is invalid.
 */
static bool is_prefix_and_suffix(const char *value, bool (*suffix_ok)(const char *, size_t))
{
    const char *slash = strchr(value, '/');

    if (slash == NULL)
        return suffix_ok(value, strlen(value));
    if (strchr(slash + 1, '/') != NULL)
        return false;
    return is_dns_subdomain_span(value, (size_t)(slash - value)) &&
           suffix_ok(slash + 1, strlen(slash + 1));
}

bool gr_model_is_valid_api_version(const char *value)
{
    return is_prefix_and_suffix(value, is_version_span);
}

bool gr_model_is_valid_label_key(const char *value)
{
    return is_prefix_and_suffix(value, is_object_name_span);
}

bool gr_model_is_valid_label_value(const char *value)
{
    return value[0] == '\0' || gr_model_is_valid_object_name(value);
}

static bool is_tag_char(char c)
{
    return is_lower_alnum(c) || c == ':' || c == '+' || c == '#';
}

bool gr_model_is_valid_tag(const char *value)
{
    size_t len = strlen(value);

    if (len < 1 || len > GR_MODEL_NAME_MAX)
        return false;
    if (!is_tag_char(value[0]) || !is_tag_char(value[len - 1]))
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        if (value[i] == '-' && value[i + 1] == '-')
            return false;
        if (!is_tag_char(value[i]) && value[i] != '-')
            return false;
    }
    return true;
}

/* Decodes one UTF-8 sequence at `*cursor`; invalid bytes decode as themselves. */
static uint32_t next_code_point(const unsigned char **cursor)
{
    const unsigned char *c = *cursor;
    uint32_t point = c[0];
    int extra = 0;

    if (point >= 0xF0 && point < 0xF8) {
        point &= 0x07;
        extra = 3;
    } else if (point >= 0xE0) {
        point &= 0x0F;
        extra = 2;
    } else if (point >= 0xC0) {
        point &= 0x1F;
        extra = 1;
    }
    for (int i = 1; i <= extra; i++) {
        if ((c[i] & 0xC0) != 0x80) {
            *cursor = c + 1;
            return c[0];
        }
        point = (point << 6) | (c[i] & 0x3F);
    }
    *cursor = c + 1 + extra;
    return point;
}

static bool is_js_space(uint32_t point)
{
    return (point >= 0x09 && point <= 0x0D) || point == 0x20 || point == 0xA0 ||
           point == 0x1680 || (point >= 0x2000 && point <= 0x200A) || point == 0x2028 ||
           point == 0x2029 || point == 0x202F || point == 0x205F || point == 0x3000 ||
           point == 0xFEFF;
}

bool gr_model_is_non_empty_string(const char *value)
{
    const unsigned char *cursor = (const unsigned char *)value;

    while (*cursor != '\0') {
        if (!is_js_space(next_code_point(&cursor)))
            return true;
    }
    return false;
}

/* The special schemes of the WHATWG URL standard, which need a non-empty host. */
static bool is_special_scheme(const char *scheme, size_t len)
{
    static const char *const special[] = {"http", "https", "ws", "wss", "ftp"};

    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        if (strlen(special[i]) == len && strncasecmp(scheme, special[i], len) == 0)
            return true;
    }
    return false;
}

static bool is_forbidden_host_char(unsigned char c, bool opaque)
{
    if (c <= 0x20 || c == 0x7F)
        return true;
    if (strchr("#/:<>?@[\\]^|", c) != NULL)
        return true;
    return !opaque && c == '%';
}

/* Parses one IPv4 part (decimal, 0x hex or 0 octal); returns -1 when it is not a number. */
static long long ipv4_part(const char *part, size_t len)
{
    int base = 10;
    long long number = 0;

    if (len == 0)
        return -1;
    if (len >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
        base = 16;
        part += 2;
        len -= 2;
    } else if (len >= 2 && part[0] == '0') {
        base = 8;
        part++;
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        int digit;
        char c = part[i];

        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return -1;
        if (digit >= base)
            return -1;
        number = number * base + digit;
        if (number > 0xFFFFFFFFLL)
            return 0x100000000LL;
    }
    return number;
}

/*
 * A host whose last label is a number must be a valid IPv4 address (up to
 * four parts, the last one filling the remaining bytes).
 */
static bool is_valid_numeric_host(const char *host, size_t len)
{
    long long parts[5];
    size_t count = 0;
    size_t start = 0;

    if (len > 0 && host[len - 1] == '.')
        len--;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && host[i] != '.')
            continue;
        if (count == 4)
            return false;
        parts[count] = ipv4_part(host + start, i - start);
        if (parts[count] < 0)
            return false;
        count++;
        start = i + 1;
    }
    for (size_t i = 0; i + 1 < count; i++) {
        if (parts[i] > 255)
            return false;
    }
    return parts[count - 1] < (1LL << (8 * (5 - count)));
}

static bool ends_in_number(const char *host, size_t len)
{
    size_t end = len;
    size_t start;

    if (end > 0 && host[end - 1] == '.')
        end--;
    start = end;
    while (start > 0 && host[start - 1] != '.')
        start--;
    if (start == end)
        return false;
    if (end - start >= 2 && host[start] == '0' && (host[start + 1] == 'x' || host[start + 1] == 'X'))
        return ipv4_part(host + start, end - start) >= 0 || end - start == 2;
    for (size_t i = start; i < end; i++) {
        if (host[i] < '0' || host[i] > '9')
            return false;
    }
    return true;
}

static bool is_valid_ipv6(const char *host, size_t len)
{
    if (len < 2 || host[len - 1] != ']')
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        char c = host[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == ':' || c == '.'))
            return false;
    }
    return memchr(host, ':', len) != NULL;
}

static bool is_valid_port(const char *port, size_t len)
{
    long value = 0;

    for (size_t i = 0; i < len; i++) {
        if (port[i] < '0' || port[i] > '9')
            return false;
        value = value * 10 + (port[i] - '0');
        if (value > 65535)
            return false;
    }
    return true;
}

/* Checks "[userinfo@]host[:port]" of `len` bytes. */
static bool is_valid_authority(const char *authority, size_t len, bool special)
{
    const char *host = authority;
    size_t host_len = len;
    const char *port = NULL;

    for (size_t i = len; i > 0; i--) {
        if (authority[i - 1] == '@') {
            host = authority + i;
            host_len = len - i;
            break;
        }
    }
    if (host_len > 0 && host[0] == '[') {
        const char *close = memchr(host, ']', host_len);

        if (close == NULL)
            return false;
        if ((size_t)(close - host) + 1 < host_len) {
            if (close[1] != ':')
                return false;
            port = close + 2;
        }
        if (!is_valid_ipv6(host, (size_t)(close - host) + 1))
            return false;
        return port == NULL || is_valid_port(port, host_len - (size_t)(port - host));
    }
    for (size_t i = host_len; i > 0; i--) {
        if (host[i - 1] == ':') {
            port = host + i;
            if (!is_valid_port(port, host_len - i))
                return false;
            host_len = i - 1;
            break;
        }
    }
    if (special && host_len == 0)
        return false;
    for (size_t i = 0; i < host_len; i++) {
        if (is_forbidden_host_char((unsigned char)host[i], !special))
            return false;
    }
    if (special && ends_in_number(host, host_len))
        return is_valid_numeric_host(host, host_len);
    return true;
}

bool gr_model_is_valid_url(const char *value)
{
    size_t start = 0;
    size_t end = strlen(value);
    size_t colon;
    bool special;
    const char *rest;
    size_t rest_len;

    /* The parser strips leading and trailing C0 controls and spaces. */
    while (start < end && (unsigned char)value[start] <= 0x20)
        start++;
    while (end > start && (unsigned char)value[end - 1] <= 0x20)
        end--;
    if (start == end || !is_alpha(value[start]))
        return false;
    colon = start + 1;
    while (colon < end && (is_alnum(value[colon]) || value[colon] == '+' ||
                           value[colon] == '-' || value[colon] == '.'))
        colon++;
    if (colon >= end || value[colon] != ':')
        return false;

    special = is_special_scheme(value + start, colon - start);
    if (colon - start == 4 && strncasecmp(value + start, "file", 4) == 0)
        return true;
    rest = value + colon + 1;
    rest_len = end - colon - 1;
    if (special) {
        size_t i = 0;
        size_t authority_end;

        while (i < rest_len && (rest[i] == '/' || rest[i] == '\\'))
            i++;
        authority_end = i;
        while (authority_end < rest_len && strchr("/\\?#", rest[authority_end]) == NULL)
            authority_end++;
        return is_valid_authority(rest + i, authority_end - i, true);
    }
    if (rest_len >= 2 && rest[0] == '/' && rest[1] == '/') {
        size_t authority_end = 2;

        while (authority_end < rest_len && strchr("/?#", rest[authority_end]) == NULL)
            authority_end++;
        return is_valid_authority(rest + 2, authority_end - 2, false);
    }
    return true;
}
