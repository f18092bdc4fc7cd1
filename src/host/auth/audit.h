/* SPDX-License-Identifier: MIT */
/* Audit log lines for sign-in, sign-out, rejected credentials and denied permissions. */
#ifndef GR_HOST_AUTH_AUDIT_H
#define GR_HOST_AUTH_AUDIT_H

/*
 * Each event is one logfmt line in module "audit" with `event=` and the ids
 * involved: the subject, the provider, the client address, the request path,
 * and for failures the reason. No line ever contains a token, a cookie, a
 * code or a secret. Failures are limited to GR_AUDIT_MAX_FAILURES_PER_S lines
 * a second; the next line that gets through carries `suppressed=N`.
 */

/** Maximum number of failure lines (token_rejected, sign_in_failed) written per second. */
#define GR_AUDIT_MAX_FAILURES_PER_S 20

/** Logs a successful sign-in of `subject` through `provider`. Thread-safe. */
void gr_audit_sign_in(const char *provider, const char *subject, const char *client);

/** Logs a failed sign-in through `provider` with `reason`. Rate-limited. Thread-safe. */
void gr_audit_sign_in_failed(const char *provider, const char *reason, const char *client);

/** Logs a sign-out of `subject` (NULL when the session was already invalid). Thread-safe. */
void gr_audit_sign_out(const char *provider, const char *subject, const char *client);

/**
 * Logs credentials that were presented but rejected: `source` is how
 * ("token", "cookie", "proxy:gcpIap"), `reason` why. Rate-limited. Thread-safe.
 */
void gr_audit_token_rejected(const char *source, const char *reason, const char *client,
                             const char *path);

/** Logs a denied permission for `subject`. Thread-safe. */
void gr_audit_permission_denied(const char *subject, const char *permission,
                                const char *resource, const char *path);

#endif
