/* SPDX-License-Identifier: MIT */
/* Base64url without padding (RFC 4648 section 5), as JOSE uses it. */
#ifndef GR_HOST_AUTH_BASE64URL_H
#define GR_HOST_AUTH_BASE64URL_H

#include <stddef.h>

/** Encodes `len` bytes as base64url without padding. Caller frees. */
char *gr_base64url_encode(const void *data, size_t len);

/**
 * Decodes `len` characters of base64url (or standard base64: '+' and '/'
 * are accepted, and '=' padding at the end is ignored, because AWS ALB
 * sends padded tokens). Returns a NUL-terminated buffer (caller frees) and
 * the byte count in *out_len, or NULL for a character outside the alphabet
 * or an impossible length.
 */
unsigned char *gr_base64url_decode(const char *text, size_t len, size_t *out_len);

#endif
