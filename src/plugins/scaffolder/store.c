/* SPDX-License-Identifier: MIT */
/* The task queue in the database: tasks with claims and states, and their event logs. */
#include "plugins/scaffolder/store.h"

#include <assert.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"

#define TABLES_COMMON                                                                              \
    "CREATE TABLE scaffolder_tasks ("                                                              \
    "  id TEXT PRIMARY KEY,"                                                                       \
    "  spec TEXT NOT NULL,"                                                                        \
    "  secrets TEXT,"                                                                              \
    "  status TEXT NOT NULL,"                                                                      \
    "  created_by TEXT,"                                                                           \
    "  template_ref TEXT,"                                                                         \
    "  created_at BIGINT NOT NULL,"                                                                \
    "  last_heartbeat_at BIGINT,"                                                                  \
    "  claimed_by TEXT,"                                                                           \
    "  claim_expires_at BIGINT,"                                                                   \
    "  cancel_requested BIGINT NOT NULL DEFAULT 0,"                                                \
    "  state TEXT,"                                                                                \
    "  completed_at BIGINT);"                                                                      \
    "CREATE INDEX scaffolder_tasks_status_idx ON scaffolder_tasks (status, created_at);"           \
    "CREATE INDEX scaffolder_tasks_created_by_idx ON scaffolder_tasks (created_by, created_at);"

#define EVENTS_TABLE(AUTO_ID)                                                                      \
    "CREATE TABLE scaffolder_task_events ("                                                        \
    "  id " AUTO_ID ","                                                                            \
    "  task_id TEXT NOT NULL REFERENCES scaffolder_tasks (id) ON DELETE CASCADE,"                  \
    "  event_type TEXT NOT NULL,"                                                                  \
    "  body TEXT NOT NULL,"                                                                        \
    "  created_at BIGINT NOT NULL);"                                                               \
    "CREATE INDEX scaffolder_task_events_task_idx ON scaffolder_task_events (task_id, id);"

/* The creator's identity as JSON (creator.h), so a task runs with its creator's permissions. */
#define CREATOR_COLUMN "ALTER TABLE scaffolder_tasks ADD COLUMN creator TEXT;"

const gr_plugin_migration gr_task_store_migrations[] = {
    {
        .version = 1,
        .description = "tasks and task events",
        .sql_sqlite = TABLES_COMMON EVENTS_TABLE("INTEGER PRIMARY KEY AUTOINCREMENT"),
        .sql_pg = TABLES_COMMON EVENTS_TABLE("BIGSERIAL PRIMARY KEY"),
    },
    {
        .version = 2,
        .description = "task creator identity",
        .sql_sqlite = CREATOR_COLUMN,
        .sql_pg = CREATOR_COLUMN,
    },
};

static_assert(sizeof(gr_task_store_migrations) / sizeof(gr_task_store_migrations[0]) ==
                  GR_TASK_STORE_MIGRATION_COUNT,
              "GR_TASK_STORE_MIGRATION_COUNT counts the migrations");

void gr_scaffolder_new_id(char out[GR_SCAFFOLDER_ID_SIZE])
{
    unsigned char bytes[16];

    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
        /* Fall back to the clock; ids then only need to be unique, not secret. */
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        for (size_t i = 0; i < sizeof(bytes); i++)
            bytes[i] = (unsigned char)((now.tv_nsec >> (i % 8)) ^ (now.tv_sec >> i) ^ (i * 37));
    }
    bytes[6] = (unsigned char)((bytes[6] & 0x0f) | 0x40);
    bytes[8] = (unsigned char)((bytes[8] & 0x3f) | 0x80);
    snprintf(out, GR_SCAFFOLDER_ID_SIZE,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
             bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
}

/* Formats milliseconds since the epoch as ISO 8601 UTC with milliseconds. */
static json_t *iso_time(int64_t ms)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    char text[96];

    gmtime_r(&seconds, &tm);
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return json_string(text);
}

static json_t *parse_json(const char *text)
{
    json_t *value = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

    return value ? value : json_null();
}

