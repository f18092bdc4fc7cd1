/* SPDX-License-Identifier: MIT */
/* The HTTP client for plugins, limited to the hosts and paths of backend.reading.allow. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/cancel.h"
#include "host/common/error.h"
#include "host/common/url_path.h"
#include "host/config/config.h"
#include "host/plugin/ctx.h"
#include "host/plugin/services.h"

/** Maximum size of a response body a plugin receives, in bytes. */
#define FETCH_MAX_BYTES ((size_t)16 << 20)
/** Time limit of one request, connection included, in seconds. */
#define FETCH_TIMEOUT_S 30

typedef struct {
    gr_buf body;
    bool too_large;
} fetch_sink;

static size_t on_data(char *data, size_t size, size_t count, void *payload)
{
    fetch_sink *sink = payload;
    size_t len = size * count;

    if (sink->body.len + len > FETCH_MAX_BYTES) {
        sink->too_large = true;
        return 0;
    }
    gr_buf_append(&sink->body, data, len);
    return len;
}

/* Matches "host" or "host:port" from the allow list; "*.example.com" matches subdomains. */
static bool host_matches(const char *pattern, const char *host, const char *port)
{
    const char *colon = strchr(pattern, ':');
    size_t len = colon != NULL ? (size_t)(colon - pattern) : strlen(pattern);
    size_t host_len = strlen(host);

    if (colon != NULL && (port == NULL || strcmp(colon + 1, port) != 0))
        return false;
    if (len > 2 && strncmp(pattern, "*.", 2) == 0) {
        size_t suffix = len - 1; /* ".example.com" */

        return host_len > suffix &&
               strncasecmp(host + host_len - suffix, pattern + 1, suffix) == 0;
    }
    return host_len == len && strncasecmp(host, pattern, len) == 0;
}

static bool path_allowed(const json_t *paths, const char *path)
{
    size_t index;
    const json_t *prefix;

    if (!json_is_array(paths))
        return true;
    json_array_foreach (paths, index, prefix) {
        const char *text = json_string_value(prefix);

        if (text != NULL && gr_url_path_has_prefix(path, text))
            return true;
    }
    return false;
}

/* Returns 0 when backend.reading.allow lets the plugin read `url`, else GR_EDENIED. */
static int check_allowed(const gr_plugin_ctx *ctx, const char *url)
{
    const json_t *allow = ctx->host != NULL && ctx->host->config != NULL
                              ? gr_config_node(ctx->host->config, "backend.reading.allow")
                              : NULL;
    CURLU *parsed = curl_url();
    char *scheme = NULL;
    char *host = NULL;
    char *port = NULL;
    char *path = NULL;
    size_t index;
    const json_t *entry;
    int rc = gr_error_set(GR_EDENIED,
                          "plugin %s may not read %s: add its host to backend.reading.allow",
                          ctx->id, url);

    if (curl_url_set(parsed, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        rc = gr_error_set(GR_EINVALID, "plugin %s: '%s' is not a valid URL", ctx->id, url);
        goto done;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        rc = gr_error_set(GR_EINVALID, "plugin %s: only http and https URLs may be read, not %s",
                          ctx->id, url);
        goto done;
    }
    curl_url_get(parsed, CURLUPART_PORT, &port, 0);
    json_array_foreach (allow, index, entry) {
        const char *pattern = json_string_value(json_object_get(entry, "host"));

        if (pattern != NULL && host_matches(pattern, host, port) &&
            path_allowed(json_object_get(entry, "paths"), path)) {
            gr_error_clear();
            rc = GR_OK;
            break;
        }
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(parsed);
    return rc;
}

int gr_plugin__http_fetch(gr_plugin_ctx *ctx, const char *method, const char *url,
                          const char *const *headers, const char *body, char **out_body,
                          size_t *out_len, long *out_status)
{
    fetch_sink sink = {.body = GR_BUF_INIT};
    struct curl_slist *list = NULL;
    char error[CURL_ERROR_SIZE] = "";
    CURL *curl = NULL;
    CURLcode result;
    int rc;

    *out_body = NULL;
    *out_len = 0;
    *out_status = 0;
    if (method == NULL || url == NULL)
        return gr_error_set(GR_EINVALID, "plugin %s: http_fetch needs a method and URL", ctx->id);
    if ((rc = check_allowed(ctx, url)) < 0)
        return rc;
    curl = curl_easy_init();
    if (curl == NULL)
        return gr_error_set(GR_EBACKEND, "plugin %s: curl could not start", ctx->id);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    if (body != NULL)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    gr_cancel_watch_curl(curl);
    result = curl_easy_perform(curl);
    if (sink.too_large)
        rc = gr_error_set(GR_ELIMIT, "plugin %s: the response of %s is larger than %zu bytes",
                          ctx->id, url, FETCH_MAX_BYTES);
    else if (result == CURLE_OPERATION_TIMEDOUT)
        rc = gr_error_set(GR_ELIMIT, "plugin %s: %s timed out after %d s", ctx->id, url,
                          FETCH_TIMEOUT_S);
    else if (result == CURLE_ABORTED_BY_CALLBACK)
        rc = gr_error_set(GR_EBACKEND,
                          "plugin %s: %s was cut short because the server is stopping; try "
                          "again once it has restarted",
                          ctx->id, url);
    else if (result != CURLE_OK)
        rc = gr_error_set(GR_EBACKEND, "plugin %s: %s failed: %s", ctx->id, url,
                          error[0] != '\0' ? error : curl_easy_strerror(result));
    if (rc == GR_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, out_status);
        *out_len = sink.body.len;
        *out_body = sink.body.data != NULL ? gr_buf_detach(&sink.body) : gr_xstrdup("");
    }
    gr_buf_free(&sink.body);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return rc;
}
