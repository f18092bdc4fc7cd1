/* SPDX-License-Identifier: MIT */
/* `greenroom serve`: wires the host services and the plugins together. */
#include "host/serve/serve.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/auth/auth.h"
#include "host/auth/routes.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/log/log.h"
#include "host/permission/permission.h"
#include "host/plugin/plugin.h"
#include "host/registry/registry.h"
#include "host/sched/sched.h"
#include "host/serve/db_options.h"
#include "host/store/db.h"

const char gr_serve_usage[] =
    "usage: greenroom serve [--config FILE]...\n"
    "\n"
    "Serves the portal: the web UI, the REST APIs and background processing.\n"
    "Several --config files are merged in order, later ones winning, as in\n"
    "Backstage. Without any, greenroom reads ./app-config.yaml and then\n"
    "./app-config.local.yaml, each when it exists. With no configuration at all\n"
    "it listens on 127.0.0.1:7007 and keeps its SQLite database under ./data/.\n"
    "\n"
    "Stops cleanly on SIGTERM or SIGINT: new connections are refused, requests\n"
    "in flight finish, then the database is closed.\n"
    "\n"
    "Exit status: 0 after a clean stop, 1 when start-up fails, 2 for an invalid\n"
    "configuration.\n";

const char gr_serve_routes_usage[] =
    "usage: greenroom routes [--config FILE]...\n"
    "\n"
    "Lists every HTTP route that `greenroom serve` would serve with the same\n"
    "--config files, sorted, one per line: the method, the path pattern, and\n"
    "`public` for a route served without credentials or `signed-in` for one that\n"
    "needs an identity. It opens the database and initialises the plugins as\n"
    "`serve` does, but listens on no port and starts no background work.\n"
    "\n"
    "Exit status: 0, 1 when the plugins fail to initialise, 2 for an invalid\n"
    "configuration.\n";

/** One started plugin and the state its init hook returned. */
typedef struct {
    const gr_plugin_def *def;
    void *state;
    int started;
} serve_plugin;

typedef struct {
    struct gr_host host;
    gr_config *config;
    gr_auth *auth;
    gr_auth_routes *auth_routes;
    gr_permission_policy *permissions;
    serve_plugin *plugins;
    size_t plugin_count;
    atomic_int ready;
    char instance_id[33];
    char *base_url;
} serve_state;

static int serve_is_ready(void *payload)
{
    serve_state *state = payload;

    return atomic_load(&state->ready);
}

