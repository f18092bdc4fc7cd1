/* SPDX-License-Identifier: MIT */
/* Measures requests per second of the HTTP server on one trivial route. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/http/http.h"
#include "host/log/log.h"

extern char **environ;

static const char bench_usage[] =
    "usage: bench_http [--seconds N] [--connections N] [--threads N] [--log] [--curl]\n"
    "\n"
    "Starts the HTTP server in this process with one route (GET /ping, 4-byte body)\n"
    "and loads it with wrk when wrk is on PATH, else with a libcurl loop.\n"
    "  --seconds N      length of the run (default 5)\n"
    "  --connections N  concurrent keep-alive connections (default 64)\n"
    "  --threads N      server threads (default: online CPUs)\n"
    "  --log            write the request log line of every request (to /dev/null)\n"
    "  --curl           use the libcurl loop even when wrk is installed\n";

typedef struct {
    int seconds;
    int connections;
    unsigned threads;
    int log;
    int force_curl;
} bench_options;

static int ping(gr_request *req, gr_response *res, void *payload)
{
    (void)req;
    (void)payload;
    gr_res_body_borrowed(res, 200, "text/plain", "pong", 4);
    return 0;
}

static FILE *log_null;

static void log_discard(gr_log_level level, const char *line, void *payload)
{
    (void)level;
    (void)payload;
    fputs(line, log_null);
    fputc('\n', log_null);
}

static double now_seconds(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Runs wrk and copies its report to stdout. Returns its Requests/sec, or a
 * negative value when wrk could not run. */
static double run_wrk(const bench_options *opts, const char *url)
{
    char threads[16], connections[16], duration[16];
    char *argv[] = {"wrk", "-t", threads, "-c", connections, "-d", duration, (char *)url, NULL};
    posix_spawn_file_actions_t actions;
    gr_buf report = GR_BUF_INIT;
    double rate = -1;
    char chunk[4096];
    int pipe_fds[2];
    int status = 0;
    ssize_t got;
    pid_t pid;
    const char *line;

    snprintf(threads, sizeof(threads), "%d", opts->connections < 2 ? 1 : 2);
    snprintf(connections, sizeof(connections), "%d", opts->connections);
    snprintf(duration, sizeof(duration), "%ds", opts->seconds);
    if (pipe(pipe_fds) != 0)
        return -1;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    if (posix_spawnp(&pid, "wrk", &actions, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    while ((got = read(pipe_fds[0], chunk, sizeof(chunk))) > 0)
        gr_buf_append(&report, chunk, (size_t)got);
    close(pipe_fds[0]);
    waitpid(pid, &status, 0);

    fputs(gr_buf_cstr(&report), stdout);
    line = strstr(gr_buf_cstr(&report), "Requests/sec:");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && line != NULL)
        rate = strtod(line + strlen("Requests/sec:"), NULL);
    gr_buf_free(&report);
    return rate;
}

typedef struct {
    const char *url;
    double deadline;
    atomic_long *done;
    atomic_long *failed;
} curl_worker;

static size_t curl_discard(char *data, size_t size, size_t count, void *payload)
{
    (void)data;
    (void)payload;
    return size * count;
}

static void *curl_loop(void *arg)
{
    curl_worker *worker = arg;
    CURL *curl = curl_easy_init();

    curl_easy_setopt(curl, CURLOPT_URL, worker->url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, curl_discard);
    while (now_seconds() < worker->deadline) {
        long code = 0;

        if (curl_easy_perform(curl) == CURLE_OK &&
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200)
            atomic_fetch_add(worker->done, 1);
        else
            atomic_fetch_add(worker->failed, 1);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

/* One blocking libcurl handle per connection, each on its own thread. */
static double run_curl(const bench_options *opts, const char *url)
{
    pthread_t *threads = gr_xcalloc((size_t)opts->connections, sizeof(pthread_t));
    atomic_long done = 0;
    atomic_long failed = 0;
    curl_worker worker = {url, now_seconds() + opts->seconds, &done, &failed};
    double start = now_seconds();
    double elapsed;

    for (int i = 0; i < opts->connections; i++)
        pthread_create(&threads[i], NULL, curl_loop, &worker);
    for (int i = 0; i < opts->connections; i++)
        pthread_join(threads[i], NULL);
    elapsed = now_seconds() - start;
    free(threads);
    printf("curl loop: %ld requests, %ld failed, in %.2f s\n", (long)done, (long)failed, elapsed);
    return (double)done / elapsed;
}

static int parse_options(int argc, char **argv, bench_options *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(arg, "--log") == 0) {
            opts->log = 1;
        } else if (strcmp(arg, "--curl") == 0) {
            opts->force_curl = 1;
        } else if (value != NULL && strcmp(arg, "--seconds") == 0) {
            opts->seconds = atoi(value);
            i++;
        } else if (value != NULL && strcmp(arg, "--connections") == 0) {
            opts->connections = atoi(value);
            i++;
        } else if (value != NULL && strcmp(arg, "--threads") == 0) {
            opts->threads = (unsigned)atoi(value);
            i++;
        } else {
            fputs(bench_usage, stderr);
            return 2;
        }
    }
    if (opts->seconds <= 0 || opts->connections <= 0) {
        fprintf(stderr, "bench_http: --seconds and --connections must be positive\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_options opts = {5, 64, 0, 0, 0};
    gr_http_options server_opts = {0};
    gr_http_server *server = NULL;
    const char *tool = "wrk";
    double rate = -1;
    char *url;
    int rc = parse_options(argc, argv, &opts);

    if (rc != 0)
        return rc;
    log_null = fopen("/dev/null", "w");
    gr_log_set_sink(log_discard, NULL);
    gr_log_set_level(opts.log ? GR_LOG_INFO : GR_LOG_WARN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    server_opts.threads = opts.threads;
    if (gr_http_server_new(&server, &server_opts) != 0 ||
        gr_http_route(server, "GET", "/ping", GR_ROUTE_PUBLIC, ping, NULL) != 0 ||
        gr_http_server_start(server) != 0) {
        fprintf(stderr, "bench_http: starting the server failed\n");
        return 1;
    }
    url = gr_xasprintf("http://127.0.0.1:%d/ping", gr_http_server_port(server));

    if (!opts.force_curl)
        rate = run_wrk(&opts, url);
    if (rate < 0) {
        tool = "curl";
        rate = run_curl(&opts, url);
    }
    printf("bench_http: tool=%s cpus=%ld server_threads=%u connections=%d seconds=%d "
           "request_log=%s requests_per_s=%.0f\n",
           tool, sysconf(_SC_NPROCESSORS_ONLN),
           opts.threads ? opts.threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN), opts.connections,
           opts.seconds, opts.log ? "on" : "off", rate);

    gr_http_server_free(server);
    free(url);
    curl_global_cleanup();
    gr_log_set_sink(NULL, NULL);
    fclose(log_null);
    return 0;
}
