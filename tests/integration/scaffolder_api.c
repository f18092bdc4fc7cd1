/* SPDX-License-Identifier: MIT */
/* Integration tests of the scaffolder API on a real server, with real templates and pushes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/store/db.h"
#include "plugins/catalog/engine/catalog.h"
#include "support/gr_test.h"
#include "unit/store/db_fixture.h"

/*
 * One server per database engine serves every test of its group.
 * tests/data/scaffolder/scm_stand_in.py stands in for the GitHub and GitLab
 * REST calls and was written for these tests. The git pushes themselves go
 * to real bare repositories through git's own http-backend.
 */

#define TOKEN "scaffolder-test-token-1234"
#define SCM_TOKEN "scm-secret-token-5678"
#define CORPUS "../shared/corpus/templates"
#define TASK_WAIT_MS 90000

typedef struct {
    gr_db_engine engine;
    char *dir;
    char *repos;   /* the stand-in's repositories */
    char *db_path; /* SQLite file */
    char *pg_url;  /* PostgreSQL connection string with this run's schema */
    char *pg_schema;
    int stand_in_pid;
    int stand_in_port;
    gr_test_server server;
    json_t *engine_config; /* what the catalog engine of the test reads */
} suite;

static suite *S;

static const char *const auth_headers[] = {"Authorization: Bearer " TOKEN,
                                           "Content-Type: application/json", NULL};

static void run_or_fail(const char *command)
{
    if (system(command) != 0)
        fail_msg("command failed: %s", command);
}

static int start_stand_in(suite *s)
{
    char *port_file = gr_xasprintf("%s/stand-in.port", s->dir);
    char *script = gr_xasprintf("%s/tests/data/scaffolder/scm_stand_in.py",
                                getenv("GR_SOURCE_DIR") ? getenv("GR_SOURCE_DIR") : ".");
    char *log = gr_xasprintf("%s/stand-in.log", s->dir);
    pid_t pid = fork();

    if (pid == 0) {
        FILE *out = freopen(log, "w", stderr);

        (void)out;
        execlp("python3", "python3", script, "--root", s->repos, "--token", SCM_TOKEN,
               "--port-file", port_file, "--user", "acme", "--org", "roadiehq", "--org", "RoadieHQ",
               "--org", "bramblecrate", (char *)NULL);
        _exit(127);
    }
    s->stand_in_pid = pid;
    for (int i = 0; i < 200 && s->stand_in_port == 0; i++) {
        FILE *file = fopen(port_file, "r");

        if (file != NULL) {
            if (fscanf(file, "%d", &s->stand_in_port) != 1)
                s->stand_in_port = 0;
            fclose(file);
        }
        if (s->stand_in_port == 0)
            usleep(50000);
    }
    free(port_file);
    free(script);
    free(log);
    return s->stand_in_port > 0 ? 0 : -1;
}

/* Makes the bare repository owner/name in the stand-in with the files of `src` (may be NULL). */
static void seed_repo(suite *s, const char *owner, const char *name, const char *src)
{
    char *work = gr_xasprintf("%s/seed-%s-%s", s->dir, owner, name);
    char *copy = src ? gr_xasprintf("cp -r '%s/.' '%s';", src, work) : gr_xstrdup("");
    char *command = gr_xasprintf(
        "set -e; git init -q -b main '%s'; %s echo seed > '%s/README.md'; "
        "git -C '%s' add -A; git -C '%s' -c user.name=seed -c user.email=seed@example.com "
        "commit -qm seed; mkdir -p '%s/%s'; git clone -q --bare '%s' '%s/%s/%s.git'",
        work, copy, work, work, work, s->repos, owner, work, s->repos, owner, name);

    run_or_fail(command);
    free(command);
    free(copy);
    free(work);
}

static char *config_text(const suite *s)
{
    char *corpus = realpath(CORPUS, NULL);
    char *database =
        s->engine == GR_DB_SQLITE
            ? gr_xasprintf("    client: better-sqlite3\n    connection: %s\n", s->db_path)
            : gr_xasprintf("    client: pg\n    connection: \"%s\"\n", s->pg_url);
    char *text = gr_xasprintf(
        "app:\n"
        "  baseUrl: http://127.0.0.1:${GREENROOM_PORT}\n"
        "backend:\n"
        "  listen:\n"
        "    port: ${GREENROOM_PORT}\n"
        "  database:\n%s"
        "  auth:\n"
        "    externalAccess:\n"
        "      - type: static\n"
        "        options:\n"
        "          token: " TOKEN "\n"
        "          subject: scaffolder-tests\n"
        "integrations:\n"
        "  github:\n"
        "    - host: github.com\n"
        "      token: " SCM_TOKEN "\n"
        "      apiBaseUrl: http://127.0.0.1:%d/api/v3\n"
        "  gitlab:\n"
        "    - host: gitlab.com\n"
        "      token: " SCM_TOKEN "\n"
        "      apiBaseUrl: http://127.0.0.1:%d/api/v4\n"
        "catalog:\n"
        "  rules:\n"
        "    - allow: [Component, API, Location, Template, Group, User, System, Resource]\n"
        "scaffolder:\n"
        "  workingDirectory: %s/work\n"
        "  concurrentTasksLimit: 4\n"
        "  templateRoots:\n"
        "    - %s\n",
        database, s->stand_in_port, s->stand_in_port, s->dir, corpus ? corpus : CORPUS);

    free(database);
    free(corpus);
    return text;
}

