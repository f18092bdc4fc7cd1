/* SPDX-License-Identifier: MIT */
/* Catalog operations for the REST API and the CLI: locations, refresh, deletion, reads. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/cancel.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/engine/engine.h"
#include "plugins/catalog/engine/process.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/search_index.h"
#include "plugins/catalog/engine/sql.h"
#include "plugins/catalog/engine/store.h"
#include "plugins/catalog/model/ref.h"

static json_t *location_json(gr_db_stmt *stmt)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", gr_db_column_text(stmt, 0), "type",
                     gr_db_column_text(stmt, 1), "target", gr_db_column_text(stmt, 2), "entityRef",
                     gr_db_column_text(stmt, 3), "origin", gr_db_column_text(stmt, 4));
}

static int query_locations(gr_catalog *catalog, const char *where, const char *types,
                           const char *a, const char *b, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *sql = gr_xasprintf("SELECT id, type, target, entity_ref, origin FROM catalog_locations "
                             "%s ORDER BY id",
                             where);
    json_t *list = json_array();
    int rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);

    if (rc == GR_OK)
        rc = gr_catalog__prepare(conn, sql, &stmt, types, a, b);
    while (stmt != NULL && (rc = gr_db_step(stmt)) == GR_DB_ROW)
        json_array_append_new(list, location_json(stmt));
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(sql);
    if (rc != GR_DB_DONE) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return GR_OK;
}

int gr_catalog_list_locations(gr_catalog *catalog, json_t **out)
{
    return query_locations(catalog, "", NULL, NULL, NULL, out);
}

static int one_location(gr_catalog *catalog, const char *where, const char *types, const char *a,
                        const char *b, const char *what, json_t **out)
{
    json_t *list = NULL;
    int rc = query_locations(catalog, where, types, a, b, &list);

    if (rc != GR_OK)
        return rc;
    if (json_array_size(list) == 0) {
        json_decref(list);
        return gr_error_set(GR_ENOTFOUND, "Found no location with %s", what);
    }
    *out = json_incref(json_array_get(list, 0));
    json_decref(list);
    return GR_OK;
}

int gr_catalog_get_location(gr_catalog *catalog, const char *id, json_t **out)
{
    char *what = gr_xasprintf("ID %s", id);
    int rc = one_location(catalog, "WHERE id = ?", "s", id, NULL, what, out);

    free(what);
    return rc;
}

/* Parses and lower-cases an entity ref "kind:namespace/name". Caller frees. */
static int normalize_ref(const char *text, char **out)
{
    gr_entity_ref ref = GR_ENTITY_REF_INIT;
    int rc = gr_model_ref_parse(text, NULL, NULL, &ref);

    if (rc != GR_OK)
        return rc;
    *out = gr_model_ref_format(&ref);
    gr_entity_ref_free(&ref);
    return GR_OK;
}

int gr_catalog_location_by_entity(gr_catalog *catalog, const char *entity_ref, json_t **out)
{
    gr_db_conn *conn = NULL;
    char *ref = NULL, *text = NULL, *type = NULL, *target = NULL;
    json_t *entity = NULL;
    const char *origin;
    int rc = normalize_ref(entity_ref, &ref);

    if (rc != GR_OK)
        return rc;
    rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_catalog__query_text(conn, &text,
                                    "SELECT COALESCE(processed_entity, unprocessed_entity) FROM "
                                    "catalog_refresh_state WHERE entity_ref = ?",
                                    "s", ref);
    gr_db_release(conn);
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "found no entity for ref %s", ref);
    if (rc != GR_OK)
        goto done;
    entity = json_loads(text ? text : "null", 0, NULL);
    origin = json_string_value(json_object_get(
        json_object_get(json_object_get(entity, "metadata"), "annotations"),
        "backstage.io/managed-by-origin-location"));
    if (origin == NULL || gr_catalog__location_ref_parse(origin, &type, &target) != GR_OK) {
        rc = gr_error_set(GR_ENOTFOUND, "found no origin annotation for ref %s", ref);
        goto done;
    }
    {
        char *what = gr_xasprintf("type %s and target %s", type, target);

        rc = one_location(catalog, "WHERE type = ? AND target = ?", "ss", type, target, what, out);
        free(what);
    }
done:
    json_decref(entity);
    free(ref);
    free(text);
    free(type);
    free(target);
    return rc;
}

/* Maximum length of the part of a target that location errors repeat, in bytes. */
#define MESSAGE_TARGET_MAX 300

