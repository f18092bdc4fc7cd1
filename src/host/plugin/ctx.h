/* SPDX-License-Identifier: MIT */
/* The host's record of one plugin loaded through the ABI, shared by the files of src/host/plugin/. */
#ifndef GR_HOST_PLUGIN_CTX_H
#define GR_HOST_PLUGIN_CTX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "greenroom/plugin.h"
#include "host/common/buf.h"
#include "host/config/config.h"
#include "host/host.h"

typedef struct gr_host gr_host;

/** Maximum length of a plugin id, in bytes. */
#define GR_PLUGIN_ID_MAX 32
/*
 * NOTE: descriptor checks compare struct_size with sizeof, which equals the
 * ABI 1.0 size of each struct. When a minor version appends members, the
 * checks must compare with the 1.0 size instead and treat the members a
 * smaller struct lacks as unset.
 */

/** Maximum number of services published by all plugins together (host->service_publish()). */
#define GR_PLUGIN_MAX_SERVICES 64
/** Maximum length of a service name, in bytes. */
#define GR_PLUGIN_SERVICE_NAME_MAX 64

/** Maximum number of registrations of one kind (routes excluded) per plugin. */
#define GR_PLUGIN_MAX_ITEMS 64

/* An HTML output buffer handed to renderers, with the frame of a page. */
struct gr_html {
    gr_buf buf;
    gr_response *res; /* the page's response, or NULL for a tab or card (borrowed) */
    int status;
    char *title;
    unsigned flags;
    int refresh_seconds;
    char *stylesheet;
    char *crumb_labels[GR_PLUGIN_PAGE_MAX_CRUMBS];
    char *crumb_hrefs[GR_PLUGIN_PAGE_MAX_CRUMBS];
    size_t crumb_count;
};

/** Frees what `out` owns and leaves it empty. */
void gr_plugin__html_free(gr_html *out);

/** One entity tab or card as registered (strings owned). */
typedef struct {
    gr_plugin_ctx *ctx; /* the plugin that registered it (borrowed) */
    char *id;
    char *label;
    int order;
    char *kinds;
    char *types;
    char *annotation;
    gr_plugin_applies_fn applies;
    gr_plugin_entity_fn render;
    void *payload;
} gr_plugin__view;

/** One page (strings owned). */
typedef struct {
    gr_plugin_ctx *ctx;
    char *path;
    char *title;
    gr_plugin_page_fn render;
    void *payload;
} gr_plugin__page;

/** One sidebar entry (strings owned). */
typedef struct {
    char *label;
    char *path;
    char *icon;
    int order;
} gr_plugin__nav;

/** One entity provider (strings owned). */
typedef struct {
    gr_plugin_ctx *ctx;
    char *name;
    char *source_key; /* "<plugin-id>:<name>", the provider name in the catalog */
    gr_plugin_provider def;
} gr_plugin__provider;

/** One scheduled job. Like every record freed by name, its name comes first. */
typedef struct {
    char *name;
    gr_plugin_ctx *ctx;
    gr_plugin_job_fn fn;
    void *payload;
} gr_plugin__job;

/** The first member of records that own only their name. */
typedef struct {
    char *name;
} gr_plugin__named;

/** One route, the payload of the host's wrapper handler. */
typedef struct {
    gr_plugin_ctx *ctx;
    gr_plugin_handler handler;
    void *payload;
} gr_plugin__route;

/** One catalog change hook. */
typedef struct {
    gr_plugin_ctx *ctx;
    gr_plugin_entity_changed_fn fn;
    void *payload;
} gr_plugin__hook;

/** A growable array of one registration kind. */
typedef struct {
    void **items;
    size_t count;
} gr_plugin__list;

struct gr_plugin_ctx {
    char *id;
    char *path;    /* the shared library as configured, or NULL for a built-in */
    char *version; /* copied from the info */
    char *description;
    bool optional;
    void *library; /* dlopen handle, or NULL */
    const gr_plugin_info *info;
    gr_host *host; /* borrowed; NULL outside `serve` */
    json_t *config; /* the plugin's config object with defaults filled in (owned) */
    int config_index; /* index under `plugins:`, or -1 */
    void *state;
    bool set_up;
    bool started;
    bool in_setup; /* registrations are allowed */

