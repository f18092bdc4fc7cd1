/* SPDX-License-Identifier: MIT */
/* The server's rate limits: options, allow list, and the 429 response past a limit. */
#include "host/http/throttle.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "host/auth/auth.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/internal.h"
#include "host/http/trust_proxy.h"
#include "host/log/log.h"

struct gr_http_throttle {
    gr_rate_limit_options opts;
    gr_rate_limiter *limiters[GR_RATE_KINDS];
};

static const char *const kind_names[GR_RATE_KINDS] = {
    [GR_RATE_INCOMING] = "incoming",
    [GR_RATE_SIGN_IN] = "sign_in",
    [GR_RATE_FAILED_CREDENTIALS] = "failed_credentials",
    [GR_RATE_EXPENSIVE] = "expensive",
};

static const char *const limit_keys[GR_RATE_KINDS] = {
    [GR_RATE_INCOMING] = "backend.rateLimit.incomingRequestLimit",
    [GR_RATE_SIGN_IN] = "backend.rateLimit.signInLimit",
    [GR_RATE_FAILED_CREDENTIALS] = "backend.rateLimit.failedCredentialLimit",
    [GR_RATE_EXPENSIVE] = "backend.rateLimit.expensiveRequestLimit",
};

static const unsigned limit_defaults[GR_RATE_KINDS] = {
    [GR_RATE_INCOMING] = GR_RATE_LIMIT_OFF,
    [GR_RATE_SIGN_IN] = GR_RATE_LIMIT_DEFAULT_SIGN_IN,
    [GR_RATE_FAILED_CREDENTIALS] = GR_RATE_LIMIT_DEFAULT_FAILED_CREDENTIALS,
    [GR_RATE_EXPENSIVE] = GR_RATE_LIMIT_DEFAULT_EXPENSIVE,
};

/* ---- options ------------------------------------------------------------- */

int gr_rate_limit_address_normalize(const char *address, char *out)
{
    _Static_assert(GR_RATE_LIMIT_ADDRESS_BYTES == GR_TRUST_PROXY_ADDRESS_MAX,
                   "rate-limit keys and client addresses have one size");

    if (!gr_trust_proxy_canonical_address(address, out))
        return gr_error_set(GR_EINVALID, "'%s' is not an IPv4 or IPv6 address", address);
    return GR_OK;
}

bool gr_rate_limit_address_allowed(const gr_rate_limit_options *opts, const char *address)
{
    char normal[GR_RATE_LIMIT_ADDRESS_BYTES];

    if (opts->allow_count == 0 || gr_rate_limit_address_normalize(address, normal) != GR_OK)
        return false;
    for (size_t i = 0; i < opts->allow_count; i++) {
        if (strcmp(opts->allow_list[i], normal) == 0)
            return true;
    }
    return false;
}

static int read_allow_list(const gr_config *cfg, gr_rate_limit_options *opts)
{
    const json_t *list = gr_config_node(cfg, "backend.rateLimit.ipAllowList");
    const json_t *item;
    size_t index;

    if (list == NULL)
        return GR_OK;
    if (!json_is_array(list))
        return gr_error_set(GR_EINVALID, "backend.rateLimit.ipAllowList must be a list of IP "
                                         "addresses");
    if (json_array_size(list) > GR_RATE_LIMIT_MAX_ALLOW_LIST)
        return gr_error_set(GR_EINVALID,
                            "backend.rateLimit.ipAllowList has %zu addresses, more than the "
                            "limit of %d",
                            json_array_size(list), GR_RATE_LIMIT_MAX_ALLOW_LIST);
    opts->allow_count = 0;
    json_array_foreach(list, index, item) {
        const char *text = json_string_value(item);

        if (text == NULL ||
            gr_rate_limit_address_normalize(text, opts->allow_list[opts->allow_count]) != GR_OK)
            return gr_error_set(GR_EINVALID,
                                "backend.rateLimit.ipAllowList[%zu]: '%s' is not an IPv4 or "
                                "IPv6 address; CIDR ranges and host names are not supported",
                                index, text != NULL ? text : "(not a string)");
        opts->allow_count++;
    }
    return GR_OK;
}

