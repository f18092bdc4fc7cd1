/* SPDX-License-Identifier: MIT */
/* backend.trustProxy: which proxies' X-Forwarded-For entries name the client's address. */
#ifndef GR_HOST_HTTP_TRUST_PROXY_H
#define GR_HOST_HTTP_TRUST_PROXY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct gr_config gr_config;

/** Maximum number of address ranges in backend.trustProxy (a name such as "uniquelocal" counts
 * for each of its ranges). Past it: the config is rejected. */
#define GR_TRUST_PROXY_MAX_RANGES 32

/** Maximum number of X-Forwarded-For entries examined per request. Entries to the left of them
 * are not read, so the client address is then the last one examined. */
#define GR_TRUST_PROXY_MAX_HOPS 32

/** Size of a client address as text, with its NUL (INET6_ADDRSTRLEN). */
#define GR_TRUST_PROXY_ADDRESS_MAX 46

typedef enum {
    GR_TRUST_PROXY_NONE = 0, /* X-Forwarded-For is ignored (the default) */
    GR_TRUST_PROXY_ALL,      /* every hop is trusted: the leftmost entry is the client */
    GR_TRUST_PROXY_HOPS,     /* the `hops` nearest hops are trusted */
    GR_TRUST_PROXY_RANGES,   /* hops whose address is in `ranges` are trusted */
} gr_trust_proxy_mode;

/** An IPv4 or IPv6 network: an address and the number of leading bits that must match. */
typedef struct {
    int family; /* AF_INET or AF_INET6 */
    unsigned char address[16];
    unsigned prefix_bits;
} gr_trust_proxy_range;

/** The trusted proxies, as Express's `trust proxy` setting takes them. */
typedef struct {
    gr_trust_proxy_mode mode;
    unsigned hops;
    size_t range_count;
    gr_trust_proxy_range ranges[GR_TRUST_PROXY_MAX_RANGES];
} gr_trust_proxy;

/**
 * Parses a backend.trustProxy value in the forms Backstage passes to Express:
 * true or false, a number of hops, or addresses, CIDR ranges and the names
 * "loopback", "linklocal" and "uniquelocal", as a comma-separated string or a
 * list. NULL gives GR_TRUST_PROXY_NONE. Returns 0, or GR_EINVALID with a
 * message that names the wrong entry.
 */
int gr_trust_proxy_parse(const json_t *value, gr_trust_proxy *out);

/** Reads backend.trustProxy with gr_trust_proxy_parse(); errors name the key. */
int gr_trust_proxy_read(const gr_config *cfg, gr_trust_proxy *out);

/**
 * Writes the IP address `text` in canonical form to `out`: IPv6 in its short
 * form, and an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4, so that one
 * client has one form in logs and rate-limit keys. Returns false when `text`
 * is no IP address. Sets no error message.
 */
bool gr_trust_proxy_canonical_address(const char *text, char out[GR_TRUST_PROXY_ADDRESS_MAX]);

/**
 * Writes the client's address to `out`: starting at the TCP peer `peer`, each
 * trusted hop hands over to the X-Forwarded-For entry to its left, as Express
 * does. `forwarded_for` contains the header's entries (several headers joined
 * with commas), or NULL. Addresses are written in canonical form, an
 * IPv4-mapped IPv6 address as IPv4. An entry that is not an IP address stops the walk at
 * the hop that sent it, so a client cannot place arbitrary text in the logs
 * and rate-limit keys.
 */
void gr_trust_proxy_client(const gr_trust_proxy *trust, const char *peer, const char *forwarded_for,
                           char out[GR_TRUST_PROXY_ADDRESS_MAX]);

#endif