/* Checks that the type is one the engine reads and that a target is given. */
static int check_location_input(const char *type, const char *target)
{
    if (type == NULL || (strcmp(type, "file") != 0 && strcmp(type, "url") != 0 &&
                         strcmp(type, "git") != 0))
        return gr_error_set(GR_EINVALID, "Unknown location type '%s'; use url, file or git",
                            type ? type : "");
    if (target == NULL || target[0] == '\0')
        return gr_error_set(GR_EINVALID, "The location target is missing");
    return GR_OK;
}

static json_t *dry_run_location(const char *type, const char *target)
{
    char *id = gr_xasprintf("%s:%s", type, target);
    char *name = gr_catalog__location_entity_name(type, target);
    char *ref = gr_xasprintf("location:default/%s", name);
    json_t *location = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "target", target, "id", id,
                                 "entityRef", ref);

    free(id);
    free(name);
    free(ref);
    return location;
}

/* Joins the messages of a failed processing result into one error: invalid input, unless a
 * stopping server cut a read short (503, so that the client tries again). */
static int dry_run_failure(const gr_catalog_result *result)
{
    gr_buf message = GR_BUF_INIT;
    size_t index;
    json_t *error;
    int rc;

    json_array_foreach (result->errors, index, error)
        gr_buf_printf(&message, "%s%s: %s", index ? ", " : "",
                      json_string_value(json_object_get(error, "name")),
                      json_string_value(json_object_get(error, "message")));
    rc = gr_error_set(gr_cancel_requested() ? GR_EBACKEND : GR_EINVALID, "%s",
                      gr_buf_cstr(&message));
    gr_buf_free(&message);
    return rc;
}

/* Adds a processed entity to the dry run's output, checking duplicates and the count of the
 * entities that the registered location `type`:`target` emits. */
static int dry_run_keep(json_t *entities, json_t *seen_refs, json_t *entity, const char *type,
                        const char *target)
{
    char *ref = gr_model_entity_ref(entity);
    int rc = GR_OK;

    if (json_object_get(seen_refs, ref) != NULL)
        rc = gr_error_set(GR_EINVALID, "Duplicate nested entity: %s", ref);
    else if (json_array_size(entities) >= GR_CATALOG_DRY_RUN_MAX_ENTITIES)
        rc = gr_error_set(GR_ELIMIT,
                          "The location %s:%s emits more than %d entities; register its files "
                          "as several locations",
                          type, target, GR_CATALOG_DRY_RUN_MAX_ENTITIES);
    json_object_set_new(seen_refs, ref, json_true());
    free(ref);
    json_object_del(json_object_get(entity, "metadata"), "uid");
    json_array_append(entities, entity);
    return rc;
}

/* Processes a location in memory as Backstage's dry run does, following
 * Location entities; stores the processed entities in *out. Each pending
 * entity is kept with its depth: the number of Location entities between it
 * and the registered location. */
static int dry_run(gr_catalog *catalog, const char *type, const char *target, json_t **out)
{
    json_t *stack = json_array();
    json_t *entities = json_array();
    json_t *seen_refs = json_object();
    json_t *root = gr_catalog__location_entity(type, target);
    int rc = GR_OK;

    json_object_set_new(json_object_get(root, "metadata"), "namespace", json_string("default"));
    json_array_append_new(stack, json_pack("[o, i]", root, 0));
    while (json_array_size(stack) > 0 && rc == GR_OK) {
        json_t *pending = json_incref(json_array_get(stack, json_array_size(stack) - 1));
        json_t *current = json_array_get(pending, 0);
        int depth = (int)json_integer_value(json_array_get(pending, 1));
        const char *kind = json_string_value(json_object_get(current, "kind"));
        bool is_location = kind != NULL && strcasecmp(kind, "Location") == 0;
        gr_catalog_result result;

        json_array_remove(stack, json_array_size(stack) - 1);
        gr_catalog__process(catalog, current, &result);
        if (!result.ok)
            rc = dry_run_failure(&result);
        else
            rc = dry_run_keep(entities, seen_refs, result.entity, type, target);
        if (rc == GR_OK && result.deferred_count > 0 && is_location &&
            depth >= GR_CATALOG_DRY_RUN_MAX_DEPTH) {
            char *ref = gr_model_entity_ref(result.entity);

            rc = gr_error_set(GR_ELIMIT,
                              "Location entities are nested more than %d deep at %s; register "
                              "the deeper locations separately",
                              GR_CATALOG_DRY_RUN_MAX_DEPTH, ref);
            free(ref);
        }
        for (size_t i = 0; i < result.deferred_count && rc == GR_OK; i++) {
            const char *json = gr_catalog__deferred_json(&result, i);

            if (json == NULL)
                rc = GR_EBACKEND;
            else
                json_array_append_new(stack, json_pack("[o, i]", json_loads(json, 0, NULL),
                                                       depth + (is_location ? 1 : 0)));
        }
        gr_catalog__result_free(&result);
        json_decref(pending);
    }
    json_decref(stack);
    json_decref(seen_refs);
    if (rc != GR_OK) {
        json_decref(entities);
        return rc;
    }
    *out = entities;
    return GR_OK;
}

