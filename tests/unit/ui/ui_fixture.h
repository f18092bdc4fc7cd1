/* SPDX-License-Identifier: MIT */
/* A UI served in-process on loopback over a real SQLite catalog, for page tests. */
#ifndef GR_TEST_UI_FIXTURE_H
#define GR_TEST_UI_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/auth.h"
#include "host/auth/routes.h"
#include "host/common/alloc.h"
#include "host/config/config.h"
#include "host/host.h"
#include "host/http/http.h"
#include "host/plugin/ctx.h"
#include "host/plugin/plugin.h"
#include "host/plugin/services.h"
#include "host/store/db.h"
#include "plugins/catalog/engine/search.h"
#include "plugins/apidocs/plugin.h"
#include "plugins/auth/plugin.h"
#include "plugins/catalog/plugin.h"
#include "plugins/search/plugin.h"
#include "plugins/ui/ui.h"
#include "support/gr_test.h"

/*
 * The catalog tables come from the engine's migrations; entities are
 * written straight into them in their final (stitched) form, the way the
 * engine's stitcher leaves them, so page tests control every field,
 * including values that validation would reject earlier.
 * Identity: requests with "X-Test-User: user:default/jane" are that user,
 * with the ownership refs of "X-Test-Ownership: ref,ref" when given; others
 * go through the static-token authenticator of the config.
 */
typedef struct {
    char *dir;
    gr_config *config;
    struct gr_host host;
    gr_auth *auth;
    void *catalog_state;
    void *auth_state; /* the auth plugin's, or NULL */
    gr_auth_routes *auth_routes; /* the host's sign-in routes with the auth plugin, or NULL */
    void *ui_plugin; /* the adapter's state of the UI plugin */
    gr_ui *ui_state; /* the UI's own state, which its setup made */
    gr_plugin_ctx *search_ctx; /* publishes search_service, or NULL */
    gr_search_plugin_service search_service;
    void *apidocs_state; /* the api-docs plugin, whose tab the UI shows */
    char base[64];
    int next_id;
} ui_fixture;

static const char ui_fixture_token[] = "ui-test-token-123456";

/* Splits `list` ("ref,ref") into the identity's ownership refs, in the request arena. */
static inline void ui_fixture_set_ownership(gr_request *req, gr_identity *identity,
                                            const char *list)
{
    const char **refs;
    size_t count = 0;
    char *copy;

    if (list == NULL)
        return;
    copy = gr_arena_strdup(gr_req_arena(req), list);
    refs = gr_arena_calloc(gr_req_arena(req), (strlen(list) + 1) * sizeof(*refs));
    for (char *part = strtok(copy, ","); part != NULL; part = strtok(NULL, ","))
        refs[count++] = part;
    identity->ownership = refs;
    identity->ownership_count = count;
}

static inline int ui_fixture_authenticate(gr_request *req, void *payload)
{
    const char *user = gr_req_header(req, "X-Test-User");

    if (user != NULL) {
        gr_identity *identity = gr_arena_calloc(gr_req_arena(req), sizeof(*identity));

        identity->type = "user";
        identity->subject = gr_arena_strdup(gr_req_arena(req), user);
        ui_fixture_set_ownership(req, identity, gr_req_header(req, "X-Test-Ownership"));
        gr_req_set_identity(req, identity);
        return 0;
    }
    return gr_auth_authenticate(req, payload);
}

/* Initialises the catalog plugin, with `with_auth` the auth plugin, and the
 * UI plugin without starting them; `app_lines` are added under app:
 * (indented by the caller) and `root_yaml` at the top level. Both may be "".
 * Finish with ui_fixture_serve(). */