static json_t *make_engine_config(const suite *s)
{
    char api[128];
    char api4[128];

    snprintf(api, sizeof(api), "http://127.0.0.1:%d/api/v3", s->stand_in_port);
    snprintf(api4, sizeof(api4), "http://127.0.0.1:%d/api/v4", s->stand_in_port);
    return json_pack(
        "{s:{s:[{s:s, s:s, s:s}], s:[{s:s, s:s, s:s}]}, s:{s:[{s:[s,s,s,s,s,s,s,s]}]}}",
        "integrations", "github", "host", "github.com", "token", SCM_TOKEN, "apiBaseUrl", api,
        "gitlab", "host", "gitlab.com", "token", SCM_TOKEN, "apiBaseUrl", api4, "catalog", "rules",
        "allow", "Component", "API", "Location", "Template", "Group", "User", "System", "Resource");
}

/*
 * Opens the database the server uses. Under GR_TEST_DB=pg the harness gives
 * the server of the SQLite group a PostgreSQL database of its own in place of
 * the configured file, so the server has to be started before this is called.
 */
static int open_suite_db(const suite *s, gr_db **out)
{
    gr_db_options options = {0};
    const char *server_database = gr_test_server_database(&s->server);

    if (server_database != NULL) {
        options.client = "pg";
        options.connection = server_database;
    } else if (s->engine == GR_DB_SQLITE) {
        options.client = "better-sqlite3";
        options.path = s->db_path;
    } else {
        options.client = "pg";
        options.connection = s->pg_url;
    }
    return gr_db_open(out, &options);
}

/* Lets a catalog engine of the test process every due location of the shared database. */
static void process_catalog(const suite *s, const char *const *files)
{
    gr_db *db = NULL;
    gr_catalog *catalog = NULL;
    gr_catalog_options options = {.config = s->engine_config, .instance_id = "scaffolder-test"};

    if (open_suite_db(s, &db) != 0)
        fail_msg("opening the database failed: %s", gr_error_last());
    options.db = db;
    if (gr_catalog_new(&catalog, &options) != 0)
        fail_msg("starting the catalog engine failed: %s", gr_error_last());
    for (size_t i = 0; files != NULL && files[i] != NULL; i++) {
        char *path = realpath(files[i], NULL);

        if (path == NULL || gr_catalog_import_location(catalog, "file", path, NULL) != 0)
            fail_msg("importing %s failed: %s", files[i], gr_error_last());
        free(path);
    }
    if (gr_catalog_wait_idle(catalog, 60000) != 0)
        fail_msg("the catalog did not finish processing: %s", gr_error_last());
    gr_catalog_free(catalog);
    gr_db_close(db);
}

static const char *const template_files[] = {
    CORPUS "/backstage__backstage__create-app-default-template/packages/create-app/templates/"
           "default-app/examples/template/template.yaml",
    CORPUS "/backstage__software-templates__docs-template/scaffolder-templates/docs-template/"
           "template.yaml",
    CORPUS "/backstage__software-templates__springboot-grpc-template/scaffolder-templates/"
           "springboot-grpc-template/template.yaml",
    CORPUS "/redhat-developer__red-hat-developer-hub-software-templates__nodejs-backend/"
           "templates/github/nodejs-backend/template.yaml",
    CORPUS "/awslabs__app-development-for-backstage-io-on-aws__aws-environment/"
           "backstage-reference/templates/aws-environment/template.yaml",
    CORPUS "/RoadieHQ__software-templates__create-rfc/scaffolder-templates/create-rfc/"
           "template.yaml",
    CORPUS "/RoadieHQ__software-templates__pr-with-catalog-entry/scaffolder-templates/"
           "pr-with-catalog-entry/template.yaml",
    CORPUS "/backstage__demo__demo-template/demo-template/template/template.yaml",
    "examples/demo/catalog/templates/new-go-service/template.yaml",
    "examples/demo/catalog/templates/docs-site/template.yaml",
    "tests/data/scaffolder/templates/local.yaml",
    NULL,
};

/* A template that publishes to GitHub with collaborators, written into the suite's folder. */
static const char collaborators_template[] =
    "apiVersion: scaffolder.backstage.io/v1beta3\n"
    "kind: Template\n"
    "metadata:\n"
    "  name: github-collaborators\n"
    "spec:\n"
    "  owner: group:default/team\n"
    "  type: library\n"
    "  parameters:\n"
    "    properties: {}\n"
    "  steps:\n"
    "    - id: fetch\n"
    "      action: fetch:template\n"
    "      input:\n"
    "        url: ./skeleton\n"
    "    - id: publish\n"
    "      action: publish:github\n"
    "      input:\n"
    "        repoUrl: github.com?owner=roadiehq&repo=shared-lib\n"
    "        protectDefaultBranch: false\n"
    "        collaborators:\n"
    "          - user: jdoe\n"
    "            access: push\n"
    "          - team: platform\n"
    "            access: admin\n"
    "          - username: old-style\n"
    "            access: pull\n";

static char *write_collaborators_template(const suite *s)
{
    char *folder = gr_xasprintf("%s/collaborators", s->dir);
    char *skeleton = gr_xasprintf("%s/skeleton", folder);

    mkdir(folder, 0755);
    mkdir(skeleton, 0755);
    gr_test_write_file(folder, "template.yaml", collaborators_template);
    gr_test_write_file(skeleton, "README.md", "# shared-lib\n");
    free(skeleton);
    return folder;
}

