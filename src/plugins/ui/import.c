/* SPDX-License-Identifier: MIT */
/* The import page: enter a URL or path, review a dry run with per-entity errors, then register. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/error.h"
#include "host/http/throttle.h"
#include "host/log/log.h"
#include "plugins/catalog/engine/catalog.h"
#include "plugins/catalog/permission/access.h"
#include "plugins/ui/entities.h"
#include "plugins/ui/ui_internal.h"
#include "plugins/ui/view.h"

/* A target starting with '/' is a file; anything else is read as a URL. */
static const char *target_type(const char *target)
{
    return target[0] == '/' ? "file" : "url";
}

static const char *form_target(gr_ui_page *page)
{
    const char *target = gr_ui_page_form(page, "target");

    while (target != NULL && (*target == ' ' || *target == '\t'))
        target++;
    return target != NULL && target[0] != '\0' ? target : NULL;
}

static bool catalog_readonly(const gr_ui_page *page)
{
    return page->ui->catalog != NULL && gr_catalog_readonly(page->ui->catalog);
}

int gr_ui__reject_readonly(gr_ui_page *page)
{
    if (catalog_readonly(page))
        return gr_error_set(GR_EDENIED, "This operation not allowed in readonly mode");
    return 0;
}

/* Puts the flags that every step of the import template reads. */
static void put_import_state(gr_ui_page *page)
{
    gr_ui__page_put(page, "engineMissing", json_boolean(page->ui->catalog == NULL));
    gr_ui__page_put(page, "readonly", json_boolean(catalog_readonly(page)));
}

static int import_form(gr_ui_page *page, void *payload)
{
    (void)payload;
    gr_ui_page_crumb(page, "Catalog", "/catalog");
    gr_ui_page_crumb(page, "Register an existing component", NULL);
    put_import_state(page);
    return gr_ui_page_render(page, 200, "import", "Register an existing component");
}

/* Validates every entity the analysis found, so the page can list the
 * problems of each one instead of the first problem only. */
static json_t *validated_files(gr_ui_page *page, const char *location, const json_t *analysis)
{
    json_t *rows = json_array();
    json_t *file;
    size_t i;

    json_array_foreach(json_object_get(analysis, "existingEntityFiles"), i, file)
    {
        const json_t *entity = json_object_get(file, "entity");
        json_t *errors = NULL;
        json_t *row = json_object();
        json_t *view = gr_ui_entity_view(entity);

        if (gr_catalog_validate_entity(page->ui->catalog, entity, location, &errors) < 0 &&
            errors == NULL)
            errors = json_pack("[{s:s, s:s}]", "name", "Error", "message", gr_error_last());
        gr_error_clear();
        json_object_set_new(row, "entity", view);
        json_object_set_new(row, "errors", errors != NULL ? errors : json_array());
        json_object_set(row, "location", json_object_get(file, "location"));
        json_array_append_new(rows, row);
    }
    return rows;
}

/* Registering a location needs catalog.location.create, as POST /api/catalog/locations. */
static int require_import(gr_ui_page *page)
{
    return gr_catalog_permission_require(page->ui->host->permissions, gr_req_identity(page->req),
                                         "catalog.location.create", gr_req_path(page->req));
}

/*
 * Reads the form's target as a dry run and renders the review, on a job
 * thread, because reading a URL can take up to GR_CATALOG_READ_TIMEOUT_MS.
 * When the dry run fails, an analysis lists the problems of every file.
 */
static int import_review(gr_ui_page *page, void *payload)
{
    const char *target = form_target(page);
    json_t *location = NULL;
    json_t *entities = NULL;
    json_t *exists = NULL;
    json_t *analysis = NULL;
    json_t *views = json_array();
    json_t *entity;
    size_t i;
    int error;

    (void)payload;
    error = gr_catalog_add_location(page->ui->catalog, target_type(target), target, 1, &location,
                                    &entities, &exists);
    if (error < 0) {
        char *location_ref = gr_arena_printf(page->arena, "%s:%s", target_type(target), target);

        /* The dry run stops at the first problem; the analysis lists all. */
        gr_ui__page_put(page, "failure", json_string(gr_error_last()));
        if (error != GR_EDENIED && gr_catalog_analyze_location(page->ui->catalog,
                                                               target_type(target), target,
                                                               &analysis) == 0)
            gr_ui__page_put(page, "files", validated_files(page, location_ref, analysis));
        gr_error_clear();
    } else {
        json_array_foreach(entities, i, entity)
            json_array_append_new(views, gr_ui_entity_view(entity));
        gr_ui__page_put(page, "entities", json_incref(views));
        gr_ui__page_put(page, "reviewing", json_true());
        gr_ui__page_put(page, "exists", json_incref(exists));
    }
    gr_ui_page_crumb(page, "Catalog", "/catalog");
    gr_ui_page_crumb(page, "Register an existing component", "/catalog-import");
    gr_ui_page_crumb(page, "Review", NULL);
    put_import_state(page);
    error = gr_ui_page_render(page, 200, "import", "Review the location");

    json_decref(location);
    json_decref(entities);
    json_decref(exists);
    json_decref(analysis);
    json_decref(views);
    return error;
}

static int import_analyze(gr_ui_page *page, void *payload)
{
    const char *target = form_target(page);
    int error;

    (void)payload;
    if ((error = gr_ui_page_check_post(page)) < 0 || (error = require_import(page)) < 0)
        return error;
    if (page->ui->catalog == NULL)
        return gr_error_set(GR_EBACKEND, "The catalog engine is not available");
    if (target == NULL)
        return gr_error_set(GR_EINVALID, "Enter the URL or path of a catalog-info.yaml file");
    gr_ui__page_put(page, "target", json_string(target));
    return gr_ui_page_defer(page, import_review, NULL, NULL);
}

