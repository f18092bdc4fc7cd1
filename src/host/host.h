/* SPDX-License-Identifier: MIT */
/* The services the host hands to every plugin while serving. */
#ifndef GR_HOST_HOST_H
#define GR_HOST_HOST_H

typedef struct gr_auth gr_auth;
typedef struct gr_config gr_config;
typedef struct gr_db gr_db;
typedef struct gr_http_server gr_http_server;
typedef struct gr_permission_policy gr_permission_policy;
typedef struct gr_sched gr_sched;

/** Maximum number of services plugins can publish to each other. */
#define GR_HOST_MAX_SERVICES 32

/** A service one plugin publishes for plugins initialised after it. */
typedef struct {
    const char *name; /* static string, e.g. "catalog" */
    void *service;    /* owned by the publishing plugin */
} gr_host_service;

/*
 * Built-in plugins receive this struct in their init hook. Every member is
 * owned by the host and outlives the plugin's state: it is valid from init
 * until destroy returns. All services are thread-safe.
 */
struct gr_host {
    const gr_config *config;  /* merged, validated configuration */
    gr_db *db;                /* the shared database */
    gr_http_server *http;     /* register routes here during init */
    gr_sched *sched;          /* register periodic jobs here during init */
    const char *instance_id;  /* unique per process, used as lease owner */
    const char *base_url;     /* app.baseUrl, without a trailing slash */
    gr_auth *auth;            /* identities, tokens, sessions (host/auth/auth.h) */
    /* host/permission/permission.h; plugins declare permissions into it during init only */
    gr_permission_policy *permissions;
    gr_host_service services[GR_HOST_MAX_SERVICES]; /* see gr_host_provide() */
    unsigned service_count;
};

/**
 * Publishes `service` under `name` (a static string) so that plugins
 * initialised later can find it with gr_host_lookup(); the service stays
 * owned by the publisher and valid until its destroy hook. Call only from an
 * init hook: plugins initialise one after another on one thread, so the
 * table needs no lock, and it is read-only once serving starts.
 * Returns 0, GR_ECONFLICT when the name is taken, or GR_ELIMIT when the table
 * is full.
 */
int gr_host_provide(struct gr_host *host, const char *name, void *service);

/** Returns the service published under `name`, or NULL (borrowed). Thread-safe. */
void *gr_host_lookup(const struct gr_host *host, const char *name);

#endif