static int suite_setup(gr_db_engine engine, void **state)
{
    suite *s = gr_xcalloc(1, sizeof(*s));
    char *config;

    s->engine = engine;
    s->dir = gr_test_tmpdir("scaffolder-api");
    s->repos = gr_xasprintf("%s/repos", s->dir);
    s->db_path = gr_xasprintf("%s/greenroom.sqlite", s->dir);
    if (engine == GR_DB_POSTGRES) {
        const char *base = db_fixture_pg_url();
        char *sql;

        if (base == NULL)
            return -1;
        s->pg_schema = gr_xasprintf("gr_scaffolder_%d", (int)getpid());
        sql = gr_xasprintf("CREATE SCHEMA %s", s->pg_schema);
        if (run_admin_sql(base, sql) != 0)
            return -1;
        free(sql);
        s->pg_url = url_with_schema(base, s->pg_schema);
    }
    if (start_stand_in(s) != 0) {
        fprintf(stderr, "the SCM stand-in did not start\n");
        return -1;
    }
    seed_repo(s, "RoadieHQ", "software-templates",
              CORPUS "/RoadieHQ__software-templates__create-rfc");
    seed_repo(s, "acme", "rfcs", NULL);
    seed_repo(s, "roadiehq", "payments", NULL);
    s->engine_config = make_engine_config(s);
    S = s;

    config = config_text(s);
    gr_test_write_file(s->dir, "app-config.yaml", config);
    free(config);
    if (gr_test_server_start(&s->server, s->dir, "app-config.yaml", 20000) != 0)
        return -1;
    /* The templates go into the database the server reads, known only once it runs. */
    process_catalog(s, template_files);
    {
        char *folder = write_collaborators_template(s);
        char *file = gr_xasprintf("%s/template.yaml", folder);
        const char *const files[] = {file, NULL};

        process_catalog(s, files);
        free(file);
        free(folder);
    }
    *state = s;
    return 0;
}

static int setup_sqlite(void **state)
{
    return suite_setup(GR_DB_SQLITE, state);
}

static int setup_pg(void **state)
{
    return suite_setup(GR_DB_POSTGRES, state);
}

static int suite_teardown(void **state)
{
    suite *s = *state;

    if (s == NULL)
        return 0;
    gr_test_server_stop(&s->server);
    if (s->stand_in_pid > 0) {
        kill(s->stand_in_pid, SIGTERM);
        waitpid(s->stand_in_pid, NULL, 0);
    }
    if (s->pg_schema != NULL) {
        char *sql = gr_xasprintf("DROP SCHEMA %s CASCADE", s->pg_schema);

        run_admin_sql(db_fixture_pg_url(), sql);
        free(sql);
    }
    json_decref(s->engine_config);
    gr_test_rmtree(s->dir);
    free(s->dir);
    free(s->repos);
    free(s->db_path);
    free(s->pg_url);
    free(s->pg_schema);
    free(s->server.base_url);
    free(s->server.log_path);
    free(s);
    S = NULL;
    return 0;
}

static json_t *api(const char *method, const char *path, const char *body, int *status)
{
    char *url = gr_xasprintf("%s/api/scaffolder%s", S->server.base_url, path);
    gr_test_output out = gr_test_http(method, url, auth_headers, body);
    json_t *json = out.out ? json_loads(out.out, JSON_DECODE_ANY, NULL) : NULL;

    *status = out.status;
    gr_test_output_free(&out);
    free(url);
    return json;
}

/* Creates a task and returns its id (caller frees). */
static char *create_task(const char *template_ref, const char *values_json,
                         const char *secrets_json)
{
    char *body =
        gr_xasprintf("{\"templateRef\":\"%s\",\"values\":%s%s%s}", template_ref, values_json,
                     secrets_json ? ",\"secrets\":" : "", secrets_json ? secrets_json : "");
    int status = 0;
    json_t *res = api("POST", "/v2/tasks", body, &status);
    char *id;

    if (status != 201)
        fail_msg("creating a task from %s gave %d: %s", template_ref, status,
                 res ? json_dumps(res, 0) : "(no body)");
    id = gr_xstrdup(json_string_value(json_object_get(res, "id")));
    json_decref(res);
    free(body);
    return id;
}

/* Waits until the task has ended and returns it. */
static json_t *wait_task(const char *id)
{
    char *path = gr_xasprintf("/v2/tasks/%s", id);
    struct timespec pause = {0, 100 * 1000 * 1000};

    for (int waited = 0; waited < TASK_WAIT_MS; waited += 100) {
        int status = 0;
        json_t *task = api("GET", path, NULL, &status);
        const char *state = json_string_value(json_object_get(task, "status"));

        if (status != 200)
            fail_msg("GET %s gave %d", path, status);
        if (state && (strcmp(state, "completed") == 0 || strcmp(state, "failed") == 0 ||
                      strcmp(state, "cancelled") == 0)) {
            free(path);
            return task;
        }
        json_decref(task);
        nanosleep(&pause, NULL);
    }
    fail_msg("task %s did not end in time", id);
    return NULL;
}

static json_t *task_events(const char *id)
{
    char *path = gr_xasprintf("/v2/tasks/%s/events", id);
    int status = 0;
    json_t *events = api("GET", path, NULL, &status);

    assert_int_equal(status, 200);
    free(path);
    return events;
}

/* The completion event's body of a finished task. */
static json_t *completion(const char *id)
{
    json_t *events = task_events(id);
    json_t *body = NULL;
    size_t index;
    json_t *event;

    json_array_foreach(
        events, index,
        event) if (strcmp(json_string_value(json_object_get(event, "type")), "completion") == 0)
        body = json_incref(json_object_get(event, "body"));
    json_decref(events);
    if (body == NULL)
        fail_msg("task %s has no completion event", id);
    return body;
}

