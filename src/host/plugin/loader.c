/* SPDX-License-Identifier: MIT */
/* Loading plugins: dlopen, ABI version checks, config, and the life cycle of each context. */
#include <ctype.h>
#include <dlfcn.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"
#include "host/permission/permission.h"
#include "host/permission/resource.h"
#include "host/plugin/ctx.h"
#include "host/plugin/migrate.h"
#include "host/plugin/plugin.h"
#include "host/plugin/services.h"

/* Smallest gr_plugin_info a 1.x plugin may return: everything up to destroy. */
#define INFO_MIN_SIZE (offsetof(gr_plugin_info, destroy) + sizeof(void (*)(void *)))

/* ---- Contexts and the registry of live contexts ---- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static gr_plugin_ctx *registry_items[2 * GR_PLUGIN_MAX_LOADED];
static size_t registry_count;

void gr_plugin__registry_add(gr_plugin_ctx *ctx)
{
    pthread_mutex_lock(&registry_lock);
    if (registry_count < sizeof(registry_items) / sizeof(registry_items[0]))
        registry_items[registry_count++] = ctx;
    pthread_mutex_unlock(&registry_lock);
}

void gr_plugin__registry_remove(gr_plugin_ctx *ctx)
{
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_count; i++) {
        if (registry_items[i] != ctx)
            continue;
        memmove(&registry_items[i], &registry_items[i + 1],
                (registry_count - i - 1) * sizeof(registry_items[0]));
        registry_count--;
        break;
    }
    pthread_mutex_unlock(&registry_lock);
}

gr_plugin_ctx *const *gr_plugin__registry(size_t *count)
{
    *count = registry_count;
    return registry_items;
}

int gr_plugin__list_push(gr_plugin__list *list, void *item)
{
    if (list->count >= GR_PLUGIN_MAX_ITEMS)
        return gr_error_set(GR_ELIMIT, "more than %d registrations of one kind",
                            GR_PLUGIN_MAX_ITEMS);
    if (list->items == NULL)
        list->items = gr_xcalloc(GR_PLUGIN_MAX_ITEMS, sizeof(void *));
    list->items[list->count++] = item;
    return GR_OK;
}

void gr_plugin__list_free(gr_plugin__list *list, void (*free_item)(void *item))
{
    for (size_t i = 0; i < list->count; i++)
        free_item(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

int gr_plugin__check_setup(const gr_plugin_ctx *ctx, const char *function)
{
    if (ctx == NULL || !ctx->in_setup)
        return gr_error_set(GR_EINVALID, "plugin %s: %s may only be called from setup",
                            ctx != NULL ? ctx->id : "?", function);
    return GR_OK;
}

gr_plugin_ctx *gr_plugin__ctx_new(const char *id)
{
    gr_plugin_ctx *ctx = gr_xcalloc(1, sizeof(*ctx));

    ctx->id = gr_xstrdup(id != NULL ? id : "");
    ctx->config_index = -1;
    return ctx;
}

static void free_simple(void *item)
{
    free(item);
}

static void free_page(void *item)
{
    gr_plugin__page *page = item;

    free(page->path);
    free(page->title);
    free(page);
}

static void free_nav(void *item)
{
    gr_plugin__nav *nav = item;

    free(nav->label);
    free(nav->path);
    free(nav->icon);
    free(nav);
}

static void free_named(void *item)
{
    gr_plugin__named *named = item;

    free(named->name);
    free(named);
}

static void free_provider(void *item)
{
    gr_plugin__provider *provider = item;

    free(provider->name);
    free(provider->source_key);
    free(provider);
}

void gr_plugin__ctx_free(gr_plugin_ctx *ctx)
{
    if (ctx == NULL)
        return;
    gr_plugin__services_remove(ctx);
    gr_permission_resource_remove(ctx);
    gr_plugin__list_free(&ctx->loaders, gr_plugin__loader_free);
    gr_plugin__list_free(&ctx->routes, free_simple);
    gr_plugin__list_free(&ctx->pages, free_page);
    gr_plugin__list_free(&ctx->navs, free_nav);
    gr_plugin__list_free(&ctx->tabs, gr_plugin__view_free);
    gr_plugin__list_free(&ctx->cards, gr_plugin__view_free);
    gr_plugin__list_free(&ctx->providers, free_provider);
    gr_plugin__list_free(&ctx->processors, gr_plugin__processor_free);
    gr_plugin__list_free(&ctx->collators, free_named);
    gr_plugin__list_free(&ctx->actions, gr_plugin__action_free);
    gr_plugin__list_free(&ctx->permissions, gr_plugin__permission_free);
    gr_plugin__list_free(&ctx->jobs, free_named);
    gr_plugin__list_free(&ctx->hooks, free_simple);
    json_decref(ctx->config);
    free(ctx->id);
    free(ctx->path);
    free(ctx->version);
    free(ctx->description);
    free(ctx);
}

/* ---- Opening one plugin ---- */

