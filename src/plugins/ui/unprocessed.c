/* SPDX-License-Identifier: MIT */
/* The page of unprocessed entities, failed or pending, and the form that deletes one. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "host/auth/audit.h"
#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/common/utf8.h"
#include "host/log/log.h"
#include "host/permission/permission.h"
#include "plugins/catalog/api/unprocessed.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"

#define UNPROCESSED_PATH "/catalog-unprocessed-entities"
#define READ_PERMISSION "catalog.entity.read"
#define DELETE_PERMISSION "catalog.entities.unprocessed.delete"

/* The annotation that names the file or URL an entity was read from. */
#define LOCATION_ANNOTATION "backstage.io/managed-by-location"

/** Maximum number of rows the page lists, in entity_ref order. The catalog notice counts as far. */
#define UI_UNPROCESSED_ROWS 500

/** Maximum size of the entity JSON shown for one row, in bytes. A larger one is left out. */
#define UI_UNPROCESSED_RAW_MAX 16384

/** Maximum size of one error message shown for a row, in bytes. A longer one is cut. */
#define UI_UNPROCESSED_MESSAGE_MAX 16384

/** Maximum size of the reference of a deleted entity that the page confirms, in bytes. */
#define UI_UNPROCESSED_DELETED_MAX 1024

int gr_ui__unprocessed_readable(gr_ui_page *page)
{
    return gr_ui_read_access(page) == NULL;
}

/*
 * Checks that catalog.entity.read allows the caller every entity, as the
 * API's lists do. Unprocessed entities have no final entity, so a
 * conditional decision cannot be applied to them and counts as a denial.
 */
static int require_full_read(gr_ui_page *page)
{
    if (gr_ui__unprocessed_readable(page))
        return 0;
    gr_audit_permission_denied(page->subject != NULL ? page->subject : "", READ_PERMISSION, NULL,
                               gr_req_path(page->req));
    return gr_error_set(GR_EDENIED, "Listing unprocessed entities needs " READ_PERMISSION
                                    " for every entity, and the permission policy does not "
                                    "allow it to you without conditions");
}

/* Whether the page shows delete buttons. The POST handler checks again, with an audit line. */
static int delete_allowed(gr_ui_page *page)
{
    const gr_permission_policy *policy = page->ui->host->permissions;
    gr_permission_decision decision;
    int allowed;

    if (page->ui->catalog == NULL || gr_catalog_readonly(page->ui->catalog))
        return 0;
    if (policy == NULL)
        return 1;
    if (gr_permission_evaluate(policy, gr_req_identity(page->req), DELETE_PERMISSION, &decision) <
        0) {
        gr_error_clear();
        return 0;
    }
    allowed = decision.result == GR_PERMISSION_ALLOW;
    gr_permission_decision_clear(&decision);
    return allowed;
}

/* Checks what DELETE /api/catalog/entities/unprocessed/delete/:entity_id checks before deleting. */
static int require_delete(gr_ui_page *page)
{
    if (page->ui->catalog == NULL)
        return gr_error_set(GR_EBACKEND, "The catalog engine is not available");
    if (gr_catalog_readonly(page->ui->catalog))
        return gr_error_set(GR_EDENIED, "The catalog is read-only (catalog.readonly: true), so "
                                        "unprocessed entities cannot be deleted");
    return gr_catalog_permission_require(page->ui->host->permissions, gr_req_identity(page->req),
                                         DELETE_PERMISSION, gr_req_path(page->req));
}

/* Returns "failed" or "pending" from the request's `type` field or parameter; failed by default. */
static const char *requested_type(gr_ui_page *page)
{
    const char *type = gr_ui_page_form(page, "type");

    if (type == NULL)
        type = gr_req_query(page->req, "type");
    return type != NULL && strcmp(type, "pending") == 0 ? "pending" : "failed";
}

/* Returns the owner filter from the request's `owner` field or parameter, or NULL for none. */
static const char *requested_owner(gr_ui_page *page)
{
    const char *owner = gr_ui_page_form(page, "owner");

    if (owner == NULL)
        owner = gr_req_query(page->req, "owner");
    return owner != NULL && owner[0] != '\0' ? owner : NULL;
}

/* Checks that the owner filter is UTF-8, as every spec.owner is, so that the page can show it. */
static int check_owner(const char *owner)
{
    return gr_ui__check_utf8("The owner filter", owner);
}

/*
 * Returns the page's URL for `type`, `owner` (may be NULL) and the
 * reference of a just deleted entity (may be NULL), from the page arena.
 */
