/* SPDX-License-Identifier: MIT */
/* The greenroom plugin ABI: the entry point a shared-library plugin exports and the host services it receives. */
#ifndef GREENROOM_PLUGIN_H
#define GREENROOM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A plugin is a shared library that exports one function:
 *
 *   int gr_plugin_init(const gr_host_api *host, const gr_plugin_info **out);
 *
 * The host calls it right after dlopen() and reads *out: the plugin's id,
 * version, config keys and hooks. It then validates the plugin's config and
 * calls the hooks in this order: setup (register routes, pages, providers,
 * jobs ...), start, and at shutdown stop and destroy. docs/ABI.md states what
 * may change between versions; docs/plugins.md shows how to write one.
 *
 * Rules for every function below:
 * - Return codes: 0 (GR_PLUGIN_OK) or a negative GR_PLUGIN_E* code. A
 *   failing host function also sets the thread's error message, read with
 *   host->error_last(). A failing plugin hook sets it with host->error_set().
 * - Strings the host returns are borrowed: they live as long as the contract
 *   states (the request, the config, the run) and must not be freed. Memory the
 *   host gives to the plugin ("caller frees") is freed with host->free().
 * - Descriptors the plugin passes to a registration function are copied,
 *   strings included, so they may live on the stack. Payload pointers are
 *   borrowed and must live until the destroy hook returns.
 * - Registration functions may be called only from setup. Everything else is
 *   thread-safe unless its comment says otherwise.
 */

/** ABI major version: a plugin built for another major is rejected. */
#define GR_PLUGIN_ABI_MAJOR 1
/** ABI minor version: a plugin built for a newer minor than the host's is rejected. */
#define GR_PLUGIN_ABI_MINOR 4
/** Packs a major and minor version into one number. */
#define GR_PLUGIN_ABI_MAKE(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
/** The version of this header, stored in gr_plugin_info.abi_version. */
#define GR_PLUGIN_ABI_VERSION GR_PLUGIN_ABI_MAKE(GR_PLUGIN_ABI_MAJOR, GR_PLUGIN_ABI_MINOR)
#define GR_PLUGIN_ABI_MAJOR_OF(version) ((uint32_t)(version) >> 16)
#define GR_PLUGIN_ABI_MINOR_OF(version) ((uint32_t)(version)&0xffffu)

/** Name of the one symbol a plugin exports. */
#define GR_PLUGIN_ENTRY_SYMBOL "gr_plugin_init"

/** Return codes. The values are part of the ABI. */
enum {
    GR_PLUGIN_OK = 0,
    GR_PLUGIN_ERROR = -1,     /* unexpected failure */
    GR_PLUGIN_ENOTFOUND = -2, /* the named thing does not exist (HTTP 404) */
    GR_PLUGIN_EINVALID = -3,  /* malformed input (HTTP 400) */
    GR_PLUGIN_EDENIED = -4,   /* not allowed (HTTP 403) */
    GR_PLUGIN_EBACKEND = -5,  /* a database, file or network call failed (HTTP 500) */
    GR_PLUGIN_ECONFLICT = -6, /* exists already (HTTP 409) */
    GR_PLUGIN_ELIMIT = -7,    /* a size, count or time limit was crossed */
    GR_PLUGIN_EUNAUTH = -8,   /* no valid identity (HTTP 401) */
    /* A route handler or UI renderer returns this to leave the request to
     * the next handler; for a route, that is the 404 answer. */
    GR_PLUGIN_DECLINED = -100,
};

/** Log levels. */
enum {
    GR_PLUGIN_LOG_DEBUG = 0,
    GR_PLUGIN_LOG_INFO = 1,
    GR_PLUGIN_LOG_WARN = 2,
    GR_PLUGIN_LOG_ERROR = 3,
};

/** Results of host->db_step() besides error codes. */
enum {
    GR_PLUGIN_DB_ROW = 1,
    GR_PLUGIN_DB_DONE = 2,
};

/** Database engines returned by host->db_engine(). */
enum {
    GR_PLUGIN_DB_SQLITE = 1,
    GR_PLUGIN_DB_POSTGRES = 2,
};

/** SQL fragments that differ between the engines, for host->db_sql(). */
enum {
    GR_PLUGIN_SQL_NOW_MS = 1,  /* current time, BIGINT milliseconds since the epoch */
    GR_PLUGIN_SQL_AUTO_ID = 2, /* auto-increment integer primary key column definition */
    GR_PLUGIN_SQL_ILIKE = 3,   /* case-insensitive LIKE operator */
    GR_PLUGIN_SQL_BLOB = 4,    /* binary column type */
};

/** Config value types for gr_plugin_config_key.types (bitwise or). */
enum {
    GR_PLUGIN_CONFIG_STRING = 1u << 0,
    GR_PLUGIN_CONFIG_INTEGER = 1u << 1,
    GR_PLUGIN_CONFIG_NUMBER = 1u << 2,
    GR_PLUGIN_CONFIG_BOOLEAN = 1u << 3,
    GR_PLUGIN_CONFIG_OBJECT = 1u << 4,
    GR_PLUGIN_CONFIG_ARRAY = 1u << 5,
};

/** Route flags for host->route(). */
enum {
    GR_PLUGIN_ROUTE_PUBLIC = 1u << 0, /* served without authentication */
};

/*
 * Opaque handles. A plugin never sees their layout and only passes them
 * back to the host.
 */
typedef struct gr_plugin_ctx gr_plugin_ctx; /* one loaded plugin, as the host keeps it */
typedef struct gr_request gr_request;       /* an HTTP request being served */
typedef struct gr_response gr_response;     /* its response */
typedef struct gr_db_conn gr_db_conn;       /* a database connection of one thread */
typedef struct gr_db_stmt gr_db_stmt;       /* a prepared statement on such a connection */
typedef struct gr_sched_run gr_sched_run;   /* one run of a scheduled job */
typedef struct gr_html gr_html;             /* an HTML output buffer */
typedef struct gr_provider_run gr_provider_run; /* one run of an entity provider */
typedef struct gr_collator_run gr_collator_run; /* one run of a search collator */

typedef struct gr_host_api gr_host_api;

/* ---- What the plugin describes ------------------------------------------ */

