/* SPDX-License-Identifier: MIT */
/* Size and count limits of the HTTP layer, with the status each one produces. */
#ifndef GR_HOST_HTTP_LIMITS_H
#define GR_HOST_HTTP_LIMITS_H

/*
 * Every limit is checked before the request reaches a handler, so handlers
 * can rely on them. A crossed limit gets a response with Backstage's error body.
 */

/** Maximum length of the request target (path and query), in bytes. Longer: 414. */
#define GR_HTTP_MAX_URL_BYTES 8192

/**
 * Maximum size of the request line and headers together, in bytes. Larger:
 * 431. Node.js, which runs Backstage, has the same default limit (16 KiB).
 * The connection's memory pool is twice this, for libmicrohttpd's buffers,
 * and libmicrohttpd itself sends 431 when a request overflows the pool. That
 * can happen within this limit too, because each header line, each cookie
 * and each query parameter takes a 48-byte record in the pool (about 450
 * short headers, 350 cookies or 500 query parameters). libmicrohttpd 0.9.75
 * zeroes the whole pool between two requests of a connection, so a larger
 * pool costs throughput, and each kept-alive connection keeps its whole pool
 * resident.
 */
#define GR_HTTP_MAX_HEADER_BYTES 16384

/** Default maximum request body, in bytes (1 MiB). Larger: 413. */
#define GR_HTTP_DEFAULT_MAX_BODY_BYTES (1024 * 1024)

/** Maximum number of path segments in a request or a route pattern. More: 414. */
#define GR_HTTP_MAX_PATH_SEGMENTS 64

/** Maximum number of `:name` parameters in one route pattern. */
#define GR_HTTP_MAX_PATH_PARAMS 16

/** Maximum number of query parameters (each non-empty `key=value` pair counts). More: 400. */
#define GR_HTTP_MAX_QUERY_PARAMS 256

/** Maximum number of headers a handler may add to one response. */
#define GR_HTTP_MAX_RESPONSE_HEADERS 32

/** Maximum length of an incoming X-Request-Id that is reused; a longer one is replaced. */
#define GR_HTTP_MAX_REQUEST_ID 64

/**
 * Default seconds a connection may stay silent while a request is in
 * progress, from its complete headers until the response is sent.
 */
#define GR_HTTP_DEFAULT_CONNECTION_TIMEOUT_S 30

/**
 * Default seconds a connection may stay silent while it waits for complete
 * request headers, new or kept alive between requests. Shorter than the
 * request timeout, so that connections opened without a request free their
 * slot soon.
 */
#define GR_HTTP_DEFAULT_HEADERS_TIMEOUT_S 10

/**
 * Default maximum number of open connections of the whole server. Past it,
 * libmicrohttpd (0.9.75) stops accepting, so new connections wait in the
 * kernel's listen queue until an open connection closes. The server raises
 * its open-file limit to fit this number plus GR_HTTP_RESERVED_FILES.
 */
#define GR_HTTP_DEFAULT_MAX_CONNECTIONS 1024

/**
 * Default maximum number of open connections from one client IP address.
 * Past it, new connections from that address are closed at once, so one
 * client cannot take every slot. Browsers open 6 per host over HTTP/1.1.
 */
#define GR_HTTP_DEFAULT_MAX_CONNECTIONS_PER_CLIENT 64

/** File descriptors kept for the database, logs and files beside the connections. */
#define GR_HTTP_RESERVED_FILES 128

/** Default milliseconds gr_http_server_stop() waits for requests in flight. */
#define GR_HTTP_DEFAULT_SHUTDOWN_TIMEOUT_MS 10000

/** Milliseconds stop waits, after the shutdown timeout, for the responses of jobs it cut short. */
#define GR_HTTP_STOP_SEND_MS 2000

/** Milliseconds between two calls to a stream reader that had no data. */
#define GR_HTTP_STREAM_POLL_MS 100

/**
 * Maximum number of deferred jobs (gr_res_defer()) queued or running at once,
 * which is also the number of threads that run them. Past it: 503 with
 * Retry-After, without waiting.
 */
#define GR_HTTP_MAX_DEFERRED_JOBS 8

/**
 * Seconds in the Retry-After header of a 503 for too many deferred jobs, an
 * estimate of how long most jobs, such as location reads, take.
 */
#define GR_HTTP_DEFERRED_RETRY_AFTER_S 5

#endif