static char *events_text(const char *id)
{
    json_t *events = task_events(id);
    char *text = json_dumps(events, 0);

    json_decref(events);
    return text;
}

/* Returns a file of a branch of a stand-in repository, or NULL. */
static char *repo_file(const char *owner, const char *name, const char *ref, const char *path)
{
    char *command = gr_xasprintf("git --git-dir='%s/%s/%s.git' show '%s:%s' 2>/dev/null", S->repos,
                                 owner, name, ref, path);
    FILE *pipe = popen(command, "r");
    gr_buf out = GR_BUF_INIT;
    char chunk[4096];
    size_t n;
    int status;

    while (pipe != NULL && (n = fread(chunk, 1, sizeof(chunk), pipe)) > 0)
        gr_buf_append(&out, chunk, n);
    status = pipe ? pclose(pipe) : -1;
    free(command);
    if (status != 0) {
        gr_buf_free(&out);
        return NULL;
    }
    return out.data ? gr_buf_detach(&out) : gr_xstrdup("");
}

static bool catalog_has(const char *entity_ref)
{
    gr_db *db = NULL;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    bool found = false;

    process_catalog(S, NULL);
    if (open_suite_db(S, &db) != 0 || gr_db_acquire(db, GR_DB_READ, &conn) != 0 ||
        gr_db_prepare(conn, "SELECT 1 FROM catalog_final_entities WHERE entity_ref = ?", &stmt) !=
            0)
        fail_msg("reading the catalog failed: %s", gr_error_last());
    gr_db_bind_text(stmt, 1, entity_ref);
    found = gr_db_step(stmt) == GR_DB_ROW;
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_db_close(db);
    return found;
}

#define assert_contains(text, part)                                                                \
    do {                                                                                           \
        if ((text) == NULL || strstr((text), (part)) == NULL)                                      \
            fail_msg("\"%s\" does not contain \"%s\"", (text) ? (text) : "(null)", (part));        \
    } while (0)

static void actions_listed(void **state)
{
    int status = 0;
    json_t *list = api("GET", "/v2/actions", NULL, &status);
    size_t index;
    json_t *action;
    bool found = false;

    (void)state;
    assert_int_equal(status, 200);
    json_array_foreach(list, index, action)
    {
        if (strcmp(json_string_value(json_object_get(action, "id")), "fetch:template") == 0) {
            found = true;
            assert_non_null(json_object_get(json_object_get(action, "schema"), "input"));
        }
    }
    assert_true(found);
    assert_true(json_array_size(list) >= 14);
    json_decref(list);
}

static void parameter_schema_shape(void **state)
{
    int status = 0;
    json_t *schema =
        api("GET", "/v2/templates/default/template/docs-template/parameter-schema", NULL, &status);
    json_t *steps = json_object_get(schema, "steps");

    (void)state;
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(schema, "title")),
                        "Documentation Template");
    assert_int_equal(json_array_size(steps), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 0), "title")),
                        "Fill in some steps");
    assert_non_null(json_object_get(
        json_object_get(
            json_object_get(json_object_get(json_array_get(steps, 0), "schema"), "properties"),
            "name"),
        "ui:field"));
    json_decref(schema);
    schema = api("GET", "/v2/templates/default/template/missing/parameter-schema", NULL, &status);
    assert_int_equal(status, 404);
    json_decref(schema);
}

static void invalid_values_rejected(void **state)
{
    int status = 0;
    json_t *res = api("POST", "/v2/tasks",
                      "{\"templateRef\":\"template:default/docs-template\",\"values\":{\"name\":"
                      "5,\"repoUrl\":\"github.com?owner=a&repo=b\"}}",
                      &status);
    char *text = json_dumps(res, 0);

    (void)state;
    assert_int_equal(status, 400);
    assert_contains(text, "instance.name is not of a type(s) string");
    assert_contains(text, "instance requires property \\\"description\\\"");
    free(text);
    json_decref(res);
    res = api("POST", "/v2/tasks", "{\"templateRef\":\"template:default/nope\",\"values\":{}}",
              &status);
    assert_int_equal(status, 404);
    json_decref(res);
}

/* A body is JSON only with Content-Type application/json, as Express reads it in Backstage,
 * and a compressed body gets a message that names its encoding. */
static void body_needs_json_type(void **state)
{
    static const char *const headers[] = {"Authorization: Bearer " TOKEN,
                                          "Content-Type: text/plain", NULL};
    static const char *const gzip_headers[] = {"Authorization: Bearer " TOKEN,
                                               "Content-Type: application/json",
                                               "Content-Encoding: gzip", NULL};
    char *url = gr_xasprintf("%s/api/scaffolder/v2/tasks", S->server.base_url);
    gr_test_output out = gr_test_http(
        "POST", url, headers, "{\"templateRef\":\"template:default/docs-template\",\"values\":{}}");

    (void)state;
    assert_int_equal(out.status, 400);
    assert_contains(out.out, "must be JSON with Content-Type application/json, not text/plain");
    gr_test_output_free(&out);
    out = gr_test_http("POST", url, gzip_headers, "\x1f\x8b\x08\x00");
    assert_int_equal(out.status, 400);
    assert_contains(out.out, "Content-Encoding gzip, which is not supported");
    gr_test_output_free(&out);
    free(url);
}