bool gr_plugin__id_valid(const char *id)
{
    size_t len = id != NULL ? strlen(id) : 0;

    if (len == 0 || len > GR_PLUGIN_ID_MAX || !islower((unsigned char)id[0]))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];

        if (!islower(c) && !isdigit(c) && c != '-')
            return false;
    }
    return true;
}

const gr_plugin_config_key *gr_plugin__top_config_keys(const gr_plugin_info *info)
{
    if (info->struct_size < offsetof(gr_plugin_info, top_config_keys) + sizeof(void *))
        return NULL;
    return info->top_config_keys;
}

gr_plugin_config_key *gr_plugin__config_keys_copy(const gr_plugin_info *info,
                                                  const gr_plugin_config_key *keys)
{
    /* Plugins built before ABI 1.4 declare arrays of the shorter struct. */
    size_t stride = GR_PLUGIN_ABI_MINOR_OF(info->abi_version) >= 4
                        ? sizeof(gr_plugin_config_key)
                        : offsetof(gr_plugin_config_key, allowed);
    const unsigned char *at = (const unsigned char *)keys;
    gr_plugin_config_key *out;
    size_t count = 0;

    if (keys == NULL)
        return NULL;
    while (((const gr_plugin_config_key *)(const void *)(at + count * stride))->path != NULL)
        count++;
    out = gr_xcalloc(count + 1, sizeof(*out));
    for (size_t i = 0; i < count; i++)
        memcpy(&out[i], at + i * stride, stride);
    return out;
}

/* Checks what gr_plugin_init() returned; `name` is the file or built-in for messages. */
static int check_info(const char *name, const gr_plugin_info *info)
{
    uint32_t major;
    uint32_t minor;

    if (info == NULL)
        return gr_error_set(GR_ERROR, "plugin %s: gr_plugin_init returned no plugin info", name);
    major = GR_PLUGIN_ABI_MAJOR_OF(info->abi_version);
    minor = GR_PLUGIN_ABI_MINOR_OF(info->abi_version);
    if (major != GR_PLUGIN_ABI_MAJOR || minor > GR_PLUGIN_ABI_MINOR)
        return gr_error_set(GR_ERROR,
                            "plugin %s was built for plugin ABI %u.%u, but this greenroom "
                            "(%s) provides ABI %d.%d; rebuild the plugin against the headers "
                            "of this version",
                            name, major, minor, GR_VERSION, GR_PLUGIN_ABI_MAJOR,
                            GR_PLUGIN_ABI_MINOR);
    if (info->struct_size < INFO_MIN_SIZE)
        return gr_error_set(GR_ERROR,
                            "plugin %s: its gr_plugin_info has %u bytes, fewer than the %zu "
                            "of ABI %d.0",
                            name, info->struct_size, (size_t)INFO_MIN_SIZE,
                            GR_PLUGIN_ABI_MAJOR);
    if (!gr_plugin__id_valid(info->id))
        return gr_error_set(GR_ERROR,
                            "plugin %s: id '%s' is invalid; use lower-case letters, digits and "
                            "'-', starting with a letter, at most %d bytes",
                            name, info->id != NULL ? info->id : "(null)", GR_PLUGIN_ID_MAX);
    return GR_OK;
}

