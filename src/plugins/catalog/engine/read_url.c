/* SPDX-License-Identifier: MIT */
/* The `url` location reader: libcurl through configured integrations and allowed hosts. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/cancel.h"
#include "host/common/error.h"
#include "host/common/url_path.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/util.h"

/* The parts of an http(s) URL the reader needs. */
typedef struct {
    char *scheme; /* lower case */
    char *host;   /* lower case, with ":port" when the URL names one */
    char *path;   /* from the first '/' up to '?' or '#', "/" when empty */
    char *query;  /* after '?' up to '#', or NULL */
} url_parts;

static void url_parts_free(url_parts *parts)
{
    free(parts->scheme);
    free(parts->host);
    free(parts->path);
    free(parts->query);
    memset(parts, 0, sizeof(*parts));
}

static int url_parse(const char *url, url_parts *out)
{
    const char *sep = strstr(url, "://");
    const char *host;
    size_t host_len;
    const char *rest;
    size_t path_len;

    memset(out, 0, sizeof(*out));
    if (sep == NULL)
        return gr_error_set(GR_EINVALID, "Invalid URL '%s'", url);
    out->scheme = gr_catalog__ascii_lower(gr_xstrndup(url, (size_t)(sep - url)));
    if (strcmp(out->scheme, "http") != 0 && strcmp(out->scheme, "https") != 0) {
        url_parts_free(out);
        return gr_error_set(GR_EINVALID, "Invalid URL '%s': only http and https can be read", url);
    }
    host = sep + 3;
    host_len = strcspn(host, "/?#");
    if (memchr(host, '@', host_len) != NULL || host_len == 0) {
        url_parts_free(out);
        return gr_error_set(GR_EINVALID, "Invalid URL '%s': expected a host without user info",
                            url);
    }
    out->host = gr_catalog__ascii_lower(gr_xstrndup(host, host_len));
    rest = host + host_len;
    path_len = strcspn(rest, "?#");
    out->path = path_len ? gr_xstrndup(rest, path_len) : gr_xstrdup("/");
    if (rest[path_len] == '?')
        out->query = gr_xstrndup(rest + path_len + 1, strcspn(rest + path_len + 1, "#"));
    return GR_OK;
}

/* Matches a host against an allow entry: exact, "*.example.com" or with a port. */
static bool host_matches(const char *pattern, const char *host)
{
    if (strncmp(pattern, "*.", 2) == 0) {
        size_t host_len = strlen(host);
        size_t suffix_len = strlen(pattern + 1);

        return host_len > suffix_len &&
               strcasecmp(host + host_len - suffix_len, pattern + 1) == 0;
    }
    return strcasecmp(pattern, host) == 0;
}

static bool allowed_parts(const gr_catalog_settings *settings, const url_parts *parts)
{
    if (gr_catalog__integration_find(settings->github, settings->github_count, parts->host) ||
        gr_catalog__integration_find(settings->gitlab, settings->gitlab_count, parts->host))
        return true;
    for (size_t i = 0; i < settings->read_allow_count; i++) {
        const gr_catalog_read_allow *allow = &settings->read_allow[i];
        char *plain_host;
        bool host_ok;

        /* An entry without a port allows the host on any port, as Backstage's
         * reading.allow compares the hostname only. */
        plain_host = gr_xstrndup(parts->host, strcspn(parts->host, ":"));
        host_ok = host_matches(allow->host, strchr(allow->host, ':') ? parts->host : plain_host);
        free(plain_host);
        if (!host_ok)
            continue;
        if (allow->paths == NULL)
            return true;
        for (size_t k = 0; k < allow->path_count; k++) {
            if (gr_url_path_has_prefix(parts->path, allow->paths[k]))
                return true;
        }
    }
    return false;
}

int gr_catalog__url_allowed(const gr_catalog_settings *settings, const char *url)
{
    url_parts parts;
    bool allowed;

    if (url_parse(url, &parts) != GR_OK)
        return 0;
    allowed = allowed_parts(settings, &parts);
    url_parts_free(&parts);
    return allowed;
}

/* Percent-encodes every byte but the unreserved ones, as encodeURIComponent. */
static void put_component(gr_buf *out, const char *text, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-_.!~*'()", c) != NULL) {
            gr_buf_putc(out, (char)c);
        } else {
            gr_buf_putc(out, '%');
            gr_buf_putc(out, hex[c >> 4]);
            gr_buf_putc(out, hex[c & 15]);
        }
    }
}