/* Runs a statement with text parameters (NULL binds NULL). Stores the changed rows count. */
static int exec_texts(gr_db *db, const char *sql, const char *const *params, size_t count,
                      int64_t *changes)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    if ((rc = gr_db_acquire(db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    if ((rc = gr_db_prepare(conn, sql, &stmt)) == 0) {
        for (size_t i = 0; i < count; i++)
            gr_db_bind_text(stmt, (int)i + 1, params[i]);
        rc = gr_db_step(stmt);
        if (rc == GR_DB_DONE || rc == GR_DB_ROW) {
            if (changes != NULL)
                *changes = gr_db_changes(stmt);
            rc = 0;
        }
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

int gr_task_create(gr_db *db, const json_t *spec, const json_t *secrets, const json_t *creator,
                   const char *template_ref, char id_out[GR_SCAFFOLDER_ID_SIZE])
{
    char *spec_text = json_dumps(spec, JSON_COMPACT);
    char *secrets_text = secrets ? json_dumps(secrets, JSON_COMPACT) : NULL;
    char *creator_text = creator ? json_dumps(creator, JSON_COMPACT) : NULL;
    const char *created_by = NULL;
    char *sql = gr_xasprintf("INSERT INTO scaffolder_tasks (id, spec, secrets, status, created_by, "
                             "creator, template_ref, created_at) VALUES (?, ?, ?, 'open', ?, ?, ?, "
                             "%s)",
                             gr_db_sql_now_ms(db));
    int rc;

    if (json_is_string(json_object_get(creator, "type")) &&
        strcmp(json_string_value(json_object_get(creator, "type")), "user") == 0)
        created_by = json_string_value(json_object_get(creator, "userEntityRef"));
    gr_scaffolder_new_id(id_out);
    {
        const char *params[] = {id_out,     spec_text,    secrets_text,
                                created_by, creator_text, template_ref};

        rc = exec_texts(db, sql, params, 6, NULL);
    }
    free(sql);
    free(spec_text);
    free(secrets_text);
    free(creator_text);
    return rc;
}

int gr_task_not_found(const char *id)
{
    return gr_error_set(GR_ENOTFOUND, "Task with id %s does not exist", id);
}

#define TASK_COLUMNS "id, spec, status, created_at, last_heartbeat_at, created_by, state"

static json_t *task_from_row(gr_db_stmt *stmt)
{
    json_t *task = json_object();

    json_object_set_new(task, "id", json_string(gr_db_column_text(stmt, 0)));
    json_object_set_new(task, "spec", parse_json(gr_db_column_text(stmt, 1)));
    json_object_set_new(task, "status", json_string(gr_db_column_text(stmt, 2)));
    json_object_set_new(task, "createdAt", iso_time(gr_db_column_int64(stmt, 3)));
    json_object_set_new(task, "lastHeartbeatAt",
                        gr_db_column_is_null(stmt, 4) ? json_null()
                                                      : iso_time(gr_db_column_int64(stmt, 4)));
    json_object_set_new(task, "createdBy",
                        gr_db_column_text(stmt, 5) ? json_string(gr_db_column_text(stmt, 5))
                                                   : json_null());
    json_object_set_new(task, "state", parse_json(gr_db_column_text(stmt, 6)));
    return task;
}

int gr_task_get(gr_db *db, const char *id, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    *out = NULL;
    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0)
        return rc;
    rc = gr_db_prepare(conn, "SELECT " TASK_COLUMNS " FROM scaffolder_tasks WHERE id = ?", &stmt);
    if (rc == 0) {
        gr_db_bind_text(stmt, 1, id);
        rc = gr_db_step(stmt);
        if (rc == GR_DB_ROW) {
            *out = task_from_row(stmt);
            rc = 0;
        } else if (rc == GR_DB_DONE) {
            rc = gr_task_not_found(id);
        }
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

/* Deepest criteria tree turned into SQL; the policy nests at most GR_PERMISSION_MAX_DEPTH. */
#define ACCESS_MAX_DEPTH 32

/*
 * Appends the SQL of a criteria tree, adding its values to `params`. A task
 * without a creator never matches IS_TASK_OWNER, also under `not`, as in
 * gr_permission_criteria_match().
 */
static void access_sql(const json_t *criteria, gr_buf *sql, json_t *params, int depth)
{
    const json_t *list;
    const json_t *item;
    const char *rule = json_string_value(json_object_get(criteria, "rule"));
    size_t i;

    if (depth > ACCESS_MAX_DEPTH) {
        gr_buf_puts(sql, "1 = 0");
        return;
    }
    if ((list = json_object_get(criteria, "allOf")) != NULL ||
        (list = json_object_get(criteria, "anyOf")) != NULL) {
        int all = json_object_get(criteria, "allOf") != NULL;

        if (json_array_size(list) == 0) {
            gr_buf_puts(sql, all ? "1 = 1" : "1 = 0");
            return;
        }
        gr_buf_putc(sql, '(');
        json_array_foreach(list, i, item)
        {
            if (i > 0)
                gr_buf_puts(sql, all ? " AND " : " OR ");
            access_sql(item, sql, params, depth + 1);
        }
        gr_buf_putc(sql, ')');
        return;
    }
    if ((item = json_object_get(criteria, "not")) != NULL) {
        gr_buf_puts(sql, "NOT (");
        access_sql(item, sql, params, depth + 1);
        gr_buf_putc(sql, ')');
        return;
    }
    list = json_object_get(json_object_get(criteria, "params"), "createdBy");
    if (rule == NULL || strcmp(rule, "IS_TASK_OWNER") != 0 || json_array_size(list) == 0) {
        gr_buf_puts(sql, "1 = 0");
        return;
    }
    gr_buf_puts(sql, "(created_by IS NOT NULL AND created_by IN (");
    json_array_foreach(list, i, item)
    {
        gr_buf_puts(sql, i ? ", ?" : "?");
        json_array_append_new(params, json_string(json_string_value(item) ?: ""));
    }
    gr_buf_puts(sql, "))");
}

/* Appends the WHERE clause of the filter and adds its parameter values to `params`. */
static void filter_sql(const gr_task_filter *filter, gr_buf *sql, json_t *params)
{
    const char *joiner = " WHERE ";

    if (filter->created_by != NULL) {
        gr_buf_printf(sql, "%screated_by = ?", joiner);
        json_array_append_new(params, json_string(filter->created_by));
        joiner = " AND ";
    }
    if (filter->status_count > 0) {
        gr_buf_printf(sql, "%sstatus IN (", joiner);
        for (size_t i = 0; i < filter->status_count && i < 5; i++) {
            gr_buf_puts(sql, i ? ", ?" : "?");
            json_array_append_new(params, json_string(filter->statuses[i] ?: ""));
        }
        gr_buf_putc(sql, ')');
        joiner = " AND ";
    }
    if (filter->access != NULL) {
        gr_buf_puts(sql, joiner);
        access_sql(filter->access, sql, params, 0);
    }
}

static void bind_params(gr_db_stmt *stmt, const json_t *params)
{
    size_t i;
    const json_t *value;

    json_array_foreach(params, i, value)
        gr_db_bind_text(stmt, (int)i + 1, json_string_value(value));
}

static int count_tasks(gr_db_conn *conn, const gr_task_filter *filter, int64_t *total)
{
    gr_buf sql = GR_BUF_INIT;
    json_t *params = json_array();
    gr_db_stmt *stmt = NULL;
    int rc;

    gr_buf_puts(&sql, "SELECT COUNT(*) FROM scaffolder_tasks");
    filter_sql(filter, &sql, params);
    rc = gr_db_prepare(conn, gr_buf_cstr(&sql), &stmt);
    if (rc == 0) {
        bind_params(stmt, params);
        rc = gr_db_step(stmt);
        *total = rc == GR_DB_ROW ? gr_db_column_int64(stmt, 0) : 0;
        rc = rc == GR_DB_ROW ? 0 : rc;
    }
    gr_db_finalize(stmt);
    json_decref(params);
    gr_buf_free(&sql);
    return rc;
}

int gr_task_list(gr_db *db, const gr_task_filter *filter, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    gr_buf sql = GR_BUF_INIT;
    json_t *params = json_array();
    int64_t limit =
        filter->limit > 0 && filter->limit < GR_TASK_LIST_MAX ? filter->limit : GR_TASK_LIST_MAX;
    int64_t total = 0;
    json_t *tasks = json_array();
    int rc;

    *out = NULL;
    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0) {
        json_decref(tasks);
        json_decref(params);
        return rc;
    }
    gr_buf_puts(&sql, "SELECT " TASK_COLUMNS " FROM scaffolder_tasks");
    filter_sql(filter, &sql, params);
    gr_buf_printf(&sql, " ORDER BY created_at DESC, id LIMIT %lld OFFSET %lld", (long long)limit,
                  (long long)(filter->offset > 0 ? filter->offset : 0));
    rc = gr_db_prepare(conn, gr_buf_cstr(&sql), &stmt);
    if (rc == 0) {
        bind_params(stmt, params);
        while ((rc = gr_db_step(stmt)) == GR_DB_ROW)
            json_array_append_new(tasks, task_from_row(stmt));
        rc = rc == GR_DB_DONE ? 0 : rc;
    }
    gr_db_finalize(stmt);
    if (rc == 0)
        rc = count_tasks(conn, filter, &total);
    gr_db_release(conn);
    gr_buf_free(&sql);
    json_decref(params);
    if (rc < 0) {
        json_decref(tasks);
        return rc;
    }
    *out = json_pack("{s:o, s:I}", "tasks", tasks, "totalTasks", (json_int_t)total);
    return 0;
}

void gr_task_claim_clear(gr_task_claim *claim)
{
    if (claim == NULL)
        return;
    json_decref(claim->spec);
    json_decref(claim->secrets);
    json_decref(claim->creator);
    memset(claim, 0, sizeof(*claim));
}

int gr_task_claim_next(gr_db *db, const char *owner, int64_t lease_ms, gr_task_claim *out)
{
    const char *now = gr_db_sql_now_ms(db);
    char *sql = gr_xasprintf(
        "UPDATE scaffolder_tasks SET status = 'processing', claimed_by = ?, "
        "claim_expires_at = %s + ?, last_heartbeat_at = %s "
        "WHERE status = 'open' AND id = (SELECT id FROM scaffolder_tasks WHERE status = 'open' "
        "ORDER BY created_at, id LIMIT 1%s) RETURNING id, spec, secrets, creator",
        now, now, gr_db_sql_skip_locked(db));
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = gr_db_acquire(db, GR_DB_WRITE, &conn)) < 0) {
        free(sql);
        return rc;
    }
    if ((rc = gr_db_prepare(conn, sql, &stmt)) == 0) {
        gr_db_bind_text(stmt, 1, owner);
        gr_db_bind_int64(stmt, 2, lease_ms);
        rc = gr_db_step(stmt);
        if (rc == GR_DB_ROW) {
            snprintf(out->id, sizeof(out->id), "%s", gr_db_column_text(stmt, 0));
            out->spec = parse_json(gr_db_column_text(stmt, 1));
            out->secrets = parse_json(gr_db_column_text(stmt, 2));
            if (!json_is_object(out->secrets)) {
                json_decref(out->secrets);
                out->secrets = json_object();
            }
            out->creator = parse_json(gr_db_column_text(stmt, 3));
            rc = 0;
            /* Step on, so the UPDATE finishes on engines that return rows first. */
            gr_db_step(stmt);
        } else if (rc == GR_DB_DONE) {
            rc = GR_ENOTFOUND;
        }
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(sql);
    return rc;
}

int gr_task_heartbeat(gr_db *db, const char *id, const char *owner, int64_t lease_ms,
                      bool *cancel_requested)
{
    const char *now = gr_db_sql_now_ms(db);
    char *sql = gr_xasprintf("UPDATE scaffolder_tasks SET last_heartbeat_at = %s, "
                             "claim_expires_at = %s + ? WHERE id = ? AND claimed_by = ? AND "
                             "status = 'processing' RETURNING cancel_requested",
                             now, now);
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    *cancel_requested = false;
    if ((rc = gr_db_acquire(db, GR_DB_WRITE, &conn)) < 0) {
        free(sql);
        return rc;
    }
    if ((rc = gr_db_prepare(conn, sql, &stmt)) == 0) {
        gr_db_bind_int64(stmt, 1, lease_ms);
        gr_db_bind_text(stmt, 2, id);
        gr_db_bind_text(stmt, 3, owner);
        rc = gr_db_step(stmt);
        if (rc == GR_DB_ROW) {
            *cancel_requested = gr_db_column_int64(stmt, 0) != 0;
            gr_db_step(stmt);
            rc = 0;
        } else if (rc == GR_DB_DONE) {
            rc = gr_error_set(GR_ECONFLICT, "task %s is no longer claimed by this instance", id);
        }
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(sql);
    return rc;
}

int gr_task_add_event(gr_db *db, const char *id, const char *type, const json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    char *sql = gr_xasprintf("INSERT INTO scaffolder_task_events (task_id, event_type, body, "
                             "created_at) VALUES (?, ?, ?, %s)",
                             gr_db_sql_now_ms(db));
    const char *params[] = {id, type, text ? text : "{}"};
    int rc = exec_texts(db, sql, params, 3, NULL);

    free(sql);
    free(text);
    return rc;
}

int gr_task_set_state(gr_db *db, const char *id, const json_t *state)
{
    char *text = json_dumps(state, JSON_COMPACT);
    const char *params[] = {text, id};
    int rc = exec_texts(db, "UPDATE scaffolder_tasks SET state = ? WHERE id = ?", params, 2, NULL);

    free(text);
    return rc;
}

int gr_task_finish(gr_db *db, const char *id, const char *status)
{
    char *sql = gr_xasprintf("UPDATE scaffolder_tasks SET status = ?, secrets = NULL, "
                             "claimed_by = NULL, claim_expires_at = NULL, completed_at = %s "
                             "WHERE id = ?",
                             gr_db_sql_now_ms(db));
    const char *params[] = {status, id};
    int rc = exec_texts(db, sql, params, 2, NULL);

    free(sql);
    return rc;
}

/* Reads the status of a task into `status` (size 16). */
static int read_status(gr_db *db, const char *id, char *status, size_t size)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    int rc;

    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0)
        return rc;
    if ((rc = gr_db_prepare(conn, "SELECT status FROM scaffolder_tasks WHERE id = ?", &stmt)) ==
        0) {
        gr_db_bind_text(stmt, 1, id);
        rc = gr_db_step(stmt);
        if (rc == GR_DB_ROW) {
            snprintf(status, size, "%s", gr_db_column_text(stmt, 0));
            rc = 0;
        } else if (rc == GR_DB_DONE) {
            rc = gr_task_not_found(id);
        }
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    return rc;
}

int gr_task_cancel(gr_db *db, const char *id)
{
    char status[16] = "";
    int64_t changes = 0;
    int rc;

    if ((rc = read_status(db, id, status, sizeof(status))) < 0)
        return rc;
    if (strcmp(status, "open") == 0) {
        const char *params[] = {id};

        rc = exec_texts(db,
                        "UPDATE scaffolder_tasks SET status = 'cancelled', secrets = NULL "
                        "WHERE id = ? AND status = 'open'",
                        params, 1, &changes);
        if (rc == 0 && changes == 1) {
            json_t *body = json_pack("{s:s}", "message", "Run was cancelled");

            rc = gr_task_add_event(db, id, "cancelled", body);
            json_decref(body);
            return rc;
        }
        if (rc < 0)
            return rc;
        /* Claimed meanwhile: ask the runner instead. */
    }
    {
        const char *params[] = {id};

        rc = exec_texts(db,
                        "UPDATE scaffolder_tasks SET cancel_requested = 1 "
                        "WHERE id = ? AND status = 'processing'",
                        params, 1, &changes);
    }
    if (rc == 0 && changes == 0)
        return gr_error_set(GR_ECONFLICT, "Task %s has ended already and cannot be cancelled", id);
    return rc;
}

int gr_task_retry(gr_db *db, const char *id)
{
    char status[16] = "";
    const char *params[] = {id};
    int64_t changes = 0;
    json_t *body;
    int rc;

    if ((rc = read_status(db, id, status, sizeof(status))) < 0)
        return rc;
    rc = exec_texts(db,
                    "UPDATE scaffolder_tasks SET status = 'open', cancel_requested = 0, "
                    "state = NULL, completed_at = NULL WHERE id = ? AND status IN "
                    "('failed', 'cancelled')",
                    params, 1, &changes);
    if (rc < 0)
        return rc;
    if (changes == 0)
        return gr_error_set(GR_ECONFLICT,
                            "Task %s is %s; only failed or cancelled tasks can be "
                            "retried",
                            id, status);
    body = json_pack("{s:s}", "message", "The task was opened again for a retry");
    rc = gr_task_add_event(db, id, "recovered", body);
    json_decref(body);
    return rc;
}

int gr_task_events(gr_db *db, const char *id, int64_t after, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *events = json_array();
    int rc;

    *out = NULL;
    if ((rc = gr_db_acquire(db, GR_DB_READ, &conn)) < 0) {
        json_decref(events);
        return rc;
    }
    rc = gr_db_prepare(conn,
                       "SELECT id, event_type, body, created_at FROM scaffolder_task_events "
                       "WHERE task_id = ? AND id > ? ORDER BY id",
                       &stmt);
    if (rc == 0) {
        gr_db_bind_text(stmt, 1, id);
        gr_db_bind_int64(stmt, 2, after);
        while ((rc = gr_db_step(stmt)) == GR_DB_ROW) {
            json_t *event = json_object();

            json_object_set_new(event, "id", json_integer(gr_db_column_int64(stmt, 0)));
            json_object_set_new(event, "taskId", json_string(id));
            json_object_set_new(event, "type", json_string(gr_db_column_text(stmt, 1)));
            json_object_set_new(event, "body", parse_json(gr_db_column_text(stmt, 2)));
            json_object_set_new(event, "createdAt", iso_time(gr_db_column_int64(stmt, 3)));
            json_array_append_new(events, event);
        }
        rc = rc == GR_DB_DONE ? 0 : rc;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (rc < 0) {
        json_decref(events);
        return rc;
    }
    *out = events;
    return 0;
}

int gr_task_recover_expired(gr_db *db, int64_t *count)
{
    char *sql = gr_xasprintf("UPDATE scaffolder_tasks SET status = 'failed', secrets = NULL, "
                             "claimed_by = NULL, completed_at = %s WHERE status = 'processing' "
                             "AND claim_expires_at < %s RETURNING id",
                             gr_db_sql_now_ms(db), gr_db_sql_now_ms(db));
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *ids = json_array();
    size_t index;
    json_t *id;
    int rc;

    if (count != NULL)
        *count = 0;
    if ((rc = gr_db_acquire(db, GR_DB_WRITE, &conn)) < 0)
        goto done;
    if ((rc = gr_db_prepare(conn, sql, &stmt)) == 0) {
        while ((rc = gr_db_step(stmt)) == GR_DB_ROW)
            json_array_append_new(ids, json_string(gr_db_column_text(stmt, 0)));
        rc = rc == GR_DB_DONE ? 0 : rc;
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    json_array_foreach(ids, index, id)
    {
        json_t *body = json_pack(
            "{s:s, s:{s:s, s:s}}", "message", "Run completed with status: failed", "error", "name",
            "Error", "message",
            "The task was marked as failed because the instance running it stopped sending "
            "heartbeats");

        if (rc == 0)
            rc = gr_task_add_event(db, json_string_value(id), "completion", body);
        json_decref(body);
    }
    if (count != NULL)
        *count = (int64_t)json_array_size(ids);
done:
    json_decref(ids);
    free(sql);
    return rc;
}