static inline void ui_fixture_init_with(ui_fixture *fx, const char *app_lines,
                                        const char *root_yaml, int with_auth)
{
    gr_config_schema *schema = NULL;
    gr_db_options db_options = {0};
    char *config_text;
    char *config_path;
    char *db_path;
    const char *files[1];

    memset(fx, 0, sizeof(*fx));
    fx->dir = gr_test_tmpdir("ui");
    config_text = gr_xasprintf("app:\n  title: Test <Portal>\n%sorganization:\n  name: Acme\n"
                               "backend:\n  auth:\n    externalAccess:\n      - type: static\n"
                               "        options:\n          token: %s\n"
                               "          subject: tests\n%s",
                               app_lines, ui_fixture_token, root_yaml);
    gr_test_write_file(fx->dir, "app-config.yaml", config_text);
    free(config_text);
    config_path = gr_xasprintf("%s/app-config.yaml", fx->dir);
    files[0] = config_path;
    assert_int_equal(gr_config_schema_builtin(&schema), 0);
    assert_int_equal(gr_config_load(&fx->config, files, 1, schema), 0);
    gr_config_schema_free(schema);
    free(config_path);

    db_path = gr_xasprintf("%s/ui.sqlite", fx->dir);
    db_options.path = db_path;
    assert_int_equal(gr_db_open(&fx->host.db, &db_options), 0);
    free(db_path);
    assert_int_equal(gr_http_server_new(&fx->host.http, NULL), 0);
    assert_int_equal(gr_auth_new(&fx->auth, fx->config, fx->host.db), 0);
    gr_http_set_authenticator(fx->host.http, ui_fixture_authenticate, fx->auth);
    fx->host.config = fx->config;
    fx->host.instance_id = "ui-test";
    fx->host.base_url = "http://127.0.0.1";

    fx->host.auth = fx->auth;
    if (with_auth) {
        assert_int_equal(gr_auth_routes_add(fx->host.http, fx->auth, fx->host.permissions,
                                            &fx->auth_routes), 0);
        assert_int_equal(gr_auth_plugin_init(&fx->host, &fx->auth_state), 0);
    }
    assert_int_equal(gr_catalog_plugin_init(&fx->host, &fx->catalog_state), 0);
    assert_int_equal(gr_ui_plugin_init(&fx->host, &fx->ui_plugin), 0);
    fx->ui_state = gr_host_lookup(&fx->host, GR_UI_SERVICE);
    assert_non_null(fx->ui_state);
    /* The Definition tab of API entities comes from the api-docs plugin. */
    assert_int_equal(gr_apidocs_plugin.init(&fx->host, &fx->apidocs_state), 0);
}

static inline void ui_fixture_init(ui_fixture *fx, const char *app_lines, const char *root_yaml)
{
    ui_fixture_init_with(fx, app_lines, root_yaml, 0);
}

/* Publishes `search` (borrowed) through the ABI as the search plugin does, for the UI's start hook
 * to find. Call before ui_fixture_serve(). */
static inline void ui_fixture_publish_search(ui_fixture *fx, gr_search *search)
{
    fx->search_ctx = gr_plugin__ctx_new("search");
    fx->search_ctx->in_setup = true;
    fx->search_service.header.struct_size = sizeof(fx->search_service);
    fx->search_service.header.version = 1;
    fx->search_service.search = search;
    assert_int_equal(gr_plugin__service_publish(fx->search_ctx, GR_SEARCH_SERVICE,
                                                &fx->search_service.header),
                     0);
    fx->search_ctx->in_setup = false;
}

/* Runs the UI's start hook and serves on a free loopback port. */
static inline void ui_fixture_serve(ui_fixture *fx)
{
    assert_int_equal(gr_plugin_adapter_start(fx->ui_plugin), 0);
    assert_int_equal(gr_http_server_start(fx->host.http), 0);
    snprintf(fx->base, sizeof(fx->base), "http://127.0.0.1:%d",
             gr_http_server_port(fx->host.http));
}

/* Starts the UI: ui_fixture_init() and ui_fixture_serve() in one. */
static inline void ui_fixture_start(ui_fixture *fx, const char *app_lines, const char *root_yaml)
{
    ui_fixture_init(fx, app_lines, root_yaml);
    ui_fixture_serve(fx);
}

static inline void ui_fixture_stop(ui_fixture *fx)
{
    gr_http_server_free(fx->host.http);
    gr_apidocs_plugin.destroy(fx->apidocs_state);
    gr_plugin_adapter_destroy(fx->ui_plugin);
    gr_plugin__ctx_free(fx->search_ctx);
    gr_plugin_adapter_destroy(fx->catalog_state);
    gr_auth_plugin_destroy(fx->auth_state);
    gr_auth_routes_free(fx->auth_routes);
    gr_db_close(fx->host.db);
    gr_auth_free(fx->auth);
    gr_config_free(fx->config);
    gr_test_rmtree(fx->dir);
    free(fx->dir);
}