/* GitHub: /owner/repo/blob|tree|raw/ref/path -> the contents API or the raw host. */
static char *github_fetch_url(const gr_catalog_integration *github, const url_parts *parts,
                              const char *url)
{
    char owner[256], repo[256], kind[16];
    int used = 0;
    const char *rest;
    const char *file;

    if (sscanf(parts->path, "/%255[^/]/%255[^/]/%15[^/]/%n", owner, repo, kind, &used) != 3 ||
        used == 0)
        return NULL;
    if (strcmp(kind, "blob") != 0 && strcmp(kind, "tree") != 0 && strcmp(kind, "raw") != 0)
        return NULL;
    rest = parts->path + used;
    file = strchr(rest, '/');
    if (file == NULL)
        return NULL;
    if (github->token != NULL && github->api_base_url != NULL)
        return gr_xasprintf("%s/repos/%s/%s/contents/%s?ref=%.*s", github->api_base_url, owner,
                            repo, file + 1, (int)(file - rest), rest);
    if (github->raw_base_url != NULL)
        return gr_xasprintf("%s/%s/%s/%.*s/%s", github->raw_base_url, owner, repo,
                            (int)(file - rest), rest, file + 1);
    if (github->api_base_url != NULL)
        return gr_xasprintf("%s/repos/%s/%s/contents/%s?ref=%.*s", github->api_base_url, owner,
                            repo, file + 1, (int)(file - rest), rest);
    (void)url;
    return NULL;
}

/* GitLab: /group/repo/-/blob/ref/path -> /projects/:id/repository/files/:path/raw?ref=. */
static char *gitlab_fetch_url(const gr_catalog_integration *gitlab, const url_parts *parts)
{
    const char *marker = strstr(parts->path, "/-/blob/");
    const char *ref;
    const char *file;
    gr_buf out = GR_BUF_INIT;

    if (marker == NULL)
        marker = strstr(parts->path, "/-/raw/");
    if (marker == NULL || gitlab->api_base_url == NULL)
        return NULL;
    ref = strchr(marker + 3, '/') + 1;
    file = strchr(ref, '/');
    if (file == NULL)
        return NULL;
    gr_buf_printf(&out, "%s/projects/", gitlab->api_base_url);
    put_component(&out, parts->path + 1, (size_t)(marker - parts->path - 1));
    gr_buf_puts(&out, "/repository/files/");
    put_component(&out, file + 1, strlen(file + 1));
    gr_buf_puts(&out, "/raw?ref=");
    put_component(&out, ref, (size_t)(file - ref));
    return gr_buf_detach(&out);
}

char *gr_catalog__url_fetch_target(const gr_catalog_settings *settings, const char *url,
                                   const char **token, int *gitlab_out)
{
    url_parts parts;
    const gr_catalog_integration *integration;
    char *fetch = NULL;

    *token = NULL;
    if (gitlab_out)
        *gitlab_out = 0;
    if (url_parse(url, &parts) != GR_OK)
        return gr_xstrdup(url);
    integration = gr_catalog__integration_find(settings->github, settings->github_count,
                                               parts.host);
    if (integration != NULL) {
        fetch = github_fetch_url(integration, &parts, url);
        *token = integration->token;
    } else {
        integration = gr_catalog__integration_find(settings->gitlab, settings->gitlab_count,
                                                   parts.host);
        if (integration != NULL) {
            fetch = gitlab_fetch_url(integration, &parts);
            *token = integration->token;
            if (gitlab_out)
                *gitlab_out = 1;
        }
    }
    url_parts_free(&parts);
    return fetch ? fetch : gr_xstrdup(url);
}

typedef struct {
    gr_buf body;
    size_t max;
    bool too_large;
} download;

static size_t on_data(char *data, size_t size, size_t count, void *payload)
{
    download *state = payload;
    size_t len = size * count;

    if (state->body.len + len > state->max) {
        state->too_large = true;
        return 0;
    }
    gr_buf_append(&state->body, data, len);
    return len;
}

/* Returns whether the token of the integration may go to `url`: only to the
 * integration's own host or its API and raw hosts. */
static bool token_goes_to(const gr_catalog_settings *settings, const char *token, const char *url)
{
    url_parts parts;
    bool ok = false;

    if (token == NULL || url_parse(url, &parts) != GR_OK)
        return false;
    for (size_t list = 0; list < 2 && !ok; list++) {
        const gr_catalog_integration *items = list ? settings->gitlab : settings->github;
        size_t count = list ? settings->gitlab_count : settings->github_count;

        for (size_t i = 0; i < count && !ok; i++) {
            const char *bases[] = {items[i].api_base_url, items[i].raw_base_url};

            if (items[i].token != token)
                continue;
            ok = strcasecmp(items[i].host, parts.host) == 0;
            for (size_t b = 0; b < 2 && !ok; b++) {
                url_parts base;

                if (bases[b] != NULL && url_parse(bases[b], &base) == GR_OK) {
                    ok = strcasecmp(base.host, parts.host) == 0;
                    url_parts_free(&base);
                }
            }
        }
    }
    url_parts_free(&parts);
    return ok;
}