static gr_plugin_ctx *ctx_from_info(const gr_plugin_info *info)
{
    gr_plugin_ctx *ctx = gr_plugin__ctx_new(info->id);

    ctx->info = info;
    ctx->version = gr_xstrdup(info->version != NULL ? info->version : "");
    ctx->description = gr_xstrdup(info->description != NULL ? info->description : "");
    return ctx;
}

int gr_plugin_open(const char *path, gr_plugin_ctx **out)
{
    const gr_plugin_info *info = NULL;
    gr_plugin_init_fn entry;
    void *library;
    void *symbol;
    int rc;

    *out = NULL;
    library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL)
        return gr_error_set(GR_ERROR, "plugin %s could not be loaded: %s", path, dlerror());
    symbol = dlsym(library, GR_PLUGIN_ENTRY_SYMBOL);
    if (symbol == NULL) {
        dlclose(library);
        return gr_error_set(GR_ERROR, "plugin %s does not export %s(); is it a greenroom plugin?",
                            path, GR_PLUGIN_ENTRY_SYMBOL);
    }
    /* POSIX guarantees that a data pointer from dlsym() converts to a function pointer. */
    memcpy(&entry, &symbol, sizeof(entry));
    gr_error_clear();
    rc = entry(gr_plugin__api(), &info);
    if (rc < 0) {
        rc = gr_error_wrap(GR_ERROR, "plugin %s: gr_plugin_init failed", path);
        dlclose(library);
        return rc;
    }
    if ((rc = check_info(path, info)) == GR_OK && gr_plugin__top_config_keys(info) != NULL)
        rc = gr_error_set(GR_ERROR,
                          "plugin %s: top_config_keys are for built-in plugins only; declare "
                          "config_keys, which are read from the plugin's entry under `plugins:`",
                          path);
    if (rc < 0) {
        dlclose(library);
        return rc;
    }
    *out = ctx_from_info(info);
    (*out)->library = library;
    (*out)->path = gr_xstrdup(path);
    return GR_OK;
}

void gr_plugin_close(gr_plugin_ctx *ctx)
{
    void *library;

    if (ctx == NULL)
        return;
    library = ctx->library;
    gr_plugin__ctx_free(ctx);
    if (library != NULL)
        dlclose(library);
}

int gr_plugin__setup(gr_plugin_ctx *ctx, gr_host *host)
{
    int rc;

    ctx->host = host;
    if ((rc = gr_plugin__migrate_declared(ctx, host->db)) < 0)
        return gr_error_wrap(rc, "plugin %s (%s): migrations", ctx->id,
                             ctx->path != NULL ? ctx->path : "built-in");
    if (ctx->info->setup == NULL) {
        ctx->set_up = true;
        return GR_OK;
    }
    gr_error_clear();
    ctx->in_setup = true;
    rc = ctx->info->setup(gr_plugin__api(), ctx, &ctx->state);
    ctx->in_setup = false;
    if (rc != GR_OK) {
        if (gr_error_last()[0] == '\0')
            gr_error_set(GR_ERROR, "setup returned %d without a message", rc);
        /* Whatever it registered stays inert (set_up is false), so its
         * state can go now, after the services it published. */
        gr_plugin__services_remove(ctx);
        gr_permission_resource_remove(ctx);
        gr_plugin__signins_remove(ctx);
        if (ctx->state != NULL && ctx->info->destroy != NULL) {
            char message[GR_ERROR_MAX];

            snprintf(message, sizeof(message), "%s", gr_error_last());
            ctx->info->destroy(ctx->state);
            gr_error_set(GR_ERROR, "%s", message);
        }
        ctx->state = NULL;
        /* Any failure of a shared-library plugin's setup is a start-up
         * failure (exit status 1), whatever code it returned. A built-in
         * keeps its code, so that a bad setting it reads (GR_EINVALID)
         * still ends `serve` with the configuration error status 2. */
        if (ctx->path == NULL)
            return gr_error_wrap(rc < 0 ? rc : GR_ERROR, "plugin %s (built-in) failed to set up",
                                 ctx->id);
        return gr_error_wrap(GR_ERROR, "plugin %s (%s) failed to set up", ctx->id, ctx->path);
    }
    ctx->set_up = true;
    return GR_OK;
}