typedef struct {
    const char *ref;
    const char *values;
    const char *status;     /* expected final status */
    const char *entity;     /* entity expected in the catalog afterwards, or NULL */
    const char *repo_owner; /* repository expected in the stand-in, or NULL */
    const char *repo_name;
    const char *branch;     /* its default branch: publish:github defaults to master */
    const char *repo_file;  /* a file expected on that branch */
    const char *error_part; /* part of the failure message, or NULL */
} corpus_case;

static const corpus_case corpus_cases[] = {
    {"template:default/example-nodejs-template",
     "{\"name\":\"svc-one\",\"repoUrl\":\"github.com?owner=acme&repo=svc-one\"}", "completed",
     "component:default/svc-one", "acme", "svc-one", "master", "index.js", NULL},
    {"template:default/docs-template",
     "{\"name\":\"docs-site\",\"description\":\"Docs\",\"owner\":\"group:default/team\","
     "\"repoUrl\":\"github.com?owner=acme&repo=docs-site\"}",
     "completed", "component:default/docs-site", "acme", "docs-site", "master", "mkdocs.yml", NULL},
    {"template:default/springboot-template",
     "{\"component_id\":\"greeter\",\"java_package_name\":\"greeter\",\"owner\":"
     "\"group:default/team\",\"description\":\"Greets\",\"repoUrl\":"
     "\"github.com?owner=acme&repo=greeter\"}",
     "completed", "component:default/greeter", "acme", "greeter", "master",
     "src/main/java/com/example/greeter/Application.java", NULL},
    {"template:default/nodejs-backend-template",
     "{\"orgName\":\"bramblecrate\",\"repoName\":\"node-api\",\"owner\":\"group:default/team\","
     "\"system\":\"system:default/shop\",\"port\":3000,\"ci\":"
     "\"../../../skeletons/github-actions/\"}",
     "completed", "component:default/node-api", "bramblecrate", "node-api", "main",
     ".github/workflows/ci.yaml", NULL},
    {"template:default/aws-environment",
     "{\"name\":\"Dev-Env\",\"short_name\":\"dev\",\"description\":\"d\",\"environment_type\":"
     "\"ecs\",\"deploymentRequiresApproval\":false,\"owner\":\"group:default/team\","
     "\"account_type\":\"single-account\",\"region_type\":\"single-region\",\"category\":"
     "\"development\",\"classification\":\"private\",\"system\":\"demo\",\"level\":1,"
     "\"providers\":\"awsenvironmentprovider:default/p\",\"repoUrl\":"
     "\"gitlab.com?owner=aws-environments&repo=dev-env\"}",
     "failed", NULL, "aws-environments", "dev-env", "main", ".backstage/catalog-info.yaml",
     "step 'register'"},
    {"template:default/create-rfc-template",
     "{\"rfcNumber\":\"12\",\"rfcTitle\":\"Faster builds\",\"abstract\":\"We build faster.\","
     "\"repoUrl\":\"github.com?owner=acme&repo=rfcs\"}",
     "completed", NULL, "acme", "rfcs", "main", "README.md", NULL},
    {"template:default/open-pr-with-catalog-entry",
     "{\"name\":\"Payments\",\"description\":\"d\",\"type\":\"service\",\"lifecycle\":"
     "\"production\",\"owner\":\"group:default/team\",\"repoHost\":\"github.com\",\"repoOrg\":"
     "\"roadiehq\",\"repoSlug\":\"payments\"}",
     "completed", NULL, NULL, NULL, NULL, NULL, NULL},
    {"template:default/demo-template",
     "{\"name\":\"Dev\",\"mode\":\"dark\",\"topics\":[\"input-examples\"],\"repoUrl\":"
     "\"github.com?owner=acme&repo=demo-site\"}",
     "failed", NULL, NULL, NULL, NULL, NULL,
     "step 'enable-pages' (Enable Pages): action 'github:pages:enable' is not installed"},
    {"template:default/new-go-service",
     "{\"name\":\"crate-tracker\",\"description\":\"Tracks crates\",\"owner\":"
     "\"group:default/platform-team\",\"lifecycle\":\"experimental\",\"features\":[\"postgres\"],"
     "\"repoUrl\":\"github.com?owner=bramblecrate&repo=crate-tracker\",\"visibility\":"
     "\"internal\"}",
     "completed", "component:default/crate-tracker", "bramblecrate", "crate-tracker", "main",
     "go.mod", NULL},
    {"template:default/docs-site",
     "{\"name\":\"packing-handbook\",\"title\":\"Packing handbook\",\"owner\":"
     "\"group:default/platform-team\",\"sections\":[\"Start\"],\"includeRunbook\":true,"
     "\"repoUrl\":\"github.com?owner=bramblecrate&repo=packing-handbook\"}",
     "completed", "component:default/packing-handbook", "bramblecrate", "packing-handbook", "main",
     "mkdocs.yml", NULL},
};

