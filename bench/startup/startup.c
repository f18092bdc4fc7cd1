/* SPDX-License-Identifier: MIT */
/* Measures the time from exec of `greenroom serve` to its first ready answer. */
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STARTUP_RUNS 20
#define STARTUP_TIMEOUT_S 30.0

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int free_port(void)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = 0;

    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

static size_t discard(char *data, size_t size, size_t count, void *payload)
{
    (void)data;
    (void)payload;
    return size * count;
}

static long probe(CURL *curl, const char *url)
{
    long code = 0;

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* One run: returns the milliseconds until readiness answered 200, or -1. */
static double run_once(const char *binary, char *const *configs, int config_count)
{
    char port_text[16];
    char url[128];
    CURL *curl = curl_easy_init();
    double start;
    double ready = -1;
    pid_t pid;

    snprintf(port_text, sizeof(port_text), "%d", free_port());
    snprintf(url, sizeof(url), "http://127.0.0.1:%s/.backstage/health/v1/readiness", port_text);

    start = now_ms();
    pid = fork();
    if (pid == 0) {
        char **argv = calloc((size_t)config_count * 2 + 3, sizeof(char *));
        int argc = 0;

        argv[argc++] = (char *)binary;
        argv[argc++] = "serve";
        for (int i = 0; i < config_count; i++) {
            argv[argc++] = "--config";
            argv[argc++] = configs[i];
        }
        setenv("GREENROOM_PORT", port_text, 1);
        freopen("/dev/null", "w", stderr);
        execv(binary, argv);
        _exit(127);
    }

    while (now_ms() - start < STARTUP_TIMEOUT_S * 1000.0) {
        if (probe(curl, url) == 200) {
            ready = now_ms() - start;
            break;
        }
        usleep(500);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    curl_easy_cleanup(curl);
    return ready;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    double times[STARTUP_RUNS];

    if (argc < 3) {
        fprintf(stderr, "usage: bench_startup GREENROOM_BINARY CONFIG...\n"
                        "The configs must set backend.listen.port to ${GREENROOM_PORT}.\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int i = 0; i < STARTUP_RUNS; i++) {
        times[i] = run_once(argv[1], argv + 2, argc - 2);
        if (times[i] < 0) {
            fprintf(stderr, "bench_startup: the server did not become ready within %.0f s\n",
                    STARTUP_TIMEOUT_S);
            return 1;
        }
    }
    qsort(times, STARTUP_RUNS, sizeof(double), compare_double);
    printf("startup (exec to ready), %d runs: min %.1f ms, median %.1f ms, max %.1f ms\n",
           STARTUP_RUNS, times[0], times[STARTUP_RUNS / 2], times[STARTUP_RUNS - 1]);
    curl_global_cleanup();
    return 0;
}
