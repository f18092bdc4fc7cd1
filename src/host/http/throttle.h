/* SPDX-License-Identifier: MIT */
/* The server's rate limits: sign-in, failed credentials, expensive requests, all requests. */
#ifndef GR_HOST_HTTP_THROTTLE_H
#define GR_HOST_HTTP_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>

#include "host/http/rate_limit.h"

/*
 * Every limit counts requests per key in a window (backend.rateLimit.window)
 * with the token buckets of rate_limit.h. A request past a limit gets 429
 * with a Retry-After header (seconds) and Backstage's error body, and the log
 * gets one line (module "http", "rate limit reached") per key and window.
 * Clients whose address is in backend.rateLimit.ipAllowList are never limited.
 *
 * The key is the client's address from gr_req_client_addr(): the TCP peer,
 * or behind a proxy trusted in backend.trustProxy the address that its
 * X-Forwarded-For entry names. Without that setting every client behind a
 * proxy has the proxy's address and so shares one budget.
 */

/**
 * Default window of every limit, in seconds. Backstage's rate limiter
 * (@backstage/backend-defaults 0.12.0) has the same default window.
 */
#define GR_RATE_LIMIT_DEFAULT_WINDOW_S 60

/** Maximum window, in seconds (one day). */
#define GR_RATE_LIMIT_MAX_WINDOW_S 86400

/**
 * Default sign-in requests (start, frame handler, refresh) per client address
 * and window. A person signs in once per session, and greenroom's pages use
 * the session cookie without calling refresh, so a person stays far below it.
 */
#define GR_RATE_LIMIT_DEFAULT_SIGN_IN 60

/**
 * Default rejected credentials (bearer token, session cookie, proxy token)
 * per client address and window. Past it, every request of the client that
 * carries a credential gets 429 before the credential is verified. It is
 * high because scripts that probe every route with bad tokens, such as the
 * route security tests, send about 200 at once.
 */
#define GR_RATE_LIMIT_DEFAULT_FAILED_CREDENTIALS 300

/**
 * Default requests that fetch or build (register or analyze a location,
 * refresh an entity, sync TechDocs) per subject, or per client address
 * without a subject, and window.
 */
#define GR_RATE_LIMIT_DEFAULT_EXPENSIVE 60

/** Maximum number of addresses in backend.rateLimit.ipAllowList. */
#define GR_RATE_LIMIT_MAX_ALLOW_LIST 64

/** Room for an IPv6 address as text, with its NUL (INET6_ADDRSTRLEN). */
#define GR_RATE_LIMIT_ADDRESS_BYTES 46

/** A limit value that turns the limit off. */
#define GR_RATE_LIMIT_OFF 0xffffffffu

/** The kinds of limit, each with its own table. */
typedef enum {
    GR_RATE_INCOMING,           /* every request, per client address */
    GR_RATE_SIGN_IN,            /* sign-in routes, per client address */
    GR_RATE_FAILED_CREDENTIALS, /* rejected credentials, per client address */
    GR_RATE_EXPENSIVE,          /* fetching or building requests, per subject */
    GR_RATE_KINDS
} gr_rate_kind;

/** Rate limit options; zero in a field selects its default. */
typedef struct {
    unsigned window_s;
    /* Requests per window for each kind; GR_RATE_LIMIT_OFF turns one off.
     * GR_RATE_INCOMING has no default and is off at 0, as in Backstage. */
    unsigned limits[GR_RATE_KINDS];
    /* Exempt client addresses, normalised by gr_rate_limit_address_normalize(). */
    char allow_list[GR_RATE_LIMIT_MAX_ALLOW_LIST][GR_RATE_LIMIT_ADDRESS_BYTES];
    size_t allow_count;
} gr_rate_limit_options;

typedef struct gr_config gr_config;
typedef struct gr_request gr_request;
typedef struct gr_http_throttle gr_http_throttle;

/**
 * Reads backend.rateLimit into `opts`: window, incomingRequestLimit,
 * ipAllowList, signInLimit, failedCredentialLimit and expensiveRequestLimit.
 * A limit of 0 in the config turns that limit off. Fields whose key is unset
 * keep their value. `cfg` is borrowed. Returns 0, or GR_EINVALID naming the
 * key and value at fault.
 */
int gr_rate_limit_options_read(const gr_config *cfg, gr_rate_limit_options *opts);

/**
 * Writes the canonical text of IP address `address` to `out` (room for
 * GR_RATE_LIMIT_ADDRESS_BYTES): IPv6 in its short form, and an IPv4-mapped
 * IPv6 address as plain IPv4. Returns 0, or GR_EINVALID when `address` is
 * not an IPv4 or IPv6 literal.
 */
int gr_rate_limit_address_normalize(const char *address, char *out);

/** Returns whether client address `address` is in the allow list of `opts`. */
bool gr_rate_limit_address_allowed(const gr_rate_limit_options *opts, const char *address);

/**
 * Creates the limits of a server from `opts` (copied; defaults filled in).
 * Caller frees *out with gr_http_throttle_free(). Returns 0.
 */
int gr_http_throttle_new(gr_http_throttle **out, const gr_rate_limit_options *opts);

/** Frees the limits. NULL-safe. */
void gr_http_throttle_free(gr_http_throttle *throttle);

/** Returns the limiter of `kind` (borrowed), or NULL when that limit is off. */
gr_rate_limiter *gr_http_throttle_limiter(gr_http_throttle *throttle, gr_rate_kind kind);

/**
 * Takes one request of `kind` from the budget of `subject`, or of the
 * client address when `subject` is NULL. Past the limit, sets the 429
 * response of `req` and returns GR_ELIMIT with the message set, so a handler
 * can return the code as is. Returns 0 when the request may go on, also when
 * the limit is off or the client is in the allow list. Thread-safe.
 */
int gr_http_rate_limit(gr_request *req, gr_rate_kind kind, const char *subject);

/**
 * Like gr_http_rate_limit() for the client address, but only checks that
 * one request is left, without taking it: for failed credentials, which
 * gr_http_rate_limit_charge() counts once they fail.
 */
int gr_http_rate_limit_check(gr_request *req, gr_rate_kind kind);

/** Counts one request of `kind` against the client address, such as a rejected credential. */
void gr_http_rate_limit_charge(gr_request *req, gr_rate_kind kind);

#endif