static const char *list_url_deleted(gr_ui_page *page, const char *type, const char *owner,
                                    const char *deleted)
{
    gr_buf url = GR_BUF_INIT;
    const char *copy;

    gr_buf_puts(&url, UNPROCESSED_PATH "?type=");
    gr_buf_puts(&url, type);
    if (owner != NULL) {
        gr_buf_puts(&url, "&owner=");
        gr_template_put_uri(&url, owner);
    }
    if (deleted != NULL) {
        gr_buf_puts(&url, "&deleted=");
        gr_template_put_uri(&url, deleted);
    }
    copy = gr_arena_strdup(page->arena, gr_buf_cstr(&url));
    gr_buf_free(&url);
    return copy;
}

/* Returns the page's URL for `type` and `owner` (may be NULL), from the page arena. */
static const char *list_url(gr_ui_page *page, const char *type, const char *owner)
{
    return list_url_deleted(page, type, owner, NULL);
}

/*
 * Returns the `deleted` parameter that the delete form's redirect adds, or
 * NULL when it is missing or no entity reference (kind:namespace/name in
 * valid UTF-8, at most UI_UNPROCESSED_DELETED_MAX bytes). The page shows it
 * escaped, so a crafted value can only show a wrong reference.
 */
static const char *requested_deleted(gr_ui_page *page)
{
    const char *ref = gr_req_query(page->req, "deleted");
    const char *colon = ref != NULL ? strchr(ref, ':') : NULL;

    if (colon == NULL || colon == ref || strlen(ref) > UI_UNPROCESSED_DELETED_MAX)
        return NULL;
    if (strchr(colon, '/') == NULL || gr_ui__check_utf8("The deleted parameter", ref) < 0) {
        gr_error_clear();
        return NULL;
    }
    return ref;
}

/*
 * Returns `message`, or its first UI_UNPROCESSED_MESSAGE_MAX bytes, cut
 * before a UTF-8 sequence, with its full size. A message can be far larger
 * than its entity, because each invalid value of a list adds a sentence.
 */
static json_t *message_view(const char *message)
{
    size_t len = strlen(message);
    size_t cut = UI_UNPROCESSED_MESSAGE_MAX;
    char *text;
    json_t *view;

    if (len <= UI_UNPROCESSED_MESSAGE_MAX)
        return json_string(message);
    while (cut > 0 && ((unsigned char)message[cut] & 0xc0) == 0x80)
        cut--;
    text = gr_xasprintf("%.*s... (the first %zu of %zu bytes are shown, and GET "
                        "/api/catalog/entities/unprocessed/failed returns the whole message)",
                        (int)cut, message, cut, len);
    view = json_string(text);
    free(text);
    return view;
}

/* Returns the errors of a row as [{name, message}]. An item without a message shows as JSON. */
static json_t *error_views(const json_t *errors)
{
    json_t *views = json_array();
    const json_t *error;
    size_t i;

    json_array_foreach(errors, i, error)
    {
        const char *name = json_string_value(json_object_get(error, "name"));
        const char *message = json_string_value(json_object_get(error, "message"));
        char *text = message == NULL ? json_dumps(error, JSON_ENCODE_ANY) : NULL;

        json_array_append_new(views, json_pack("{s:s, s:o}", "name", name != NULL ? name : "Error",
                                               "message",
                                               message_view(message != NULL ? message
                                                            : text != NULL  ? text
                                                                            : "")));
        free(text);
    }
    return views;
}

/* Sets `key` of `view` to the string `value`, leaving it out when `value` is no string. */
static void put_string(json_t *view, const char *key, const json_t *value)
{
    if (json_is_string(value))
        json_object_set(view, key, (json_t *)value);
}

/* Sets `raw` of `view` to the entity as indented JSON, or `rawBytes` when it is too large. */
static void put_raw(json_t *view, const json_t *entity)
{
    char *raw = json_dumps(entity, JSON_INDENT(2) | JSON_ENCODE_ANY);

    if (raw == NULL)
        return;
    if (strlen(raw) <= UI_UNPROCESSED_RAW_MAX)
        json_object_set_new(view, "raw", json_string(raw));
    else
        json_object_set_new(view, "rawBytes", json_integer((json_int_t)strlen(raw)));
    free(raw);
}

/* Returns whether an item of gr_catalog_unprocessed_list() is a Location entity. */
static int is_location(const json_t *item)
{
    const char *kind =
        json_string_value(json_object_get(json_object_get(item, "unprocessed_entity"), "kind"));

    return kind != NULL && strcasecmp(kind, "Location") == 0;
}