static int location_exists(gr_catalog *catalog, const char *type, const char *target, bool *out)
{
    gr_db_conn *conn = NULL;
    int64_t count = 0;
    int rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);

    if (rc == GR_OK)
        rc = gr_catalog__query_int(conn, &count,
                                   "SELECT COUNT(*) FROM catalog_locations WHERE type = ? "
                                   "AND target = ?",
                                   "ss", type, target);
    gr_db_release(conn);
    *out = count > 0;
    return rc;
}

/* Stores a user location and supplies its Location entity. `refresh_existing`
 * makes an existing location and everything below it due instead of failing
 * with GR_ECONFLICT. */
static int store_location(gr_catalog *catalog, const char *type, const char *target,
                          bool refresh_existing, json_t **location_out)
{
    gr_db_conn *conn = NULL;
    gr_catalog_provided item;
    json_t *entity;
    char id[GR_CATALOG_UUID_SIZE];
    char *name = gr_catalog__location_entity_name(type, target);
    char *ref = gr_xasprintf("location:default/%s", name);
    char *key = gr_xasprintf("%s:%s", type, target);
    char *existing_id = NULL;
    int64_t changed;
    int rc;

    gr_catalog__uuid(id);
    rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_begin(conn);
    if (rc == GR_OK) {
        rc = gr_catalog__query_text(conn, &existing_id,
                                    "SELECT id FROM catalog_locations WHERE type = ? AND target = ?",
                                    "ss", type, target);
        if (rc == GR_OK && !refresh_existing)
            rc = gr_error_set(GR_ECONFLICT, "Location %s:%s already exists", type, target);
        else if (rc == GR_ENOTFOUND)
            rc = GR_OK;
    }
    if (rc == GR_OK && existing_id == NULL) {
        changed = gr_catalog__exec(conn,
                                   "INSERT INTO catalog_locations (id, type, target, origin, "
                                   "entity_ref, created_at) VALUES (?, ?, ?, 'user', ?, ?)",
                                   "ssssi", id, type, target, ref, gr_catalog__now_ms());
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    if (rc == GR_OK && existing_id != NULL) {
        /* Everything the location leads to is read again, not only its own file. */
        changed = gr_catalog__exec(conn,
                                   "UPDATE catalog_refresh_state SET next_update_at = ?, "
                                   "result_hash = NULL WHERE entity_ref IN (WITH RECURSIVE "
                                   "tree(entity_ref) AS (SELECT CAST(? AS TEXT) UNION SELECT "
                                   "r.target_entity_ref FROM tree t JOIN catalog_refs r ON "
                                   "r.source_entity_ref = t.entity_ref) SELECT entity_ref FROM tree)",
                                   "is", gr_catalog__now_ms(), ref);
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    gr_db_release(conn);
    if (rc != GR_OK)
        goto done;

    entity = gr_catalog__location_entity(type, target);
    gr_catalog__provided_init(&item, entity, key);
    json_decref(entity);
    rc = gr_catalog__provider_add(catalog, GR_CATALOG_USER_PROVIDER, &item, 1);
    gr_catalog__provided_free(&item);
    if (rc == GR_OK && location_out != NULL)
        *location_out = json_pack("{s:s, s:s, s:s, s:s}", "id", existing_id ? existing_id : id,
                                  "type", type, "target", target, "entityRef", ref);
done:
    free(existing_id);
    free(name);
    free(ref);
    free(key);
    return rc;
}

/* Rejects a type that catalog.allowedLocationTypes leaves out, with Backstage's message
 * (`verb` is "Registered" or "Analyzed") and the setting that allows it. */
static int check_type_allowed(const gr_catalog *catalog, const char *verb, const char *type)
{
    char *allowed;
    int rc;

    if (gr_catalog__type_allowed(&catalog->settings, type))
        return GR_OK;
    allowed = gr_catalog__allowed_types_text(&catalog->settings);
    rc = gr_error_set(GR_EINVALID,
                      "%s locations must be of an allowed type %s. Add \"%s\" to "
                      "catalog.allowedLocationTypes to allow it",
                      verb, allowed, type);
    free(allowed);
    return rc;
}

/* Rejects a url target that is no http or https URL, or whose host may not be read. */
/* Returns the length of an "http://" or "https://" prefix of `target`, or 0. */
static size_t http_scheme_length(const char *target)
{
    if (strncasecmp(target, "http://", 7) == 0)
        return 7;
    if (strncasecmp(target, "https://", 8) == 0)
        return 8;
    return 0;
}

static int check_url_target(const gr_catalog *catalog, const char *target)
{
    size_t scheme = http_scheme_length(target);

    /* The target is cut in messages, so that the fix after it stays within the error's size. */
    if (scheme == 0 || target[scheme] == '\0' || target[scheme] == '/')
        return gr_error_set(GR_EINVALID,
                            "'%.*s' is not an absolute http or https URL with a host, which a "
                            "location of type url needs. For a file on the server, use type file",
                            MESSAGE_TARGET_MAX, target);
    if (!gr_catalog__url_allowed(&catalog->settings, target))
        return gr_error_set(GR_EDENIED,
                            "Reading from '%.*s' is not allowed. You may need to configure an "
                            "integration for the host or add it to backend.reading.allow",
                            MESSAGE_TARGET_MAX, target);
    return GR_OK;
}

/* Rejects a file target that is no absolute path. */
static int check_file_target(const char *type, const char *target)
{
    if (strcmp(type, "file") == 0 && target[0] != '/')
        return gr_error_set(GR_EINVALID, "The file location target '%.*s' must be an absolute path",
                            MESSAGE_TARGET_MAX, target);
    return GR_OK;
}

/* Checks the form of the target for its type. Runs after the type is found allowed, so that a
 * type the settings leave out is named first, whatever its target. */
static int check_target_form(const gr_catalog *catalog, const char *type, const char *target)
{
    int rc = check_file_target(type, target);

    if (rc == GR_OK && strcmp(type, "url") == 0)
        rc = check_url_target(catalog, target);
    return rc;
}

int gr_catalog__check_registered(gr_catalog *catalog, const char *type, const char *target)
{
    int rc = check_location_input(type, target);

    if (rc == GR_OK)
        rc = check_type_allowed(catalog, "Registered", type);
    if (rc == GR_OK)
        rc = check_target_form(catalog, type, target);
    return rc;
}

int gr_catalog_add_location(gr_catalog *catalog, const char *type, const char *target, int dry_run_flag,
                            json_t **location_out, json_t **entities_out, json_t **exists_out)
{
    int rc = gr_catalog__check_registered(catalog, type, target);

    if (rc != GR_OK)
        return rc;
    if (dry_run_flag) {
        json_t *entities = NULL;
        bool exists = false;

        rc = location_exists(catalog, type, target, &exists);
        if (rc == GR_OK)
            rc = dry_run(catalog, type, target, &entities);
        if (rc != GR_OK)
            return rc;
        if (location_out)
            *location_out = dry_run_location(type, target);
        if (exists_out)
            *exists_out = json_boolean(exists);
        if (entities_out)
            *entities_out = entities;
        else
            json_decref(entities);
        return GR_OK;
    }
    rc = store_location(catalog, type, target, false, location_out);
    if (rc == GR_OK && entities_out)
        *entities_out = json_array();
    return rc;
}

int gr_catalog_import_location(gr_catalog *catalog, const char *type, const char *target,
                               json_t **location_out)
{
    int rc = check_location_input(type, target);

    if (rc == GR_OK)
        rc = check_file_target(type, target);
    if (rc != GR_OK)
        return rc;
    return store_location(catalog, type, target, true, location_out);
}

int gr_catalog_remove_location(gr_catalog *catalog, const char *id)
{
    gr_catalog_marks marks = {0}, deleted = {0};
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *ref = NULL, *origin = NULL;
    char *cause = gr_xasprintf("location:%s", id);
    /* Each entity that goes with the location looks up the relations that point at it. */
    int rc = gr_catalog__relations_index_build(catalog, GR_CATALOG_RELATIONS_SCAN_ROWS);

    if (rc == GR_OK)
        rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    if (rc == GR_OK)
        rc = gr_db_begin(conn);
    if (rc == GR_OK)
        rc = gr_catalog__prepare(conn,
                                 "SELECT entity_ref, origin FROM catalog_locations WHERE id = ?",
                                 &stmt, "s", id);
    if (rc == GR_OK) {
        rc = gr_db_step(stmt);
        if (rc == GR_DB_ROW) {
            ref = gr_catalog__column_dup(stmt, 0);
            origin = gr_catalog__column_dup(stmt, 1);
            rc = GR_OK;
        } else if (rc == GR_DB_DONE) {
            rc = gr_error_set(GR_ENOTFOUND, "Found no location with ID %s", id);
        }
        gr_db_finalize(stmt);
    }
    if (rc == GR_OK && strcmp(origin, "user") != 0)
        rc = gr_error_set(GR_EDENIED,
                          "Location %s comes from the config (catalog.locations); remove it there",
                          id);
    if (rc == GR_OK) {
        int64_t changed = gr_catalog__exec(conn, "DELETE FROM catalog_locations WHERE id = ?", "s",
                                           id);
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    if (rc == GR_OK)
        rc = gr_catalog__provider_remove(catalog, conn, GR_CATALOG_USER_PROVIDER, &ref, 1, cause,
                                         &marks, &deleted);
    if (rc == GR_OK)
        rc = gr_catalog__marks_flush(catalog, conn, &marks);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    gr_db_release(conn);
    if (rc == GR_OK) {
        gr_catalog__notify_deleted(catalog, &deleted);
        gr_catalog__wake(catalog);
        gr_info("catalog", "removed location %s and %zu entities", id, deleted.count);
    }
    gr_catalog__marks_free(&marks);
    gr_catalog__marks_free(&deleted);
    free(ref);
    free(origin);
    free(cause);
    return rc;
}

int gr_catalog_delete_entity(gr_catalog *catalog, const char *uid)
{
    return gr_catalog_delete_entity_as(catalog, uid, NULL);
}

/* Runs one transaction of gr_catalog_delete_entity_as() on `conn`, from BEGIN to COMMIT or
 * ROLLBACK. The refs to stitch again and the deleted refs go to `marks` and `deleted`. */
static int delete_entity_once(gr_catalog *catalog, gr_db_conn *conn, const char *uid,
                              const char *cause, gr_catalog_marks *marks, gr_catalog_marks *deleted)
{
    char *ref = NULL;
    int rc = gr_db_begin(conn);

    if (rc == GR_OK) {
        rc = gr_catalog__query_text(conn, &ref,
                                    "SELECT entity_ref FROM catalog_refresh_state WHERE entity_id = ?",
                                    "s", uid);
        if (rc == GR_ENOTFOUND)
            rc = gr_error_set(GR_ENOTFOUND, "Entity with uid %s not found", uid);
    }
    if (rc == GR_OK) {
        /* As Backstage: the parents process again in full, so the entity comes
         * back if a location still emits it. */
        int64_t changed = gr_catalog__exec(
            conn,
            "UPDATE catalog_refresh_state SET result_hash = 'child-was-deleted', "
            "next_update_at = ? WHERE entity_ref IN (SELECT source_entity_ref FROM catalog_refs "
            "WHERE target_entity_ref = ?)",
            "is", gr_catalog__now_ms(), ref);
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    if (rc == GR_OK)
        rc = gr_catalog__delete_entities(catalog, conn, &ref, 1, cause, marks, deleted);
    if (rc == GR_OK)
        rc = gr_catalog__marks_flush(catalog, conn, marks);
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    if (rc != GR_OK)
        gr_db_rollback(conn);
    free(ref);
    return rc;
}

int gr_catalog_delete_entity_as(gr_catalog *catalog, const char *uid, const char *actor)
{
    gr_catalog_marks marks = {0}, deleted = {0};
    gr_db_conn *conn = NULL;
    char *cause = actor ? gr_xasprintf("user:%s", actor) : gr_xstrdup("delete");
    int rc = gr_catalog__relations_index_build(catalog, GR_CATALOG_RELATIONS_SCAN_ROWS);

    if (rc == GR_OK)
        rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    for (int attempt = 1; conn != NULL; attempt++) {
        rc = delete_entity_once(catalog, conn, uid, cause, &marks, &deleted);
        if (!gr_catalog__retry_aborted(conn, rc, attempt, "deleting entity %s", uid))
            break;
        gr_catalog__marks_free(&marks);
        gr_catalog__marks_free(&deleted);
    }
    gr_db_release(conn);
    if (rc == GR_OK) {
        gr_catalog__notify_deleted(catalog, &deleted);
        gr_catalog__wake(catalog);
    }
    gr_catalog__marks_free(&marks);
    gr_catalog__marks_free(&deleted);
    free(cause);
    return rc;
}

/* Follows the first parent of each entity up to the root (as Backstage's listAncestors). */
static int list_ancestors(gr_db_conn *conn, const char *ref, json_t *out)
{
    char *current = gr_xstrdup(ref);
    int rc = GR_OK;

    for (int depth = 0; depth < GR_CATALOG_MAX_ANCESTOR_DEPTH; depth++) {
        char *parent = NULL;

        rc = gr_catalog__query_text(conn, &parent,
                                    "SELECT source_entity_ref FROM catalog_refs WHERE "
                                    "target_entity_ref = ? AND source_entity_ref IS NOT NULL "
                                    "ORDER BY source_entity_ref LIMIT 1",
                                    "s", current);
        free(current);
        current = NULL;
        if (rc == GR_ENOTFOUND)
            return GR_OK;
        if (rc != GR_OK || parent == NULL)
            return rc;
        json_array_append_new(out, json_string(parent));
        current = parent;
    }
    free(current);
    return gr_error_set(GR_ELIMIT, "Entity %s has more than %d ancestors", ref,
                        GR_CATALOG_MAX_ANCESTOR_DEPTH);
}

int gr_catalog_refresh(gr_catalog *catalog, const char *entity_ref)
{
    return gr_catalog_refresh_as(catalog, entity_ref, NULL);
}

/*
 * Runs one transaction of gr_catalog_refresh_as() on `conn`, from BEGIN to
 * COMMIT or ROLLBACK. It makes the Location ancestors due from the root down
 * and the entity last. Processing a location updates its own row and then
 * its children's in the same order, so on PostgreSQL the two do not wait for
 * each other in a cycle.
 */
static int refresh_once(gr_db_conn *conn, const char *ref, const char *cause, int64_t now)
{
    json_t *ancestors = json_array();
    int64_t changed = 0;
    int rc = gr_db_begin(conn);

    if (rc == GR_OK)
        rc = list_ancestors(conn, ref, ancestors);
    for (size_t i = json_array_size(ancestors); i > 0 && rc == GR_OK; i--) {
        const char *ancestor = json_string_value(json_array_get(ancestors, i - 1));

        if (strncmp(ancestor, "location:", 9) != 0)
            continue;
        changed = gr_catalog__exec(conn,
                                   "UPDATE catalog_refresh_state SET next_update_at = ?, "
                                   "pending_cause = ? WHERE entity_ref = ?",
                                   "iss", now, cause, ancestor);
        rc = changed < 0 ? (int)changed : GR_OK;
    }
    if (rc == GR_OK) {
        changed = gr_catalog__exec(conn,
                                   "UPDATE catalog_refresh_state SET next_update_at = ?, "
                                   "pending_cause = ? WHERE entity_ref = ?",
                                   "iss", now, cause, ref);
        if (changed == 0)
            rc = gr_error_set(GR_ENOTFOUND, "Failed to schedule %s for refresh", ref);
        else if (changed < 0)
            rc = (int)changed;
    }
    if (rc == GR_OK)
        rc = gr_db_commit(conn);
    if (rc != GR_OK)
        gr_db_rollback(conn);
    json_decref(ancestors);
    return rc;
}

int gr_catalog_refresh_as(gr_catalog *catalog, const char *entity_ref, const char *actor)
{
    gr_db_conn *conn = NULL;
    char *ref = NULL;
    char *cause = actor ? gr_xasprintf("user:%s", actor) : gr_xstrdup("refresh");
    int64_t now = gr_catalog__now_ms();
    int rc = normalize_ref(entity_ref, &ref);

    if (rc == GR_OK)
        rc = gr_db_acquire(catalog->db, GR_DB_WRITE, &conn);
    for (int attempt = 1; conn != NULL; attempt++) {
        rc = refresh_once(conn, ref, cause, now);
        if (!gr_catalog__retry_aborted(conn, rc, attempt, "refreshing %s", ref))
            break;
    }
    gr_db_release(conn);
    if (rc == GR_OK)
        gr_catalog__wake(catalog);
    free(ref);
    free(cause);
    return rc;
}

int gr_catalog_validate_entity(gr_catalog *catalog, const json_t *entity, const char *location,
                               json_t **errors_out)
{
    char *type = NULL, *target = NULL;
    int rc;

    *errors_out = NULL;
    if (location == NULL || gr_catalog__location_ref_parse(location, &type, &target) != GR_OK) {
        *errors_out = json_array();
        gr_catalog__error_push(*errors_out, "InputError",
                               "Invalid location ref, expected 'type:target'", NULL, NULL);
        return GR_EINVALID;
    }
    free(type);
    free(target);
    rc = gr_catalog__validate(catalog, entity, location, errors_out);
    return rc;
}

int gr_catalog_analyze_location(gr_catalog *catalog, const char *type, const char *target,
                                json_t **out)
{
    gr_catalog_files files = GR_CATALOG_FILES_INIT;
    json_t *existing = json_array();
    json_t *generate = json_array();
    int rc = check_location_input(type, target);

    /* The same rules as registering: analysing reads the source, so a type
     * users may not register (such as file) must not be readable here. */
    if (rc == GR_OK)
        rc = check_type_allowed(catalog, "Analyzed", type);
    if (rc == GR_OK)
        rc = check_target_form(catalog, type, target);
    if (rc == GR_OK)
        rc = gr_catalog__read_location(&catalog->settings, type, target, &files);
    if (rc == GR_ENOTFOUND) {
        /* Nothing to register: suggest a Component named after the last path segment.
         * TODO: Backstage's analyzer also offers owner and system fields from the SCM. */
        const char *end = target + strlen(target);
        const char *start;
        char *name;

        while (end > target && (end[-1] == '/' || end[-1] == '?'))
            end--;
        start = end;
        while (start > target && start[-1] != '/')
            start--;
        name = gr_xstrndup(start, (size_t)(end - start));
        if (strlen(name) > 5 && strcmp(name + strlen(name) - 4, ".git") == 0)
            name[strlen(name) - 4] = '\0';
        json_array_append_new(
            generate,
            json_pack("{s:{s:s, s:s, s:{s:s, s:{}}, s:{s:s, s:s}}, s:[]}", "entity", "apiVersion",
                      "backstage.io/v1alpha1", "kind", "Component", "metadata", "name", name,
                      "annotations", "spec", "type", "other", "lifecycle", "unknown", "fields"));
        free(name);
        rc = GR_OK;
    } else if (rc == GR_OK) {
        for (size_t i = 0; i < files.count; i++) {
            gr_catalog_result result;
            json_t *location_entity = gr_catalog__location_entity(type, files.items[i].target);
            bool registered = false;

            location_exists(catalog, type, files.items[i].target, &registered);
            gr_catalog__process(catalog, location_entity, &result);
            for (size_t k = 0; k < result.deferred_count; k++) {
                const char *json = gr_catalog__deferred_json(&result, k);
                json_t *entity = json ? json_loads(json, 0, NULL) : NULL;

                if (entity == NULL)
                    continue;
                json_array_append_new(existing,
                                      json_pack("{s:{s:s, s:s}, s:b, s:o}", "location", "type",
                                                type, "target", files.items[i].target,
                                                "isRegistered", registered, "entity", entity));
            }
            gr_catalog__result_free(&result);
            json_decref(location_entity);
        }
    }
    gr_catalog__files_free(&files);
    if (rc != GR_OK) {
        json_decref(existing);
        json_decref(generate);
        return rc;
    }
    *out = json_pack("{s:o, s:o}", "existingEntityFiles", existing, "generateEntities", generate);
    return GR_OK;
}

static int final_entity(gr_db_conn *conn, const char *ref, json_t **out)
{
    char *text = NULL;
    int rc = gr_catalog__query_text(conn, &text,
                                    "SELECT final_entity FROM catalog_final_entities "
                                    "WHERE entity_ref = ?",
                                    "s", ref);

    if (rc == GR_OK)
        *out = json_loads(text ? text : "null", 0, NULL);
    free(text);
    return rc;
}

int gr_catalog_ancestry(gr_catalog *catalog, const char *entity_ref, json_t **out)
{
    gr_db_conn *conn = NULL;
    json_t *items = json_array();
    json_t *todo = json_array();
    char *ref = NULL;
    int rc = normalize_ref(entity_ref, &ref);

    if (rc == GR_OK)
        rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        json_array_append_new(todo, json_string(ref));
    for (size_t i = 0; rc == GR_OK && i < json_array_size(todo); i++) {
        const char *current = json_string_value(json_array_get(todo, i));
        json_t *entity = NULL;
        json_t *parents = json_array();
        gr_db_stmt *stmt = NULL;

        if (i >= GR_CATALOG_MAX_ANCESTOR_DEPTH * 4) {
            json_decref(parents);
            break;
        }
        rc = final_entity(conn, current, &entity);
        if (rc == GR_ENOTFOUND) {
            json_decref(parents);
            if (i == 0) {
                rc = gr_error_set(GR_ENOTFOUND, "No such entity %s", ref);
                break;
            }
            rc = GR_OK;
            continue;
        }
        if (rc == GR_OK)
            rc = gr_catalog__prepare(conn,
                                     "SELECT DISTINCT source_entity_ref FROM catalog_refs WHERE "
                                     "target_entity_ref = ? AND source_entity_ref IS NOT NULL",
                                     &stmt, "s", current);
        while (stmt != NULL && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
            const char *parent = gr_db_column_text(stmt, 0);
            bool seen = false;

            json_array_append_new(parents, json_string(parent));
            for (size_t k = 0; k < json_array_size(todo) && !seen; k++)
                seen = strcmp(json_string_value(json_array_get(todo, k)), parent) == 0;
            if (!seen)
                json_array_append_new(todo, json_string(parent));
        }
        gr_db_finalize(stmt);
        if (rc == GR_DB_DONE)
            rc = GR_OK;
        if (rc == GR_OK)
            json_array_append_new(items, json_pack("{s:o, s:o}", "entity", entity,
                                                   "parentEntityRefs", parents));
        else {
            json_decref(entity);
            json_decref(parents);
        }
    }
    gr_db_release(conn);
    if (rc == GR_OK)
        *out = json_pack("{s:s, s:O}", "rootEntityRef", ref, "items", items);
    json_decref(items);
    json_decref(todo);
    free(ref);
    return rc;
}

static json_t *iso_time(int64_t ms)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    char text[64];

    gmtime_r(&seconds, &tm);
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    return json_string(text);
}

int gr_catalog_history(gr_catalog *catalog, const char *entity_ref, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *list = json_array();
    char *ref = NULL;
    int rc = normalize_ref(entity_ref, &ref);

    if (rc == GR_OK)
        rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);
    if (rc == GR_OK)
        rc = gr_catalog__prepare(conn,
                                 "SELECT id, entity_ref, entity_id, changed_at, cause, change, diff "
                                 "FROM catalog_history WHERE entity_ref = ? ORDER BY id",
                                 &stmt, "s", ref);
    while (stmt != NULL && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        json_t *diff = json_loads(gr_db_column_text(stmt, 6), 0, NULL);

        json_array_append_new(
            list, json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:o}", "id",
                            (json_int_t)gr_db_column_int64(stmt, 0), "entityRef",
                            gr_db_column_text(stmt, 1), "entityId", gr_db_column_text(stmt, 2),
                            "changedAt", iso_time(gr_db_column_int64(stmt, 3)), "cause",
                            gr_db_column_text(stmt, 4), "change", gr_db_column_text(stmt, 5),
                            "diff", diff ? diff : json_array()));
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    free(ref);
    if (rc != GR_DB_DONE) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return GR_OK;
}

/* The rows with errors that some source still emits: the condition shared by both lists. */
#define FAILED_AND_EMITTED                                                                         \
    "errors IS NOT NULL AND errors <> '' AND errors <> '[]' AND EXISTS (SELECT 1 FROM "            \
    "catalog_refs r WHERE r.target_entity_ref = rs.entity_ref)"

/* Lists the failed entities of the whole catalog, or of `root_ref` and its descendants. */
static int list_errors(gr_catalog *catalog, const char *root_ref, json_t **out)
{
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    json_t *list = json_array();
    int rc = gr_db_acquire(catalog->db, GR_DB_READ, &conn);

    /* UNION drops refs met twice, so a cycle of Locations ends the recursion. */
    if (rc == GR_OK && root_ref != NULL)
        rc = gr_catalog__prepare(conn,
                                 "WITH RECURSIVE tree (ref) AS (SELECT CAST(? AS TEXT) UNION SELECT "
                                 "r.target_entity_ref FROM catalog_refs r JOIN tree t ON "
                                 "r.source_entity_ref = t.ref) "
                                 "SELECT entity_ref, entity_id, unprocessed_entity, errors FROM "
                                 "catalog_refresh_state rs WHERE rs.entity_ref IN (SELECT ref "
                                 "FROM tree) AND " FAILED_AND_EMITTED " ORDER BY entity_ref",
                                 &stmt, "s", root_ref);
    else if (rc == GR_OK)
        rc = gr_catalog__prepare(conn,
                                 "SELECT entity_ref, entity_id, unprocessed_entity, errors FROM "
                                 "catalog_refresh_state rs WHERE " FAILED_AND_EMITTED
                                 " ORDER BY entity_ref",
                                 &stmt, NULL);
    while (stmt != NULL && (rc = gr_db_step(stmt)) == GR_DB_ROW) {
        json_t *entity = json_loads(gr_db_column_text(stmt, 2), 0, NULL);
        json_t *errors = json_loads(gr_db_column_text(stmt, 3), 0, NULL);
        const char *location = json_string_value(json_object_get(
            json_object_get(json_object_get(entity, "metadata"), "annotations"),
            "backstage.io/managed-by-location"));

        json_array_append_new(list, json_pack("{s:s, s:s, s:s?, s:o}", "entityRef",
                                              gr_db_column_text(stmt, 0), "entityId",
                                              gr_db_column_text(stmt, 1), "location", location,
                                              "errors", errors ? errors : json_array()));
        json_decref(entity);
    }
    gr_db_finalize(stmt);
    gr_db_release(conn);
    if (rc != GR_DB_DONE) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return GR_OK;
}

int gr_catalog_processing_errors(gr_catalog *catalog, json_t **out)
{
    return list_errors(catalog, NULL, out);
}

int gr_catalog_processing_errors_under(gr_catalog *catalog, const char *root_ref, json_t **out)
{
    return list_errors(catalog, root_ref, out);
}