static void serve_make_instance_id(char *out, size_t size)
{
    unsigned char bytes[16];

    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        memset(bytes, 0, sizeof(bytes));
    for (size_t i = 0; i < sizeof(bytes) && 2 * i + 2 < size; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

static double serve_elapsed_ms(const struct timespec *since)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1000.0 +
           (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static int serve_open_db(serve_state *state)
{
    gr_db_options opts;
    gr_serve_db_storage storage;
    int error;

    if ((error = gr_serve_db_options(state->config, &opts, &storage)) < 0)
        return error;
    error = gr_db_open(&state->host.db, &opts);
    gr_serve_db_storage_free(&storage);
    return error;
}

static int serve_open_http(serve_state *state)
{
    gr_http_options opts;
    int error;

    memset(&opts, 0, sizeof(opts));
    opts.bind_address = gr_config_string(state->config, "backend.listen.host", "127.0.0.1");
    opts.port = (int)gr_config_int(state->config, "backend.listen.port", 7007);
    opts.ready = serve_is_ready;
    opts.ready_payload = state;
    opts.metrics_public = gr_config_bool(state->config, "backend.metrics.public", false);
    if ((error = gr_http_options_read(state->config, &opts)) < 0)
        return error;

    if ((error = gr_http_server_new(&state->host.http, &opts)) < 0)
        return error;
    if ((error = gr_auth_new(&state->auth, state->config, state->host.db)) < 0)
        return error;
    gr_http_set_authenticator(state->host.http, gr_auth_authenticate, state->auth);
    state->host.auth = state->auth;
    if ((error = gr_permission_policy_new(&state->permissions, state->config)) < 0)
        return error;
    state->host.permissions = state->permissions;
    /* Keys, sessions, the sign-in routes every provider uses and the
     * permission API are the host's; providers register through the ABI. */
    return gr_auth_routes_add(state->host.http, state->auth, state->permissions,
                              &state->auth_routes);
}

static int serve_init_plugins(serve_state *state)
{
    const gr_plugin_def *const *defs = gr_builtin_plugins();
    size_t count = 0;

    while (defs[count] != NULL)
        count++;
    state->plugins = gr_xcalloc(count + 1, sizeof(serve_plugin));

    for (size_t i = 0; i < count; i++) {
        serve_plugin *plugin = &state->plugins[state->plugin_count];
        int error;

        plugin->def = defs[i];
        if (plugin->def->init != NULL &&
            (error = plugin->def->init(&state->host, &plugin->state)) < 0)
            return gr_error_wrap(error, "plugin %s failed to start", plugin->def->id);
        state->plugin_count++;
    }
    /* Every plugin has declared its permissions, so the rules can be checked. */
    return gr_permission_policy_seal(state->permissions);
}

static int serve_start_plugins(serve_state *state)
{
    for (size_t i = 0; i < state->plugin_count; i++) {
        serve_plugin *plugin = &state->plugins[i];
        int error;

        if (plugin->def->start != NULL && (error = plugin->def->start(plugin->state)) < 0)
            return gr_error_wrap(error, "plugin %s failed to start", plugin->def->id);
        plugin->started = 1;
    }
    return 0;
}

/* Tears down in reverse order of start-up: stop hooks while the database is
 * still open, then destroy hooks, then the host services. */
static void serve_shutdown(serve_state *state)
{
    if (state->host.http != NULL)
        gr_http_server_stop(state->host.http);
    for (size_t i = state->plugin_count; i-- > 0;) {
        serve_plugin *plugin = &state->plugins[i];

        if (plugin->started && plugin->def->stop != NULL)
            plugin->def->stop(plugin->state);
    }
    if (state->host.sched != NULL)
        gr_sched_stop(state->host.sched);
    for (size_t i = state->plugin_count; i-- > 0;) {
        serve_plugin *plugin = &state->plugins[i];

        if (plugin->def->destroy != NULL)
            plugin->def->destroy(plugin->state);
    }
    gr_http_server_free(state->host.http);
    gr_auth_routes_free(state->auth_routes);
    gr_sched_free(state->host.sched);
    gr_db_close(state->host.db);
    gr_auth_free(state->auth);
    gr_permission_policy_free(state->permissions);
    gr_config_free(state->config);
    free(state->plugins);
    free(state->base_url);
}

static char *serve_base_url(const gr_config *cfg)
{
    const char *url = gr_config_string(cfg, "app.baseUrl", NULL);
    size_t len;

    if (url == NULL)
        return gr_xasprintf("http://%s:%d",
                            gr_config_string(cfg, "backend.listen.host", "127.0.0.1"),
                            (int)gr_config_int(cfg, "backend.listen.port", 7007));
    len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    return gr_xstrndup(url, len);
}

/*
 * Logs that the server is ready, with the public URL (app.baseUrl) and the address the server
 * listens on, which differ behind a proxy or with a UI URL this server does not serve.
 */
static void serve_log_ready(const serve_state *state, const struct timespec *started)
{
    const char *host = gr_config_string(state->config, "backend.listen.host", "127.0.0.1");
    int port_number = gr_http_server_port(state->host.http);
    char port[16];
    char startup_ms[32];
    char *listen = strchr(host, ':') != NULL ? gr_xasprintf("http://[%s]:%d", host, port_number)
                                             : gr_xasprintf("http://%s:%d", host, port_number);

    snprintf(port, sizeof(port), "%d", port_number);
    snprintf(startup_ms, sizeof(startup_ms), "%.1f", serve_elapsed_ms(started));
    gr_log_fields(GR_LOG_INFO, "host", "ready", "url", state->base_url, "listen", listen, "port",
                  port, "instance", state->instance_id, "startup_ms", startup_ms, NULL);
    free(listen);
}

/* Logs a warning for each valid setting that does not work as a Backstage user expects, such
 * as a permission policy that denies everything or a UI URL this server does not serve. */
static void serve_warn_misleading(const serve_state *state)
{
    gr_buf problem = GR_BUF_INIT;
    gr_buf fix = GR_BUF_INIT;

    if (gr_permission_policy_denies_all(state->permissions, &problem, &fix))
        gr_log_fields(GR_LOG_WARN, "permission", gr_buf_cstr(&problem), "fix", gr_buf_cstr(&fix),
                      NULL);
    gr_buf_reset(&problem);
    gr_buf_reset(&fix);
    if (gr_config_base_urls_differ(state->config, &problem, &fix))
        gr_log_fields(GR_LOG_WARN, "config", gr_buf_cstr(&problem), "fix", gr_buf_cstr(&fix), NULL);
    gr_buf_free(&problem);
    gr_buf_free(&fix);
}

static int serve_start(serve_state *state, const struct timespec *started)
{
    int error;

    /* A port in use fails start-up before the database is created or migrated. */
    if ((error = gr_http_check_bind(
             gr_config_string(state->config, "backend.listen.host", "127.0.0.1"),
             (int)gr_config_int(state->config, "backend.listen.port", 7007))) < 0)
        return error;
    if ((error = serve_open_db(state)) < 0)
        return error;
    if ((error = gr_sched_new(&state->host.sched, state->host.db, state->instance_id)) < 0)
        return error;
    if ((error = serve_open_http(state)) < 0)
        return error;
    serve_warn_misleading(state);
    if ((error = serve_init_plugins(state)) < 0)
        return error;
    if ((error = serve_start_plugins(state)) < 0)
        return error;
    if ((error = gr_sched_start(state->host.sched)) < 0)
        return error;
    if ((error = gr_http_server_start(state->host.http)) < 0)
        return error;

    atomic_store(&state->ready, 1);
    serve_log_ready(state, started);
    return 0;
}

/* Signals are blocked in every thread (threads inherit the mask of the
 * thread that creates them) and taken here with sigwait, so no handler runs
 * on a random thread. */
static int serve_wait_for_signal(const sigset_t *signals)
{
    int received = 0;

    sigwait(signals, &received);
    return received;
}

/* Loads the configuration named by argv and fills the host fields that come from it.
 * Returns 0, or 2 after printing the problem. */
static int serve_configure(serve_state *state, int argc, char **argv)
{
    gr_config_schema *schema = NULL;
    int error;

    if ((error = gr_config_schema_builtin(&schema)) < 0 ||
        (error = gr_config_load_args(&state->config, argc, argv, schema)) < 0) {
        fprintf(stderr, "greenroom: %s\n", gr_error_last());
        gr_config_schema_free(schema);
        return 2;
    }
    gr_config_schema_free(schema);
    gr_config_apply_log_level(state->config);

    serve_make_instance_id(state->instance_id, sizeof(state->instance_id));
    state->base_url = serve_base_url(state->config);
    state->host.config = state->config;
    state->host.instance_id = state->instance_id;
    state->host.base_url = state->base_url;
    return 0;
}

int gr_serve_main(int argc, char **argv)
{
    serve_state state;
    struct timespec started;
    sigset_t signals;
    int error;
    int status = 0;

    clock_gettime(CLOCK_MONOTONIC, &started);
    memset(&state, 0, sizeof(state));

    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((status = serve_configure(&state, argc, argv)) != 0)
        return status;

    if ((error = serve_start(&state, &started)) < 0) {
        gr_log_fields(GR_LOG_ERROR, "host", "start-up failed", "error", gr_error_last(), NULL);
        fprintf(stderr, "greenroom: %s\n", gr_error_last());
        status = error == GR_EINVALID ? 2 : 1;
    } else {
        int received = serve_wait_for_signal(&signals);

        gr_log_fields(GR_LOG_INFO, "host", "stopping", "signal", strsignal(received), NULL);
        atomic_store(&state.ready, 0);
    }

    serve_shutdown(&state);
    if (status == 0)
        gr_log(GR_LOG_INFO, "host", "stopped");
    return status;
}

/* Collects "METHOD PATTERN public|signed-in" lines for gr_serve_routes_main(), without the
 * routes of a skipped plugin. */
typedef struct {
    char **lines;
    size_t count;
    size_t cap;
} route_lines;

static void collect_route(const gr_route *route, void *payload)
{
    route_lines *lines = payload;

    if (!gr_plugin_route_running(route->handler, route->payload))
        return;
    if (lines->count == lines->cap) {
        lines->cap = lines->cap ? lines->cap * 2 : 64;
        lines->lines = gr_xrealloc(lines->lines, lines->cap * sizeof(*lines->lines));
    }
    lines->lines[lines->count++] =
        gr_xasprintf("%s %s %s", route->method, route->pattern,
                     (route->flags & GR_ROUTE_PUBLIC) ? "public" : "signed-in");
}

static int compare_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gr_serve_routes_main(int argc, char **argv)
{
    serve_state state;
    route_lines lines = {NULL, 0, 0};
    int error;
    int status;

    memset(&state, 0, sizeof(state));
    if ((status = serve_configure(&state, argc, argv)) != 0)
        return status;
    if ((error = serve_open_db(&state)) < 0 ||
        (error = gr_sched_new(&state.host.sched, state.host.db, state.instance_id)) < 0 ||
        (error = serve_open_http(&state)) < 0 || (error = serve_init_plugins(&state)) < 0) {
        fprintf(stderr, "greenroom: %s\n", gr_error_last());
        status = error == GR_EINVALID ? 2 : 1;
    } else {
        gr_http_server_routes(state.host.http, collect_route, &lines);
        qsort(lines.lines, lines.count, sizeof(*lines.lines), compare_lines);
        for (size_t i = 0; i < lines.count; i++)
            printf("%s\n", lines.lines[i]);
    }
    for (size_t i = 0; i < lines.count; i++)
        free(lines.lines[i]);
    free(lines.lines);
    serve_shutdown(&state);
    return status;
}