/**
 * One key of the plugin's config. The plugin's config is the `config`
 * object of its entry under `plugins:` in app-config.yaml; `path` is
 * relative to it ("checks", "checks[].name", "sources.*.url").
 */
typedef struct {
    const char *path;
    unsigned types;           /* GR_PLUGIN_CONFIG_* bits */
    int required;             /* nonzero: start-up fails when it is missing */
    const char *default_json; /* default as JSON text, or NULL */
    const char *description;  /* one sentence for the plugin's own documentation */

    /*
     * Members added in ABI 1.4. The host reads them only from a plugin whose
     * info declares 1.4 or later, because the arrays of older plugins are
     * made of the shorter struct.
     */

    /* Allowed strings, ended by NULL; a string value outside the list is
     * rejected at start-up with the list in the message. NULL allows any. */
    const char *const *allowed;
    /* Nonzero: the value is a credential. `greenroom config check` prints it
     * as <secret>, and messages about it never show it. */
    int secret;
} gr_plugin_config_key;

/** A CLI subcommand (`greenroom <name> ...`); only built-in plugins' commands reach the CLI. */
typedef struct {
    const char *name;
    const char *summary;
    const char *usage;
    /* Exit status: 0 success, 1 failure found, 2 usage or configuration error. */
    int (*run)(int argc, char **argv);
} gr_plugin_command;

/** One schema change of the plugin's own tables; the fields are frozen within major 1. */
typedef struct {
    int version;             /* > 0, strictly increasing */
    const char *description; /* short, recorded with the version */
    const char *sql;         /* for both engines, or NULL when both variants are given */
    const char *sql_sqlite;  /* SQLite variant, or NULL */
    const char *sql_pg;      /* PostgreSQL variant, or NULL */
} gr_plugin_migration;

/**
 * What gr_plugin_init() returns: static data of the plugin (borrowed by the
 * host until the library is closed). Grows only at the end; the host reads
 * at most `struct_size` bytes of it.
 */
typedef struct {
    uint32_t abi_version; /* GR_PLUGIN_ABI_VERSION of the header the plugin was built with */
    uint32_t struct_size; /* sizeof(gr_plugin_info) */
    /* Lower-case id: letters, digits and '-', starting with a letter, at most
     * 32 bytes. Routes live under /api/<id>, the log module is <id>. */
    const char *id;
    const char *version;     /* the plugin's own version, such as "1.4.0" */
    const char *description; /* one line for `greenroom plugin list` */
    const gr_plugin_config_key *config_keys; /* ended by a NULL path, or NULL */
    const gr_plugin_command *commands;       /* ended by a NULL name, or NULL */
    /*
     * Registers what the plugin adds, after its config was validated. `host`
     * and `ctx` stay valid until destroy returns, so keep them in the state.
     * Stores the plugin's state in *state. Returns 0, or an error code with
     * a message set through host->error_set(), which stops the start-up.
     */
    int (*setup)(const gr_host_api *host, gr_plugin_ctx *ctx, void **state);
    /* Starts threads, after every plugin's setup. May be NULL. */
    int (*start)(void *state);
    /* Ends threads at shutdown; the database is still open. May be NULL. */
    void (*stop)(void *state);
    /* Frees the state. May be NULL. */
    void (*destroy)(void *state);

    /* Members added in ABI 1.1; the host ignores them when struct_size ends before them. */

    /*
     * The plugin's schema changes, ordered by version, recorded under the
     * component "plugin:<id>". The host applies the ones not yet applied
     * before setup, and `greenroom db migrate` applies them without calling
     * setup at all. NULL when the plugin has no tables.
     */
    const gr_plugin_migration *migrations;
    size_t migration_count;

    /* Members added in ABI 1.2; hosts whose info ends before them ignore them. */

    /*
     * The component under which an earlier release of a built-in recorded
     * these migrations ("search"), or NULL. When the database has history
     * under it and none under "plugin:<id>", the host renames that history
     * to "plugin:<id>" before it applies anything, so versions applied
     * under the old name do not run again. Only built-ins may set it: a
     * shared-library plugin that does is rejected with GR_PLUGIN_EINVALID.
     */
    const char *migration_legacy_id;

    /* Members added in ABI 1.3; hosts whose info ends before them ignore them. */

    /*
     * Keys the plugin reads at the top level of app-config.yaml
     * ("search.maxPageLimit"), ended by a NULL path, or NULL. They join the
     * host's config schema, so `greenroom config check` and `serve` check
     * them and `greenroom config schema` lists them under the plugin's id.
     * Only built-ins may set it, as their keys predate `plugins:`: a
     * shared-library plugin that does fails to load, as one built for
     * another ABI major does.
     */
    const gr_plugin_config_key *top_config_keys;

    /* Members added in ABI 1.4; hosts whose info ends before them ignore them. */

    /*
     * Permissions the plugin checks, each with its struct_size set, or NULL.
     * The host declares them before setup, as permission_add() does, so
     * permission.rules may allow or deny them. Built-in features declare
     * theirs here, which lets `greenroom config check` know them without
     * setting anything up.
     */
    const struct gr_plugin_permission *permissions;
    size_t permission_count;
} gr_plugin_info;

/** The type of the one exported function. */
typedef int (*gr_plugin_init_fn)(const gr_host_api *host, const gr_plugin_info **out);

/**
 * Which entities a tab, card or processor applies to. Every field set must
 * match; NULL fields match anything. Lists are comma-separated and compared
 * without regard to case.
 */
typedef struct {
    const char *kinds;      /* "Component,API" */
    const char *types;      /* spec.type values: "service,website" */
    const char *annotation; /* an annotation key the entity must carry */
} gr_entity_filter;

/** Serves one request under /api/<plugin-id>. */
typedef int (*gr_plugin_handler)(gr_request *req, gr_response *res, void *payload);

/** Writes HTML for a page into `out`; `req` is the request being served. */
typedef int (*gr_plugin_page_fn)(gr_request *req, gr_html *out, void *payload);

/** Writes HTML for an entity tab or card; `entity_json` is the final entity (borrowed). */
typedef int (*gr_plugin_entity_fn)(gr_request *req, const char *entity_json, gr_html *out,
                                   void *payload);

