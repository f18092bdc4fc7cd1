/* SPDX-License-Identifier: MIT */
/* Several `greenroom serve` processes on one PostgreSQL database: sharing, leases, failover. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/gr_test.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "unit/store/db_fixture.h"
#include "auth_support.h"

#define INSTANCES 2
#define START_MS 30000
#define TOKEN "multi-instance-test-token"
/* The URL users would reach the instances by, through a balancer that the test leaves out. */
#define PUBLIC_URL "http://portal.example.test"
/* Generated catalog: files of ENTITIES_PER_FILE entities each. */
#define ENTITIES_PER_FILE 25
#define INGEST_FILES 24
#define KILL_FILES 40
#define KILL_AFTER_FINAL 100
/* The catalog engine's processing lease (GR_CATALOG_LEASE_MS) is two
 * minutes, so a takeover after SIGKILL needs that long and some margin. */
#define TAKEOVER_TIMEOUT_S 300
#define INGEST_TIMEOUT_S 240
#define OWNERS_TIMEOUT_S 60

/*
 * The instances of one test share `db`. Each connects with its own
 * application_name, so that the lease audit trigger can tell which
 * instance wrote a row.
 */
typedef struct {
    db_fixture *db;
    char *dir; /* configs, catalog files and the servers' working folder */
    gr_test_server servers[INSTANCES];
    char *instance_ids[INSTANCES]; /* lease owner names, read from the servers' logs */
} multi_fixture;

typedef struct {
    gr_test_server *server;
    const char *dir;
    const char *config;
    int rc;
} start_job;

static const char *const app_names[INSTANCES] = {"instance-a", "instance-b"};

static int setup(void **state)
{
    multi_fixture *fixture = gr_xcalloc(1, sizeof(*fixture));
    void *db_state = (void *)&db_fixture_pg;

    if (db_fixture_setup(&db_state) != 0)
        return -1;
    fixture->db = db_state;
    fixture->dir = gr_test_tmpdir("multi");
    *state = fixture;
    return 0;
}

static void stop_all(multi_fixture *fixture)
{
    for (int i = 0; i < INSTANCES; i++) {
        if (fixture->servers[i].base_url != NULL)
            gr_test_server_stop(&fixture->servers[i]);
        free(fixture->instance_ids[i]);
        fixture->instance_ids[i] = NULL;
    }
}

static int teardown(void **state)
{
    multi_fixture *fixture = *state;
    void *db_state = fixture->db;

    stop_all(fixture);
    db_fixture_teardown(&db_state);
    gr_test_rmtree(fixture->dir);
    free(fixture->dir);
    free(fixture);
    return 0;
}

/* Writes config-<name>.yaml: the shared database under `name`, plus `extra` YAML. */
static char *write_config(const multi_fixture *fixture, const char *name, const char *extra)
{
    char *file = gr_xasprintf("config-%s.yaml", name);
    /* Behind a load balancer every instance has the balancer's public URL,
     * which identity tokens name as their issuer. */
    char *text = gr_xasprintf("app:\n  baseUrl: " PUBLIC_URL "\n"
                              "backend:\n  baseUrl: " PUBLIC_URL "\n"
                              "  listen:\n    port: ${GREENROOM_PORT}\n"
                              "  database:\n    client: pg\n"
                              "    connection: '%s%sapplication_name=%s'\n"
                              "  auth:\n    externalAccess:\n      - type: static\n"
                              "        options:\n          token: " TOKEN "\n"
                              "          subject: multi-test\n%s",
                              fixture->db->url, strstr(fixture->db->url, "://") ? "&" : " ",
                              name, extra);

    gr_test_write_file(fixture->dir, file, text);
    free(text);
    return file;
}

static char *read_text(const char *path)
{
    FILE *file = fopen(path, "rb");
    gr_buf text = GR_BUF_INIT;
    char chunk[4096];
    size_t got;

    while (file != NULL && (got = fread(chunk, 1, sizeof(chunk), file)) > 0)
        gr_buf_append(&text, chunk, got);
    if (file != NULL)
        fclose(file);
    gr_buf_puts(&text, "");
    return gr_buf_detach(&text);
}

