/* SPDX-License-Identifier: MIT */
/* Cooperative cancellation: a flag bound per thread and polled by slow calls. */
#include "host/common/cancel.h"

#include <curl/curl.h>
#include <stddef.h>

/* The flag of the work this thread runs, or NULL. Each thread has its own binding. */
static _Thread_local gr_cancel *bound_cancel;

void gr_cancel_init(gr_cancel *cancel)
{
    atomic_init(&cancel->requested, false);
}

void gr_cancel_request(gr_cancel *cancel)
{
    atomic_store(&cancel->requested, true);
}

void gr_cancel_bind(gr_cancel *cancel)
{
    bound_cancel = cancel;
}

bool gr_cancel_requested(void)
{
    return bound_cancel != NULL && atomic_load(&bound_cancel->requested);
}

/* Returns nonzero, which makes libcurl abort the transfer, once cancellation is requested. */
static int on_curl_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                            curl_off_t ulnow)
{
    (void)clientp;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return gr_cancel_requested() ? 1 : 0;
}

void gr_cancel_watch_curl(void *curl)
{
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_curl_progress);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}
