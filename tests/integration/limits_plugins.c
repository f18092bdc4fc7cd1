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
#include "host/common/error.h"
#include "host/store/db.h"
#include "support/gr_test.h"

#define TOKEN "limits-plugins-token-1234"
/* PICKER_MAX_ENTITIES of the scaffolder's ui.c. */
#define PICKER_ENTITIES_MAX 2000
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

    /* One file past the limit gives the same message, without the server's folders. */
    res = dry_run(DRY_RUN_RESULT_MAX_BYTES + 1, 1);
    assert_int_equal(res.status, 413);
    assert_non_null(strstr(res.out, "the dry run produced more than 8388608 bytes of files"));
    assert_null(strstr(res.out, S->dir));
    gr_test_output_free(&res);
}

/* A dry run checks the size of its values and secrets like a task does. */
static void dry_run_values_over_max(void **state)
{
    char *big = gr_xmalloc(600 * 1024 + 1);
    json_t *body;
    char *text;
    char *url = gr_xasprintf("%s/api/scaffolder/v2/dry-run", S->server.base_url);
    gr_test_output res;

    (void)state;
    memset(big, 'v', 600 * 1024);
    big[600 * 1024] = '\0';
    body = json_pack("{s:{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:[]}}, s:{s:s}, s:[]}", "template",
                     "apiVersion", "scaffolder.backstage.io/v1beta3", "kind", "Template",
                     "metadata", "name", "limits", "spec", "owner", "group:default/team", "type",
                     "service", "steps", "values", "name", big, "directoryContents");
    text = json_dumps(body, JSON_COMPACT);
    res = gr_test_http("POST", url, headers, text);
    assert_int_equal(res.status, 413);
    assert_non_null(strstr(res.out, "values and secrets are larger than"));
    gr_test_output_free(&res);

    json_decref(body);
    free(text);
    free(url);
    free(big);
}

/* Runs `sql` on the database the server uses (SQLite file or PostgreSQL). */
static void run_server_sql(const char *sql)
{
    char *path = gr_xasprintf("%s/greenroom.sqlite", S->dir);
    gr_db *db = NULL;
    gr_db_conn *conn = NULL;

    assert_int_equal(gr_test_server_db_open(&S->server, path, &db), 0);
    assert_int_equal(gr_db_acquire(db, GR_DB_WRITE, &conn), 0);
    if (gr_db_exec(conn, sql) != 0)
        fail_msg("%s: %s", sql, gr_error_last());
    gr_db_release(conn);
    gr_db_close(db);
    free(path);
}

/*
 * Stores `count` components pick-0, pick-1... and the template "pick",
 * whose form offers components, as the catalog stores final entities.
 */
static void add_picker_entities(int count)
{
    static const char template_json[] =
        "{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\",\"kind\":\"Template\","
        "\"metadata\":{\"name\":\"pick\",\"namespace\":\"default\"},\"spec\":{"
        "\"owner\":\"group:default/team\",\"type\":\"service\",\"parameters\":[{"
        "\"title\":\"Pick\",\"properties\":{\"target\":{\"type\":\"string\","
        "\"ui:field\":\"EntityPicker\",\"ui:options\":{\"allowedKinds\":[\"Component\"]}}}}],"
        "\"steps\":[{\"id\":\"log\",\"action\":\"debug:log\",\"input\":{\"message\":\"x\"}}]}}";
    char *sql = gr_xasprintf(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %d)"
        " INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity,"
        " next_update_at) SELECT 'pick-' || i, 'component:default/pick-' || i, '{}', 0 FROM n;"
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %d)"
        " INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, final_entity,"
        " last_updated_at, kind, namespace, name)"
        " SELECT 'pick-' || i, 'component:default/pick-' || i, 'h',"
        " '{\"apiVersion\":\"backstage.io/v1alpha1\",\"kind\":\"Component\",\"metadata\":"
        "{\"name\":\"pick-' || i || '\",\"namespace\":\"default\"},\"spec\":{}}', 0,"
        " 'component', 'default', 'pick-' || i FROM n;"
        "INSERT INTO catalog_refresh_state (entity_id, entity_ref, unprocessed_entity,"
        " next_update_at) VALUES ('pick-template', 'template:default/pick', '{}', 0);"
        "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash, final_entity,"
        " last_updated_at, kind, namespace, name) VALUES ('pick-template',"
        " 'template:default/pick', 'h', '%s', 0, 'template', 'default', 'pick')",
        count, count, template_json);

    run_server_sql(sql);
    free(sql);
}

/* Returns how many times `part` occurs in `text`. */
static size_t occurrences(const char *text, const char *part)
{
    size_t count = 0;

    for (const char *p = strstr(text, part); p != NULL; p = strstr(p + 1, part))
        count++;
    return count;
}

/* With one component more than the pickers offer, the form lists PICKER_ENTITIES_MAX of them. */
static void picker_entities_over_max(void **state)
{
    static const char *const page_headers[] = {"Authorization: Bearer " TOKEN, NULL};
    char *url = gr_xasprintf("%s/create/templates/default/pick", S->server.base_url);
    gr_test_output res;

    (void)state;
    add_picker_entities(PICKER_ENTITIES_MAX + 1);
    res = gr_test_http("GET", url, page_headers, NULL);
    assert_int_equal(res.status, 200);
    assert_int_equal(occurrences(res.out, "<option value=\"component:default/pick-"),
                     PICKER_ENTITIES_MAX);
    gr_test_output_free(&res);
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dry_run_result_over_max),
        cmocka_unit_test(dry_run_values_over_max),
        cmocka_unit_test(picker_entities_over_max),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