/* Returns the instance id from a server's "ready" log line (caller frees), or NULL. */
static char *instance_id_of(const gr_test_server *server)
{
    char *log = read_text(server->log_path);
    const char *found = strstr(log, "instance=");
    char *id = NULL;

    if (found != NULL) {
        found += strlen("instance=");
        id = gr_xstrndup(found, strcspn(found, " \n"));
    }
    free(log);
    return id;
}

static void *start_one(void *payload)
{
    start_job *job = payload;

    job->rc = gr_test_server_start(job->server, job->dir, job->config, START_MS);
    return NULL;
}

/* Starts instances [0, count) at the same moment, each with its own config. */
static void start_instances(multi_fixture *fixture, int count, const char *extra)
{
    pthread_t threads[INSTANCES];
    start_job jobs[INSTANCES];
    char *configs[INSTANCES];

    for (int i = 0; i < count; i++) {
        configs[i] = write_config(fixture, app_names[i], extra);
        jobs[i] = (start_job){&fixture->servers[i], fixture->dir, configs[i], -1};
        pthread_create(&threads[i], NULL, start_one, &jobs[i]);
    }
    for (int i = 0; i < count; i++) {
        pthread_join(threads[i], NULL);
        free(configs[i]);
    }
    for (int i = 0; i < count; i++) {
        assert_int_equal(jobs[i].rc, 0);
        fixture->instance_ids[i] = instance_id_of(&fixture->servers[i]);
        assert_non_null(fixture->instance_ids[i]);
    }
}

static gr_test_output call(const gr_test_server *server, const char *method, const char *path,
                           const char *const *headers, const char *body)
{
    char *url = gr_xasprintf("%s%s", server->base_url, path);
    gr_test_output res = gr_test_http(method, url, headers, body);

    free(url);
    return res;
}

static const char *const service_headers[] = {"Authorization: Bearer " TOKEN,
                                              "Content-Type: application/json", NULL};

/* Instances that start at the same moment on an empty database take turns migrating it. */
static void instances_start_together(void **state)
{
    multi_fixture *fixture = *state;

    start_instances(fixture, INSTANCES, "");
    assert_string_not_equal(fixture->instance_ids[0], fixture->instance_ids[1]);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM schema_migrations "
                                      "WHERE component = 'scheduler'"), 1);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM auth_secrets"), 1);
    assert_int_equal(db_fixture_int64(fixture->db->db, "SELECT COUNT(DISTINCT application_name) "
                                      "FROM pg_stat_activity WHERE application_name LIKE "
                                      "'instance-%'"), INSTANCES);
}

/* Signs in as guest on `server` and returns the session cookie (caller frees). */
static char *guest_cookie(const gr_test_server *server)
{
    gr_test_output res = call(server, "GET", "/api/auth/guest/start?redirect=/", NULL, NULL);
    char *cookie = set_cookie(res.err, "greenroom-session");

    assert_int_equal(res.status, 302);
    assert_non_null(cookie);
    gr_test_output_free(&res);
    return cookie;
}

/* Returns the identity token of a guest session (caller frees). */
static char *guest_token(const gr_test_server *server, const char *cookie)
{
    char *cookie_header = gr_xasprintf("Cookie: %s", cookie);
    const char *const headers[] = {cookie_header, "X-Requested-With: XMLHttpRequest", NULL};
    gr_test_output res = call(server, "GET", "/api/auth/guest/refresh", headers, NULL);
    json_t *body = json_loads(res.out, 0, NULL);
    const char *token = json_string_value(
        json_object_get(json_object_get(body, "backstageIdentity"), "token"));
    char *copy;

    assert_int_equal(res.status, 200);
    assert_non_null(token);
    copy = gr_xstrdup(token);
    json_decref(body);
    gr_test_output_free(&res);
    free(cookie_header);
    return copy;
}

