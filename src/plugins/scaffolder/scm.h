/* SPDX-License-Identifier: MIT */
/* Source control hosts: repoUrl parsing, allowed hosts, REST calls and tree downloads. */
#ifndef GR_SCAFFOLDER_SCM_H
#define GR_SCAFFOLDER_SCM_H

#include <jansson.h>

#include "plugins/scaffolder/fetch_source.h"
#include "plugins/scaffolder/scaffolder.h"

/** Maximum size of one REST response or downloaded file, in bytes. */
#define GR_SCM_MAX_RESPONSE_BYTES (32u * 1024 * 1024)
/** Time limit of one REST call or download, in seconds. */
#define GR_SCM_TIMEOUT_S 60

/** A repoUrl as Backstage's parseRepoUrl reads it ("host?owner=o&repo=r"). */
typedef struct {
    char *host;
    char *owner;
    char *repo;
    char *organization; /* may be NULL */
    char *workspace;    /* may be NULL */
    char *project;      /* may be NULL */
    gr_scm_kind kind;
    const gr_scaffolder_integration *integration; /* borrowed */
} gr_repo_url;

/**
 * Parses `repo_url` and finds its integration. Owner and repo are required
 * (GitLab accepts a nested group path as owner). Returns 0 and fills `out`
 * (free with gr_repo_url_clear()); GR_EINVALID naming the missing part or
 * a host without an integration ("No matching integration configuration
 * for host ...").
 */
int gr_repo_url_parse(const gr_scaffolder *services, const char *repo_url, gr_repo_url *out);

void gr_repo_url_clear(gr_repo_url *url);

/**
 * Checks the `allowedHosts` input (a list of strings, or absent) against
 * `host`. Returns 0, or GR_EDENIED with Backstage's message.
 */
int gr_scm_check_allowed_host(const json_t *allowed_hosts, const char *host);

/** How a REST call authenticates. */
typedef enum {
    GR_SCM_AUTH_NONE,
    GR_SCM_AUTH_GITHUB, /* Authorization: token ... */
    GR_SCM_AUTH_GITLAB, /* PRIVATE-TOKEN: ... */
} gr_scm_auth;

/**
 * Sends one REST request with a JSON body (may be NULL). Stores the status in
 * *status and the parsed response in *response (a new reference; NULL when
 * the body is empty or not JSON). Returns 0 whatever the status; GR_EBACKEND
 * when the request could not be made; GR_ELIMIT for a response past
 * GR_SCM_MAX_RESPONSE_BYTES. The token is never written to a log.
 */
int gr_scm_request(const char *method, const char *url, gr_scm_auth auth, const char *token,
                   const json_t *body, long *status, json_t **response);

/**
 * Downloads `url` (a GitHub tree or blob URL of a configured integration)
 * into a temporary folder through the contents API, and opens it as a fetch
 * source. Symbolic links are rejected. Returns 0 or an error naming the URL.
 */
int gr_scm_download(gr_scaffolder_ctx *ctx, const char *url, gr_fetch_source *out);

/** Resolves `relative` against the absolute URL `base` (RFC 3986). Caller frees. */
char *gr_scm_resolve_url(const char *base, const char *relative);

/** Percent-encodes `text` as one URL component. Caller frees. */
char *gr_scm_escape(const char *text);

#endif
