/* SPDX-License-Identifier: MIT */
/* The scaffolder's shared services and settings, and the limits every task runs under. */
#ifndef GR_SCAFFOLDER_SCAFFOLDER_H
#define GR_SCAFFOLDER_SCAFFOLDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "greenroom/plugin.h"
#include "host/auth/identity.h"
#include "plugins/scaffolder/action.h"
#include "plugins/scaffolder/template/template.h"

typedef struct gr_config gr_config;
typedef struct gr_db gr_db;

/** Maximum number of steps in a template. */
#define GR_SCAFFOLDER_MAX_STEPS 200
/** Maximum iterations of one step's `each`. */
#define GR_SCAFFOLDER_MAX_EACH 1000
/** Maximum size of one step's output, as compact JSON, in bytes. */
#define GR_SCAFFOLDER_MAX_OUTPUT_BYTES (1024 * 1024)
/** Maximum length of one log message, in bytes; longer messages are cut. */
#define GR_SCAFFOLDER_MAX_LOG_BYTES (64 * 1024)
/** Maximum number of log events stored for one task, the notice of dropped lines included. */
#define GR_SCAFFOLDER_MAX_EVENTS 10000
/** Maximum number of files and folders a fetch copies or a delete removes. */
#define GR_SCAFFOLDER_MAX_FILES 20000
/** Maximum folder depth below a skeleton or workspace root. */
#define GR_SCAFFOLDER_MAX_DEPTH 64
/** Default maximum size of a task's workspace, in bytes (scaffolder.limits.workspaceBytes). */
#define GR_SCAFFOLDER_DEFAULT_WORKSPACE_BYTES ((int64_t)512 * 1024 * 1024)
/** Default time limit of a task, in seconds (scaffolder.taskTimeoutSeconds). */
#define GR_SCAFFOLDER_DEFAULT_TIMEOUT_S 3600
/** Maximum wait of debug:wait, in milliseconds (ten minutes, as in Backstage). */
#define GR_SCAFFOLDER_MAX_WAIT_MS (10 * 60 * 1000)
/** Default template work of one run (scaffolder.limits.templateIterations): loop iterations. */
#define GR_SCAFFOLDER_DEFAULT_TEMPLATE_ITERATIONS 10000000
/** Default time limit of a dry run, in seconds (scaffolder.dryRun.timeoutSeconds). */
#define GR_SCAFFOLDER_DEFAULT_DRY_RUN_TIMEOUT_S 30
/** Maximum size of a task's values and secrets together, as JSON, in bytes. */
#define GR_SCAFFOLDER_MAX_VALUES_BYTES (512 * 1024)

/** One SCM host from integrations.github or integrations.gitlab. */
typedef struct {
    char *host;         /* "github.com", "gitlab.example.com:8443" */
    char *api_base_url; /* REST API root, without a trailing slash */
    char *base_url;     /* web root ("https://gitlab.com"), without a trailing slash */
    char *token;        /* may be NULL */
} gr_scaffolder_integration;

/** SCM kinds that publish actions talk to. */
typedef enum {
    GR_SCM_GITHUB = 1,
    GR_SCM_GITLAB = 2,
} gr_scm_kind;

/**
 * The catalog as the catalog:* actions see it. Any callback may be NULL, and
 * the action then fails with a message that the catalog is not available.
 */
typedef struct {
    /* Registers a location of `type` ("url" or "file") at `target`, as POST
     * /api/catalog/locations does, and stores in *entities_out (caller
     * releases) the entities it emits (from a dry run). A location that
     * exists already is not an error. Returns 0 or an error code. */
    int (*register_location)(void *payload, const char *type, const char *target,
                             json_t **entities_out);
    /* Finds the entity `ref` ("kind:namespace/name") as `reader` may see
     * it: catalog.entity.read of the permission policy decides, and an
     * entity the reader may not read gives GR_ENOTFOUND like a missing one.
     * `reader` NULL is denied by an enabled policy. Returns 0 and a new
     * reference in *out, GR_ENOTFOUND, or another error. */
    int (*fetch_entity)(void *payload, const gr_identity *reader, const char *ref, json_t **out);
    void *payload;
} gr_scaffolder_catalog;

/** The services and settings shared by every task of one process. */
struct gr_scaffolder {
    const gr_config *config; /* may be NULL: every setting has its default */
    gr_db *db;               /* may be NULL outside the server */
    gr_scaffolder_actions *actions;
    gr_tmpl_engine *engine; /* `${{ }}` delimiters, for step inputs and outputs */
    gr_scaffolder_integration *github;
    size_t github_count;
    gr_scaffolder_integration *gitlab;
    size_t gitlab_count;
    gr_scaffolder_catalog catalog;
    void *catalog_owned;   /* state behind `catalog` that the services free, or NULL */
    char *work_dir;        /* absolute path below which workspaces are made */
    char **template_roots; /* folders file templates may read outside their own folder */
    size_t template_root_count;
    char **local_remote_roots; /* folders publish:git may push to as local remotes */
    size_t local_remote_root_count;
    bool allow_any_local_remote; /* the CLI: an operator may push anywhere */
    int64_t timeout_ms;
    int64_t lease_ms; /* scaffolder.taskLeaseSeconds, in ms */
    int64_t workspace_bytes;
    uint64_t template_iterations; /* scaffolder.limits.templateIterations */
    int64_t dry_run_timeout_ms;   /* scaffolder.dryRun.timeoutSeconds, in ms */
    int dry_run_limit;            /* scaffolder.dryRun.concurrency; 0: chosen from the CPUs */
    int concurrency;
    char *author_name;
    char *author_email;
    char *commit_message;
};

/**
 * Creates the services from `config` (borrowed, may be NULL for defaults)
 * with the built-in actions. `db` may be NULL. Returns 0 and *out (caller
 * frees with gr_scaffolder_free()), GR_EINVALID naming a bad setting, or
 * GR_EBACKEND when a relative scaffolder.workingDirectory cannot be made
 * absolute because the current working directory cannot be read.
 */
int gr_scaffolder_new(gr_scaffolder **out, const gr_config *config, gr_db *db);

/** Frees the services. NULL-safe. */
void gr_scaffolder_free(gr_scaffolder *scaffolder);

/** Adds `dir` to the folders templates read from files may read below. */
void gr_scaffolder_add_template_root(gr_scaffolder *scaffolder, const char *dir);

/**
 * Finds the integration for `host` (exact, case-insensitive, with its port).
 * Stores its kind in *kind. Returns it (borrowed), or NULL.
 */
const gr_scaffolder_integration *gr_scaffolder_integration_find(const gr_scaffolder *scaffolder,
                                                                const char *host,
                                                                gr_scm_kind *kind);

/**
 * Returns every integration token as a new JSON array of strings, so that
 * task logs can mask them.
 */
json_t *gr_scaffolder_tokens(const gr_scaffolder *scaffolder);

/** The top-level config keys the scaffolder reads (scaffolder.*), ended by a NULL path. */
extern const gr_plugin_config_key gr_scaffolder_config_keys[];

#endif