static int userinfo_status(const gr_test_server *server, const char *header)
{
    const char *const headers[] = {header, NULL};
    gr_test_output res = call(server, "GET", "/api/auth/v1/userinfo", headers, NULL);
    int status = res.status;

    if (status == 200)
        assert_non_null(strstr(res.out, "user:development/guest"));
    gr_test_output_free(&res);
    return status;
}

/* Sessions and identity tokens made by one instance are accepted by the other. */
static void instances_share_identities(void **state)
{
    multi_fixture *fixture = *state;
    char *cookie;
    char *cookie_header;
    char *token;
    char *bearer;

    start_instances(fixture, INSTANCES, "auth:\n  providers:\n    guest: {}\n");
    cookie = guest_cookie(&fixture->servers[0]);
    cookie_header = gr_xasprintf("Cookie: %s", cookie);
    assert_int_equal(userinfo_status(&fixture->servers[1], cookie_header), 200);

    token = guest_token(&fixture->servers[1], cookie);
    bearer = gr_xasprintf("Authorization: Bearer %s", token);
    assert_int_equal(userinfo_status(&fixture->servers[0], bearer), 200);
    assert_int_equal(userinfo_status(&fixture->servers[1], bearer), 200);
    free(bearer);
    free(token);

    token = guest_token(&fixture->servers[0], cookie);
    bearer = gr_xasprintf("Authorization: Bearer %s", token);
    assert_int_equal(userinfo_status(&fixture->servers[1], bearer), 200);
    free(bearer);
    free(token);
    free(cookie_header);
    free(cookie);
}

/* One instance killed without warning leaves the other serving, and it can come back. */
static void instance_survives_kill(void **state)
{
    multi_fixture *fixture = *state;
    gr_test_output res;
    char *config;
    int status = 0;

    start_instances(fixture, INSTANCES, "");
    kill(fixture->servers[0].pid, SIGKILL);
    assert_int_equal(waitpid(fixture->servers[0].pid, &status, 0), fixture->servers[0].pid);
    assert_true(WIFSIGNALED(status));
    fixture->servers[0].pid = 0;
    gr_test_server_stop(&fixture->servers[0]);

    res = call(&fixture->servers[1], "GET", "/.backstage/health/v1/readiness", NULL, NULL);
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);
    res = call(&fixture->servers[1], "POST", "/api/permission/authorize", service_headers,
               "{\"items\":[{\"id\":\"1\",\"permission\":{\"name\":\"catalog.entity.read\"}}]}");
    assert_int_equal(res.status, 200);
    gr_test_output_free(&res);

    config = write_config(fixture, app_names[0], "");
    assert_int_equal(gr_test_server_start(&fixture->servers[0], fixture->dir, config, START_MS), 0);
    free(config);
}

/* ---- Catalog processing across instances ---- */

/* Returns 1 when the served binary has the catalog API. */
static int catalog_served(const multi_fixture *fixture)
{
    gr_test_output res = call(&fixture->servers[0], "GET", "/api/catalog/entities?limit=1",
                              service_headers, NULL);
    int served = res.status == 200;

    gr_test_output_free(&res);
    return served;
}

/* Writes `files` catalog files of ENTITIES_PER_FILE entities under dir/catalog, plus
 * extra/extra.yaml for a location registered while the instances run. */
