/* SPDX-License-Identifier: MIT */
/* Outgoing HTTP requests of the auth module (JWKS, OIDC discovery, token exchange), via libcurl. */
#include "host/auth/fetch.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "host/common/alloc.h"
#include "host/common/error.h"

typedef struct {
    gr_buf *out;
    int too_large;
} fetch_sink;

static size_t fetch_collect(char *data, size_t size, size_t count, void *payload)
{
    fetch_sink *sink = payload;
    size_t len = size * count;

    if (sink->out->len + len > GR_AUTH_FETCH_MAX_BYTES) {
        sink->too_large = 1;
        return 0; /* makes curl abort the transfer */
    }
    gr_buf_append(sink->out, data, len);
    return len;
}

int gr_auth_fetch(const char *url, const char *form, const char *authorization, gr_buf *out,
                  long *status)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    fetch_sink sink = {out, 0};
    char *auth_header = NULL;
    CURLcode code;

    if (curl == NULL)
        return gr_error_set(GR_EBACKEND, "%s: libcurl could not start a request", url);
    headers = curl_slist_append(headers, "Accept: application/json");
    if (authorization != NULL) {
        auth_header = gr_xasprintf("Authorization: %s", authorization);
        headers = curl_slist_append(headers, auth_header);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)GR_AUTH_FETCH_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fetch_collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "greenroom/" GR_VERSION);
    if (form != NULL)
        curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, form);

    code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    free(auth_header);

    if (sink.too_large)
        return gr_error_set(GR_ELIMIT, "%s: response is larger than %d bytes", url,
                            GR_AUTH_FETCH_MAX_BYTES);
    if (code != CURLE_OK)
        return gr_error_set(GR_EBACKEND, "%s: %s", url,
                            errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code));
    return GR_OK;
}