static void corpus_templates_run(void **state)
{
    char *ids[sizeof(corpus_cases) / sizeof(corpus_cases[0])];
    size_t count = sizeof(corpus_cases) / sizeof(corpus_cases[0]);

    (void)state;
    /* All tasks are queued at once, so the workers run several in parallel. */
    for (size_t i = 0; i < count; i++)
        ids[i] = create_task(corpus_cases[i].ref, corpus_cases[i].values, NULL);
    for (size_t i = 0; i < count; i++) {
        const corpus_case *c = &corpus_cases[i];
        json_t *task = wait_task(ids[i]);
        json_t *done = completion(ids[i]);
        char *done_text = json_dumps(done, 0);

        if (strcmp(json_string_value(json_object_get(task, "status")), c->status) != 0)
            fail_msg("%s ended %s, expected %s: %s", c->ref,
                     json_string_value(json_object_get(task, "status")), c->status, done_text);
        if (c->error_part != NULL)
            assert_contains(done_text, c->error_part);
        if (c->repo_owner != NULL) {
            char *file = repo_file(c->repo_owner, c->repo_name, c->branch, c->repo_file);

            if (file == NULL)
                fail_msg("%s: %s/%s has no %s on %s", c->ref, c->repo_owner, c->repo_name,
                         c->repo_file, c->branch);
            free(file);
        }
        if (c->entity != NULL && !catalog_has(c->entity))
            fail_msg("%s: %s is not in the catalog", c->ref, c->entity);
        free(done_text);
        json_decref(done);
        json_decref(task);
        free(ids[i]);
    }
}

static void rfc_pull_request_branch(void **state)
{
    char *file;

    (void)state;
    /* corpus_templates_run opened the pull request; its branch carries the renamed file. */
    file = repo_file("acme", "rfcs", "RFC-12_faster-builds", "docs/rfcs/12/index.md");
    assert_non_null(file);
    assert_contains(file, "# RFC-12 - Faster builds");
    assert_contains(file, "We build faster.");
    free(file);
}

/* Returns the first branch of a stand-in repository whose name starts with `prefix`, or NULL. */
static char *repo_branch(const char *owner, const char *name, const char *prefix)
{
    char *command = gr_xasprintf("git --git-dir='%s/%s/%s.git' for-each-ref --count=1 "
                                 "--format='%%(refname:short)' 'refs/heads/%s*'",
                                 S->repos, owner, name, prefix);
    FILE *pipe = popen(command, "r");
    char line[256] = "";
    char *branch = NULL;

    if (pipe != NULL && fgets(line, sizeof(line), pipe) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        branch = line[0] != '\0' ? gr_xstrdup(line) : NULL;
    }
    if (pipe != NULL)
        pclose(pipe);
    free(command);
    return branch;
}

static void catalog_pull_request_branch(void **state)
{
    const char *prefix = "onboard-to-catalog-";
    char *branch = repo_branch("roadiehq", "payments", prefix);
    char *file;

    (void)state;
    /* corpus_templates_run opened the pull request, and `now` put milliseconds in its name. */
    assert_non_null(branch);
    assert_int_equal(strlen(branch), strlen(prefix) + 13);
    assert_int_equal(strspn(branch + strlen(prefix), "0123456789"), 13);
    file = repo_file("roadiehq", "payments", branch, "catalog-info.yaml");
    assert_non_null(file);
    assert_contains(file, "name: Payments");
    assert_contains(file, "github.com/project-slug: roadiehq/payments");
    free(file);
    free(branch);
}

/* Returns the stand-in's record of a REST call with this method and path (caller releases). */
static json_t *stand_in_request(const char *method, const char *path)
{
    char *url = gr_xasprintf("http://127.0.0.1:%d/_requests", S->stand_in_port);
    gr_test_output out = gr_test_http("GET", url, NULL, NULL);
    json_t *requests = out.out ? json_loads(out.out, 0, NULL) : NULL;
    json_t *found = NULL;
    size_t index;
    json_t *request;

    json_array_foreach(requests, index, request)
    {
        if (strcmp(json_string_value(json_object_get(request, "method")), method) == 0 &&
            strcmp(json_string_value(json_object_get(request, "path")), path) == 0)
            found = json_incref(request);
    }
    json_decref(requests);
    gr_test_output_free(&out);
    free(url);
    return found;
}

static void assert_permission_requested(const char *path, const char *permission)
{
    json_t *request = stand_in_request("PUT", path);
    json_t *body = json_object_get(request, "body");

    if (request == NULL)
        fail_msg("no PUT %s reached the GitHub stand-in", path);
    assert_string_equal(json_string_value(json_object_get(body, "permission")), permission);
    json_decref(request);
}

static void github_collaborators_granted(void **state)
{
    char *id = create_task("template:default/github-collaborators", "{}", NULL);
    json_t *task = wait_task(id);

    (void)state;
    assert_string_equal(json_string_value(json_object_get(task, "status")), "completed");
    assert_permission_requested("/api/v3/repos/roadiehq/shared-lib/collaborators/jdoe", "push");
    assert_permission_requested("/api/v3/orgs/roadiehq/teams/platform/repos/roadiehq/shared-lib",
                                "admin");
    assert_permission_requested("/api/v3/repos/roadiehq/shared-lib/collaborators/old-style",
                                "pull");
    json_decref(task);
    free(id);
}

static void secrets_never_shown(void **state)
{
    char *id = create_task("template:default/local-checks", "{\"mode\":\"echo\"}",
                           "{\"API_KEY\":\"very-secret-value\"}");
    json_t *task = wait_task(id);
    char *events = events_text(id);
    char *task_text = json_dumps(task, 0);

    (void)state;
    assert_string_equal(json_string_value(json_object_get(task, "status")), "completed");
    assert_contains(events, "key=***");
    if (strstr(events, "very-secret-value") != NULL || strstr(events, SCM_TOKEN) != NULL)
        fail_msg("a secret reached the event log: %s", events);
    if (strstr(task_text, "very-secret-value") != NULL)
        fail_msg("a secret is in the task: %s", task_text);
    free(task_text);
    free(events);
    json_decref(task);
    free(id);
}