/* Sets `targets` of `view` to the spec.target and spec.targets strings of a Location entity. */
static void put_location_targets(json_t *view, const json_t *entity)
{
    const json_t *spec = json_object_get(entity, "spec");
    const json_t *target = json_object_get(spec, "target");
    const json_t *item;
    json_t *targets = json_array();
    size_t i;

    if (json_is_string(target))
        json_array_append(targets, (json_t *)target);
    json_array_foreach(json_object_get(spec, "targets"), i, item)
    {
        if (json_is_string(item))
            json_array_append(targets, (json_t *)item);
    }
    json_object_set_new(view, "targets", targets);
}

/*
 * Returns the display form of one item of gr_catalog_unprocessed_list():
 * {id, ref, kind, owner, location, errors, discovered, nextUpdate, raw or
 * rawBytes}, and for a Location entity also isLocation and targets. The
 * location is the file or URL the entity was read from, or the key of the
 * location that emitted it.
 */
static json_t *row_view(const json_t *item)
{
    const json_t *entity = json_object_get(item, "unprocessed_entity");
    const json_t *annotations = json_object_get(json_object_get(entity, "metadata"), "annotations");
    const json_t *location = json_object_get(annotations, LOCATION_ANNOTATION);
    json_t *view = json_object();

    put_string(view, "id", json_object_get(item, "entity_id"));
    put_string(view, "ref", json_object_get(item, "entity_ref"));
    put_string(view, "kind", json_object_get(entity, "kind"));
    put_string(view, "owner", json_object_get(json_object_get(entity, "spec"), "owner"));
    put_string(view, "location",
               json_is_string(location) ? location : json_object_get(item, "location_key"));
    put_string(view, "discovered", json_object_get(item, "last_discovery_at"));
    put_string(view, "nextUpdate", json_object_get(item, "next_update_at"));
    json_object_set_new(view, "errors", error_views(json_object_get(item, "errors")));
    put_raw(view, entity);
    if (is_location(item)) {
        json_object_set_new(view, "isLocation", json_true());
        put_location_targets(view, entity);
    }
    return view;
}

/* Returns the Failed and Pending tabs, each keeping the owner filter. */
static json_t *tab_views(gr_ui_page *page, const char *type, const char *owner)
{
    static const char *const types[][2] = {{"failed", "Failed"}, {"pending", "Pending"}};
    json_t *tabs = json_array();

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        json_array_append_new(tabs, json_pack("{s:s, s:s, s:b}", "label", types[i][1], "href",
                                              list_url(page, types[i][0], owner), "current",
                                              strcmp(type, types[i][0]) == 0));
    return tabs;
}

static int unprocessed_page(gr_ui_page *page, void *payload)
{
    const char *type = requested_type(page);
    const char *owner = requested_owner(page);
    const char *deleted = requested_deleted(page);
    gr_catalog_unprocessed_set set = strcmp(type, "pending") == 0 ? GR_CATALOG_UNPROCESSED_PENDING
                                                                  : GR_CATALOG_UNPROCESSED_FAILED;
    json_t *items = NULL;
    json_t *rows = json_array();
    json_t *item;
    const char *heading;
    bool truncated = false;
    size_t i;
    int error;

    (void)payload;
    if ((error = require_full_read(page)) < 0 || (error = check_owner(owner)) < 0 ||
        (error = gr_catalog_unprocessed_list(page->ui->db, set, owner, UI_UNPROCESSED_ROWS, &items,
                                             &truncated)) < 0) {
        json_decref(rows);
        return error;
    }
    json_array_foreach(items, i, item)
        json_array_append_new(rows, row_view(item));
    json_decref(items);
    heading = gr_arena_printf(page->arena, "%zu %s %s", json_array_size(rows), type,
                              json_array_size(rows) == 1 ? "entity" : "entities");

    gr_ui__page_put(page, "unprocessed",
                    json_pack("{s:s, s:s, s:b, s:s, s:o, s:o, s:b, s:i, s:b, s:s?}", "type",
                              type, "heading", heading, "failed",
                              set == GR_CATALOG_UNPROCESSED_FAILED, "owner",
                              owner != NULL ? owner : "", "tabs", tab_views(page, type, owner),
                              "rows", rows, "truncated", truncated, "max", UI_UNPROCESSED_ROWS,
                              "canDelete", delete_allowed(page), "deleted", deleted));
    gr_ui_page_crumb(page, "Catalog", "/catalog");
    gr_ui_page_crumb(page, "Unprocessed entities", NULL);
    return gr_ui_page_render(page, 200, "unprocessed", "Unprocessed entities");
}