/** Decides beyond the filter whether a tab or card applies; nonzero shows it. */
typedef int (*gr_plugin_applies_fn)(const char *entity_json, void *payload);

/** A page at a path of its own, in the portal's layout. */
typedef struct {
    uint32_t struct_size; /* sizeof(gr_plugin_page) */
    const char *path;     /* "/scorecards"; must start with '/' and not with /api/ */
    const char *title;    /* shown in the page header and the browser tab */
    gr_plugin_page_fn render;
    void *payload;
} gr_plugin_page;

/** A sidebar entry. */
typedef struct {
    uint32_t struct_size;
    const char *label;
    const char *path;
    const char *icon; /* name of a portal icon, or NULL */
    int order;        /* entries sort by order, then label */
} gr_plugin_nav;

/** An entity-page tab or overview card. */
typedef struct {
    uint32_t struct_size;
    const char *id;    /* lower case, unique within the plugin */
    const char *label; /* tab label or card title */
    int order;
    gr_entity_filter filter;
    gr_plugin_applies_fn applies; /* NULL: the filter alone decides */
    gr_plugin_entity_fn render;
    void *payload;
} gr_plugin_entity_view;

/** Called after a catalog entity changed or was deleted; `entity_ref` is borrowed. */
typedef void (*gr_plugin_entity_changed_fn)(const char *entity_ref, int deleted, void *payload);

/** An entity provider: a job that supplies entities from an outside source. */
typedef struct {
    uint32_t struct_size;
    const char *name;    /* unique within the plugin; the source is "<plugin-id>:<name>" */
    int64_t interval_ms; /* time between runs */
    int64_t timeout_ms;  /* a run longer than this is asked to stop */
    /* Reads the source and calls host->provider_apply_full() or _delta(). */
    int (*run)(gr_provider_run *run, void *payload);
    void *payload;
} gr_plugin_provider;

/**
 * A catalog processor, called on each entity its filter matches after the
 * entity passed validation and before relations are derived from its spec.
 * It runs on the catalog's worker threads, several at once.
 */
typedef struct {
    uint32_t struct_size;
    const char *name; /* unique within the plugin; errors name it "<plugin-id>:<name>" */
    gr_entity_filter filter;
    /* Stores a changed entity in *out_json (host->alloc'd; the host frees
     * it) or leaves it NULL to keep the entity. A changed entity must stay
     * valid and keep its kind, namespace and name. An error code, with a
     * message from host->error_set(), fails the entity's processing and
     * shows in its status. */
    int (*process)(const char *entity_json, char **out_json, void *payload);
    void *payload;
} gr_plugin_processor;

/** A search collator: a job that adds documents of one type to the search index. */
typedef struct {
    uint32_t struct_size;
    const char *type;    /* document type, such as "scorecard" */
    int64_t interval_ms; /* unused in 1.0: search rebuilds every type on its own schedule */
    int (*run)(gr_collator_run *run, void *payload);
    void *payload;
} gr_plugin_collator;

/** A scaffolder action, usable as a template step (`action: <id>`). */
typedef struct {
    uint32_t struct_size;
    const char *id;           /* "acme:notify" */
    const char *description;
    const char *input_schema; /* JSON Schema text of `input`, or NULL */
    /* Runs the step: `input_json` is the rendered input; stores its output
     * object in *output_json (host->alloc'd, or NULL). */
    int (*run)(const char *input_json, char **output_json, void *payload);
    void *payload;
    /* Nonzero when the action changes nothing outside the task's workspace,
     * so that a dry run may run it; dry runs skip the other actions. */
    int supports_dry_run;
} gr_plugin_action;

/** A permission the plugin checks, for `permission.rules` and the permission API. */
typedef struct gr_plugin_permission {
    uint32_t struct_size;
    const char *name;          /* "scorecards.read" */
    const char *resource_type; /* "catalog-entity", or NULL for a basic permission */
    const char *action;        /* "read", "create", "update", "delete", or NULL */
} gr_plugin_permission;

/**
 * Loads the resources of one resource type for permission checks (ABI 1.4),
 * as a resource loader of Backstage's permission integration does. The host
 * calls it when a policy decision about a permission of that type is
 * conditional (isTaskOwner for "scaffolder-task") and names one resource:
 * POST /api/permission/authorize with a resourceRef, and host->authorize()
 * with a resource_ref. The conditions are then applied to what it loads.
 */
typedef struct {
    uint32_t struct_size;      /* sizeof(gr_plugin_resource_loader) */
    const char *resource_type; /* "scaffolder-task"; one loader per type among all plugins */
    /*
     * Stores the resource `resource_ref` as JSON object text in *out_json
     * (host->alloc'd; the host frees it), with the members the conditions
     * of its type read: "createdBy" for IS_TASK_OWNER. Returns 0,
     * GR_PLUGIN_ENOTFOUND when there is no such resource (the decision is
     * then DENY), or another error code. Called on HTTP worker threads,
     * several at once, so it must be thread-safe.
     */
    int (*load)(const char *resource_ref, char **out_json, void *payload);
    void *payload;
} gr_plugin_resource_loader;

/**
 * The first member of every service a plugin publishes (ABI 1.2). A service
 * is a struct of the publisher's own design that starts with this header.
 * Its name and layout form a contract between the publisher and its users,
 * which, like this ABI, grows only at the end.
 */
typedef struct {
    uint32_t struct_size; /* sizeof the publisher's whole service struct */
    uint32_t version;     /* the service's own version, for users that need to tell */
} gr_plugin_service;

/**
 * The service that takes collators (ABI 1.2). A plugin that keeps an index
 * of documents publishes it under GR_PLUGIN_SERVICE_COLLATORS, and the
 * host's collator_add() and collator_document() hand their calls to it. No
 * other plugin calls these members.
 */
#define GR_PLUGIN_SERVICE_COLLATORS "collators"
typedef struct {
    gr_plugin_service header;
    /*
     * Adds `collator` to the index, which copies the descriptor. Its type
     * and payload are borrowed until the destroy hook of the plugin that
     * registered it, and the index stops calling its run before then.
     * Called from the registering plugin's setup.
     */
    int (*add)(const gr_plugin_service *self, const gr_plugin_collator *collator);
    /* Adds one document from a run the index started, on the index's own
     * thread. The strings are borrowed for the call. */
    int (*document)(gr_collator_run *run, const char *title, const char *text,
                    const char *location);
} gr_plugin_collator_service;