static int ctx_start(gr_plugin_ctx *ctx)
{
    int rc;

    if (!ctx->set_up || ctx->info->start == NULL) {
        ctx->started = ctx->set_up;
        return GR_OK;
    }
    if ((rc = ctx->info->start(ctx->state)) < 0)
        return gr_error_wrap(GR_ERROR, "plugin %s failed to start", ctx->id);
    ctx->started = true;
    return GR_OK;
}

static void ctx_stop(gr_plugin_ctx *ctx)
{
    if (ctx->started && ctx->info->stop != NULL)
        ctx->info->stop(ctx->state);
    ctx->started = false;
}

static void ctx_destroy(gr_plugin_ctx *ctx)
{
    gr_plugin__registry_remove(ctx);
    if (ctx->set_up && ctx->info->destroy != NULL)
        ctx->info->destroy(ctx->state);
    ctx->set_up = false;
}

/* ---- The loader, a built-in plugin definition ---- */

typedef struct {
    gr_plugin_ctx *items[GR_PLUGIN_MAX_LOADED];
    size_t count;
} loader_state;

char *gr_plugin__resolve_path(const gr_config *cfg, int index, const char *path)
{
    char *where = gr_xasprintf("plugins[%d].path", index);
    const char *file = NULL;
    char *copy;
    char *result;

    if (path[0] == '/' || gr_config_origin(cfg, where, &file, NULL) < 0 || file == NULL ||
        strchr(file, '/') == NULL) {
        free(where);
        return gr_xstrdup(path);
    }
    /* A relative path is relative to the folder of the config file that names it. */
    copy = gr_xstrdup(file);
    result = gr_xasprintf("%s/%s", dirname(copy), path);
    free(copy);
    free(where);
    return result;
}

static int load_entry(loader_state *loader, gr_host *host, const json_t *entry, int index)
{
    const char *path = json_string_value(json_object_get(entry, "path"));
    bool optional = json_is_true(json_object_get(entry, "optional"));
    char *where = gr_xasprintf("plugins[%d].config", index);
    char *resolved = gr_plugin__resolve_path(host->config, index, path != NULL ? path : "");
    gr_plugin_ctx *ctx = NULL;
    int rc = gr_plugin_open(resolved, &ctx);

    if (rc == GR_OK) {
        ctx->optional = optional;
        ctx->config_index = index;
        ctx->host = host;
        ctx->config = json_deep_copy(json_object_get(entry, "config"));
        rc = gr_plugin__config_check(ctx, where);
        if (rc == GR_OK)
            rc = gr_plugin__permissions_declare(ctx);
        if (rc == GR_OK)
            gr_plugin__registry_add(ctx);
        if (rc == GR_OK)
            rc = gr_plugin__setup(ctx, host);
    }
    if (rc != GR_OK && optional) {
        gr_log_fields(GR_LOG_WARN, "plugin", "optional plugin skipped", "path", resolved,
                      "error", gr_error_last(), NULL);
        /* The rules may name permissions that only the skipped plugin declares. */
        if (host->permissions != NULL)
            gr_permission_policy_tolerate_missing(host->permissions);
        if (ctx != NULL)
            gr_plugin__registry_remove(ctx);
        /* Routes and jobs registered before a failed setup stay with the
         * server (inert), so the context and library stay loaded until shutdown. */
        if (ctx != NULL)
            loader->items[loader->count++] = ctx;
        rc = GR_OK;
    } else if (rc == GR_OK) {
        loader->items[loader->count++] = ctx;
        gr_log_fields(GR_LOG_INFO, "plugin", "plugin loaded", "plugin", ctx->id, "version",
                      ctx->version, "path", resolved, NULL);
    } else if (ctx != NULL) {
        loader->items[loader->count++] = ctx;
    }
    free(where);
    free(resolved);
    return rc;
}

