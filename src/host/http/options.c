/* SPDX-License-Identifier: MIT */
/* Reads the server's connection limits and timeouts from backend.server, and its rate limits. */
#include <limits.h>

#include "host/auth/auth.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/http/server.h"

/* Maximum timeout accepted, in seconds (one day). */
#define OPTIONS_MAX_TIMEOUT_S 86400

/* Reads the duration at `path` into *out when the key is set. Durations take
 * Backstage's forms: seconds, "30s"/"5m", or {minutes: 1}. */
static int read_timeout(const gr_config *cfg, const char *path, unsigned *out)
{
    int64_t seconds = 0;
    int rc;

    if (gr_config_node(cfg, path) == NULL)
        return GR_OK;
    if ((rc = gr_auth_config_duration(cfg, path, 0, &seconds)) < 0)
        return rc;
    if (seconds < 1 || seconds > OPTIONS_MAX_TIMEOUT_S)
        return gr_error_set(GR_EINVALID,
                            "%s: %lld seconds is outside the allowed range of 1 to "
                            "%d seconds",
                            path, (long long)seconds, OPTIONS_MAX_TIMEOUT_S);
    *out = (unsigned)seconds;
    return GR_OK;
}

static int read_count(const gr_config *cfg, const char *path, unsigned *out)
{
    int64_t value;

    if (gr_config_node(cfg, path) == NULL)
        return GR_OK;
    value = gr_config_int(cfg, path, 0);
    if (value < 1 || value > INT_MAX)
        return gr_error_set(GR_EINVALID, "%s: %lld is not a positive connection count", path,
                            (long long)value);
    *out = (unsigned)value;
    return GR_OK;
}

int gr_http_options_read(const gr_config *cfg, gr_http_options *opts)
{
    int rc;

    if ((rc = read_timeout(cfg, "backend.server.timeout", &opts->connection_timeout_s)) < 0 ||
        (rc = read_timeout(cfg, "backend.server.headersTimeout", &opts->headers_timeout_s)) < 0 ||
        (rc = read_count(cfg, "backend.server.maxConnections", &opts->max_connections)) < 0 ||
        (rc = read_count(cfg, "backend.server.maxConnectionsPerClient",
                         &opts->max_connections_per_client)) < 0 ||
        (rc = gr_trust_proxy_read(cfg, &opts->trust_proxy)) < 0)
        return rc;
    return gr_rate_limit_options_read(cfg, &opts->rate_limits);
}