static void write_catalog(const char *dir, int files)
{
    gr_buf text = GR_BUF_INIT;

    for (int f = 0; f < files; f++) {
        char *name = gr_xasprintf("catalog/part-%03d.yaml", f);

        gr_buf_reset(&text);
        gr_buf_printf(&text, "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n"
                             "  name: team-%03d\nspec:\n  type: team\n  children: []\n", f);
        gr_buf_printf(&text, "---\napiVersion: backstage.io/v1alpha1\nkind: System\n"
                             "metadata:\n  name: system-%03d\nspec:\n  owner: team-%03d\n", f, f);
        for (int e = 2; e < ENTITIES_PER_FILE; e++) {
            int kind_api = e % 3 == 0;

            gr_buf_printf(&text, "---\napiVersion: backstage.io/v1alpha1\nkind: %s\nmetadata:\n"
                                 "  name: %s-%03d-%02d\n  description: item %d of file %d\n"
                                 "spec:\n  type: %s\n  lifecycle: production\n"
                                 "  owner: team-%03d\n  system: system-%03d\n",
                          kind_api ? "API" : "Component", kind_api ? "api" : "svc", f, e, e, f,
                          kind_api ? "openapi" : "service", f, f);
            if (kind_api)
                gr_buf_puts(&text, "  definition: 'openapi: 3.0.0'\n");
            else
                gr_buf_printf(&text, "  providesApis: [api-%03d-%02d]\n", f, e - e % 3);
        }
        gr_test_write_file(dir, name, text.data);
        free(name);
    }
    gr_test_write_file(dir, "extra/extra.yaml",
                       "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
                       "  name: registered-later\nspec:\n  type: service\n"
                       "  lifecycle: experimental\n  owner: team-000\n");
    gr_buf_free(&text);
}

static char *catalog_config(const char *dir)
{
    return gr_xasprintf("catalog:\n  processingInterval: {seconds: 2}\n"
                        "  allowedLocationTypes: [url, file]\n"
                        "  rules:\n    - allow: [Component, API, System, Group, Location]\n"
                        "  locations:\n    - type: file\n      target: %s/catalog/*.yaml\n",
                        dir);
}

/* Logs every change of a lease or a processing result of catalog_refresh_state. */
static const char audit_sql[] =
    "CREATE TABLE gr_test_lease_audit ("
    " id BIGSERIAL PRIMARY KEY, entity_id TEXT NOT NULL, writer TEXT NOT NULL,"
    " old_owner TEXT, old_until BIGINT, new_owner TEXT, new_until BIGINT,"
    " result_written INT NOT NULL, at_ms BIGINT NOT NULL);"
    "CREATE FUNCTION gr_test_lease_audit_row() RETURNS trigger AS $$ BEGIN"
    " IF OLD.lease_owner IS DISTINCT FROM NEW.lease_owner"
    "    OR OLD.lease_until IS DISTINCT FROM NEW.lease_until"
    "    OR OLD.result_hash IS DISTINCT FROM NEW.result_hash"
    "    OR OLD.processed_entity IS DISTINCT FROM NEW.processed_entity"
    "    OR OLD.errors IS DISTINCT FROM NEW.errors THEN"
    "  INSERT INTO gr_test_lease_audit (entity_id, writer, old_owner, old_until, new_owner,"
    "   new_until, result_written, at_ms) VALUES (NEW.entity_id,"
    "   current_setting('application_name'), OLD.lease_owner, OLD.lease_until,"
    "   NEW.lease_owner, NEW.lease_until,"
    "   CASE WHEN OLD.result_hash IS DISTINCT FROM NEW.result_hash"
    "     OR OLD.processed_entity IS DISTINCT FROM NEW.processed_entity"
    "     OR OLD.errors IS DISTINCT FROM NEW.errors THEN 1 ELSE 0 END,"
    "   CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT));"
    " END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
    "CREATE TRIGGER gr_test_lease_audit AFTER UPDATE ON catalog_refresh_state"
    " FOR EACH ROW EXECUTE FUNCTION gr_test_lease_audit_row();";

/* Creates the catalog tables with `db migrate`, then the audit trigger on them. */
static void prepare_catalog_db(multi_fixture *fixture, const char *extra)
{
    char *config = write_config(fixture, "migrate", extra);
    char *path = gr_xasprintf("%s/%s", fixture->dir, config);
    const char *const argv[] = {"db", "migrate", "--config", path, NULL};
    gr_test_output res = gr_test_run(fixture->dir, argv);

    if (res.status != 0)
        fprintf(stderr, "%s%s", res.out, res.err);
    assert_int_equal(res.status, 0);
    gr_test_output_free(&res);
    db_fixture_exec(fixture->db->db, audit_sql);
    free(path);
    free(config);
}