    gr_plugin__list routes;
    gr_plugin__list pages;
    gr_plugin__list navs;
    gr_plugin__list tabs;
    gr_plugin__list cards;
    gr_plugin__list providers;
    gr_plugin__list processors;
    gr_plugin__list collators;
    gr_plugin__list actions;
    gr_plugin__list permissions;
    gr_plugin__list jobs;
    gr_plugin__list hooks;
};

/** Returns the table of host services (static, lives for the process). */
const gr_host_api *gr_plugin__api(void);

/** Returns whether `id` is a valid plugin id (see gr_plugin_info.id). */
bool gr_plugin__id_valid(const char *id);

/** Makes a context for plugin `id` with no library. Caller frees with gr_plugin__ctx_free(). */
gr_plugin_ctx *gr_plugin__ctx_new(const char *id);

/** Frees a context and every registration it owns (not the library). NULL-safe. */
void gr_plugin__ctx_free(gr_plugin_ctx *ctx);

/** Appends `item` (owned) to `list`; GR_ELIMIT past GR_PLUGIN_MAX_ITEMS. */
int gr_plugin__list_push(gr_plugin__list *list, void *item);

/** Frees `list` and calls `free_item` on each item. */
void gr_plugin__list_free(gr_plugin__list *list, void (*free_item)(void *item));

/** Fails with GR_EINVALID unless `ctx` is inside its setup hook; `function` names the call. */
int gr_plugin__check_setup(const gr_plugin_ctx *ctx, const char *function);

/**
 * Checks the config of `ctx` (ctx->config, the object under `plugins[i].config`)
 * against the keys its info declares and fills in defaults. `where` names the
 * config position for messages. Returns 0 or GR_EINVALID listing the problems.
 */
int gr_plugin__config_check(gr_plugin_ctx *ctx, const char *where);

/**
 * Resolves the path of entry `index` under `plugins:`: a relative path is
 * relative to the folder of the config file that names it. Caller frees.
 */
char *gr_plugin__resolve_path(const gr_config *cfg, int index, const char *path);

/** Returns the value at a relative path such as "a.b[2].c" inside `root`, or NULL. */
const json_t *gr_plugin__json_path(const json_t *root, const char *path);

/** Runs the ctx's setup hook (registrations allowed only meanwhile). */
int gr_plugin__setup(gr_plugin_ctx *ctx, gr_host *host);

/** Checks whether an entity (JSON) matches the kinds, types and annotation of a view. */
bool gr_plugin__view_matches(const gr_plugin__view *view, const json_t *entity,
                             const char *entity_text);

/** Frees a processor record of ctx->processors. */
void gr_plugin__processor_free(void *item);

/** Frees an action record of ctx->actions. */
void gr_plugin__action_free(void *item);

/**
 * Declares the permissions that the info of `ctx` lists, as permission_add()
 * does, before setup. Returns 0, GR_EINVALID for a malformed one or
 * GR_ECONFLICT for a name that exists.
 */
int gr_plugin__permissions_declare(gr_plugin_ctx *ctx);

/** Frees a permission record of ctx->permissions. */
void gr_plugin__permission_free(void *item);

/** Frees a gr_plugin__view. */
void gr_plugin__view_free(void *item);

/** Copies a tab or card descriptor after checking it. Returns 0 or GR_EINVALID. */
int gr_plugin__view_copy(const gr_plugin_entity_view *in, gr_plugin__view **out);

/*
 * The set of live contexts, which pages and entity views are read from.
 * gr_plugin__registry_add/remove lock; the readers run while serving, after
 * every setup, when the set no longer changes.
 */
void gr_plugin__registry_add(gr_plugin_ctx *ctx);
void gr_plugin__registry_remove(gr_plugin_ctx *ctx);
/** Returns the live contexts in load order and their number (borrowed). */
gr_plugin_ctx *const *gr_plugin__registry(size_t *count);

/** Registers the host-side UI routes (entity views) once on `host->http`. */
int gr_plugin__ui_routes(gr_host *host);

/**
 * Renders the plain page layout around `body` into `out`, with the title,
 * heading, stylesheet and refresh of `frame` (NULL for none).
 */
void gr_plugin__layout(gr_buf *out, gr_host *host, const char *title, const char *body,
                       const char *active_path, const gr_html *frame);

#endif