static void cancel_running_task(void **state)
{
    char *id = create_task("template:default/local-checks", "{\"mode\":\"wait\"}", NULL);
    char *path = gr_xasprintf("/v2/tasks/%s/cancel", id);
    json_t *res;
    json_t *task;
    int status = 0;

    (void)state;
    for (int i = 0; i < 100; i++) {
        char *events = events_text(id);
        bool started = strstr(events, "Beginning step") != NULL;

        free(events);
        if (started)
            break;
        usleep(100000);
    }
    res = api("POST", path, NULL, &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(res, "status")), "cancelled");
    json_decref(res);
    task = wait_task(id);
    assert_string_equal(json_string_value(json_object_get(task, "status")), "cancelled");
    json_decref(task);
    free(path);
    free(id);
}

static void event_stream_replays(void **state)
{
    char *id = create_task("template:default/local-checks", "{\"mode\":\"echo\"}",
                           "{\"API_KEY\":\"x-secret-x\"}");
    char *url;
    gr_test_output out;
    json_t *task = wait_task(id);

    (void)state;
    url = gr_xasprintf("%s/api/scaffolder/v2/tasks/%s/eventstream", S->server.base_url, id);
    out = gr_test_http("GET", url, auth_headers, NULL);
    assert_int_equal(out.status, 200);
    assert_contains(out.err, "text/event-stream");
    assert_contains(out.out, "event: log\ndata: {");
    assert_contains(out.out, "event: completion\n");
    assert_contains(out.out, "\"taskId\":\"");
    gr_test_output_free(&out);
    free(url);
    json_decref(task);
    free(id);
}

static void dry_run_returns_files(void **state)
{
    const char *body =
        "{\"template\":{\"apiVersion\":\"scaffolder.backstage.io/v1beta3\",\"kind\":\"Template\","
        "\"metadata\":{\"name\":\"dry\"},\"spec\":{\"owner\":\"team\",\"type\":\"service\","
        "\"parameters\":{\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":\"string\"}}},"
        "\"steps\":[{\"id\":\"fetch\",\"action\":\"fetch:template\",\"input\":{\"url\":"
        "\"./skeleton\",\"values\":{\"name\":\"${{ parameters.name }}\"}}},{\"id\":\"publish\","
        "\"action\":\"publish:github\",\"input\":{\"repoUrl\":\"github.com?owner=a&repo=b\"}}],"
        "\"output\":{\"links\":[{\"url\":\"${{ steps.publish.output.remoteUrl }}\"}]}}},"
        "\"values\":{\"name\":\"dry-app\"},\"directoryContents\":[{\"path\":\"skeleton/README.md\","
        "\"base64Content\":\"IyAke3sgdmFsdWVzLm5hbWUgfX0=\"}]}";
    int status = 0;
    json_t *res = api("POST", "/v2/dry-run", body, &status);
    json_t *files = json_object_get(res, "directoryContents");
    char *text = json_dumps(res, 0);

    (void)state;
    assert_int_equal(status, 200);
    assert_int_equal(json_array_size(files), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "path")),
                        "README.md");
    /* "# dry-app" in base64 */
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(files, 0), "base64Content")),
        "IyBkcnktYXBw");
    assert_contains(text, "Skipping because publish:github does not support dry-run");
    assert_contains(text, "<example>");
    free(text);
    json_decref(res);
}

static void task_list_and_retry(void **state)
{
    char *id = create_task("template:default/local-checks", "{\"mode\":\"fail\"}", NULL);
    char *path = gr_xasprintf("/v2/tasks/%s/retry", id);
    json_t *task = wait_task(id);
    json_t *res;
    int status = 0;

    (void)state;
    assert_string_equal(json_string_value(json_object_get(task, "status")), "failed");
    json_decref(task);
    res = api("GET", "/v2/tasks?status=failed&limit=500", NULL, &status);
    assert_int_equal(status, 200);
    assert_true(json_integer_value(json_object_get(res, "totalTasks")) >= 1);
    json_decref(res);
    res = api("POST", path, NULL, &status);
    assert_int_equal(status, 201);
    json_decref(res);
    task = wait_task(id);
    assert_string_equal(json_string_value(json_object_get(task, "status")), "failed");
    json_decref(task);
    free(path);
    free(id);
}

static gr_test_output page(const char *method, const char *path, const char *form)
{
    static const char *const headers[] = {"Authorization: Bearer " TOKEN,
                                          "Content-Type: application/x-www-form-urlencoded", NULL};
    char *url = gr_xasprintf("%s%s", S->server.base_url, path);
    gr_test_output out = gr_test_http(method, url, headers, form);

    free(url);
    return out;
}

static void gallery_lists_templates(void **state)
{
    gr_test_output out = page("GET", "/create?q=docs", NULL);

    (void)state;
    assert_int_equal(out.status, 200);
    assert_contains(out.err, "text/html");
    assert_contains(out.out, "Documentation Template");
    assert_contains(out.out, "href=\"/create/templates/default/docs-template\"");
    assert_contains(out.out, "<h2>documentation</h2>");
    /* The portal layout frames the gallery; the UI's fallback list gave way. */
    assert_contains(out.out, "<nav class=\"sidebar\" aria-label=\"Main\">");
    assert_contains(out.out, "href=\"/create/static/create.css\"");
    if (strstr(out.out, "Software templates in the catalog.") != NULL)
        fail_msg("the UI's fallback list answered /create: %s", out.out);
    if (strstr(out.out, "Spring Boot gRPC Service") != NULL)
        fail_msg("the search did not filter: %s", out.out);
    gr_test_output_free(&out);
    out = page("GET", "/create?tag=java", NULL);
    assert_contains(out.out, "Spring Boot gRPC Service");
    gr_test_output_free(&out);
}

