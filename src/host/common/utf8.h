/* SPDX-License-Identifier: MIT */
/* UTF-8 checks for text that must become a JSON string. */
#ifndef GR_HOST_COMMON_UTF8_H
#define GR_HOST_COMMON_UTF8_H

#include <stddef.h>

/**
 * Returns the length of the valid UTF-8 sequence at the start of the
 * NUL-terminated `text` (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF), or 0. Reads no byte past the terminating NUL.
 */
size_t gr_utf8_sequence_length(const unsigned char *text);

/**
 * Returns a copy of `text` (caller frees) in which each byte that starts no
 * valid sequence is replaced by U+FFFD, because JSON strings must be UTF-8.
 */
char *gr_utf8_repair(const char *text);

#endif
