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
    const gr_permission_policy *permissions; /* host/permission/permission.h */
};

#endif
