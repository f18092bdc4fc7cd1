/* SPDX-License-Identifier: MIT */
/* Helpers shared by the plugin tests (cmocka programs): plugin paths, configs, polling, checks. */
#ifndef GR_TEST_PLUGIN_TEST_H
#define GR_TEST_PLUGIN_TEST_H

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "greenroom/plugin.h"
#include "host/common/alloc.h"
#include "support/gr_test.h"

#define PLUGIN_TEST_STR(x) #x
#define PLUGIN_TEST_XSTR(x) PLUGIN_TEST_STR(x)
/** The host's ABI version as `plugin list` and version errors print it: "1.1". */
#define PLUGIN_TEST_ABI PLUGIN_TEST_XSTR(GR_PLUGIN_ABI_MAJOR) "." PLUGIN_TEST_XSTR(GR_PLUGIN_ABI_MINOR)

/** Bearer token of the static credential every plugin test config declares. */
#define PLUGIN_TEST_TOKEN "plugin-test-token-1234"

/* The start of every test config: port from the harness, SQLite, one static token. */
#define PLUGIN_TEST_BACKEND                                                                        \
    "backend:\n"                                                                                   \
    "  listen:\n"                                                                                  \
    "    port: ${GREENROOM_PORT:-0}\n"                                                             \
    "  database:\n"                                                                                \
    "    client: better-sqlite3\n"                                                                 \
    "    connection: ./data/test.sqlite\n"                                                         \
    "  auth:\n"                                                                                    \
    "    externalAccess:\n"                                                                        \
    "      - type: static\n"                                                                       \
    "        options:\n"                                                                           \
    "          token: " PLUGIN_TEST_TOKEN "\n"                                                     \
    "          subject: plugin-test\n"

/** Returns the path of <build>/plugins/<name>.so (caller frees). */
static inline char *plugin_test_path(const char *name)
{
    const char *build = getenv("GR_BUILD_DIR");

    return gr_xasprintf("%s/plugins/%s.so", build != NULL ? build : "build/check", name);
}

/** Sends an authenticated request to `path` on `server`. */
static inline gr_test_output plugin_test_request(const gr_test_server *server, const char *method,
                                                 const char *path, const char *body)
{
    const char *const headers[] = {"Authorization: Bearer " PLUGIN_TEST_TOKEN,
                                   "Content-Type: text/plain", NULL};
    char *url = gr_xasprintf("%s%s", server->base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    return res;
}

/**
 * Polls GET `path` every 100 ms until its status is `status` and its body
 * contains `text` (NULL: any body), for at most `timeout_ms`. Returns 1 on
 * success; 0 after printing the last response.
 */
static inline int plugin_test_wait(const gr_test_server *server, const char *path, int status,
                                   const char *text, int timeout_ms)
{
    gr_test_output res = {0};

    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        gr_test_output_free(&res);
        res = plugin_test_request(server, "GET", path, NULL);
        if (res.status == status && (text == NULL || strstr(res.out, text) != NULL)) {
            gr_test_output_free(&res);
            return 1;
        }
        poll(NULL, 0, 100);
    }
    fprintf(stderr, "GET %s: waited for %d with '%s', last got %d: %s\n", path, status,
            text != NULL ? text : "", res.status, res.out != NULL ? res.out : "");
    gr_test_output_free(&res);
    return 0;
}

/** Prints `haystack` when `needle` is missing, so a failed assert shows the output. */
static inline int plugin_test_has(const char *haystack, const char *needle)
{
    if (haystack != NULL && strstr(haystack, needle) != NULL)
        return 1;
    fprintf(stderr, "expected '%s' in:\n%s\n", needle, haystack != NULL ? haystack : "(null)");
    return 0;
}

/** A server started by a test in a temporary folder of its own. */
typedef struct {
    char *dir;
    gr_test_server server;
} plugin_test_fixture;

/** Stops the server, which must exit with status 0, and removes its folder. */
static inline void plugin_test_stop(plugin_test_fixture *fx)
{
    assert_int_equal(gr_test_server_stop(&fx->server), 0);
    gr_test_rmtree(fx->dir);
    free(fx->dir);
}

/** Asserts that `method` `path` returns `status` and a body containing `text` (NULL: any). */
static inline void plugin_test_expect(plugin_test_fixture *fx, const char *method,
                                      const char *path, int status, const char *text)
{
    gr_test_output res = plugin_test_request(&fx->server, method, path, NULL);

    if (res.status != status)
        fprintf(stderr, "%s %s returned %d: %s\n", method, path, res.status, res.out);
    assert_int_equal(res.status, status);
    if (text != NULL)
        assert_true(plugin_test_has(res.out, text));
    gr_test_output_free(&res);
}

/** Reads a whole file into a new string, or NULL. */
static inline char *plugin_test_read(const char *path)
{
    FILE *file = fopen(path, "r");
    char *text;
    long size;

    if (file == NULL)
        return NULL;
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    fseek(file, 0, SEEK_SET);
    text = gr_xmalloc((size_t)size + 1);
    text[fread(text, 1, (size_t)size, file)] = '\0';
    fclose(file);
    return text;
}

#endif