static int import_register(gr_ui_page *page, void *payload)
{
    const char *target = form_target(page);
    json_t *location = NULL;
    int error;

    (void)payload;
    /* Readonly mode comes before the permission, as in POST /api/catalog/locations. */
    if ((error = gr_ui_page_check_post(page)) < 0 || (error = gr_ui__reject_readonly(page)) < 0 ||
        (error = require_import(page)) < 0)
        return error;
    if (page->ui->catalog == NULL)
        return gr_error_set(GR_EBACKEND, "The catalog engine is not available");
    if (target == NULL)
        return gr_error_set(GR_EINVALID, "Enter the URL or path of a catalog-info.yaml file");
    if ((error = gr_catalog_add_location(page->ui->catalog, target_type(target), target, 0,
                                         &location, NULL, NULL)) < 0)
        return error;
    gr_log_fields(GR_LOG_INFO, "ui", "location registered", "target", target, "subject",
                  page->subject != NULL ? page->subject : "", NULL);

    gr_ui__page_put(page, "registered", location);
    gr_ui__page_put(page, "canListUnprocessed", json_boolean(gr_ui__unprocessed_readable(page)));
    gr_ui__page_put(page, "target", json_string(target));
    gr_ui_page_crumb(page, "Catalog", "/catalog");
    gr_ui_page_crumb(page, "Register an existing component", "/catalog-import");
    gr_ui_page_crumb(page, "Registered", NULL);
    put_import_state(page);
    return gr_ui_page_render(page, 200, "import", "Location registered");
}

static bool string_member_is(const json_t *object, const char *key, const char *value)
{
    const char *member = json_string_value(json_object_get(object, key));

    return member != NULL && strcmp(member, value) == 0;
}

/*
 * Finds the entity ref of the registered location `type`:`target` and
 * stores it in *ref_out (arena copy). Returns 0, GR_ENOTFOUND when no
 * location has that type and target, or a database error.
 */
static int registered_location_ref(gr_ui_page *page, const char *type, const char *target,
                                   const char **ref_out)
{
    json_t *locations = NULL;
    json_t *location;
    size_t i;
    int error;

    *ref_out = NULL;
    if ((error = gr_catalog_list_locations(page->ui->catalog, &locations)) < 0)
        return error;
    json_array_foreach(locations, i, location)
    {
        const char *ref = json_string_value(json_object_get(location, "entityRef"));

        if (ref != NULL && string_member_is(location, "type", type) &&
            string_member_is(location, "target", target)) {
            *ref_out = gr_arena_strdup(page->arena, ref);
            break;
        }
    }
    json_decref(locations);
    if (*ref_out == NULL)
        return gr_error_set(GR_ENOTFOUND,
                            "The location %s:%s is not registered; analyze it again to register it",
                            type, target);
    return 0;
}

/*
 * Makes a registered location due for processing, as the refresh action of
 * Backstage's import page does for a location that exists already. It needs
 * catalog.entity.refresh on the location's entity, as POST
 * /api/catalog/refresh does, and stays allowed in readonly mode, as that
 * route does.
 */
static int import_refresh(gr_ui_page *page, void *payload)
{
    const char *target = form_target(page);
    const char *ref = NULL;
    int error;

    (void)payload;
    if ((error = gr_ui_page_check_post(page)) < 0)
        return error;
    if (page->subject == NULL)
        return gr_error_set(GR_EDENIED, "You may not refresh locations");
    if (page->ui->catalog == NULL)
        return gr_error_set(GR_EBACKEND, "The catalog engine is not available");
    if (target == NULL)
        return gr_error_set(GR_EINVALID, "Enter the URL or path of a catalog-info.yaml file");
    if ((error = registered_location_ref(page, target_type(target), target, &ref)) < 0 ||
        (error = gr_catalog_permission_check(page->ui->db, page->ui->host->permissions,
                                             gr_req_identity(page->req), "catalog.entity.refresh",
                                             GR_CATALOG_BY_REF, ref, gr_req_path(page->req))) < 0)
        return error;
    if (gr_http_rate_limit(page->req, GR_RATE_EXPENSIVE, page->subject) < 0)
        return gr_ui__page_error_status(page, 429);
    if ((error = gr_catalog_refresh_as(page->ui->catalog, ref, page->subject)) < 0)
        return error;
    gr_log_fields(GR_LOG_INFO, "ui", "location refresh requested", "target", target, "entity", ref,
                  "subject", page->subject, NULL);

    gr_ui__page_put(page, "refreshed",
                    json_pack("{s:s, s:s}", "type", target_type(target), "target", target));
    gr_ui_page_crumb(page, "Catalog", "/catalog");
    gr_ui_page_crumb(page, "Register an existing component", "/catalog-import");
    gr_ui_page_crumb(page, "Refreshed", NULL);
    put_import_state(page);
    return gr_ui_page_render(page, 200, "import", "Location refreshed");
}

int gr_ui__import_init(gr_ui *ui)
{
    int error;

    if ((error = gr_ui_page_add(ui, "GET", "/catalog-import", import_form, NULL)) < 0 ||
        (error = gr_ui_page_add(ui, "POST", "/catalog-import/analyze", import_analyze, NULL)) < 0)
        return error;
    if ((error = gr_ui_page_add(ui, "POST", "/catalog-import/register", import_register, NULL)) < 0)
        return error;
    return gr_ui_page_add(ui, "POST", "/catalog-import/refresh", import_refresh, NULL);
}
