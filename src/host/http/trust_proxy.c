/* SPDX-License-Identifier: MIT */
/* backend.trustProxy: reading the setting and finding the client's address behind proxies. */
#include "host/http/trust_proxy.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "host/config/config.h"

#define TRUST_PROXY_KEY "backend.trustProxy"

/* Maximum length of one address or range that is parsed ("ffff:...:ffff/128" fits). */
#define ENTRY_MAX 64

/* Express's names of address ranges (its "Express behind proxies" guide lists them). */
static const struct {
    const char *name;
    const char *ranges[4];
} named_ranges[] = {
    {"loopback", {"127.0.0.1/8", "::1/128", NULL}},
    {"linklocal", {"169.254.0.0/16", "fe80::/10", NULL}},
    {"uniquelocal", {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}},
};

/* Parses an IPv4 or IPv6 address into `out` (16 bytes, IPv4 in the first 4). Returns the family
 * (AF_INET or AF_INET6), or 0 when `text` is no address. */
static int parse_address(const char *text, unsigned char out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, text, out) == 1)
        return AF_INET6;
    return 0;
}

/* Parses "ADDRESS" or "ADDRESS/BITS" into `range`. Returns 0, or -1 when it is neither. */
static int parse_range(const char *text, gr_trust_proxy_range *range)
{
    char address[ENTRY_MAX];
    const char *slash = strchr(text, '/');
    size_t len = slash != NULL ? (size_t)(slash - text) : strlen(text);
    unsigned max_bits;
    char *end = NULL;
    long bits;

    if (len >= sizeof(address))
        return -1;
    memcpy(address, text, len);
    address[len] = '\0';
    range->family = parse_address(address, range->address);
    if (range->family == 0)
        return -1;
    max_bits = range->family == AF_INET ? 32 : 128;
    range->prefix_bits = max_bits;
    if (slash == NULL)
        return 0;
    bits = strtol(slash + 1, &end, 10);
    if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || bits < 0 || bits > (long)max_bits)
        return -1;
    range->prefix_bits = (unsigned)bits;
    return 0;
}

static int add_range(gr_trust_proxy *trust, const char *text, const char *value)
{
    if (trust->range_count == GR_TRUST_PROXY_MAX_RANGES)
        return gr_error_set(GR_EINVALID,
                            "'%s' has more than %d address ranges; trust a "
                            "wider range instead",
                            value, GR_TRUST_PROXY_MAX_RANGES);
    if (parse_range(text, &trust->ranges[trust->range_count]) != 0)
        return gr_error_set(GR_EINVALID,
                            "'%s' is not an IP address, a CIDR range or one of "
                            "loopback, linklocal and uniquelocal; for all proxies write true, "
                            "for a number of hops write the number",
                            text);
    trust->range_count++;
    return GR_OK;
}

/* Adds one trimmed entry: a range name, an address or a CIDR range. */
static int add_entry(gr_trust_proxy *trust, const char *entry, const char *value)
{
    for (size_t i = 0; i < sizeof(named_ranges) / sizeof(named_ranges[0]); i++) {
        if (strcmp(entry, named_ranges[i].name) != 0)
            continue;
        for (size_t r = 0; r < 4 && named_ranges[i].ranges[r] != NULL; r++) {
            int rc = add_range(trust, named_ranges[i].ranges[r], value);

            if (rc != GR_OK)
                return rc;
        }
        return GR_OK;
    }
    return add_range(trust, entry, value);
}

/* Adds the comma-separated entries of `value`, as Express splits a string setting. */
static int add_entries(gr_trust_proxy *trust, const char *value)
{
    const char *start = value;

    for (;;) {
        const char *end = strchr(start, ',');
        size_t len = end != NULL ? (size_t)(end - start) : strlen(start);
        char entry[ENTRY_MAX];
        int rc;

        while (len > 0 && *start == ' ') {
            start++;
            len--;
        }
        while (len > 0 && start[len - 1] == ' ')
            len--;
        if (len == 0 || len >= sizeof(entry))
            return gr_error_set(GR_EINVALID,
                                "'%s' has an empty or overlong entry; list "
                                "addresses, CIDR ranges or names separated by commas",
                                value);
        memcpy(entry, start, len);
        entry[len] = '\0';
        if ((rc = add_entry(trust, entry, value)) != GR_OK)
            return rc;
        if (end == NULL)
            return GR_OK;
        start = end + 1;
    }
}

static int read_list(gr_trust_proxy *trust, const json_t *list)
{
    const json_t *item;
    size_t index;

    json_array_foreach(list, index, item)
    {
        int rc;

        if (!json_is_string(item))
            return gr_error_set(GR_EINVALID,
                                "item %zu is not a string; list addresses, CIDR "
                                "ranges or names",
                                index);
        if ((rc = add_entries(trust, json_string_value(item))) != GR_OK)
            return rc;
    }
    return GR_OK;
}