/**
 * The service that takes scaffolder actions (ABI 1.4). A plugin that runs
 * templates publishes it under GR_PLUGIN_SERVICE_ACTIONS, and the host's
 * action_add() hands its calls to it. No other plugin calls this member.
 */
#define GR_PLUGIN_SERVICE_ACTIONS "actions"
typedef struct {
    gr_plugin_service header;
    /*
     * Adds `action`, which the service copies, strings included. Its
     * payload is borrowed until the destroy hook of the plugin that
     * registered it, and the service stops running actions before then.
     * Returns 0, GR_PLUGIN_EINVALID or GR_PLUGIN_ECONFLICT when the id is
     * taken. Called from the registering plugin's setup.
     */
    int (*add)(const gr_plugin_service *self, const gr_plugin_action *action);
} gr_plugin_action_service;

/**
 * The service of the built-in that draws the portal layout: the web UI
 * (ABI 1.4). The host hands the pages, sidebar entries, entity tabs and
 * cards that plugins add to it, and draws a plain layout of its own when
 * no plugin published it. Its members are internal to greenroom, so only
 * built-ins may publish it: service_publish() returns GR_PLUGIN_EINVALID to
 * a shared-library plugin that tries. A plugin may look it up with
 * min_size sizeof(gr_plugin_service) to learn whether the portal layout
 * frames its pages.
 */
#define GR_PLUGIN_SERVICE_LAYOUT "layout"

/** Flags of gr_plugin_page_frame (ABI 1.2). */
enum {
    GR_PLUGIN_PAGE_OWN_HEADING = 1u << 0, /* the body starts with its own <h1> */
    /* The page wrote its whole response with res_body() (a redirect, a
     * file), which the host sends without the layout. */
    GR_PLUGIN_PAGE_RAW = 1u << 1,
    /* Flag added in ABI 1.4: the page reloads after refresh_seconds only in
     * browsers without scripts, because its own script updates it. */
    GR_PLUGIN_PAGE_REFRESH_NOSCRIPT = 1u << 2,
};

/** Name of the form field that carries the CSRF token of a form page's form (ABI 1.4). */
#define GR_PLUGIN_CSRF_FIELD "_csrf"
/** Maximum number of fields of one form post to a form page (ABI 1.4). */
#define GR_PLUGIN_FORM_MAX_FIELDS 256

/** Maximum number of breadcrumbs of one page. */
#define GR_PLUGIN_PAGE_MAX_CRUMBS 8

/** One breadcrumb above a page's heading. */
typedef struct {
    const char *label;
    const char *href; /* NULL for the current page, which is not a link */
} gr_plugin_crumb;

/**
 * The frame of the page being rendered (ABI 1.2), for host->page_frame().
 * Unset members keep the defaults: status 200, the registered title, no
 * breadcrumbs, stylesheet or refresh.
 */
typedef struct {
    uint32_t struct_size;          /* sizeof(gr_plugin_page_frame) */
    int status;                    /* HTTP status, or 0 for 200 */
    const char *title;             /* heading and browser tab, or NULL */
    unsigned flags;                /* GR_PLUGIN_PAGE_* bits */
    int refresh_seconds;           /* > 0 reloads the page after that many seconds */
    const char *stylesheet;        /* URL of an extra stylesheet ("/docs/x.css"), or NULL */
    const gr_plugin_crumb *crumbs; /* shown in this order, or NULL */
    size_t crumb_count;            /* at most GR_PLUGIN_PAGE_MAX_CRUMBS */
} gr_plugin_page_frame;

/**
 * The identity a sign-in provider's callback proves for the person signing
 * in (ABI 1.4). The host zeroes it and sets struct_size and `redirect` before
 * each call. Strings the callback stores must stay valid until the request
 * ends: static text, its payload's, or memory from host->req_alloc().
 */
typedef struct {
    uint32_t struct_size; /* set by the host: sizeof the struct it passes */
    /*
     * The URL the browser goes to once signed in. The host sets it before start to
     * the safe form of the request's `redirect` parameter, or the portal's
     * home. A provider that sends the browser away and back keeps it with
     * its own state and sets it again in frame. The host accepts only a path
     * or a URL on the portal's own origin, and uses the home for anything else.
     */
    const char *redirect;
    /*
     * The user's entity ref ("user:default/jane"), when the provider
     * determines it itself. NULL makes the host resolve the profile below
     * with the sign-in resolvers configured for the provider.
     */
    const char *user_ref;
    /*
     * With user_ref: the ownership refs besides user_ref itself. NULL makes
     * the host read them from the user's entity in the catalog (memberOf),
     * or use user_ref alone when the catalog has no such user. A non-NULL
     * list with count 0 means user_ref alone.
     */
    const char *const *ownership;
    size_t ownership_count;
    /* The profile: the resolvers' input, and shown in the sign-in response. Any may be NULL. */
    const char *email; /* set only when the provider verified the address */
    const char *username;
    const char *display_name;
    const char *picture; /* URL of the user's picture */
} gr_plugin_signin_result;

/**
 * A sign-in provider callback (ABI 1.4). It runs on a server thread for a
 * public route, several at once. It returns GR_PLUGIN_OK with `result`
 * filled, or an error code with a message from host->error_set(). The host
 * writes that error to the audit log as a failed sign-in and sends it with
 * the code's status, except that GR_PLUGIN_ENOTFOUND, GR_PLUGIN_EINVALID
 * and GR_PLUGIN_ECONFLICT become 401, as every failed sign-in is.
 */
typedef int (*gr_plugin_signin_fn)(gr_request *req, gr_response *res,
                                   gr_plugin_signin_result *result, void *payload);