static inline void ui_fixture_exec(ui_fixture *fx, const char *sql, const char *const *params,
                            size_t count)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;

    assert_int_equal(gr_db_acquire(fx->host.db, GR_DB_WRITE, &conn), 0);
    assert_int_equal(gr_db_prepare(conn, sql, &stmt), 0);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(gr_db_bind_text(stmt, (int)i + 1, params[i]), 0);
    assert_int_equal(gr_db_step(stmt), GR_DB_DONE);
    gr_db_finalize(stmt);
    gr_db_release(conn);
}

/* Stores a final entity (JSON text, relations included) with its search rows and a history row. */
static inline void ui_fixture_add(ui_fixture *fx, const char *json_text)
{
    json_t *entity = json_loads(json_text, 0, NULL);
    json_t *metadata = json_object_get(entity, "metadata");
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));
    gr_catalog_search_rows rows = {0};
    char id[32];
    char *kind;
    char *ref;
    char *text;

    assert_non_null(entity);
    snprintf(id, sizeof(id), "id-%04d", fx->next_id++);
    json_object_set_new(metadata, "uid", json_string(id));
    if (namespace == NULL)
        namespace = "default";
    kind = gr_xstrdup(json_string_value(json_object_get(entity, "kind")));
    for (char *p = kind; *p != '\0'; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    ref = gr_xasprintf("%s:%s/%s", kind, namespace,
                       json_string_value(json_object_get(metadata, "name")));
    text = json_dumps(entity, JSON_COMPACT);
    {
        const char *state[] = {id, ref, text};
        const char *final[] = {id, ref, text, kind, namespace,
                               json_string_value(json_object_get(metadata, "name"))};
        const char *history[] = {ref, id};

        ui_fixture_exec(fx,
                        "INSERT INTO catalog_refresh_state (entity_id, entity_ref,"
                        " unprocessed_entity, next_update_at) VALUES (?, ?, ?, 0)",
                        state, 3);
        ui_fixture_exec(fx,
                        "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash,"
                        " final_entity, last_updated_at, kind, namespace, name)"
                        " VALUES (?, ?, 'h', ?, 0, ?, ?, ?)",
                        final, 6);
        ui_fixture_exec(fx,
                        "INSERT INTO catalog_history (entity_ref, entity_id, changed_at, cause,"
                        " change, diff) VALUES (?, ?, 0, 'test', 'created', '[]')",
                        history, 2);
    }
    assert_int_equal(gr_catalog__search_rows(entity, (locale_t)0, &rows), 0);
    for (size_t i = 0; i < rows.count; i++) {
        char ordinal[24];
        const char *row[] = {id, rows.items[i].key, rows.items[i].original, rows.items[i].value,
                             ordinal};

        snprintf(ordinal, sizeof(ordinal), "%zu", i);
        ui_fixture_exec(fx,
                        "INSERT INTO catalog_search (entity_id, key, original_value, value,"
                        " ordinal) VALUES (?, ?, ?, ?, CAST(? AS INTEGER))",
                        row, 5);
    }
    gr_catalog__search_rows_free(&rows);
    free(text);
    free(ref);
    free(kind);
    json_decref(entity);
}

/* Sends a request to `path`; `user` (may be NULL) selects a user identity. */
static inline gr_test_output ui_fixture_request(ui_fixture *fx, const char *method, const char *path,
                                         const char *user, const char *body,
                                         const char *extra_header)
{
    char *url = gr_xasprintf("%s%s", fx->base, path);
    char *auth = gr_xasprintf("Authorization: Bearer %s", ui_fixture_token);
    char *who = user != NULL ? gr_xasprintf("X-Test-User: %s", user) : NULL;
    const char *headers[5] = {NULL};
    size_t count = 0;
    gr_test_output res;

    headers[count++] = who != NULL ? who : auth;
    if (body != NULL)
        headers[count++] = "Content-Type: application/x-www-form-urlencoded";
    if (extra_header != NULL)
        headers[count++] = extra_header;
    res = gr_test_http(method, url, headers, body);
    free(url);
    free(auth);
    free(who);
    return res;
}

/* Returns the value of the first `name="csrf" value="..."` in `html` (caller frees). */
static inline char *ui_fixture_csrf(const char *html)
{
    const char *start = strstr(html, "name=\"csrf\" value=\"");
    const char *end;

    assert_non_null(start);
    start += strlen("name=\"csrf\" value=\"");
    end = strchr(start, '"');
    assert_non_null(end);
    return gr_xstrndup(start, (size_t)(end - start));
}

#endif
