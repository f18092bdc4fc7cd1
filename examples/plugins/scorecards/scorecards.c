/* SPDX-License-Identifier: MIT */
/* The scorecards plugin: configured checks scored per entity, re-evaluated when entities change. */
#include <greenroom/plugin.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks.h"

/** Maximum number of changed entities waiting for evaluation; beyond it a full run is due. */
#define MAX_PENDING 10000
/** Time between two evaluations of the changed entities, in ms. */
#define PENDING_INTERVAL_MS 1000

typedef struct {
    const gr_host_api *host;
    gr_plugin_ctx *ctx;
    check_def checks[SCORECARDS_MAX_CHECKS];
    size_t check_count;
    const char *kinds; /* kinds that get a scorecard, comma-separated */
    char *filter;      /* catalog filter selecting those kinds */

    pthread_mutex_t lock; /* guards the pending refs */
    json_t *pending;      /* ref -> true (changed) or false (deleted) */
    int overflow;         /* more changes than MAX_PENDING arrived: rescore everything */
} scorecards;

static const gr_plugin_migration migrations[] = {
    {1, "create scorecards_results",
     "CREATE TABLE scorecards_results ("
     " entity_ref TEXT PRIMARY KEY, kind TEXT NOT NULL, owner TEXT, system TEXT,"
     " score BIGINT NOT NULL, passed BIGINT NOT NULL, total BIGINT NOT NULL,"
     " checks TEXT NOT NULL, evaluated_at BIGINT NOT NULL)",
     NULL, NULL},
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Evaluation and storage ---- */

static bool entity_exists(const char *ref, void *payload)
{
    scorecards *self = payload;
    char *json = NULL;
    int rc = self->host->catalog_get(self->ctx, NULL, ref, &json);

    self->host->free(json);
    return rc == GR_PLUGIN_OK;
}

static char *entity_ref_of(const json_t *entity)
{
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *ns = json_string_value(json_object_get(metadata, "namespace"));
    char buf[512];

    snprintf(buf, sizeof(buf), "%s:%s/%s", json_string_value(json_object_get(entity, "kind")),
             ns != NULL ? ns : "default", json_string_value(json_object_get(metadata, "name")));
    for (char *p = buf; *p != '\0'; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return strdup(buf);
}

/* Scores one entity and stores the result: score = passed weight * 100 / applicable weight. */
static int evaluate(scorecards *self, const json_t *entity)
{
    const gr_host_api *host = self->host;
    json_t *results = json_array();
    char owner[512] = "";
    const char *system =
        json_string_value(json_object_get(json_object_get(entity, "spec"), "system"));
    char *ref = entity_ref_of(entity);
    char *checks_text;
    int passed = 0;
    int total = 0;
    int64_t score;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    check_owner_ref(entity, owner, sizeof(owner));
    for (size_t i = 0; i < self->check_count; i++) {
        const check_def *check = &self->checks[i];
        bool ok;
        json_t *item;

        if (!check_applies(check, entity))
            continue;
        ok = check_run(check, entity, entity_exists, self);
        total += check->weight;
        passed += ok ? check->weight : 0;
        item = json_object();
        json_object_set_new(item, "id", json_string(check->id));
        json_object_set_new(item, "title", json_string(check->title));
        json_object_set_new(item, "passed", json_boolean(ok));
        json_array_append_new(results, item);
    }
    score = total > 0 ? (int64_t)passed * 100 / total : 100;
    checks_text = json_dumps(results, JSON_COMPACT);
    rc = host->db_acquire(self->ctx, 1, &conn);
    if (rc == 0)
        rc = host->db_prepare(conn,
                              "INSERT INTO scorecards_results (entity_ref, kind, owner, system, "
                              "score, passed, total, checks, evaluated_at) VALUES "
                              "(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entity_ref) DO UPDATE "
                              "SET kind = excluded.kind, owner = excluded.owner, system = "
                              "excluded.system, score = excluded.score, passed = "
                              "excluded.passed, total = excluded.total, checks = "
                              "excluded.checks, evaluated_at = excluded.evaluated_at",
                              &stmt);
    if (rc == 0) {
        host->db_bind_text(stmt, 1, ref);
        host->db_bind_text(stmt, 2, json_string_value(json_object_get(entity, "kind")));
        host->db_bind_text(stmt, 3, owner[0] != '\0' ? owner : NULL);
        host->db_bind_text(stmt, 4, system);
        host->db_bind_int64(stmt, 5, score);
        host->db_bind_int64(stmt, 6, passed);
        host->db_bind_int64(stmt, 7, total);
        host->db_bind_text(stmt, 8, checks_text);
        host->db_bind_int64(stmt, 9, now_ms());
        rc = host->db_step(stmt) == GR_PLUGIN_DB_DONE ? 0 : GR_PLUGIN_EBACKEND;
    }
    host->db_finalize(stmt);
    host->db_release(conn);
    free(checks_text);
    free(ref);
    json_decref(results);
    return rc;
}

static int forget(scorecards *self, const char *ref)
{
    const gr_host_api *host = self->host;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = host->db_acquire(self->ctx, 1, &conn);

    if (rc == 0)
        rc = host->db_prepare(conn, "DELETE FROM scorecards_results WHERE entity_ref = ?", &stmt);
    if (rc == 0 && (rc = host->db_bind_text(stmt, 1, ref)) == 0)
        rc = host->db_step(stmt) == GR_PLUGIN_DB_DONE ? 0 : GR_PLUGIN_EBACKEND;
    host->db_finalize(stmt);
    host->db_release(conn);
    return rc;
}

/* Re-reads one entity and scores it, or drops its row when it is gone or not scored. */
static int rescore_ref(scorecards *self, const char *ref)
{
    char *json = NULL;
    json_t *entity;
    int rc = self->host->catalog_get(self->ctx, NULL, ref, &json);

    if (rc == GR_PLUGIN_ENOTFOUND)
        return forget(self, ref);
    if (rc < 0)
        return rc;
    entity = json_loads(json, 0, NULL);
    self->host->free(json);
    if (entity == NULL)
        return self->host->error_set(GR_PLUGIN_EBACKEND, "entity %s is invalid JSON", ref);
    if (check_in_list(self->kinds, json_string_value(json_object_get(entity, "kind"))))
        rc = evaluate(self, entity);
    else
        rc = forget(self, ref);
    json_decref(entity);
    return rc;
}

/* Scores every entity of the scored kinds and drops rows of entities that are gone. */
static int rescore_all(scorecards *self)
{
    const gr_host_api *host = self->host;
    char *json = NULL;
    json_t *entities;
    json_t *seen = json_object();
    size_t index;
    json_t *entity;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *stale = json_array();
    int rc = host->catalog_query(self->ctx, NULL, self->filter, 0, &json);

    if (rc < 0) {
        json_decref(seen);
        json_decref(stale);
        return rc;
    }
    entities = json_loads(json, 0, NULL);
    host->free(json);
    json_array_foreach (entities, index, entity) {
        char *ref = entity_ref_of(entity);

        json_object_set_new(seen, ref, json_true());
        free(ref);
        if ((rc = evaluate(self, entity)) < 0)
            break;
    }
    if (rc == 0 && (rc = host->db_acquire(self->ctx, 0, &conn)) == 0 &&
        (rc = host->db_prepare(conn, "SELECT entity_ref FROM scorecards_results", &stmt)) == 0) {
        while (host->db_step(stmt) == GR_PLUGIN_DB_ROW) {
            const char *ref = host->db_column_text(stmt, 0);

            if (json_object_get(seen, ref) == NULL)
                json_array_append_new(stale, json_string(ref));
        }
    }
    host->db_finalize(stmt);
    host->db_release(conn);
    json_array_foreach (stale, index, entity)
        forget(self, json_string_value(entity));
    json_decref(stale);
    json_decref(seen);
    json_decref(entities);
    return rc;
}

/* ---- Change hook and jobs ---- */

/* Runs on a catalog thread: only records the change; the pending job does the work. */
static void on_change(const char *entity_ref, int deleted, void *payload)
{
    scorecards *self = payload;

    pthread_mutex_lock(&self->lock);
    if (json_object_size(self->pending) >= MAX_PENDING)
        self->overflow = 1;
    else
        json_object_set_new(self->pending, entity_ref, json_boolean(!deleted));
    pthread_mutex_unlock(&self->lock);
}

static int pending_job(gr_sched_run *run, void *payload)
{
    scorecards *self = payload;
    json_t *pending;
    int overflow;
    const char *ref;
    json_t *changed;
    int rc = 0;

    pthread_mutex_lock(&self->lock);
    pending = self->pending;
    overflow = self->overflow;
    self->pending = json_object();
    self->overflow = 0;
    pthread_mutex_unlock(&self->lock);
    if (overflow) {
        rc = rescore_all(self);
    } else {
        json_object_foreach (pending, ref, changed) {
            if (self->host->job_stopping(run))
                break;
            rc = json_is_true(changed) ? rescore_ref(self, ref) : forget(self, ref);
            if (rc < 0)
                self->host->log(self->ctx, GR_PLUGIN_LOG_WARN, "scoring %s failed: %s", ref,
                                self->host->error_last());
        }
    }
    json_decref(pending);
    return rc < 0 ? rc : 0;
}

static int full_job(gr_sched_run *run, void *payload)
{
    (void)run;
    return rescore_all(payload);
}

/* ---- Reading results ---- */

/* Reads the stored result of `ref` into *out ({entityRef, score, ..., checks, failed}). */
static int read_result(scorecards *self, const char *ref, json_t **out)
{
    const gr_host_api *host = self->host;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = host->db_acquire(self->ctx, 0, &conn);

    *out = NULL;
    if (rc == 0)
        rc = host->db_prepare(conn,
                              "SELECT score, passed, total, checks, evaluated_at, owner, system "
                              "FROM scorecards_results WHERE entity_ref = ?",
                              &stmt);
    if (rc == 0)
        rc = host->db_bind_text(stmt, 1, ref);
    if (rc == 0 && host->db_step(stmt) == GR_PLUGIN_DB_ROW) {
        json_t *checks = json_loads(host->db_column_text(stmt, 3), 0, NULL);
        json_t *failed = json_array();
        size_t index;
        json_t *check;

        json_array_foreach (checks, index, check) {
            if (!json_is_true(json_object_get(check, "passed")))
                json_array_append(failed, json_object_get(check, "id"));
        }
        *out = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:I, s:s?, s:s?}", "entityRef", ref,
                         "score", (json_int_t)host->db_column_int64(stmt, 0), "passed",
                         (json_int_t)host->db_column_int64(stmt, 1), "total",
                         (json_int_t)host->db_column_int64(stmt, 2), "checks",
                         checks != NULL ? checks : json_array(), "failed", failed,
                         "evaluatedAt", (json_int_t)host->db_column_int64(stmt, 4), "owner",
                         host->db_column_text(stmt, 5), "system", host->db_column_text(stmt, 6));
    } else if (rc == 0) {
        rc = host->error_set(GR_PLUGIN_ENOTFOUND, "No scorecard for %s yet", ref);
    }
    host->db_finalize(stmt);
    host->db_release(conn);
    return rc;
}