static int64_t monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Makes the next count read the database again, after a row was deleted. */
static void forget_failed_count(gr_ui *ui)
{
    pthread_mutex_lock(&ui->cache_lock);
    ui->failed_count.valid = 0;
    ui->failed_count.generation++;
    pthread_mutex_unlock(&ui->cache_lock);
}

/* Returns the number of Location entities among the items of gr_catalog_unprocessed_list(). */
static size_t location_count(const json_t *items)
{
    const json_t *item;
    size_t count = 0;
    size_t i;

    json_array_foreach(items, i, item)
        count += is_location(item) ? 1 : 0;
    return count;
}

/*
 * Stores the number of failed unprocessed entities, at most
 * UI_UNPROCESSED_ROWS, in *count, how many of them are Location entities in
 * *locations, and sets *more when more failed. A count
 * younger than UI_FAILED_COUNT_TTL_MS is reused, and so is the previous one
 * while another request counts. A failed count is stored as 0, so it is
 * retried once per interval. Returns 0 or the database error.
 */
static int failed_count(gr_ui *ui, size_t *count, size_t *locations, int *more)
{
    ui_failed_count *cache = &ui->failed_count;
    int64_t now = monotonic_ms();
    uint64_t generation;
    json_t *items = NULL;
    bool truncated = false;
    int error;

    pthread_mutex_lock(&ui->cache_lock);
    if (cache->counting || (cache->valid && now - cache->counted_at_ms < UI_FAILED_COUNT_TTL_MS)) {
        *count = cache->count;
        *locations = cache->locations;
        *more = cache->more;
        pthread_mutex_unlock(&ui->cache_lock);
        return 0;
    }
    cache->counting = 1;
    generation = cache->generation;
    pthread_mutex_unlock(&ui->cache_lock);

    error = gr_catalog_unprocessed_list(ui->db, GR_CATALOG_UNPROCESSED_FAILED, NULL,
                                        UI_UNPROCESSED_ROWS, &items, &truncated);
    *count = error == 0 ? json_array_size(items) : 0;
    *locations = error == 0 ? location_count(items) : 0;
    *more = error == 0 && truncated;
    json_decref(items);

    pthread_mutex_lock(&ui->cache_lock);
    cache->counting = 0;
    /* A delete during the count makes the result stale, so it is not kept. */
    if (cache->generation == generation) {
        cache->valid = 1;
        cache->counted_at_ms = now;
        cache->count = *count;
        cache->locations = *locations;
        cache->more = *more;
    }
    pthread_mutex_unlock(&ui->cache_lock);
    return error;
}

/*
 * Returns the sentence that follows the notice's link text, which counts
 * `count` failed entities, or more than `count` when `more` is set. The
 * engine reads no target of a failed Location, so the notice names the
 * entities of those files too.
 */
const char *gr_ui__failed_notice_detail(gr_arena *arena, size_t count, size_t locations, int more)
{
    int single = count == 1 && !more;

    if (locations == 0)
        return single ? ": it is missing from the catalog until its errors are fixed."
                      : ": they are missing from the catalog until their errors are fixed.";
    if (locations == count && !more)
        return single ? ", and it is a location: until its errors are fixed, the entities that "
                        "its files define are missing from the catalog or out of date."
                      : ", and all are locations: until their errors are fixed, the entities "
                        "that their files define are missing from the catalog or out of date.";
    if (locations == 1 && !more)
        return ", including 1 location: they are missing from the catalog until the errors are "
               "fixed, and the entities that the location's files define are missing or out of "
               "date.";
    return gr_arena_printf(arena,
                           ", including %s%zu %s: they are missing from the catalog until the "
                           "errors are fixed, and the entities that the files of those "
                           "locations define are missing or out of date.",
                           more ? "at least " : "", locations,
                           locations == 1 ? "location" : "locations");
}

void gr_ui__put_failed_notice(gr_ui_page *page)
{
    size_t count = 0;
    size_t locations = 0;
    int more = 0;
    char *text;

    if (!gr_ui__unprocessed_readable(page))
        return;
    if (failed_count(page->ui, &count, &locations, &more) < 0) {
        gr_log_fields(GR_LOG_WARN, "ui", "counting failed unprocessed entities failed", "error",
                      gr_error_last(), NULL);
        gr_error_clear();
        return;
    }
    if (count == 0)
        return;
    if (more)
        text = gr_arena_printf(page->arena, "More than %zu entities failed processing", count);
    else
        text = gr_arena_printf(page->arena, "%zu %s failed processing", count,
                               count == 1 ? "entity" : "entities");
    gr_ui__page_put(page, "failedNotice",
                    json_pack("{s:s, s:s, s:s}", "text", text, "detail",
                              gr_ui__failed_notice_detail(page->arena, count, locations, more),
                              "href", UNPROCESSED_PATH));
}

