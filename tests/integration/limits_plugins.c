/* SPDX-License-Identifier: MIT */
/* Integration tests: plugin limits that only a running server enforces, crossed over HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "support/gr_test.h"

#define TOKEN "limits-plugins-token-1234"
/* DRY_RUN_MAX_RESULT_BYTES of the scaffolder's api.c. */
#define DRY_RUN_RESULT_MAX_BYTES (8u * 1024 * 1024)

static const char config_yaml[] = "app:\n"
                                  "  baseUrl: http://127.0.0.1:${GREENROOM_PORT}\n"
                                  "backend:\n"
                                  "  listen:\n"
                                  "    port: ${GREENROOM_PORT}\n"
                                  "  database:\n"
                                  "    client: better-sqlite3\n"
                                  "    connection: ./greenroom.sqlite\n"
                                  "  auth:\n"
                                  "    externalAccess:\n"
                                  "      - type: static\n"
                                  "        options:\n"
                                  "          token: " TOKEN "\n"
                                  "          subject: limits-tests\n"
                                  "scaffolder:\n";

typedef struct {
    char *dir;
    gr_test_server server;
} suite;

static suite *S;

static const char *const headers[] = {"Authorization: Bearer " TOKEN,
                                      "Content-Type: application/json", NULL};

static int suite_setup(void **state)
{
    char *text;

    (void)state;
    S = gr_xcalloc(1, sizeof(*S));
    S->dir = gr_test_tmpdir("limits-plugins");
    /* An absolute working folder: relative URLs of a dry run resolve against it. */
    text = gr_xasprintf("%s  workingDirectory: %s/work\n", config_yaml, S->dir);
    gr_test_write_file(S->dir, "app-config.yaml", text);
    free(text);
    return gr_test_server_start(&S->server, S->dir, "app-config.yaml", 30000) == 0 ? 0 : -1;
}

static int suite_teardown(void **state)
{
    (void)state;
    if (S == NULL)
        return 0;
    gr_test_server_stop(&S->server);
    gr_test_rmtree(S->dir);
    free(S->dir);
    free(S);
    return 0;
}

/* Returns a directoryContents entry whose file renders to `bytes` bytes ("   ...x"). */
static json_t *padded_file(const char *path, unsigned bytes)
{
    char *text = gr_xasprintf("${{ 'x' | indent(%u, true) }}", bytes - 1);
    char encoded[128];
    json_t *entry;

    EVP_EncodeBlock((unsigned char *)encoded, (const unsigned char *)text, (int)strlen(text));
    entry = json_pack("{s:s, s:s}", "path", path, "base64Content", encoded);
    free(text);
    return entry;
}

/* Dry-runs a template whose fetch:template step renders files of `first` and `second` bytes. */
static gr_test_output dry_run(unsigned first, unsigned second)
{
    json_t *body = json_pack(
        "{s:{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:[{s:s, s:s, s:{s:s}}]}}, s:{}, s:[o, o]}",
        "template", "apiVersion", "scaffolder.backstage.io/v1beta3", "kind", "Template", "metadata",
        "name", "limits", "spec", "owner", "group:default/team", "type", "service", "steps", "id",
        "fetch", "action", "fetch:template", "input", "url", "./", "values", "directoryContents",
        padded_file("a.txt", first), padded_file("b.txt", second));
    char *text = json_dumps(body, JSON_COMPACT);
    char *url = gr_xasprintf("%s/api/scaffolder/v2/dry-run", S->server.base_url);
    gr_test_output res = gr_test_http("POST", url, headers, text);

    json_decref(body);
    free(text);
    free(url);
    return res;
}

/* Files of DRY_RUN_RESULT_MAX_BYTES in all come back, but one byte more gets 413 naming the limit.
 */
static void dry_run_result_over_max(void **state)
{
    unsigned half = DRY_RUN_RESULT_MAX_BYTES / 2;
    gr_test_output res;

    (void)state;
    res = dry_run(half, half);
    assert_int_equal(res.status, 200);
    assert_non_null(strstr(res.out, "\"a.txt\""));
    gr_test_output_free(&res);

    res = dry_run(half, half + 1);
    assert_int_equal(res.status, 413);
    assert_non_null(strstr(res.out, "PayloadTooLargeError"));
    assert_non_null(strstr(res.out, "the dry run produced more than 8388608 bytes of files"));
    gr_test_output_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dry_run_result_over_max),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
