/* SPDX-License-Identifier: MIT */
/* Error codes shared by every module, and the thread-local error message. */
#ifndef GR_HOST_COMMON_ERROR_H
#define GR_HOST_COMMON_ERROR_H

/*
 * Functions return 0 on success or one of these negative codes. The detail
 * lives in a thread-local message set by gr_error_set(), which the caller
 * reads with gr_error_last() before calling anything else that may set it.
 */
enum {
    GR_OK = 0,
    GR_ERROR = -1,     /* unexpected failure */
    GR_ENOTFOUND = -2, /* the named thing does not exist */
    GR_EINVALID = -3,  /* the input is malformed or breaks a rule */
    GR_EDENIED = -4,   /* the caller may not do this */
    GR_EBACKEND = -5,  /* a database, file system or network call failed */
    GR_ECONFLICT = -6, /* the thing exists already or was changed meanwhile */
    GR_ELIMIT = -7,    /* a size, depth, count or time limit was crossed */
    GR_EUNAUTH = -8,   /* no valid identity was presented */
};

/** Maximum length of an error message, in bytes, including the NUL. */
#define GR_ERROR_MAX 1024

/**
 * Sets the calling thread's error message and returns `code`, so that
 * `return gr_error_set(GR_EINVALID, "...")` both records and reports. An
 * argument may be gr_error_last(), the message being replaced.
 */
int gr_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Prefixes the calling thread's current message with a formatted context,
 * joined by ": ". Returns `code`.
 */
int gr_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Returns the calling thread's last message (borrowed; "" when none). */
const char *gr_error_last(void);

/** Returns the code passed to the last gr_error_set() on this thread. */
int gr_error_last_code(void);

/** Clears the calling thread's message. */
void gr_error_clear(void);

/** Maps an error code to the HTTP status that reports it. */
int gr_error_http_status(int code);

/** Maps an error code to Backstage's error name (e.g. "NotFoundError"). */
const char *gr_error_http_name(int code);

#endif
