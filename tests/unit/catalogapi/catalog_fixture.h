/* SPDX-License-Identifier: MIT */
/* Test fixture: the catalog read tables filled with entities, as the engine stitches them. */
#ifndef GR_TEST_CATALOG_FIXTURE_H
#define GR_TEST_CATALOG_FIXTURE_H

/*
 * Header-only, include after cmocka.h and db_fixture.h. The tables mirror the
 * engine's catalog_final_entities and catalog_search; rows of catalog_search
 * follow Backstage's buildEntitySearch: lower-case dotted keys, one row per
 * array item, `<path>.<item>` = "true" for string items, relations as
 * relations.<type> = target ref, values longer than 200 bytes stored as NULL.
 */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/store/db.h"
#include "plugins/catalog/api/api.h"

#define CATALOG_FIXTURE_FINAL_DDL                                                                  \
    "CREATE TABLE catalog_final_entities (entity_id TEXT PRIMARY KEY,"                             \
    " entity_ref TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, final_entity TEXT,"                     \
    " last_updated_at BIGINT NOT NULL, kind TEXT NOT NULL, namespace TEXT NOT NULL,"               \
    " name TEXT NOT NULL);"

/* On SQLite the engine orders catalog_search by entity, key and ordinal, without a rowid. */
static const char catalog_fixture_ddl_sqlite[] =
    CATALOG_FIXTURE_FINAL_DDL
    "CREATE TABLE catalog_search (entity_id TEXT NOT NULL REFERENCES catalog_final_entities"
    " (entity_id) ON DELETE CASCADE, key TEXT NOT NULL, ordinal INTEGER NOT NULL,"
    " original_value TEXT, value TEXT, PRIMARY KEY (entity_id, key, ordinal)) WITHOUT ROWID;";

static const char catalog_fixture_ddl_pg[] =
    CATALOG_FIXTURE_FINAL_DDL
    "CREATE TABLE catalog_search (entity_id TEXT NOT NULL REFERENCES catalog_final_entities"
    " (entity_id) ON DELETE CASCADE, key TEXT NOT NULL, original_value TEXT, value TEXT,"
    " ordinal BIGINT NOT NULL);";

/* Creates the tables and applies the API's migrations, which create the indexes of
 * catalog_search that the engine has too. */
static inline void catalog_fixture_schema(gr_db *db)
{
    gr_db_conn *conn = NULL;

    if (gr_db_acquire(db, GR_DB_WRITE, &conn) != GR_OK ||
        gr_db_exec(conn, gr_db_dialect(db) == GR_DB_POSTGRES ? catalog_fixture_ddl_pg
                                                             : catalog_fixture_ddl_sqlite) != GR_OK)
        fail_msg("creating the catalog tables failed: %s", gr_error_last());
    gr_db_release(conn);
    if (gr_catalog_api_migrate(db) != GR_OK)
        fail_msg("catalog_api migrations failed: %s", gr_error_last());
}

typedef struct {
    char *key;
    char *value; /* NULL for a null value */
} catalog_fixture_row;

typedef struct {
    catalog_fixture_row *rows;
    size_t count;
} catalog_fixture_rows;

static inline void fixture_lower(char *text)
{
    for (; *text != '\0'; text++) {
        if (*text >= 'A' && *text <= 'Z')
            *text = (char)(*text - 'A' + 'a');
    }
}

static inline void fixture_push(catalog_fixture_rows *rows, const char *key, const char *value)
{
    char *lower_key = gr_xstrdup(key);

    fixture_lower(lower_key);
    for (size_t i = 0; i < rows->count; i++) {
        int same_value = (rows->rows[i].value == NULL && value == NULL) ||
                         (rows->rows[i].value != NULL && value != NULL &&
                          strcasecmp(rows->rows[i].value, value) == 0);

        if (strcmp(rows->rows[i].key, lower_key) == 0 && same_value) {
            free(lower_key);
            return;
        }
    }
    rows->rows = gr_xrealloc(rows->rows, (rows->count + 1) * sizeof(*rows->rows));
    rows->rows[rows->count].key = lower_key;
    rows->rows[rows->count].value = value ? gr_xstrdup(value) : NULL;
    rows->count++;
}

static inline int fixture_special(const char *path)
{
    static const char *const special[] = {"attachments",   "relations",          "status",
                                          "metadata.name", "metadata.namespace", "metadata.uid",
                                          "metadata.etag"};

    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        if (strcmp(path, special[i]) == 0)
            return 1;
    }
    return 0;
}

static inline void fixture_visit(catalog_fixture_rows *rows, const char *path, const json_t *node)
{
    char text[64];

    if (fixture_special(path))
        return;
    if (json_is_string(node)) {
        fixture_push(rows, path, json_string_value(node));
    } else if (json_is_integer(node)) {
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(node));
        fixture_push(rows, path, text);
    } else if (json_is_boolean(node)) {
        fixture_push(rows, path, json_is_true(node) ? "true" : "false");
    } else if (json_is_null(node)) {
        fixture_push(rows, path, NULL);
    } else if (json_is_array(node)) {
        size_t index;
        json_t *item;

        json_array_foreach(node, index, item)
        {
            fixture_visit(rows, path, item);
            if (json_is_string(item)) {
                char *item_key = gr_xasprintf("%s.%s", path, json_string_value(item));

                fixture_push(rows, item_key, "true");
                free(item_key);
            }
        }
    } else if (json_is_object(node)) {
        const char *key;
        json_t *value;

        json_object_foreach((json_t *)node, key, value)
        {
            char *child = path[0] ? gr_xasprintf("%s.%s", path, key) : gr_xstrdup(key);

            fixture_visit(rows, child, value);
            free(child);
        }
    }
}

