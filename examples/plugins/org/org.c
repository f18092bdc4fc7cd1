/* SPDX-License-Identifier: MIT */
/* The org plugin: an entity provider that reads people and teams from an LDIF or CSV export. */
#include <errno.h>
#include <greenroom/plugin.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "directory.h"

/** Name of the provider; its source in the catalog is "org:directory". */
#define PROVIDER_NAME "directory"

typedef struct {
    const gr_host_api *host;
    gr_plugin_ctx *ctx;
    const char *file;
    org_format format;
    org_options options;

    pthread_mutex_t lock; /* guards the status below */
    int64_t last_run_ms;  /* end of the last run, 0 before the first */
    int64_t users;
    int64_t groups;
    char error[512]; /* error of the last run, "" after a success */
} org_state;

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the whole export. Returns 0 and *out (free()), or -1 with a message in `error`. */
static int read_export(const char *path, char **out, size_t *len, char *error, size_t size)
{
    FILE *file = fopen(path, "rb");
    char *data = NULL;
    size_t used = 0;
    size_t cap = 0;

    *out = NULL;
    if (file == NULL) {
        snprintf(error, size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;

        if (used + 65536 + 1 > cap) {
            cap = cap == 0 ? 131072 : cap * 2;
            data = realloc(data, cap);
        }
        got = fread(data + used, 1, cap - used - 1, file);
        used += got;
        if (used > ORG_MAX_FILE_BYTES) {
            snprintf(error, size, "%s is larger than %zu bytes", path, ORG_MAX_FILE_BYTES);
            fclose(file);
            free(data);
            return -1;
        }
        if (got == 0)
            break;
    }
    if (ferror(file)) {
        snprintf(error, size, "cannot read %s: %s", path, strerror(errno));
        fclose(file);
        free(data);
        return -1;
    }
    fclose(file);
    data[used] = '\0';
    *out = data;
    *len = used;
    return 0;
}

static void set_status(org_state *state, int64_t users, int64_t groups, const char *error)
{
    pthread_mutex_lock(&state->lock);
    state->last_run_ms = now_ms();
    if (error == NULL) {
        state->users = users;
        state->groups = groups;
        state->error[0] = '\0';
    } else {
        snprintf(state->error, sizeof(state->error), "%s", error);
    }
    pthread_mutex_unlock(&state->lock);
}

static int64_t count_kind(const json_t *entities, const char *kind)
{
    int64_t count = 0;
    size_t index;
    const json_t *entity;

    json_array_foreach (entities, index, entity) {
        if (strcmp(json_string_value(json_object_get(entity, "kind")), kind) == 0)
            count++;
    }
    return count;
}

/*
 * One provider run: read, convert, and replace what the provider supplied
 * last time. A file that cannot be read or parsed changes nothing in the
 * catalog, so a broken export never deletes the organisation.
 */
static int run_provider(gr_provider_run *run, void *payload)
{
    org_state *state = payload;
    const gr_host_api *host = state->host;
    char error[512] = "";
    json_t *entities = NULL;
    char *text = NULL;
    char *json = NULL;
    size_t len = 0;
    int rc = GR_PLUGIN_OK;

    if (read_export(state->file, &text, &len, error, sizeof(error)) < 0 ||
        org_directory_convert(text, len, state->format, &state->options, &entities, error,
                              sizeof(error)) < 0) {
        rc = host->error_set(GR_PLUGIN_EINVALID, "%s: %s", state->file, error);
        set_status(state, 0, 0, host->error_last());
        goto done;
    }
    json = json_dumps(entities, JSON_COMPACT);
    if ((rc = host->provider_apply_full(run, json)) < 0) {
        set_status(state, 0, 0, host->error_last());
        goto done;
    }
    set_status(state, count_kind(entities, "User"), count_kind(entities, "Group"), NULL);
    host->log(state->ctx, GR_PLUGIN_LOG_INFO, "read %s: %lld users, %lld groups", state->file,
              (long long)count_kind(entities, "User"), (long long)count_kind(entities, "Group"));
done:
    free(text);
    free(json);
    json_decref(entities);
    return rc;
}

/* GET /api/org/status: what the last run read. */
static int status_route(gr_request *req, gr_response *res, void *payload)
{
    org_state *state = payload;
    json_t *body = json_object();
    char *text;
    int rc;

    (void)req;
    pthread_mutex_lock(&state->lock);
    json_object_set_new(body, "source", json_string(state->file));
    json_object_set_new(body, "format",
                        json_string(state->format == ORG_FORMAT_LDIF ? "ldif" : "csv"));
    json_object_set_new(body, "lastRunMs",
                        state->last_run_ms ? json_integer(state->last_run_ms) : json_null());
    json_object_set_new(body, "users", json_integer(state->users));
    json_object_set_new(body, "groups", json_integer(state->groups));
    json_object_set_new(body, "error",
                        state->error[0] != '\0' ? json_string(state->error) : json_null());
    pthread_mutex_unlock(&state->lock);
    text = json_dumps(body, JSON_COMPACT);
    rc = state->host->res_json(res, 200, text);
    free(text);
    json_decref(body);
    return rc;
}

/* POST /api/org/refresh: runs the provider now instead of at its next interval. */
static int refresh_route(gr_request *req, gr_response *res, void *payload)
{
    org_state *state = payload;
    int rc = state->host->job_trigger(state->ctx, "provider:" PROVIDER_NAME);

    (void)req;
    if (rc < 0 && rc != GR_PLUGIN_ECONFLICT)
        return rc;
    return state->host->res_json(res, 202, "{\"status\":\"scheduled\"}");
}

static org_format format_of(const char *format, const char *file)
{
    size_t len = strlen(file);

    if (format != NULL)
        return strcmp(format, "csv") == 0 ? ORG_FORMAT_CSV : ORG_FORMAT_LDIF;
    return len > 4 && strcmp(file + len - 4, ".csv") == 0 ? ORG_FORMAT_CSV : ORG_FORMAT_LDIF;
}

static int setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    org_state *state = host->alloc(sizeof(*state));
    const char *format = host->config_string(ctx, "format", NULL);
    gr_plugin_provider provider = {
        .struct_size = sizeof(provider),
        .name = PROVIDER_NAME,
        .interval_ms = host->config_int(ctx, "intervalSeconds", 3600) * 1000,
        .timeout_ms = 10 * 60 * 1000,
        .run = run_provider,
        .payload = state,
    };
    int rc;

    memset(state, 0, sizeof(*state));
    pthread_mutex_init(&state->lock, NULL);
    state->host = host;
    state->ctx = ctx;
    state->file = host->config_string(ctx, "file", "");
    state->format = format_of(format, state->file);
    state->options.namespace_name = host->config_string(ctx, "namespace", "default");
    state->options.group_type = host->config_string(ctx, "groupType", "team");
    *out = state;
    if (format != NULL && strcmp(format, "csv") != 0 && strcmp(format, "ldif") != 0)
        return host->error_set(GR_PLUGIN_EINVALID, "format '%s' is invalid; use ldif or csv",
                               format);
    if (provider.interval_ms <= 0)
        return host->error_set(GR_PLUGIN_EINVALID, "intervalSeconds must be positive");
    if ((rc = host->provider_add(ctx, &provider)) < 0 ||
        (rc = host->route(ctx, "GET", "/status", 0, status_route, state)) < 0 ||
        (rc = host->route(ctx, "POST", "/refresh", 0, refresh_route, state)) < 0)
        return rc;
    return GR_PLUGIN_OK;
}