int gr_trust_proxy_parse(const json_t *node, gr_trust_proxy *out)
{
    int rc = GR_OK;

    memset(out, 0, sizeof(*out));
    if (node == NULL || json_is_false(node))
        return GR_OK;
    if (json_is_true(node)) {
        out->mode = GR_TRUST_PROXY_ALL;
    } else if (json_is_integer(node)) {
        json_int_t hops = json_integer_value(node);

        if (hops < 0 || hops > GR_TRUST_PROXY_MAX_HOPS)
            return gr_error_set(GR_EINVALID,
                                "%lld hops is outside the allowed range of 0 "
                                "to %d",
                                (long long)hops, GR_TRUST_PROXY_MAX_HOPS);
        out->mode = hops > 0 ? GR_TRUST_PROXY_HOPS : GR_TRUST_PROXY_NONE;
        out->hops = (unsigned)hops;
    } else if (json_is_string(node)) {
        out->mode = GR_TRUST_PROXY_RANGES;
        rc = add_entries(out, json_string_value(node));
    } else if (json_is_array(node)) {
        out->mode = GR_TRUST_PROXY_RANGES;
        rc = read_list(out, node);
    } else {
        rc = gr_error_set(GR_EINVALID, "must be true or false, a number of "
                                       "hops, or a list of addresses, CIDR ranges or names");
    }
    if (rc != GR_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

int gr_trust_proxy_read(const gr_config *cfg, gr_trust_proxy *out)
{
    int rc = gr_trust_proxy_parse(gr_config_node(cfg, TRUST_PROXY_KEY), out);
    char message[GR_ERROR_MAX];

    if (rc == GR_OK)
        return GR_OK;
    snprintf(message, sizeof(message), "%s", gr_error_last());
    return gr_error_set(rc, TRUST_PROXY_KEY ": %s", message);
}

/* Returns whether `address` of `family` is an IPv4 address mapped into IPv6 (::ffff:a.b.c.d). */
static bool is_ipv4_mapped(int family, const unsigned char *address)
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return family == AF_INET6 && memcmp(address, prefix, sizeof(prefix)) == 0;
}

/* Returns whether the first `bits` bits of `a` and `b` are equal. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned whole = bits / 8;
    unsigned rest = bits % 8;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));

    if (memcmp(a, b, whole) != 0)
        return false;
    return rest == 0 || ((a[whole] ^ b[whole]) & mask) == 0;
}

static bool range_contains(const gr_trust_proxy_range *range, int family,
                           const unsigned char *address)
{
    /* An IPv6 socket shows IPv4 peers as ::ffff:a.b.c.d, which IPv4 ranges match. */
    if (range->family == AF_INET && is_ipv4_mapped(family, address))
        return prefix_equal(range->address, address + 12, range->prefix_bits);
    return range->family == family && prefix_equal(range->address, address, range->prefix_bits);
}

/* Returns whether the hop at `address`, `index` hops from the server, is a trusted proxy. */
static bool hop_trusted(const gr_trust_proxy *trust, const char *address, unsigned index)
{
    unsigned char bytes[16];
    int family;

    switch (trust->mode) {
    case GR_TRUST_PROXY_ALL:
        return true;
    case GR_TRUST_PROXY_HOPS:
        return index < trust->hops;
    case GR_TRUST_PROXY_RANGES:
        family = parse_address(address, bytes);
        for (size_t i = 0; family != 0 && i < trust->range_count; i++) {
            if (range_contains(&trust->ranges[i], family, bytes))
                return true;
        }
        return false;
    default:
        return false;
    }
}

bool gr_trust_proxy_canonical_address(const char *text, char out[GR_TRUST_PROXY_ADDRESS_MAX])
{
    unsigned char bytes[16];
    int family = parse_address(text, bytes);

    if (family == 0)
        return false;
    if (is_ipv4_mapped(family, bytes))
        return inet_ntop(AF_INET, bytes + 12, out, GR_TRUST_PROXY_ADDRESS_MAX) != NULL;
    return inet_ntop(family, bytes, out, GR_TRUST_PROXY_ADDRESS_MAX) != NULL;
}

/* Writes the entry between `start` and `end`, trimmed, in its canonical form to `out`. Returns
 * false when it is no IP address. */
static bool entry_address(const char *start, const char *end, char out[GR_TRUST_PROXY_ADDRESS_MAX])
{
    char entry[ENTRY_MAX];
    size_t len;

    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    len = (size_t)(end - start);
    if (len == 0 || len >= sizeof(entry))
        return false;
    memcpy(entry, start, len);
    entry[len] = '\0';
    return gr_trust_proxy_canonical_address(entry, out);
}

void gr_trust_proxy_client(const gr_trust_proxy *trust, const char *peer, const char *forwarded_for,
                           char out[GR_TRUST_PROXY_ADDRESS_MAX])
{
    const char *end;

    if (!entry_address(peer, peer + strlen(peer), out))
        snprintf(out, GR_TRUST_PROXY_ADDRESS_MAX, "%s", peer);
    if (trust->mode == GR_TRUST_PROXY_NONE || forwarded_for == NULL)
        return;

    /* The rightmost entry was added by the nearest proxy, so the walk goes right to left. */
    end = forwarded_for + strlen(forwarded_for);
    for (unsigned index = 0; index < GR_TRUST_PROXY_MAX_HOPS; index++) {
        const char *start = end;
        char next[GR_TRUST_PROXY_ADDRESS_MAX];

        while (start > forwarded_for && start[-1] != ',')
            start--;
        if (!hop_trusted(trust, out, index) || !entry_address(start, end, next))
            return;
        memcpy(out, next, sizeof(next));
        if (start == forwarded_for)
            return;
        end = start - 1;
    }
}