static int read_limit(const gr_config *cfg, gr_rate_kind kind, gr_rate_limit_options *opts)
{
    const char *path = limit_keys[kind];
    int64_t value;

    if (gr_config_node(cfg, path) == NULL)
        return GR_OK;
    value = gr_config_int(cfg, path, -1);
    if (value < 0 || value >= (int64_t)GR_RATE_LIMIT_OFF)
        return gr_error_set(GR_EINVALID,
                            "%s: %lld is not a request count; use a positive number, or 0 to "
                            "turn the limit off",
                            path, (long long)value);
    opts->limits[kind] = value == 0 ? GR_RATE_LIMIT_OFF : (unsigned)value;
    return GR_OK;
}

int gr_rate_limit_options_read(const gr_config *cfg, gr_rate_limit_options *opts)
{
    const char *window_key = "backend.rateLimit.window";
    int64_t seconds = 0;
    int rc;

    if (gr_config_node(cfg, window_key) != NULL) {
        if ((rc = gr_auth_config_duration(cfg, window_key, 0, &seconds)) < 0)
            return rc;
        if (seconds < 1 || seconds > GR_RATE_LIMIT_MAX_WINDOW_S)
            return gr_error_set(GR_EINVALID,
                                "%s: %lld seconds is outside the allowed range of 1 to %d "
                                "seconds",
                                window_key, (long long)seconds, GR_RATE_LIMIT_MAX_WINDOW_S);
        opts->window_s = (unsigned)seconds;
    }
    for (int kind = 0; kind < GR_RATE_KINDS; kind++) {
        if ((rc = read_limit(cfg, (gr_rate_kind)kind, opts)) < 0)
            return rc;
    }
    return read_allow_list(cfg, opts);
}

/* ---- limits of a server ------------------------------------------------- */

int gr_http_throttle_new(gr_http_throttle **out, const gr_rate_limit_options *opts)
{
    gr_http_throttle *throttle = gr_xcalloc(1, sizeof(*throttle));
    int rc = GR_OK;

    *out = NULL;
    if (opts != NULL)
        throttle->opts = *opts;
    if (throttle->opts.window_s == 0)
        throttle->opts.window_s = GR_RATE_LIMIT_DEFAULT_WINDOW_S;
    for (int kind = 0; kind < GR_RATE_KINDS && rc == GR_OK; kind++) {
        unsigned limit = throttle->opts.limits[kind];

        if (limit == 0)
            limit = limit_defaults[kind];
        throttle->opts.limits[kind] = limit;
        if (limit != GR_RATE_LIMIT_OFF)
            rc = gr_rate_limiter_new(&throttle->limiters[kind], kind_names[kind], limit,
                                     (uint64_t)throttle->opts.window_s * 1000u, 0);
    }
    if (rc != GR_OK) {
        gr_http_throttle_free(throttle);
        return rc;
    }
    *out = throttle;
    return GR_OK;
}

void gr_http_throttle_free(gr_http_throttle *throttle)
{
    if (throttle == NULL)
        return;
    for (int kind = 0; kind < GR_RATE_KINDS; kind++)
        gr_rate_limiter_free(throttle->limiters[kind]);
    free(throttle);
}

gr_rate_limiter *gr_http_throttle_limiter(gr_http_throttle *throttle, gr_rate_kind kind)
{
    return throttle != NULL && kind < GR_RATE_KINDS ? throttle->limiters[kind] : NULL;
}

/* ---- requests ------------------------------------------------------------ */

