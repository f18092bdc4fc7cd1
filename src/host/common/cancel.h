/* SPDX-License-Identifier: MIT */
/* Cooperative cancellation of slow calls, such as network transfers, on the calling thread. */
#ifndef GR_HOST_COMMON_CANCEL_H
#define GR_HOST_COMMON_CANCEL_H

#include <stdatomic.h>
#include <stdbool.h>

/**
 * A cancellation flag, owned by the code that may cut work short (the HTTP
 * server for its deferred jobs). Threads that run that work bind it, and
 * slow calls on those threads poll it through gr_cancel_requested(), so the
 * calls need no extra parameter.
 */
typedef struct {
    atomic_bool requested;
} gr_cancel;

/** Clears the flag. */
void gr_cancel_init(gr_cancel *cancel);

/** Sets the flag: every slow call on a thread bound to it ends at its next poll. */
void gr_cancel_request(gr_cancel *cancel);

/**
 * Binds `cancel` to the calling thread until the next call, which may pass
 * NULL to unbind. The flag must outlive the binding.
 */
void gr_cancel_bind(gr_cancel *cancel);

/** Returns whether the flag bound to the calling thread is set (false when none is bound). */
bool gr_cancel_requested(void);

/**
 * Makes a libcurl easy handle (`CURL *`) poll gr_cancel_requested() while it
 * transfers. libcurl's documentation of CURLOPT_XFERINFOFUNCTION states that it
 * calls the poll often while data flows and about once per second while
 * nothing is transferred. Once the flag is set, curl_easy_perform() returns
 * CURLE_ABORTED_BY_CALLBACK. Call it after curl_easy_reset().
 */
void gr_cancel_watch_curl(void *curl);

#endif