/* Counts generated entities that have no final entity yet. */
static int64_t missing_entities(gr_db *db, int files)
{
    char *sql = gr_xasprintf(
        "SELECT %d - COUNT(*) FROM catalog_final_entities WHERE entity_ref LIKE 'group:%%' OR "
        "entity_ref LIKE 'system:%%' OR entity_ref LIKE 'api:%%' OR "
        "(entity_ref LIKE 'component:%%' AND entity_ref <> 'component:default/registered-later')",
        files * ENTITIES_PER_FILE);
    int64_t missing = db_fixture_int64(db, sql);

    free(sql);
    return missing;
}

/* Waits until every generated entity is stitched and nothing waits for stitching. */
static int wait_ingested(gr_db *db, int files, int extra, int timeout_s)
{
    time_t deadline = time(NULL) + timeout_s;

    while (time(NULL) < deadline) {
        if (missing_entities(db, files) == 0 &&
            (!extra || db_fixture_int64(db, "SELECT COUNT(*) FROM catalog_final_entities WHERE "
                                            "entity_ref = 'component:default/registered-later'")
                           == 1) &&
            db_fixture_int64(db, "SELECT COUNT(*) FROM catalog_stitch_queue") == 0 &&
            db_fixture_int64(db, "SELECT COUNT(*) FROM catalog_refresh_state "
                                 "WHERE processed_entity IS NULL") == 0)
            return 0;
        usleep(200 * 1000);
    }
    return -1;
}

/*
 * Checks the audit log: no instance took a lease another instance held
 * and had not let expire, and every processing result was written by the
 * instance that held the entity's lease.
 */
static void check_lease_audit(const multi_fixture *fixture)
{
    char *foreign_sql = gr_xasprintf(
        "SELECT COUNT(*) FROM gr_test_lease_audit WHERE result_written = 1 AND "
        "(old_owner IS NULL OR old_owner <> CASE writer WHEN '%s' THEN '%s' WHEN '%s' THEN '%s' "
        "ELSE '' END)",
        app_names[0], fixture->instance_ids[0], app_names[1], fixture->instance_ids[1]);

    assert_int_equal(db_fixture_int64(fixture->db->db,
                                      "SELECT COUNT(*) FROM gr_test_lease_audit WHERE "
                                      "old_owner IS NOT NULL AND new_owner IS NOT NULL AND "
                                      "old_owner <> new_owner AND old_until >= at_ms"),
                     0);
    assert_int_equal(db_fixture_int64(fixture->db->db, foreign_sql), 0);
    assert_true(db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM gr_test_lease_audit "
                                 "WHERE result_written = 1") > 0);
    free(foreign_sql);
}

/* Returns the final catalog as text, without what differs between runs (uids, etags). */
static char *catalog_snapshot(gr_db *db)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    gr_buf out = GR_BUF_INIT;

    assert_int_equal(gr_db_acquire(db, GR_DB_READ, &conn), GR_OK);
    assert_int_equal(gr_db_prepare(conn, "SELECT entity_ref, final_entity FROM "
                                   "catalog_final_entities ORDER BY entity_ref", &stmt), GR_OK);
    while (gr_db_step(stmt) == GR_DB_ROW) {
        json_t *entity = json_loads(gr_db_column_text(stmt, 1), 0, NULL);
        json_t *metadata = json_object_get(entity, "metadata");
        char *text;

        json_object_del(metadata, "uid");
        json_object_del(metadata, "etag");
        text = json_dumps(entity, JSON_SORT_KEYS | JSON_COMPACT);
        gr_buf_printf(&out, "%s %s\n", gr_db_column_text(stmt, 0), text ? text : "?");
        free(text);
        json_decref(entity);
    }
    gr_db_finalize(stmt);
    assert_int_equal(gr_db_prepare(conn, "SELECT source_entity_ref, type, target_entity_ref FROM "
                                   "catalog_relations ORDER BY 1, 2, 3", &stmt), GR_OK);
    while (gr_db_step(stmt) == GR_DB_ROW)
        gr_buf_printf(&out, "relation %s %s %s\n", gr_db_column_text(stmt, 0),
                      gr_db_column_text(stmt, 1), gr_db_column_text(stmt, 2));
    gr_db_finalize(stmt);
    gr_db_release(conn);
    gr_buf_puts(&out, "");
    return gr_buf_detach(&out);
}