/* Flattens an entity into search rows as Backstage's stitcher does. */
static inline catalog_fixture_rows catalog_fixture_flatten(const json_t *entity)
{
    catalog_fixture_rows rows = {NULL, 0};
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));
    size_t index;
    json_t *relation;

    fixture_visit(&rows, "", entity);
    fixture_push(&rows, "metadata.name", json_string_value(json_object_get(metadata, "name")));
    fixture_push(&rows, "metadata.namespace", namespace ? namespace : "default");
    fixture_push(&rows, "metadata.uid", json_string_value(json_object_get(metadata, "uid")));
    json_array_foreach(json_object_get(entity, "relations"), index, relation)
    {
        char *key =
            gr_xasprintf("relations.%s", json_string_value(json_object_get(relation, "type")));

        fixture_push(&rows, key, json_string_value(json_object_get(relation, "targetRef")));
        free(key);
    }
    return rows;
}

static inline void fixture_bind_or_fail(int rc)
{
    if (rc != GR_OK)
        fail_msg("binding failed: %s", gr_error_last());
}

/* Inserts one entity (JSON text with metadata.uid) and its search rows. */
static inline void catalog_fixture_insert_conn(gr_db_conn *conn, const char *entity_text)
{
    json_t *entity = json_loads(entity_text, 0, NULL);
    const json_t *metadata = json_object_get(entity, "metadata");
    const char *uid = json_string_value(json_object_get(metadata, "uid"));
    const char *namespace = json_string_value(json_object_get(metadata, "namespace"));
    char *kind = gr_xstrdup(json_string_value(json_object_get(entity, "kind")));
    char *ns = gr_xstrdup(namespace ? namespace : "default");
    char *name = gr_xstrdup(json_string_value(json_object_get(metadata, "name")));
    char *ref;
    char *stored = json_dumps(entity, JSON_COMPACT);
    catalog_fixture_rows rows;
    gr_db_stmt *stmt = NULL;

    if (entity == NULL || uid == NULL)
        fail_msg("fixture entity needs metadata.uid: %s", entity_text);
    fixture_lower(kind);
    fixture_lower(ns);
    fixture_lower(name);
    ref = gr_xasprintf("%s:%s/%s", kind, ns, name);

    if (gr_db_prepare(conn,
                      "INSERT INTO catalog_final_entities (entity_id, entity_ref, hash,"
                      " final_entity, last_updated_at, kind, namespace, name)"
                      " VALUES (?, ?, 'h', ?, 0, ?, ?, ?)",
                      &stmt) != GR_OK)
        fail_msg("prepare: %s", gr_error_last());
    fixture_bind_or_fail(gr_db_bind_text(stmt, 1, uid));
    fixture_bind_or_fail(gr_db_bind_text(stmt, 2, ref));
    fixture_bind_or_fail(gr_db_bind_text(stmt, 3, stored));
    fixture_bind_or_fail(gr_db_bind_text(stmt, 4, kind));
    fixture_bind_or_fail(gr_db_bind_text(stmt, 5, ns));
    fixture_bind_or_fail(gr_db_bind_text(stmt, 6, name));
    if (gr_db_step(stmt) != GR_DB_DONE)
        fail_msg("insert entity %s: %s", ref, gr_error_last());
    gr_db_finalize(stmt);

    rows = catalog_fixture_flatten(entity);
    if (gr_db_prepare(conn,
                      "INSERT INTO catalog_search (entity_id, key, original_value, value,"
                      " ordinal) VALUES (?, ?, ?, ?, ?)",
                      &stmt) != GR_OK)
        fail_msg("prepare: %s", gr_error_last());
    for (size_t i = 0; i < rows.count; i++) {
        const char *value = rows.rows[i].value;
        char *lower = NULL;

        if (value != NULL && strlen(value) <= 200) {
            lower = gr_xstrdup(value);
            fixture_lower(lower);
        } else {
            value = NULL;
        }
        gr_db_reset(stmt);
        fixture_bind_or_fail(gr_db_bind_text(stmt, 1, uid));
        fixture_bind_or_fail(gr_db_bind_text(stmt, 2, rows.rows[i].key));
        fixture_bind_or_fail(gr_db_bind_text(stmt, 3, value));
        fixture_bind_or_fail(gr_db_bind_text(stmt, 4, lower));
        fixture_bind_or_fail(gr_db_bind_int64(stmt, 5, (int64_t)i));
        if (gr_db_step(stmt) != GR_DB_DONE)
            fail_msg("insert search row: %s", gr_error_last());
        free(lower);
        free(rows.rows[i].key);
        free(rows.rows[i].value);
    }
    gr_db_finalize(stmt);
    free(rows.rows);
    free(ref);
    free(kind);
    free(ns);
    free(name);
    free(stored);
    json_decref(entity);
}

/* Inserts entities (JSON texts) in one transaction. */
static inline void catalog_fixture_insert(gr_db *db, const char *const *entities, size_t count)
{
    gr_db_conn *conn = NULL;

    if (gr_db_acquire(db, GR_DB_WRITE, &conn) != GR_OK || gr_db_begin(conn) != GR_OK)
        fail_msg("begin: %s", gr_error_last());
    for (size_t i = 0; i < count; i++)
        catalog_fixture_insert_conn(conn, entities[i]);
    if (gr_db_commit(conn) != GR_OK)
        fail_msg("commit: %s", gr_error_last());
    gr_db_release(conn);
}

#endif