static void loader_destroy(void *state);

static int loader_init(gr_host *host, void **state_out)
{
    const json_t *list = gr_config_node(host->config, "plugins");
    loader_state *loader = gr_xcalloc(1, sizeof(*loader));
    size_t index;
    const json_t *entry;
    int rc = gr_plugin__ui_routes(host);

    *state_out = loader;
    if (rc == GR_OK && json_array_size(list) > GR_PLUGIN_MAX_LOADED)
        rc = gr_error_set(GR_EINVALID, "plugins: more than %d entries", GR_PLUGIN_MAX_LOADED);
    json_array_foreach (rc == GR_OK ? list : NULL, index, entry) {
        if ((rc = load_entry(loader, host, entry, (int)index)) < 0)
            break;
    }
    if (rc < 0) {
        /* serve calls no hook of a definition whose init failed, so this
         * one cleans up itself. Nothing runs yet: the server and the
         * scheduler start after every init. */
        loader_destroy(loader);
        *state_out = NULL;
    }
    return rc;
}

static int loader_start(void *state)
{
    loader_state *loader = state;
    int rc;

    for (size_t i = 0; i < loader->count; i++) {
        if (loader->items[i]->optional && !loader->items[i]->set_up)
            continue;
        if ((rc = ctx_start(loader->items[i])) < 0)
            return rc;
    }
    return GR_OK;
}

static void loader_stop(void *state)
{
    loader_state *loader = state;

    for (size_t i = loader->count; i-- > 0;)
        ctx_stop(loader->items[i]);
}

static void loader_destroy(void *state)
{
    loader_state *loader = state;

    if (loader == NULL)
        return;
    for (size_t i = loader->count; i-- > 0;) {
        ctx_stop(loader->items[i]);
        ctx_destroy(loader->items[i]);
        gr_plugin_close(loader->items[i]);
    }
    free(loader);
}

/*
 * Applies the declared migrations of every plugin under `plugins:` without
 * calling its setup: `greenroom db migrate` runs this instead of init. A
 * plugin that applies migrations only through host->db_migrate() in setup
 * gets them at its first `serve`. An optional plugin that fails to load is
 * skipped with a warning, as serve skips it.
 */
static int loader_migrate(gr_host *host)
{
    const json_t *list = gr_config_node(host->config, "plugins");
    size_t index;
    const json_t *entry;
    int rc = GR_OK;

    if (json_array_size(list) > GR_PLUGIN_MAX_LOADED)
        return gr_error_set(GR_EINVALID, "plugins: more than %d entries", GR_PLUGIN_MAX_LOADED);
    json_array_foreach (list, index, entry) {
        const char *path = json_string_value(json_object_get(entry, "path"));
        bool optional = json_is_true(json_object_get(entry, "optional"));
        char *resolved = gr_plugin__resolve_path(host->config, (int)index, path ? path : "");
        gr_plugin_ctx *ctx = NULL;

        rc = gr_plugin_open(resolved, &ctx);
        if (rc == GR_OK)
            rc = gr_plugin__migrate_declared(ctx, host->db);
        if (rc < 0 && optional) {
            gr_log_fields(GR_LOG_WARN, "plugin", "optional plugin skipped", "path", resolved,
                          "error", gr_error_last(), NULL);
            rc = GR_OK;
        } else if (rc < 0) {
            rc = gr_error_wrap(rc, "plugins[%zu] %s", index, resolved);
        }
        gr_plugin_close(ctx);
        free(resolved);
        if (rc < 0)
            break;
    }
    return rc;
}