/* Registers the extra location through `server` and refreshes an entity through `other`. */
static void write_while_ingesting(const multi_fixture *fixture, const gr_test_server *server,
                                  const gr_test_server *other)
{
    char *body = gr_xasprintf("{\"type\":\"file\",\"target\":\"%s/extra/extra.yaml\"}",
                              fixture->dir);
    gr_test_output res = call(server, "POST", "/api/catalog/locations", service_headers, body);

    if (res.status != 201)
        fprintf(stderr, "registering a location: %d %s\n", res.status, res.out);
    assert_int_equal(res.status, 201);
    gr_test_output_free(&res);
    free(body);
    if (other != NULL) {
        res = call(other, "POST", "/api/catalog/refresh", service_headers,
                   "{\"entityRef\":\"group:default/team-000\"}");
        assert_true(res.status == 200 || res.status == 404);
        gr_test_output_free(&res);
    }
}

/* Reads entities from every running instance; each must return 200. */
static void read_from_all(const multi_fixture *fixture, int count)
{
    for (int i = 0; i < count; i++) {
        gr_test_output res = call(&fixture->servers[i], "GET",
                                  "/api/catalog/entities?limit=20&filter=kind=component",
                                  service_headers, NULL);

        assert_int_equal(res.status, 200);
        gr_test_output_free(&res);
    }
}

/* Counts the instances that took at least one processing lease. */
static int64_t owners(gr_db *db)
{
    return db_fixture_int64(db, "SELECT COUNT(DISTINCT new_owner) FROM gr_test_lease_audit "
                                "WHERE new_owner IS NOT NULL");
}

/* Ingests the catalog with `count` instances into the fixture's database. */
static char *ingest(multi_fixture *fixture, int count)
{
    char *extra = catalog_config(fixture->dir);
    char *snapshot;

    prepare_catalog_db(fixture, extra);
    start_instances(fixture, count, extra);
    read_from_all(fixture, count);
    write_while_ingesting(fixture, &fixture->servers[count - 1],
                          count > 1 ? &fixture->servers[0] : NULL);
    for (int round = 0; round < 10 && missing_entities(fixture->db->db, INGEST_FILES) > 0;
         round++) {
        read_from_all(fixture, count);
        usleep(100 * 1000);
    }
    assert_int_equal(wait_ingested(fixture->db->db, INGEST_FILES, 1, INGEST_TIMEOUT_S), 0);
    /* Entities come due again every few seconds, so every instance takes
     * leases sooner or later, even when one did the first round alone. */
    for (time_t deadline = time(NULL) + OWNERS_TIMEOUT_S;
         owners(fixture->db->db) < count && time(NULL) < deadline;)
        usleep(200 * 1000);
    assert_int_equal(owners(fixture->db->db), count);
    check_lease_audit(fixture);
    snapshot = catalog_snapshot(fixture->db->db);
    stop_all(fixture);
    free(extra);
    return snapshot;
}

/*
 * Two instances ingest a generated catalog while both serve reads and
 * writes; the result equals a single instance's, entity for entity.
 */
static void instances_ingest_like_one(void **state)
{
    multi_fixture *fixture = *state;
    multi_fixture single = {0};
    void *single_db = (void *)&db_fixture_pg;
    char *together;
    char *alone;

    start_instances(fixture, 1, "");
    if (!catalog_served(fixture))
        skip(); /* TODO: runs once `greenroom serve` includes the catalog plugin. */
    stop_all(fixture);
    write_catalog(fixture->dir, INGEST_FILES);

    together = ingest(fixture, INSTANCES);

    assert_int_equal(db_fixture_setup(&single_db), 0);
    single.db = single_db;
    single.dir = fixture->dir;
    alone = ingest(&single, 1);
    db_fixture_teardown(&single_db);

    assert_string_equal(together, alone);
    free(together);
    free(alone);
}