static void form_steps_to_task(void **state)
{
    gr_test_output out = page("GET", "/create/templates/default/docs-template", NULL);
    char *location;
    char *id;
    json_t *task;

    (void)state;
    assert_int_equal(out.status, 200);
    assert_contains(out.out, "name=\"name\"");
    assert_contains(out.out, "autofocus");
    assert_contains(out.out, "<datalist id=\"d-owner\">");
    gr_test_output_free(&out);

    /* A missing required field keeps the form on its step with a message. */
    out = page("POST", "/create/templates/default/docs-template",
               "_step=0&_values=%7B%7D&_action=next&description=Made+here");
    assert_int_equal(out.status, 400);
    assert_contains(out.out, "is required");
    gr_test_output_free(&out);

    out = page("POST", "/create/templates/default/docs-template",
               "_step=0&_values=%7B%7D&_action=next&name=ui-docs&description=Made+here"
               "&owner=group%3Adefault%2Fteam");
    assert_int_equal(out.status, 200);
    assert_contains(out.out, "name=\"repoUrl.host\"");
    assert_contains(out.out, "<option value=\"github.com\"");
    gr_test_output_free(&out);

    out = page("POST", "/create/templates/default/docs-template",
               "_step=1&_action=next&_values=%7B%22name%22%3A%22ui-docs%22%2C%22description%22"
               "%3A%22Made+here%22%2C%22owner%22%3A%22group%3Adefault%2Fteam%22%7D"
               "&repoUrl.host=github.com&repoUrl.owner=acme&repoUrl.repo=ui-docs");
    assert_int_equal(out.status, 200);
    assert_contains(out.out, "<li aria-current=\"step\">Review</li>");
    assert_contains(out.out, "github.com?owner=acme&amp;repo=ui-docs");
    gr_test_output_free(&out);

    out = page("POST", "/create/templates/default/docs-template",
               "_step=2&_action=create&_values=%7B%22name%22%3A%22ui-docs%22%2C%22description"
               "%22%3A%22Made+here%22%2C%22owner%22%3A%22group%3Adefault%2Fteam%22%2C%22repoUrl"
               "%22%3A%22github.com%3Fowner%3Dacme%26repo%3Dui-docs%22%7D");
    assert_int_equal(out.status, 303);
    location = strstr(out.err, "/create/tasks/");
    assert_non_null(location);
    id = gr_xstrndup(location + strlen("/create/tasks/"), 36);
    gr_test_output_free(&out);

    task = wait_task(id);
    assert_string_equal(json_string_value(json_object_get(task, "status")), "completed");
    json_decref(task);
    location = gr_xasprintf("/create/tasks/%s", id);
    out = page("GET", location, NULL);
    assert_int_equal(out.status, 200);
    assert_contains(out.out, "status-completed");
    assert_contains(out.out, "href=\"https://github.com/acme/ui-docs\"");
    assert_contains(out.out, "href=\"/catalog/default/component/ui-docs\"");
    assert_contains(out.out, "Finished step Publish");
    gr_test_output_free(&out);
    free(location);
    free(id);
}

static void running_task_page_refreshes(void **state)
{
    char *id = create_task("template:default/local-checks", "{\"mode\":\"wait\"}", NULL);
    char *path = gr_xasprintf("/create/tasks/%s", id);
    char *cancel = gr_xasprintf("/create/tasks/%s/cancel", id);
    gr_test_output out = page("GET", path, NULL);
    json_t *task;

    (void)state;
    assert_int_equal(out.status, 200);
    assert_contains(out.out, "<noscript><meta http-equiv=\"refresh\"");
    assert_contains(out.out, "src=\"/create/static/task.js\"");
    gr_test_output_free(&out);
    out = page("POST", cancel, "");
    assert_int_equal(out.status, 303);
    gr_test_output_free(&out);
    task = wait_task(id);
    assert_string_equal(json_string_value(json_object_get(task, "status")), "cancelled");
    json_decref(task);
    out = page("GET", "/create/static/task.js", NULL);
    assert_int_equal(out.status, 200);
    assert_contains(out.out, "EventSource");
    gr_test_output_free(&out);
    free(cancel);
    free(path);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(actions_listed),
        cmocka_unit_test(parameter_schema_shape),
        cmocka_unit_test(invalid_values_rejected),
        cmocka_unit_test(body_needs_json_type),
        cmocka_unit_test(corpus_templates_run),
        cmocka_unit_test(rfc_pull_request_branch),
        cmocka_unit_test(catalog_pull_request_branch),
        cmocka_unit_test(github_collaborators_granted),
        cmocka_unit_test(secrets_never_shown),
        cmocka_unit_test(cancel_running_task),
        cmocka_unit_test(event_stream_replays),
        cmocka_unit_test(dry_run_returns_files),
        cmocka_unit_test(task_list_and_retry),
        cmocka_unit_test(gallery_lists_templates),
        cmocka_unit_test(form_steps_to_task),
        cmocka_unit_test(running_task_page_refreshes),
    };
    int failed = 0;

    failed += cmocka_run_group_tests_name("sqlite", tests, setup_sqlite, suite_teardown);
    failed += cmocka_run_group_tests_name("pg", tests, setup_pg, suite_teardown);
    db_fixture_group_teardown(NULL);
    return failed;
}