/* Whether a fetch URL is allowed: an allowed host, or the API or raw host of
 * the integration that translated the location URL. */
static bool fetch_allowed(const gr_catalog_settings *settings, const char *token, const char *url)
{
    return gr_catalog__url_allowed(settings, url) || token_goes_to(settings, token, url);
}

static int fetch_once(CURL *curl, const gr_catalog_settings *settings, const char *url,
                      const char *token, bool gitlab, long timeout_ms, download *state,
                      long *status, char **redirect)
{
    struct curl_slist *headers = NULL;
    char *auth = NULL;
    char *location = NULL;
    CURLcode code;

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, state);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "greenroom/" GR_VERSION);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)state->max);
    headers = curl_slist_append(headers, "Accept: application/vnd.github.v3.raw, */*");
    if (token != NULL && token_goes_to(settings, token, url)) {
        auth = gitlab ? gr_xasprintf("Authorization: Bearer %s", token)
                      : gr_xasprintf("Authorization: token %s", token);
        headers = curl_slist_append(headers, auth);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    gr_cancel_watch_curl(curl);
    code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (auth != NULL) {
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
    if (state->too_large || code == CURLE_FILESIZE_EXCEEDED)
        return gr_error_set(GR_ELIMIT, "url %s is larger than the limit of %zu bytes", url,
                            state->max);
    if (code == CURLE_OPERATION_TIMEDOUT)
        return gr_error_set(GR_ELIMIT, "url %s timed out", url);
    if (code == CURLE_ABORTED_BY_CALLBACK)
        return gr_error_set(GR_EBACKEND,
                            "url %s was not read to its end because the server is stopping; "
                            "try again once it has restarted",
                            url);
    if (code != CURLE_OK)
        return gr_error_set(GR_EBACKEND, "url %s could not be read: %s", url,
                            curl_easy_strerror(code));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    if (*status >= 300 && *status < 400 &&
        curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location)
        *redirect = gr_xstrdup(location);
    return GR_OK;
}

int gr_catalog__read_url(const gr_catalog_settings *settings, const char *target,
                         gr_catalog_files *out)
{
    const char *token = NULL;
    int gitlab = 0;
    char *url = NULL;
    CURL *curl = NULL;
    download state = {.max = settings->read_max_bytes};
    int64_t deadline = gr_catalog__now_ms() + settings->read_timeout_ms;
    int rc = GR_OK;

    if (!gr_catalog__url_allowed(settings, target)) {
        url_parts parts;

        if (url_parse(target, &parts) != GR_OK)
            return gr_error_last_code();
        rc = gr_error_set(GR_EDENIED,
                          "Reading from '%s' is not allowed. You may need to configure an "
                          "integration for %s or add it to backend.reading.allow",
                          target, parts.host);
        url_parts_free(&parts);
        return rc;
    }
    url = gr_catalog__url_fetch_target(settings, target, &token, &gitlab);
    curl = curl_easy_init();
    if (curl == NULL) {
        rc = gr_error_set(GR_EBACKEND, "url %s could not be read: libcurl failed to start", target);
        goto done;
    }
    for (int hop = 0;; hop++) {
        long status = 0;
        char *redirect = NULL;

        gr_buf_reset(&state.body);
        rc = fetch_once(curl, settings, url, token, gitlab, (long)(deadline - gr_catalog__now_ms()),
                        &state, &status, &redirect);
        if (rc != GR_OK)
            goto done;
        if (redirect != NULL) {
            if (hop >= GR_CATALOG_MAX_REDIRECTS) {
                rc = gr_error_set(GR_ELIMIT, "url %s redirects more than %d times", target,
                                  GR_CATALOG_MAX_REDIRECTS);
                free(redirect);
                goto done;
            }
            if (!fetch_allowed(settings, token, redirect)) {
                rc = gr_error_set(GR_EDENIED,
                                  "url %s redirects to %s, which is not an allowed host", target,
                                  redirect);
                free(redirect);
                goto done;
            }
            free(url);
            url = redirect;
            continue;
        }
        if (status == 404 || status == 410) {
            rc = gr_error_set(GR_ENOTFOUND, "url %s could not be read as %s, 404 Not Found",
                              target, url);
            goto done;
        }
        if (status < 200 || status >= 300) {
            rc = gr_error_set(GR_EBACKEND, "url %s could not be read as %s, HTTP status %ld",
                              target, url, status);
            goto done;
        }
        break;
    }
    {
        size_t len = state.body.len;
        char *data = state.body.data ? gr_buf_detach(&state.body) : gr_xstrdup("");

        gr_catalog__files_push(out, gr_xstrdup(target), data, len);
    }
done:
    gr_buf_free(&state.body);
    curl_easy_cleanup(curl);
    free(url);
    return rc;
}
