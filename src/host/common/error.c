/* SPDX-License-Identifier: MIT */
/* Thread-local error messages and the mapping of error codes to HTTP. */
#include "host/common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char error_message[GR_ERROR_MAX];
static _Thread_local int error_code;

/* The message is formatted into a copy first, because an argument may be the current
 * message itself (gr_error_last()), and vsnprintf() must not read what it writes. */
int gr_error_set(int code, const char *fmt, ...)
{
    char formatted[GR_ERROR_MAX];
    va_list args;

    va_start(args, fmt);
    vsnprintf(formatted, sizeof(formatted), fmt, args);
    va_end(args);
    memcpy(error_message, formatted, strlen(formatted) + 1);
    error_code = code;
    return code;
}

int gr_error_wrap(int code, const char *fmt, ...)
{
    char prefix[GR_ERROR_MAX];
    char joined[2 * GR_ERROR_MAX + 2];
    va_list args;

    va_start(args, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, args);
    va_end(args);

    if (error_message[0] != '\0')
        snprintf(joined, sizeof(joined), "%s: %s", prefix, error_message);
    else
        snprintf(joined, sizeof(joined), "%s", prefix);
    /* Truncation is intended: the message is capped at GR_ERROR_MAX. */
    size_t len = strnlen(joined, sizeof(error_message) - 1);
    memcpy(error_message, joined, len);
    error_message[len] = '\0';
    error_code = code;
    return code;
}

const char *gr_error_last(void)
{
    return error_message;
}

int gr_error_last_code(void)
{
    return error_code;
}

void gr_error_clear(void)
{
    error_message[0] = '\0';
    error_code = GR_OK;
}

int gr_error_http_status(int code)
{
    switch (code) {
    case GR_OK:
        return 200;
    case GR_ENOTFOUND:
        return 404;
    case GR_EINVALID:
        return 400;
    case GR_EDENIED:
        return 403;
    case GR_EUNAUTH:
        return 401;
    case GR_ECONFLICT:
        return 409;
    case GR_ELIMIT:
        return 413;
    case GR_EBACKEND:
        return 503;
    default:
        return 500;
    }
}

const char *gr_error_http_name(int code)
{
    switch (code) {
    case GR_ENOTFOUND:
        return "NotFoundError";
    case GR_EINVALID:
        return "InputError";
    case GR_EDENIED:
        return "NotAllowedError";
    case GR_EUNAUTH:
        return "AuthenticationError";
    case GR_ECONFLICT:
        return "ConflictError";
    case GR_ELIMIT:
        return "PayloadTooLargeError";
    case GR_EBACKEND:
        return "ServiceUnavailableError";
    default:
        return "Error";
    }
}