static const gr_config_key loader_keys[] = {
    {.path = "plugins", .types = GR_CONFIG_ARRAY, .default_json = "[]",
     .description = "Plugins loaded from shared libraries at start, in this order."},
    {.path = "plugins[].path", .types = GR_CONFIG_STRING, .required = true,
     .description = "The plugin's shared library (.so); a relative path is relative to the "
                    "folder of the config file that names it."},
    {.path = "plugins[].optional", .types = GR_CONFIG_BOOLEAN,
     .description = "When true, a plugin that fails to load or set up is skipped with a "
                    "warning instead of stopping the start. Default: false."},
    {.path = "plugins[].config", .types = GR_CONFIG_OBJECT,
     .description = "The plugin's own configuration, checked against the keys it declares."},
    {.path = NULL},
};

const gr_plugin_def gr_plugin_loader_def = {
    .id = "loader",
    .description = "loads the plugins listed under `plugins:` from shared libraries",
    .init = loader_init,
    .start = loader_start,
    .stop = loader_stop,
    .destroy = loader_destroy,
    .config_keys = loader_keys,
    .migrate = loader_migrate,
};

/* ---- The adapter for built-ins written against the ABI ---- */

int gr_plugin_adapter_init(gr_host *host, gr_plugin_init_fn entry, void **state_out)
{
    const gr_plugin_info *info = NULL;
    gr_plugin_ctx *ctx;
    int rc;

    *state_out = NULL;
    if ((rc = entry(gr_plugin__api(), &info)) < 0)
        return rc;
    if ((rc = check_info("built-in", info)) < 0)
        return rc;
    ctx = ctx_from_info(info);
    ctx->config = json_object();
    if ((rc = gr_plugin__config_check(ctx, "built-in config")) == GR_OK)
        gr_plugin__registry_add(ctx);
    if (rc == GR_OK)
        rc = gr_plugin__setup(ctx, host);
    if (rc != GR_OK) {
        gr_plugin__registry_remove(ctx);
        gr_plugin__ctx_free(ctx);
        return rc;
    }
    *state_out = ctx;
    return GR_OK;
}

int gr_plugin_adapter_migrate(gr_host *host, gr_plugin_init_fn entry)
{
    const gr_plugin_info *info = NULL;
    gr_plugin_ctx *ctx;
    int rc;

    if ((rc = entry(gr_plugin__api(), &info)) < 0 || (rc = check_info("built-in", info)) < 0)
        return rc;
    ctx = ctx_from_info(info);
    rc = gr_plugin__migrate_declared(ctx, host->db);
    if (rc < 0)
        rc = gr_error_wrap(rc, "plugin %s (built-in): migrations", ctx->id);
    gr_plugin__ctx_free(ctx);
    return rc;
}

gr_host *gr_plugin_builtin_host(const gr_plugin_ctx *ctx)
{
    return ctx != NULL && ctx->path == NULL ? ctx->host : NULL;
}

int gr_plugin_adapter_start(void *state)
{
    return ctx_start(state);
}

void gr_plugin_adapter_stop(void *state)
{
    ctx_stop(state);
}

void gr_plugin_adapter_destroy(void *state)
{
    if (state == NULL)
        return;
    ctx_destroy(state);
    gr_plugin__ctx_free(state);
}

int gr_plugin_adapter_def(gr_plugin_init_fn entry, int (*init)(gr_host *, void **),
                          gr_plugin_def *out)
{
    const gr_plugin_info *info = NULL;
    gr_cli_command *commands;
    size_t count = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = entry(gr_plugin__api(), &info)) < 0 || (rc = check_info("built-in", info)) < 0)
        return rc;
    while (info->commands != NULL && info->commands[count].name != NULL)
        count++;
    commands = gr_xcalloc(count + 1, sizeof(*commands));
    for (size_t i = 0; i < count; i++) {
        commands[i].name = info->commands[i].name;
        commands[i].summary = info->commands[i].summary;
        commands[i].usage = info->commands[i].usage;
        commands[i].run = info->commands[i].run;
    }
    out->id = info->id;
    out->description = info->description;
    out->init = init;
    out->start = gr_plugin_adapter_start;
    out->stop = gr_plugin_adapter_stop;
    out->destroy = gr_plugin_adapter_destroy;
    out->commands = commands;
    return GR_OK;
}