/* Builds the lower-case ref of the route's :kind/:namespace/:name. */
static char *route_ref(const gr_host_api *host, gr_request *req)
{
    char buf[512];

    snprintf(buf, sizeof(buf), "%s:%s/%s", host->req_param(req, "kind"),
             host->req_param(req, "namespace"), host->req_param(req, "name"));
    for (char *p = buf; *p != '\0'; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return strdup(buf);
}

static int send_json(scorecards *self, gr_response *res, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    int rc = self->host->res_json(res, status, text);

    free(text);
    json_decref(body);
    return rc;
}

/* GET /api/scorecards/entity/:kind/:namespace/:name */
static int entity_route(gr_request *req, gr_response *res, void *payload)
{
    scorecards *self = payload;
    char *ref = route_ref(self->host, req);
    char *visible = NULL;
    json_t *result = NULL;
    int rc = self->host->catalog_get(self->ctx, req, ref, &visible);

    self->host->free(visible);
    if (rc == 0)
        rc = read_result(self, ref, &result);
    free(ref);
    return rc < 0 ? rc : send_json(self, res, 200, result);
}

/*
 * Averages the stored scores by owner or system over the entities the
 * caller may read, best first. Returns an array of {key, entities, averageScore}.
 */
static int leaderboard(scorecards *self, gr_request *req, const char *by, json_t **out)
{
    const gr_host_api *host = self->host;
    json_t *allowed = json_object();
    json_t *groups = json_object();
    char *json = NULL;
    json_t *entities;
    size_t index;
    json_t *entity;
    const char *key;
    json_t *group;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc = host->catalog_query(self->ctx, req, self->filter, 0, &json);

    *out = json_array();
    if (rc < 0)
        goto done;
    entities = json_loads(json, 0, NULL);
    json_array_foreach (entities, index, entity) {
        char *ref = entity_ref_of(entity);

        json_object_set_new(allowed, ref, json_true());
        free(ref);
    }
    json_decref(entities);
    if ((rc = host->db_acquire(self->ctx, 0, &conn)) == 0)
        rc = host->db_prepare(conn,
                              strcmp(by, "system") == 0
                                  ? "SELECT entity_ref, system, score FROM scorecards_results"
                                  : "SELECT entity_ref, owner, score FROM scorecards_results",
                              &stmt);
    while (rc == 0 && host->db_step(stmt) == GR_PLUGIN_DB_ROW) {
        const char *name = host->db_column_text(stmt, 1);

        if (json_object_get(allowed, host->db_column_text(stmt, 0)) == NULL)
            continue;
        group = json_object_get(groups, name != NULL ? name : "(none)");
        if (group == NULL) {
            group = json_pack("{s:s, s:i, s:I}", "key", name != NULL ? name : "(none)",
                              "entities", 0, "total", (json_int_t)0);
            json_object_set_new(groups, name != NULL ? name : "(none)", group);
        }
        json_object_set_new(group, "entities",
                            json_integer(json_integer_value(json_object_get(group, "entities")) +
                                         1));
        json_object_set_new(group, "total",
                            json_integer(json_integer_value(json_object_get(group, "total")) +
                                         host->db_column_int64(stmt, 2)));
    }
    host->db_finalize(stmt);
    host->db_release(conn);
    json_object_foreach (groups, key, group) {
        json_int_t count = json_integer_value(json_object_get(group, "entities"));

        json_object_set_new(group, "averageScore",
                            json_integer(json_integer_value(json_object_get(group, "total")) /
                                         (count > 0 ? count : 1)));
        json_object_del(group, "total");
        json_array_append(*out, group);
    }
    /* Best average first, then by key, for a stable order. */
    for (size_t a = 1; a < json_array_size(*out); a++) {
        for (size_t b = a; b > 0; b--) {
            json_t *x = json_array_get(*out, b - 1);
            json_t *y = json_array_get(*out, b);
            json_int_t sx = json_integer_value(json_object_get(x, "averageScore"));
            json_int_t sy = json_integer_value(json_object_get(y, "averageScore"));

            if (sx > sy || (sx == sy && strcmp(json_string_value(json_object_get(x, "key")),
                                               json_string_value(json_object_get(y, "key"))) <= 0))
                break;
            json_incref(x);
            json_array_set(*out, b - 1, y);
            json_array_set_new(*out, b, x);
        }
    }
done:
    host->free(json);
    json_decref(allowed);
    json_decref(groups);
    return rc;
}

/* GET /api/scorecards/leaderboard?by=owner|system */
static int leaderboard_route(gr_request *req, gr_response *res, void *payload)
{
    scorecards *self = payload;
    const char *by = self->host->req_query(req, "by");
    json_t *rows = NULL;
    int rc;

    if (by == NULL)
        by = "owner";
    if (strcmp(by, "owner") != 0 && strcmp(by, "system") != 0)
        return self->host->res_error(res, GR_PLUGIN_EINVALID,
                                     "by must be owner or system, not '%s'", by);
    if ((rc = leaderboard(self, req, by, &rows)) < 0) {
        json_decref(rows);
        return rc;
    }
    return send_json(self, res, 200, json_pack("{s:s, s:o}", "by", by, "items", rows));
}

/* GET /api/scorecards/checks: the configured checks. */
static int checks_route(gr_request *req, gr_response *res, void *payload)
{
    scorecards *self = payload;
    char *json = self->host->config_json(self->ctx, "checks");
    int rc;

    (void)req;
    rc = self->host->res_json(res, 200, json != NULL ? json : "[]");
    self->host->free(json);
    return rc;
}

/* POST /api/scorecards/refresh: rescore every entity now. */
static int refresh_route(gr_request *req, gr_response *res, void *payload)
{
    scorecards *self = payload;
    int rc = self->host->job_trigger(self->ctx, "rescore");

    (void)req;
    if (rc < 0 && rc != GR_PLUGIN_ECONFLICT)
        return rc;
    return self->host->res_json(res, 202, "{\"status\":\"scheduled\"}");
}

/* ---- UI ---- */

static void put_int(const gr_host_api *host, gr_html *out, long long value)
{
    char text[32];

    snprintf(text, sizeof(text), "%lld", value);
    host->html_text(out, text);
}

static void put_table(scorecards *self, gr_request *req, gr_html *out, const char *by,
                      const char *heading)
{
    const gr_host_api *host = self->host;
    json_t *rows = NULL;
    size_t index;
    json_t *row;

    host->html_raw(out, "<h2>");
    host->html_text(out, heading);
    host->html_raw(out, "</h2><table class=\"leaderboard\"><thead><tr><th>");
    host->html_text(out, by);
    host->html_raw(out, "</th><th>Entities</th><th>Average score</th></tr></thead><tbody>");
    leaderboard(self, req, by, &rows);
    json_array_foreach (rows, index, row) {
        const char *key = json_string_value(json_object_get(row, "key"));

        host->html_raw(out, "<tr><td>");
        if (strchr(key, ':') != NULL)
            host->html_entity_link(out, key);
        else
            host->html_text(out, key);
        host->html_raw(out, "</td><td>");
        put_int(host, out, (long long)json_integer_value(json_object_get(row, "entities")));
        host->html_raw(out, "</td><td>");
        put_int(host, out, (long long)json_integer_value(json_object_get(row, "averageScore")));
        host->html_raw(out, "</td></tr>");
    }
    host->html_raw(out, "</tbody></table>\n");
    json_decref(rows);
}

/* The page /scorecards: leaderboards by owner and by system. */
static int render_page(gr_request *req, gr_html *out, void *payload)
{
    scorecards *self = payload;

    put_table(self, req, out, "owner", "By owner");
    put_table(self, req, out, "system", "By system");
    return GR_PLUGIN_OK;
}

/* Writes the score and, with `details`, every check with its result. */
static int render_result(scorecards *self, const char *entity_json, gr_html *out, int details)
{
    const gr_host_api *host = self->host;
    json_t *entity = json_loads(entity_json, 0, NULL);
    char *ref = entity != NULL ? entity_ref_of(entity) : NULL;
    json_t *result = NULL;
    size_t index;
    json_t *check;

    if (ref == NULL || read_result(self, ref, &result) < 0) {
        host->html_raw(out, "<p class=\"scorecard-missing\">Not scored yet.</p>");
    } else {
        host->html_raw(out, "<p class=\"scorecard-score\">Score: <strong>");
        put_int(host, out, (long long)json_integer_value(json_object_get(result, "score")));
        host->html_raw(out, "</strong> / 100</p>");
        if (details) {
            host->html_raw(out, "<ul class=\"scorecard-checks\">");
            json_array_foreach (json_object_get(result, "checks"), index, check) {
                int passed = json_is_true(json_object_get(check, "passed"));

                host->html_raw(out, passed ? "<li class=\"passed\">" : "<li class=\"failed\">");
                host->html_text(out, passed ? "passed: " : "failed: ");
                host->html_text(out, json_string_value(json_object_get(check, "title")));
                host->html_raw(out, "</li>");
            }
            host->html_raw(out, "</ul>");
        }
    }
    json_decref(result);
    json_decref(entity);
    free(ref);
    return GR_PLUGIN_OK;
}

static int render_tab(gr_request *req, const char *entity_json, gr_html *out, void *payload)
{
    (void)req;
    return render_result(payload, entity_json, out, 1);
}

static int render_card(gr_request *req, const char *entity_json, gr_html *out, void *payload)
{
    (void)req;
    return render_result(payload, entity_json, out, 0);
}

/* ---- Setup ---- */

/* Reads checks[] from the config. */
static int read_checks(scorecards *self)
{
    const gr_host_api *host = self->host;
    size_t count = host->config_count(self->ctx, "checks");

    if (count > SCORECARDS_MAX_CHECKS)
        return host->error_set(GR_PLUGIN_EINVALID, "checks: more than %d checks",
                               SCORECARDS_MAX_CHECKS);
    for (size_t i = 0; i < count; i++) {
        check_def *check = &self->checks[i];
        char path[64];
        const char *type;

        snprintf(path, sizeof(path), "checks[%zu].id", i);
        check->id = host->config_string(self->ctx, path, NULL);
        snprintf(path, sizeof(path), "checks[%zu].type", i);
        type = host->config_string(self->ctx, path, NULL);
        check->type = check_type_parse(type);
        snprintf(path, sizeof(path), "checks[%zu].title", i);
        check->title = host->config_string(self->ctx, path, check->id);
        snprintf(path, sizeof(path), "checks[%zu].kinds", i);
        check->kinds = host->config_string(self->ctx, path, NULL);
        snprintf(path, sizeof(path), "checks[%zu].weight", i);
        check->weight = (int)host->config_int(self->ctx, path, 1);
        snprintf(path, sizeof(path), "checks[%zu].%s", i,
                 check->type == CHECK_ANNOTATION ? "annotation" : "field");
        check->argument = host->config_string(self->ctx, path, NULL);
        if (check->type == 0)
            return host->error_set(GR_PLUGIN_EINVALID,
                                   "checks[%zu].type '%s' is invalid; use owner-exists, "
                                   "annotation, field or api-definition",
                                   i, type != NULL ? type : "");
        if ((check->type == CHECK_ANNOTATION || check->type == CHECK_FIELD) &&
            check->argument == NULL)
            return host->error_set(GR_PLUGIN_EINVALID, "checks[%zu] (%s) needs its %s", i,
                                   check->id,
                                   check->type == CHECK_ANNOTATION ? "annotation" : "field");
        if (check->weight < 1 || check->weight > 100)
            return host->error_set(GR_PLUGIN_EINVALID, "checks[%zu].weight must be 1 to 100", i);
        self->check_count++;
    }
    return GR_PLUGIN_OK;
}

/* Turns "Component,API" into the catalog filter "kind=component,kind=api". */
static char *kinds_filter(const char *kinds)
{
    size_t size = strlen(kinds) * 6 + 8;
    char *filter = malloc(size);
    char *copy = strdup(kinds);
    char *save = NULL;
    size_t used = 0;

    filter[0] = '\0';
    for (char *kind = strtok_r(copy, ",", &save); kind != NULL; kind = strtok_r(NULL, ",", &save)) {
        while (*kind == ' ')
            kind++;
        if (*kind != '\0')
            used += (size_t)snprintf(filter + used, size - used, "%skind=%s", used ? "," : "",
                                     kind);
    }
    free(copy);
    return filter;
}

static int register_ui(scorecards *self)
{
    const gr_host_api *host = self->host;
    gr_plugin_page page = {sizeof(page), "/scorecards", "Scorecards", render_page, self};
    gr_plugin_nav nav = {sizeof(nav), "Scorecards", "/scorecards", "scorecard", 40};
    gr_plugin_entity_view tab = {sizeof(tab), "scorecard", "Scorecard", 50,
                                 {self->kinds, NULL, NULL}, NULL, render_tab, self};
    gr_plugin_entity_view card = {sizeof(card), "score", "Scorecard", 50,
                                  {self->kinds, NULL, NULL}, NULL, render_card, self};
    int rc;

    if ((rc = host->page_add(self->ctx, &page)) < 0 || (rc = host->nav_add(self->ctx, &nav)) < 0 ||
        (rc = host->entity_tab_add(self->ctx, &tab)) < 0)
        return rc;
    return host->entity_card_add(self->ctx, &card);
}

static int setup(const gr_host_api *host, gr_plugin_ctx *ctx, void **out)
{
    scorecards *self = calloc(1, sizeof(*self));
    int rc;

    self->host = host;
    self->ctx = ctx;
    self->pending = json_object();
    pthread_mutex_init(&self->lock, NULL);
    self->kinds = host->config_string(ctx, "kinds", "Component,API,System,Resource");
    self->filter = kinds_filter(self->kinds);
    *out = self;
    /* The host applied `migrations` (declared in the info) before setup. */
    if ((rc = read_checks(self)) < 0)
        return rc;
    if ((rc = host->catalog_on_change(ctx, on_change, self)) < 0)
        host->log(ctx, GR_PLUGIN_LOG_WARN,
                  "entity changes cannot be followed (%s); scores refresh every "
                  "intervalSeconds only",
                  host->error_last());
    if ((rc = host->job_add(ctx, "pending", PENDING_INTERVAL_MS, PENDING_INTERVAL_MS, 60000,
                            pending_job, self)) < 0 ||
        (rc = host->job_add(ctx, "rescore", host->config_int(ctx, "intervalSeconds", 3600) * 1000,
                            0, 600000, full_job, self)) < 0 ||
        (rc = host->route(ctx, "GET", "/entity/:kind/:namespace/:name", 0, entity_route, self)) <
            0 ||
        (rc = host->route(ctx, "GET", "/leaderboard", 0, leaderboard_route, self)) < 0 ||
        (rc = host->route(ctx, "GET", "/checks", 0, checks_route, self)) < 0 ||
        (rc = host->route(ctx, "POST", "/refresh", 0, refresh_route, self)) < 0)
        return rc;
    return register_ui(self);
}

static void destroy(void *payload)
{
    scorecards *self = payload;

    if (self == NULL)
        return;
    json_decref(self->pending);
    pthread_mutex_destroy(&self->lock);
    free(self->filter);
    free(self);
}

static const gr_plugin_config_key config_keys[] = {
    {.path = "checks", .types = GR_PLUGIN_CONFIG_ARRAY, .required = 1,
     .description = "The checks every scored entity is measured against."},
    {.path = "checks[].id", .types = GR_PLUGIN_CONFIG_STRING, .required = 1,
     .description = "Short id of the check, listed in `failed`."},
    {.path = "checks[].type", .types = GR_PLUGIN_CONFIG_STRING, .required = 1,
     .description = "owner-exists, annotation, field or api-definition."},
    {.path = "checks[].title", .types = GR_PLUGIN_CONFIG_STRING,
     .description = "Text shown on the entity tab; the id when unset."},
    {.path = "checks[].annotation", .types = GR_PLUGIN_CONFIG_STRING,
     .description = "annotation checks: the annotation that must be set."},
    {.path = "checks[].field", .types = GR_PLUGIN_CONFIG_STRING,
     .description = "field checks: the dotted path that must be set, such as spec.lifecycle."},
    {.path = "checks[].kinds", .types = GR_PLUGIN_CONFIG_STRING,
     .description = "Kinds the check applies to, comma-separated; every scored kind when unset."},
    {.path = "checks[].weight", .types = GR_PLUGIN_CONFIG_INTEGER,
     .description = "Weight of the check in the score, 1 to 100; 1 when unset."},
    {.path = "kinds", .types = GR_PLUGIN_CONFIG_STRING,
     .default_json = "\"Component,API,System,Resource\"",
     .description = "Kinds of entity that get a scorecard, comma-separated."},
    {.path = "intervalSeconds", .types = GR_PLUGIN_CONFIG_INTEGER, .default_json = "3600",
     .description = "Time between two full re-evaluations, in seconds."},
    {.path = NULL},
};

static const gr_plugin_info scorecards_info = {
    .abi_version = GR_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(gr_plugin_info),
    .id = "scorecards",
    .version = "1.0.0",
    .description = "scores entities against configured checks; leaderboards by owner and system",
    .config_keys = config_keys,
    .setup = setup,
    .destroy = destroy,
    .migrations = migrations,
    .migration_count = sizeof(migrations) / sizeof(migrations[0]),
};

int gr_plugin_init(const gr_host_api *host, const gr_plugin_info **out)
{
    (void)host;
    *out = &scorecards_info;
    return GR_PLUGIN_OK;
}
