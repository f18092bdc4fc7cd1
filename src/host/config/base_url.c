/* SPDX-License-Identifier: MIT */
/* The comparison of app.baseUrl with backend.baseUrl, which greenroom serves from one server. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/config/config.h"

/*
 * Writes the origin of `url` to `out` as "scheme://host:port" in lower case,
 * with the scheme's default port (80 for http, 443 for https) when the URL
 * names none. Returns false when `url` does not start with scheme://host.
 */
static bool url_origin(const char *url, gr_buf *out)
{
    const char *separator = strstr(url, "://");
    const char *authority;
    const char *end;
    const char *host;
    const char *host_end;
    const char *port = NULL;
    size_t port_len = 0;

    if (separator == NULL || separator == url || !isalpha((unsigned char)url[0]))
        return false;
    authority = separator + 3;
    end = authority + strcspn(authority, "/?#");
    host = authority;
    for (const char *at = authority; at < end; at++) {
        if (*at == '@')
            host = at + 1;
    }
    if (host[0] == '[') {
        host_end = memchr(host, ']', (size_t)(end - host));
        if (host_end == NULL)
            return false;
        host_end++;
    } else {
        host_end = memchr(host, ':', (size_t)(end - host));
        if (host_end == NULL)
            host_end = end;
    }
    if (host_end == host)
        return false;
    if (host_end < end && *host_end == ':') {
        port = host_end + 1;
        port_len = (size_t)(end - port);
    }

    for (const char *c = url; c < separator; c++)
        gr_buf_putc(out, (char)tolower((unsigned char)*c));
    gr_buf_puts(out, "://");
    for (const char *c = host; c < host_end; c++)
        gr_buf_putc(out, (char)tolower((unsigned char)*c));
    if (port_len > 0)
        gr_buf_printf(out, ":%.*s", (int)port_len, port);
    else if ((size_t)(separator - url) == 4 && strncasecmp(url, "http", 4) == 0)
        gr_buf_puts(out, ":80");
    else if ((size_t)(separator - url) == 5 && strncasecmp(url, "https", 5) == 0)
        gr_buf_puts(out, ":443");
    return true;
}

bool gr_config_base_urls_differ(const gr_config *cfg, gr_buf *problem, gr_buf *fix)
{
    const char *app = gr_config_string(cfg, "app.baseUrl", NULL);
    const char *backend = gr_config_string(cfg, "backend.baseUrl", NULL);
    gr_buf app_origin = GR_BUF_INIT;
    gr_buf backend_origin = GR_BUF_INIT;
    bool differ = false;

    if (app != NULL && backend != NULL && url_origin(app, &app_origin) &&
        url_origin(backend, &backend_origin))
        differ = strcmp(gr_buf_cstr(&app_origin), gr_buf_cstr(&backend_origin)) != 0;
    if (differ) {
        gr_buf_printf(problem,
                      "app.baseUrl %s and backend.baseUrl %s have different origins, but "
                      "greenroom serves the web UI itself, so sign-in redirects to app.baseUrl "
                      "and browser form posts must come from its origin",
                      app, backend);
        gr_buf_printf(fix,
                      "Set app.baseUrl to %s, or remove it to take that value. Keep them "
                      "different only when both URLs reach this greenroom server, such as "
                      "through a proxy, and the callbackUrl of OIDC sign-in is on app.baseUrl",
                      backend);
    }
    gr_buf_free(&app_origin);
    gr_buf_free(&backend_origin);
    return differ;
}