void gr_ui__put_unprocessed_hint(gr_ui_page *page, const char *ref)
{
    gr_catalog_unprocessed_membership membership = GR_CATALOG_UNPROCESSED_NONE;
    int failed;

    /* Only a caller who may list every unprocessed entity learns that this one exists. */
    if (!gr_ui__unprocessed_readable(page))
        return;
    if (gr_catalog_unprocessed_find(page->ui->db, ref, &membership) < 0) {
        gr_log_fields(GR_LOG_WARN, "ui", "finding an unprocessed entity failed", "entity", ref,
                      "error", gr_error_last(), NULL);
        gr_error_clear();
        return;
    }
    if (membership == GR_CATALOG_UNPROCESSED_NONE)
        return;

    failed = membership == GR_CATALOG_UNPROCESSED_IN_FAILED;
    gr_ui__page_put(
        page, "unprocessedHint",
        json_pack("{s:s, s:s, s:s}", "text",
                  failed ? "Processing of this entity failed, so it is not in the catalog. Its "
                           "errors are on the "
                         : "This entity is not in the catalog, because it is waiting for "
                           "processing or no location emits it any more. It is on the ",
                  "link", failed ? "list of failed entities" : "list of pending entities", "href",
                  list_url(page, failed ? "failed" : "pending", NULL)));
}

/* Sets the error of a row that gr_catalog_unprocessed_delete() kept, as the API words it. */
static int kept_error(gr_catalog_unprocessed_outcome outcome, const char *id, const char *ref)
{
    if (outcome == GR_CATALOG_UNPROCESSED_STITCHED)
        return gr_error_set(GR_ECONFLICT,
                            "Entity %s has been processed into a final entity, so it is not "
                            "unprocessed; unregister it from its entity page instead",
                            ref);
    if (outcome == GR_CATALOG_UNPROCESSED_LINKED)
        return gr_error_set(GR_ECONFLICT,
                            "Entity %s was processed and waits for stitching, and deleting its "
                            "row alone would leave its child entities and relations behind. "
                            "Once it is stitched, unregister it from its entity page",
                            ref);
    return gr_error_set(GR_ENOTFOUND,
                        "No unprocessed entity with entity_id %s; reload the list to see the "
                        "current entities",
                        id);
}

/*
 * Deletes one unprocessed row with gr_catalog_unprocessed_delete(), under the
 * rules of the API's DELETE route, and returns to the list the form came
 * from. The caller must also be allowed to list, because the form is on
 * that list.
 */
static int unprocessed_delete(gr_ui_page *page, void *payload)
{
    const char *id = gr_req_param(page->req, "entity_id");
    gr_catalog_unprocessed_outcome outcome = GR_CATALOG_UNPROCESSED_MISSING;
    const char *location;
    char *ref = NULL;
    int error;

    (void)payload;
    if ((error = gr_ui_page_check_post(page)) < 0 || (error = require_full_read(page)) < 0 ||
        (error = require_delete(page)) < 0 ||
        (error = gr_catalog_unprocessed_delete(page->ui->db, id, &outcome, &ref)) < 0)
        return error;
    if (outcome != GR_CATALOG_UNPROCESSED_DELETED) {
        error = kept_error(outcome, id, ref);
        free(ref);
        return error;
    }

    forget_failed_count(page->ui);
    gr_log_fields(GR_LOG_INFO, "ui", "deleted unprocessed entity", "entity_id", id, "entity", ref,
                  "subject", page->subject != NULL ? page->subject : "", NULL);
    location = list_url_deleted(page, requested_type(page), requested_owner(page), ref);
    free(ref);
    return gr_ui_page_redirect(page, location);
}

int gr_ui__unprocessed_init(gr_ui *ui)
{
    int error = gr_ui_page_add(ui, "GET", UNPROCESSED_PATH, unprocessed_page, NULL);

    if (error < 0)
        return error;
    return gr_ui_page_add(ui, "POST", UNPROCESSED_PATH "/delete/:entity_id", unprocessed_delete,
                          NULL);
}