static void destroy(void *payload)
{
    org_state *state = payload;

    if (state == NULL)
        return;
    pthread_mutex_destroy(&state->lock);
    state->host->free(state);
}

static const gr_plugin_config_key config_keys[] = {
    {.path = "file", .types = GR_PLUGIN_CONFIG_STRING, .required = 1,
     .description = "The export to read: an LDIF (.ldif) or CSV (.csv) file."},
    {.path = "format", .types = GR_PLUGIN_CONFIG_STRING,
     .description = "ldif or csv; by default taken from the file name's extension."},
    {.path = "namespace", .types = GR_PLUGIN_CONFIG_STRING, .default_json = "\"default\"",
     .description = "Namespace of the User and Group entities."},
    {.path = "groupType", .types = GR_PLUGIN_CONFIG_STRING, .default_json = "\"team\"",
     .description = "spec.type of every Group."},
    {.path = "intervalSeconds", .types = GR_PLUGIN_CONFIG_INTEGER, .default_json = "3600",
     .description = "Time between two reads of the export, in seconds."},
    {.path = NULL},
};

static const gr_plugin_info org_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "org",
    .version = "1.0.0",
    .description = "people and teams from an LDIF or CSV export as User and Group entities",
    .config_keys = config_keys,
    .setup = setup,
    .destroy = destroy,
};

int gr_plugin_init(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &org_info;
    return GR_PLUGIN_OK;
}