/**
 * A sign-in provider (ABI 1.4), registered with host->signin_provider_add().
 * The host serves its routes under /api/auth/<id>/, public and rate-limited
 * per client as the built-in providers are, and does the rest of the
 * sign-in: it resolves the user, issues the Backstage identity token (ES256,
 * `sub` the user ref, `ent` the ownership refs) with its session cookie,
 * refreshes and ends sessions, and writes the audit log.
 *
 * - GET start calls `start`. It either sends its own response (a redirect
 *   to the identity provider, or a form that submits to handler/frame) and
 *   leaves user_ref and the profile unset, or it proves the identity at once
 *   and the host redirects the signed-in browser to result->redirect.
 * - GET handler/frame calls `frame`, the callback that proves the identity
 *   (from the code, the form values or whatever the provider checks). The
 *   host then signs the user in and redirects to result->redirect. Without
 *   user_ref it resolves the profile, and an empty profile fails.
 * - GET refresh (with the header X-Requested-With: XMLHttpRequest) renews
 *   the cookie session of the caller while it lasts. With `refresh` set,
 *   the host calls it first: when the session's user is the one it returns,
 *   the session is renewed, and otherwise that user is signed in anew, as
 *   the guest provider does. The response is Backstage's session JSON.
 * - POST logout ends the caller's session on every instance.
 */
typedef struct {
    uint32_t struct_size; /* sizeof(gr_plugin_signin_provider) */
    /* 1 to 32 letters, digits, '-' and '_', starting with a letter, unique
     * among providers: the <id> of the routes and of auth.providers.<id> */
    const char *id;
    /* Shown on the sign-in page as "Sign in with <label>". */
    const char *label;
    /* Position on the sign-in page: lower first, then registration order.
     * The host lists the identity-aware proxies it serves itself at 100. */
    int order;
    gr_plugin_signin_fn start;   /* required */
    gr_plugin_signin_fn frame;   /* NULL: handler/frame returns 404 */
    gr_plugin_signin_fn refresh; /* NULL: refresh renews an existing session only */
    void *payload;
} gr_plugin_signin_provider;

/** A scheduled job. Long jobs poll host->job_stopping() and return soon after it is true. */
typedef int (*gr_plugin_job_fn)(gr_sched_run *run, void *payload);

/* ---- What the host provides --------------------------------------------- */

/*
 * The host services. One struct for every plugin, valid until the plugin's
 * destroy hook returns. It grows only at the end: before calling a member
 * added in a later minor version, check that `struct_size` covers it with
 * GR_PLUGIN_HOST_HAS(host, member).
 */
struct gr_host_api {
    uint32_t abi_version; /* GR_PLUGIN_ABI_VERSION of the host */
    uint32_t struct_size; /* sizeof(gr_host_api) in the host */
    const char *host_version; /* greenroom's version, such as "0.1.0" */

    /* -- Memory and errors -- */

