/* SPDX-License-Identifier: MIT */
/* Audit log lines for sign-in, sign-out, rejected credentials and denied permissions. */
#include "host/auth/audit.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "host/log/log.h"

static pthread_mutex_t limiter_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t limiter_second;
static unsigned limiter_count;
static unsigned limiter_suppressed;

/* Returns nonzero when a failure line may be written, and the count of dropped lines in *suppressed. */
static int limiter_allow(unsigned *suppressed)
{
    time_t now = time(NULL);
    int allow;

    pthread_mutex_lock(&limiter_lock);
    if (now != limiter_second) {
        limiter_second = now;
        limiter_count = 0;
    }
    allow = limiter_count < GR_AUDIT_MAX_FAILURES_PER_S;
    if (allow) {
        limiter_count++;
        *suppressed = limiter_suppressed;
        limiter_suppressed = 0;
    } else {
        limiter_suppressed++;
    }
    pthread_mutex_unlock(&limiter_lock);
    return allow;
}

void gr_audit_sign_in(const char *provider, const char *subject, const char *client)
{
    gr_log_fields(GR_LOG_INFO, "audit", "sign-in", "event", "sign_in", "provider", provider,
                  "subject", subject, "client", client, NULL);
}

void gr_audit_sign_in_failed(const char *provider, const char *reason, const char *client)
{
    unsigned suppressed = 0;
    char count[16];

    if (!limiter_allow(&suppressed))
        return;
    snprintf(count, sizeof(count), "%u", suppressed);
    gr_log_fields(GR_LOG_WARN, "audit", "sign-in failed", "event", "sign_in_failed", "provider",
                  provider, "reason", reason, "client", client, "suppressed", count, NULL);
}

void gr_audit_sign_out(const char *provider, const char *subject, const char *client)
{
    gr_log_fields(GR_LOG_INFO, "audit", "sign-out", "event", "sign_out", "provider", provider,
                  "subject", subject ? subject : "", "client", client, NULL);
}

void gr_audit_token_rejected(const char *source, const char *reason, const char *client,
                             const char *path)
{
    unsigned suppressed = 0;
    char count[16];

    if (!limiter_allow(&suppressed))
        return;
    snprintf(count, sizeof(count), "%u", suppressed);
    gr_log_fields(GR_LOG_WARN, "audit", "credentials rejected", "event", "token_rejected",
                  "source", source, "reason", reason, "client", client, "path", path,
                  "suppressed", count, NULL);
}

void gr_audit_permission_denied(const char *subject, const char *permission,
                                const char *resource, const char *path)
{
    gr_log_fields(GR_LOG_INFO, "audit", "permission denied", "event", "permission_denied",
                  "subject", subject, "permission", permission, "resource",
                  resource ? resource : "", "path", path ? path : "", NULL);
}