/*
 * Waits until part of the catalog is final and instance 0 has leases, then
 * freezes it with SIGSTOP and returns its lease count (0 on timeout).
 * A write sent just before the freeze may still commit and release the
 * leases, so the count is read after a pause. When no lease is left, the
 * instance continues and the wait starts again.
 */
static int64_t freeze_with_leases(multi_fixture *fixture, const char *leases_sql)
{
    pid_t pid = fixture->servers[0].pid;
    time_t deadline = time(NULL) + 60;

    while (time(NULL) < deadline) {
        int64_t leases;

        usleep(5 * 1000);
        if (db_fixture_int64(fixture->db->db, "SELECT COUNT(*) FROM catalog_final_entities") <
                KILL_AFTER_FINAL ||
            db_fixture_int64(fixture->db->db, leases_sql) == 0)
            continue;
        kill(pid, SIGSTOP);
        usleep(1000 * 1000);
        leases = db_fixture_int64(fixture->db->db, leases_sql);
        if (leases > 0)
            return leases;
        kill(pid, SIGCONT);
    }
    return 0;
}

/*
 * SIGKILL of an instance in the middle of processing: the other instance
 * takes over the dead one's leases once they expire and finishes the work.
 */
static void instance_takes_over_leases(void **state)
{
    multi_fixture *fixture = *state;
    char *extra = catalog_config(fixture->dir);
    char *leases_sql;
    time_t deadline;
    int64_t leases;
    char *takeover_sql;

    start_instances(fixture, 1, "");
    if (!catalog_served(fixture))
        skip(); /* TODO: runs once `greenroom serve` includes the catalog plugin. */
    stop_all(fixture);
    write_catalog(fixture->dir, KILL_FILES);
    prepare_catalog_db(fixture, extra);
    start_instances(fixture, INSTANCES, extra);

    /* Killed once part of the catalog is final and the instance holds leases. */
    leases_sql = gr_xasprintf("SELECT COUNT(*) FROM catalog_refresh_state WHERE lease_owner = '%s'",
                            fixture->instance_ids[0]);
    leases = freeze_with_leases(fixture, leases_sql);
    assert_true(leases > 0);
    kill(fixture->servers[0].pid, SIGKILL);
    waitpid(fixture->servers[0].pid, NULL, 0);
    fixture->servers[0].pid = 0;

    /* The dead instance's leases go to the other one once they expire. */
    for (deadline = time(NULL) + TAKEOVER_TIMEOUT_S; leases > 0 && time(NULL) < deadline;
         usleep(500 * 1000))
        leases = db_fixture_int64(fixture->db->db, leases_sql);
    assert_int_equal(leases, 0);
    assert_int_equal(wait_ingested(fixture->db->db, KILL_FILES, 0, INGEST_TIMEOUT_S), 0);
    /* A row the dead instance held is claimed by the other one later, either
     * straight from the expired lease or after a write of the other instance
     * released it (its processing marks emitted rows due at once). */
    takeover_sql = gr_xasprintf("SELECT COUNT(*) FROM gr_test_lease_audit a WHERE a.new_owner = "
                                "'%s' AND EXISTS (SELECT 1 FROM gr_test_lease_audit b WHERE "
                                "b.entity_id = a.entity_id AND b.new_owner = '%s' AND b.id < a.id)",
                                fixture->instance_ids[1], fixture->instance_ids[0]);
    assert_true(db_fixture_int64(fixture->db->db, takeover_sql) > 0);
    check_lease_audit(fixture);
    free(takeover_sql);
    free(leases_sql);
    free(extra);
}

#define MULTI_TEST(fn) {#fn, fn, setup, teardown, NULL}

int main(void)
{
    const struct CMUnitTest tests[] = {
        MULTI_TEST(instances_start_together),
        MULTI_TEST(instances_share_identities),
        MULTI_TEST(instance_survives_kill),
        MULTI_TEST(instances_ingest_like_one),
        MULTI_TEST(instance_takes_over_leases),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