    /** Allocates `size` bytes; aborts the process when memory runs out. Caller frees. */
    void *(*alloc)(size_t size);
    /** Frees memory from alloc() or any "caller frees" result. NULL-safe. */
    void (*free)(void *ptr);
    /** Allocates from the request's arena, freed after the response is sent. */
    void *(*req_alloc)(gr_request *req, size_t size);
    /** Sets the thread's error message and returns `code`. */
    int (*error_set)(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    /** Returns the thread's last error message (borrowed, "" when none). */
    const char *(*error_last)(void);

    /* -- Identity and config -- */

    /** Returns the plugin's id (borrowed for the life of ctx). */
    const char *(*plugin_id)(const gr_plugin_ctx *ctx);
    /** Returns app.baseUrl without a trailing slash (borrowed for the life of ctx). */
    const char *(*base_url)(const gr_plugin_ctx *ctx);
    /*
     * Config accessors. `path` is relative to the plugin's config object and
     * may index arrays: "checks[2].name". They return the fallback when the
     * value is absent or of another type. Strings are borrowed for the life
     * of ctx.
     */
    const char *(*config_string)(const gr_plugin_ctx *ctx, const char *path,
                                 const char *fallback);
    int64_t (*config_int)(const gr_plugin_ctx *ctx, const char *path, int64_t fallback);
    int (*config_bool)(const gr_plugin_ctx *ctx, const char *path, int fallback);
    double (*config_double)(const gr_plugin_ctx *ctx, const char *path, double fallback);
    /** Returns the number of items of the array or members of the object at `path` (0 when absent). */
    size_t (*config_count)(const gr_plugin_ctx *ctx, const char *path);
    /** Returns the value at `path` as JSON text (caller frees), or NULL when absent. */
    char *(*config_json)(const gr_plugin_ctx *ctx, const char *path);

    /* -- Logging -- */

    /** Writes a log line with module = the plugin id; `fmt` is printf-style. */
    void (*log)(const gr_plugin_ctx *ctx, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    /** Returns nonzero when `level` would be written. */
    int (*log_enabled)(int level);

    /* -- Database: the plugin's own tables, on the shared SQLite or PostgreSQL database -- */

    /**
     * Applies the plugin's migrations not yet applied (recorded under the
     * component "plugin:<id>"), each in a transaction. `migrations` is
     * ordered by version. Returns 0, GR_PLUGIN_EINVALID, or the failed
     * migration's error. Call from setup.
     */
    int (*db_migrate)(gr_plugin_ctx *ctx, const gr_plugin_migration *migrations, size_t count);
    /** Returns GR_PLUGIN_DB_SQLITE or GR_PLUGIN_DB_POSTGRES. */
    int (*db_engine)(const gr_plugin_ctx *ctx);
    /** Returns a GR_PLUGIN_SQL_* fragment for this engine (static string). */
    const char *(*db_sql)(const gr_plugin_ctx *ctx, int fragment);
    /**
     * Takes a connection: `write` nonzero for writes (on SQLite the single
     * writer). The connection and its statements belong to the calling
     * thread until db_release(). Returns 0 or GR_PLUGIN_EBACKEND on timeout.
     */
    int (*db_acquire)(gr_plugin_ctx *ctx, int write, gr_db_conn **out);
    /** Returns a connection; an open transaction is rolled back. NULL-safe. */
    void (*db_release)(gr_db_conn *conn);
    int (*db_begin)(gr_db_conn *conn);
    int (*db_commit)(gr_db_conn *conn);
    /** Rolls back; keeps the thread's error message, so error paths may call it. */
    int (*db_rollback)(gr_db_conn *conn);
    /** Runs SQL without parameters (several statements allowed). */
    int (*db_exec)(gr_db_conn *conn, const char *sql);
    /** Prepares SQL with `?` placeholders; finalize before releasing the connection. */
    int (*db_prepare)(gr_db_conn *conn, const char *sql, gr_db_stmt **out);
    /* Binding, 1-based; values are copied; text NULL binds SQL NULL. */
    int (*db_bind_text)(gr_db_stmt *stmt, int index, const char *text);
    int (*db_bind_int64)(gr_db_stmt *stmt, int index, int64_t value);
    int (*db_bind_double)(gr_db_stmt *stmt, int index, double value);
    /** Runs or advances: GR_PLUGIN_DB_ROW, GR_PLUGIN_DB_DONE, or an error code. */
    int (*db_step)(gr_db_stmt *stmt);
    /* Column reads of the current row, 0-based; text is borrowed until the next step. */
    int (*db_column_is_null)(gr_db_stmt *stmt, int column);
    const char *(*db_column_text)(gr_db_stmt *stmt, int column);
    int64_t (*db_column_int64)(gr_db_stmt *stmt, int column);
    double (*db_column_double)(gr_db_stmt *stmt, int column);
    /** Returns the rows the last finished INSERT, UPDATE or DELETE changed. */
    int64_t (*db_changes)(gr_db_stmt *stmt);
    /** Clears bindings and results so the statement can run again. */
    int (*db_reset)(gr_db_stmt *stmt);
    /** Gives the statement back. NULL-safe. */
    void (*db_finalize)(gr_db_stmt *stmt);

    /* -- HTTP routes under /api/<plugin-id> -- */

    /**
     * Registers `handler` for `method` on /api/<plugin-id><pattern>.
     * `pattern` starts with '/' (or is "" for the mount point itself) and may
     * hold `:name` segments and a last `*`. Routes need an authenticated
     * caller unless GR_PLUGIN_ROUTE_PUBLIC is set. A handler that returns an
     * error code without a response gets the standard JSON error body.
     * Returns 0, GR_PLUGIN_EINVALID or GR_PLUGIN_ECONFLICT. Setup only.
     */
    int (*route)(gr_plugin_ctx *ctx, const char *method, const char *pattern, unsigned flags,
                 gr_plugin_handler handler, void *payload);
    /* Request reads. Strings are borrowed until the response is sent. */
    const char *(*req_method)(const gr_request *req);
    const char *(*req_path)(const gr_request *req);
    /** Returns the decoded path parameter `name` (or "*"), or NULL. */
    const char *(*req_param)(const gr_request *req, const char *name);
    /** Returns the first decoded value of query parameter `name`, or NULL. */
    const char *(*req_query)(const gr_request *req, const char *name);
    const char *(*req_header)(const gr_request *req, const char *name);
    /** Returns the NUL-terminated body and its length in *len (may be NULL). */
    const char *(*req_body)(const gr_request *req, size_t *len);
    /** Returns the caller's entity ref ("user:default/jane", "external:ci"), or NULL. */
    const char *(*req_user)(const gr_request *req);
    /* Response writes; each returns 0 or GR_PLUGIN_EINVALID. */
    int (*res_header)(gr_response *res, const char *name, const char *value);
    /** Sets status, content type and body; the bytes are copied. */
    int (*res_body)(gr_response *res, int status, const char *content_type, const char *data,
                    size_t len);
    /** Sends `json` (JSON text, copied) with application/json. GR_PLUGIN_EINVALID when it does not parse. */
    int (*res_json)(gr_response *res, int status, const char *json);
    /** Sends the standard error body for `code` and returns `code`. */
    int (*res_error)(gr_response *res, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

    /* -- HTTP client -- */

    /**
     * Sends a request to `url` (http or https) with optional NULL-terminated
     * "Name: value" headers and body; redirects are not followed. Only hosts
     * and path prefixes in backend.reading.allow may be reached: others get
     * GR_PLUGIN_EDENIED. Stores the response body (caller frees) and its
     * length and status. Returns 0 for any HTTP status, GR_PLUGIN_ELIMIT
     * past 16 MiB or 30 s, or GR_PLUGIN_EBACKEND.
     */
    int (*http_fetch)(gr_plugin_ctx *ctx, const char *method, const char *url,
                      const char *const *headers, const char *body, char **out_body,
                      size_t *out_len, long *out_status);

    /* -- Catalog -- */

    /**
     * Reads the final entity `ref` ("kind:namespace/name") as JSON text
     * (caller frees). `req` is the request whose caller must be allowed
     * catalog.entity.read, or NULL to read as the plugin itself.
     * Returns 0, GR_PLUGIN_ENOTFOUND (also when the caller may not see it),
     * or GR_PLUGIN_EBACKEND (also when no catalog plugin runs).
     */
    int (*catalog_get)(gr_plugin_ctx *ctx, gr_request *req, const char *ref, char **out_json);
    /**
     * Lists final entities matching `filter` in the catalog API's filter
     * syntax ("kind=component,spec.type=service"; NULL for all) as a JSON
     * array text (caller frees), sorted by entity ref, with at most `limit`
     * entities (0 for no limit). Entities the caller may not read are left out.
     * GR_PLUGIN_EBACKEND when no catalog plugin runs.
     */
    int (*catalog_query)(gr_plugin_ctx *ctx, gr_request *req, const char *filter, size_t limit,
                         char **out_json);
    /**
     * Calls `fn` after each change or delete of a final entity, on a catalog
     * thread. Setup only. GR_PLUGIN_EBACKEND when no catalog plugin runs.
     */
    int (*catalog_on_change)(gr_plugin_ctx *ctx, gr_plugin_entity_changed_fn fn, void *payload);
    /**
     * Registers an entity provider, run by the scheduler on one instance at a
     * time. Setup only. GR_PLUGIN_EBACKEND when no catalog plugin runs.
     */
    int (*provider_add)(gr_plugin_ctx *ctx, const gr_plugin_provider *provider);
    /**
     * Replaces everything this provider supplied with `entities_json` (a JSON
     * array of entities). Entities it no longer supplies are deleted, with
     * every entity only they kept alive. Returns 0, GR_PLUGIN_EINVALID when
     * the text is not an array of entities with kind and metadata.name, or
     * GR_PLUGIN_EBACKEND.
     */
    int (*provider_apply_full)(gr_provider_run *run, const char *entities_json);
    /**
     * Applies a delta in one transaction. Deletes the entities this provider
     * supplied that `removed_json` names (with every entity only they kept
     * alive), then adds or updates the entities of `added_json`. Either
     * array may be NULL. A removal is an entity ref ("component:default/x"),
     * an {"entityRef": ref} object or an {"entity": entity} object; a ref
     * the provider never supplied changes nothing. Returns 0,
     * GR_PLUGIN_EINVALID naming the first bad entity or removal, or
     * GR_PLUGIN_EBACKEND.
     */
    int (*provider_apply_delta)(gr_provider_run *run, const char *added_json,
                                const char *removed_json);
    /** Returns nonzero once the run should end (shutdown or timeout). */
    int (*provider_stopping)(gr_provider_run *run);
    /**
     * Registers a catalog processor. Setup only. GR_PLUGIN_EBACKEND when no
     * catalog plugin runs.
     */
    int (*processor_add)(gr_plugin_ctx *ctx, const gr_plugin_processor *processor);

    /* -- Search -- */

    /**
     * Registers a search collator, whose run adds every document of its type
     * whenever search rebuilds the index. Setup only. GR_PLUGIN_EBACKEND when
     * no plugin published GR_PLUGIN_SERVICE_COLLATORS (search does not run).
     */
    int (*collator_add)(gr_plugin_ctx *ctx, const gr_plugin_collator *collator);
    /**
     * Adds one document from a collator run; strings are copied. `text` may
     * be NULL. `location` is a path ("/scorecards") or an http(s) URL.
     */
    int (*collator_document)(gr_collator_run *run, const char *title, const char *text,
                             const char *location);

    /* -- Scheduler -- */

    /**
     * Registers job "<plugin-id>:<name>", run every `interval_ms` on one
     * instance of those sharing the database, first `initial_delay_ms` after
     * start. Setup only. Returns 0, GR_PLUGIN_EINVALID or GR_PLUGIN_ECONFLICT.
     */
    int (*job_add)(gr_plugin_ctx *ctx, const char *name, int64_t interval_ms,
                   int64_t initial_delay_ms, int64_t timeout_ms, gr_plugin_job_fn fn,
                   void *payload);
    /** Makes job "<plugin-id>:<name>" due now. GR_PLUGIN_ENOTFOUND, GR_PLUGIN_ECONFLICT when running. */
    int (*job_trigger)(gr_plugin_ctx *ctx, const char *name);
    /** Returns nonzero once the run should end. */
    int (*job_stopping)(gr_sched_run *run);

    /* -- Permissions -- */

    /** Declares a permission of the plugin ("<id>.name"). Setup only. GR_PLUGIN_EINVALID or
     * GR_PLUGIN_ECONFLICT when the name exists. */
    int (*permission_add)(gr_plugin_ctx *ctx, const gr_plugin_permission *permission);
    /**
     * Checks `permission` for the caller of `req`, for the resource
     * `resource_ref` (NULL for a basic permission): an entity ref, or since
     * ABI 1.4 the ref of a resource whose type has a loader
     * (resource_loader_add()), such as a task id for scaffolder.task.read.
     * Returns 0 when allowed, GR_PLUGIN_EDENIED with a message naming the
     * permission, or GR_PLUGIN_EINVALID.
     */
    int (*authorize)(gr_plugin_ctx *ctx, gr_request *req, const char *permission,
                     const char *resource_ref);

    /* -- UI -- */

    /** Registers a page. Setup only. */
    int (*page_add)(gr_plugin_ctx *ctx, const gr_plugin_page *page);
    /** Adds a sidebar entry. Setup only. */
    int (*nav_add)(gr_plugin_ctx *ctx, const gr_plugin_nav *nav);
    /** Adds an entity-page tab. Setup only. */
    int (*entity_tab_add)(gr_plugin_ctx *ctx, const gr_plugin_entity_view *tab);
    /** Adds a card to the entity overview. Setup only. */
    int (*entity_card_add)(gr_plugin_ctx *ctx, const gr_plugin_entity_view *card);
    /** Appends `text` with &, <, >, " and ' escaped. */
    void (*html_text)(gr_html *out, const char *text);
    /** Appends `html` as it is: markup the plugin built and escaped itself. */
    void (*html_raw)(gr_html *out, const char *html);
    /** Appends a URL-escaped copy of `text`, for a query value or path segment. */
    void (*html_url)(gr_html *out, const char *text);
    /** Appends the portal's link to an entity page, with the ref as its escaped text. */
    void (*html_entity_link)(gr_html *out, const char *entity_ref);

    /* -- Scaffolder -- */

    /**
     * Registers a scaffolder action that templates name in `action:`. Its
     * output object's members become the step's outputs. Setup only.
     * GR_PLUGIN_EBACKEND when no plugin published GR_PLUGIN_SERVICE_ACTIONS
     * (the scaffolder does not run), else the codes of that service's add.
     */
    int (*action_add)(gr_plugin_ctx *ctx, const gr_plugin_action *action);

    /* -- Services between plugins (ABI 1.2: check GR_PLUGIN_HOST_HAS(host, service_publish)) -- */

    /**
     * Publishes `service` under `name` for the plugins set up after this one.
     * `name` is 1 to 64 bytes of letters, digits, '-', '.' and '_' and is
     * copied. `service` starts with a gr_plugin_service whose struct_size
     * covers at least that header. The service stays owned by the publisher
     * and must stay valid until its destroy hook returns. The host removes it
     * then, or at once when setup fails. Setup only. Returns 0,
     * GR_PLUGIN_EINVALID (also for GR_PLUGIN_SERVICE_LAYOUT from a
     * shared-library plugin), GR_PLUGIN_ECONFLICT when the name is taken,
     * or GR_PLUGIN_ELIMIT when 64 services are published.
     */
    int (*service_publish)(gr_plugin_ctx *ctx, const char *name,
                           const gr_plugin_service *service);
    /**
     * Finds the service published under `name` and stores it in *out
     * (borrowed: valid until the publisher's destroy hook, which runs after
     * the destroy hook of every plugin set up after it). `min_size` is the
     * sizeof of the service struct the caller was built with: a smaller
     * published struct lacks members the caller uses. Thread-safe. Services
     * of plugins set up later are found only from the start hook on.
     * Returns 0, GR_PLUGIN_ENOTFOUND (nothing published under `name`) or
     * GR_PLUGIN_EINVALID (`min_size` exceeds the published struct_size), and
     * *out is NULL on error.
     */
    int (*service_lookup)(gr_plugin_ctx *ctx, const char *name, size_t min_size,
                          const gr_plugin_service **out);

    /* -- Framed pages (ABI 1.2) -- */

    /**
     * Sets how the page being rendered into `out` is framed; call it from a
     * page's render function, again to replace an earlier frame. The frame
     * and its strings are copied. Breadcrumbs show in the portal layout
     * only, not in the plain layout used without the web UI. Returns 0, or
     * GR_PLUGIN_EINVALID when `out` is not a page (an entity tab or card),
     * for a status outside 100-599 or for too many breadcrumbs.
     */
    int (*page_frame)(gr_html *out, const gr_plugin_page_frame *frame);
    /**
     * Returns the response of the page being rendered into `out`, or NULL
     * for an entity tab or card (borrowed until the render function
     * returns). Headers set on it are sent with the framed page. A page that
     * sends a body of its own sets it with res_body() and the frame flag
     * GR_PLUGIN_PAGE_RAW.
     */
    gr_response *(*page_response)(gr_html *out);

    /* -- Request reads (ABI 1.2) -- */

    /** Returns the number of query parameters of `req`, repeated names counted each time. */
    size_t (*req_query_count)(const gr_request *req);
    /**
     * Stores the decoded name and value of query parameter `index`, in the
     * order of the URL, so that repeated names (types[]=a&types[]=b) can be
     * read. The strings are borrowed until the response is sent. Returns 0,
     * or GR_PLUGIN_ENOTFOUND when `index` is past the last one.
     */
    int (*req_query_at)(const gr_request *req, size_t index, const char **name,
                        const char **value);

    /* Members added in ABI 1.4: check GR_PLUGIN_HOST_HAS(host, form_page_add) and so on. */

    /* -- Form pages -- */

    /**
     * Registers `page` for the POST form posts to its path, usually the
     * path of a page_add() page that shows the form. Before the render
     * function runs, the host checks the post as it checks the web UI's
     * own forms. The caller must be signed in (else 401, for browsers
     * too, since a post cannot be replayed after sign-in). A post of a
     * browser session must not come from another origin and must carry the session's CSRF token in the field
     * GR_PLUGIN_CSRF_FIELD or the X-CSRF-Token header (else 403). The host
     * then decodes the body, which must be application/x-www-form-urlencoded
     * (else 400), within the server's 1 MiB request body limit and with at
     * most GR_PLUGIN_FORM_MAX_FIELDS fields (else 413 for either). The
     * render function reads the fields with req_form() and req_form_at()
     * and responds as a page does: framed HTML, or a redirect with
     * GR_PLUGIN_PAGE_RAW. The descriptor is copied. Setup only. Returns 0,
     * GR_PLUGIN_EINVALID or GR_PLUGIN_ECONFLICT.
     */
    int (*form_page_add)(gr_plugin_ctx *ctx, const gr_plugin_page *page);
    /** Returns the number of decoded fields of a form page's request (0 for other requests). */
    size_t (*req_form_count)(const gr_request *req);
    /**
     * Stores the decoded name and value of form field `index`, in the
     * order of the body, so that repeated names can be read. The strings
     * are borrowed until the response is sent. Returns 0, or
     * GR_PLUGIN_ENOTFOUND when `index` is past the last field.
     */
    int (*req_form_at)(const gr_request *req, size_t index, const char **name, const char **value);
    /** Returns the decoded value of the first form field `name`, or NULL (borrowed as above). */
    const char *(*req_form)(const gr_request *req, const char *name);
    /**
     * Returns the CSRF token that a form posted to a form page must carry
     * in the field GR_PLUGIN_CSRF_FIELD, or "" when the caller's credential
     * needs none (a bearer token, which browsers do not send by
     * themselves). Borrowed until the response is sent.
     */
    const char *(*req_csrf_token)(gr_request *req);
    /** Appends the hidden input that carries req_csrf_token(req), or nothing when it is "". */
    void (*html_csrf_field)(gr_html *out, gr_request *req);

    /* -- Permission resources -- */

    /**
     * Registers the loader of one resource type (copied). Setup only.
     * Returns 0, GR_PLUGIN_EINVALID (also for "catalog-entity", which the
     * host reads from the catalog), or GR_PLUGIN_ECONFLICT when another
     * plugin registered that type.
     */
    int (*resource_loader_add)(gr_plugin_ctx *ctx, const gr_plugin_resource_loader *loader);

    /* -- Sign-in providers -- */

    /**
     * Registers a sign-in provider (gr_plugin_signin_provider). The
     * descriptor and its strings are copied; the payload is borrowed until
     * the destroy hook. The host reads the provider's sign-in resolvers from
     * auth.providers.<id>.<auth.environment>.signIn.resolvers, as Backstage
     * does. Setup only. Returns 0, GR_PLUGIN_EINVALID for a bad descriptor
     * or resolver config, GR_PLUGIN_ECONFLICT when the id is taken,
     * GR_PLUGIN_ELIMIT past 16 providers, or GR_PLUGIN_EBACKEND when the
     * host serves without sign-in.
     */
    int (*signin_provider_add)(gr_plugin_ctx *ctx, const gr_plugin_signin_provider *provider);

    /* New members go here, at the end, in a minor version. */
};

/** Whether `host` has member `member`: true when its struct_size covers it. */
#define GR_PLUGIN_HOST_HAS(host, member)                                                           \
    ((host)->struct_size >= offsetof(gr_host_api, member) + sizeof((host)->member))

/** Marks gr_plugin_init() exported when the plugin builds with hidden visibility. */
#define GR_PLUGIN_EXPORT __attribute__((visibility("default")))

/** The one function every plugin defines and exports. */
GR_PLUGIN_EXPORT int gr_plugin_init(const gr_host_api *host, const gr_plugin_info **out);

#ifdef __cplusplus
}
#endif

#endif