/* Returns the limiter that applies to `req`, or NULL when none does. */
static gr_rate_limiter *request_limiter(gr_request *req, gr_rate_kind kind)
{
    gr_http_throttle *throttle = req->server->throttle;
    gr_rate_limiter *limiter = gr_http_throttle_limiter(throttle, kind);

    if (limiter == NULL || gr_rate_limit_address_allowed(&throttle->opts, gr_req_client_addr(req)))
        return NULL;
    return limiter;
}

static void log_rejection(gr_request *req, gr_rate_limiter *limiter, const char *key,
                          const gr_rate_limit_result *result, unsigned retry_s)
{
    char limit[16];
    char window[32];
    char rejected[16];
    char retry[16];

    snprintf(limit, sizeof(limit), "%u", gr_rate_limiter_limit(limiter));
    snprintf(window, sizeof(window), "%llu",
             (unsigned long long)(gr_rate_limiter_window_ms(limiter) / 1000u));
    snprintf(rejected, sizeof(rejected), "%u", result->rejected);
    snprintf(retry, sizeof(retry), "%u", retry_s);
    gr_log_fields(GR_LOG_WARN, "http", "rate limit reached", "limit",
                  gr_rate_limiter_name(limiter), "key", key, "client", gr_req_client_addr(req),
                  "max_requests", limit, "window_s", window, "rejected", rejected,
                  "retry_after_s", retry, NULL);
}

/* Sets the 429 response with Retry-After, logs the first rejection of a
 * window, counts the rejection, and returns GR_ELIMIT. */
static int respond_limited(gr_request *req, gr_rate_limiter *limiter, const char *key,
                           const gr_rate_limit_result *result)
{
    unsigned retry_s = (unsigned)((result->retry_after_ms + 999u) / 1000u);
    char retry[16];
    gr_metric *counter;
    const char *message;

    if (retry_s == 0)
        retry_s = 1;
    snprintf(retry, sizeof(retry), "%u", retry_s);
    if (result->log)
        log_rejection(req, limiter, key, result, retry_s);
    counter = gr_metrics_series(req->server->metrics, "http_rate_limited_total", "limit",
                                gr_rate_limiter_name(limiter), NULL);
    if (counter != NULL)
        gr_metric_add(counter, 1);

    message = gr_arena_printf(req->arena,
                              "Too many requests: the %s limit of %u requests per %llu seconds "
                              "was reached; try again in %u seconds",
                              gr_rate_limiter_name(limiter), gr_rate_limiter_limit(limiter),
                              (unsigned long long)(gr_rate_limiter_window_ms(limiter) / 1000u),
                              retry_s);
    /* Backstage's rate limiter sends the error name "Error" with status 429. */
    gr_http__error_body(&req->response, 429, "Error", message);
    gr_res_header(&req->response, "Retry-After", retry);
    return gr_error_set(GR_ELIMIT, "%s", message);
}

int gr_http_rate_limit(gr_request *req, gr_rate_kind kind, const char *subject)
{
    gr_rate_limiter *limiter = request_limiter(req, kind);
    gr_rate_limit_result result;
    const char *key;

    if (limiter == NULL)
        return GR_OK;
    key = subject != NULL ? subject : gr_req_client_addr(req);
    gr_rate_limiter_take(limiter, key, &result);
    return result.allowed ? GR_OK : respond_limited(req, limiter, key, &result);
}

int gr_http_rate_limit_check(gr_request *req, gr_rate_kind kind)
{
    gr_rate_limiter *limiter = request_limiter(req, kind);
    gr_rate_limit_result result;
    const char *key = gr_req_client_addr(req);

    if (limiter == NULL)
        return GR_OK;
    gr_rate_limiter_peek(limiter, key, &result);
    return result.allowed ? GR_OK : respond_limited(req, limiter, key, &result);
}

void gr_http_rate_limit_charge(gr_request *req, gr_rate_kind kind)
{
    gr_rate_limiter *limiter = request_limiter(req, kind);
    gr_rate_limit_result result;

    if (limiter != NULL)
        gr_rate_limiter_take(limiter, gr_req_client_addr(req), &result);
}
