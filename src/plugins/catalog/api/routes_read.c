/* SPDX-License-Identifier: MIT */
/* The read routes of the catalog API: entities, by-query, by-refs, by-uid, by-name, facets. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "host/store/migrate.h"
#include "plugins/catalog/api/api.h"
#include "plugins/catalog/api/cursor.h"
#include "plugins/catalog/api/fields.h"
#include "plugins/catalog/api/filter_sql.h"
#include "plugins/catalog/api/predicate.h"
#include "plugins/catalog/api/query.h"
#include "plugins/catalog/api/read.h"
#include "plugins/catalog/api/request.h"
#include "plugins/catalog/api/routes.h"
#include "plugins/catalog/permission/access.h"

/* Sends a body built in `body`, handing its memory to the request arena. */
static int send_buf(gr_request *req, gr_response *res, int status, gr_buf *body)
{
    char *data = gr_buf_detach(body);
    size_t len = strlen(data);

    gr_arena_defer(gr_req_arena(req), free, data);
    gr_res_body_borrowed(res, status, GR_HTTP_JSON, data, len);
    return GR_OK;
}

/* Appends `"name":"<encoded cursor>"` to a pageInfo object being written. */
static void put_cursor(gr_buf *out, const char *name, const json_t *cursor, int *first)
{
    char *encoded;

    if (cursor == NULL)
        return;
    encoded = gr_catalog_cursor_encode(cursor);
    gr_buf_printf(out, "%s\"%s\":\"%s\"", *first ? "" : ",", name, encoded);
    *first = 0;
    free(encoded);
}

/* Runs a by-query request and sends {items, totalItems, pageInfo}. */
static int send_query(gr_request *req, gr_response *res, const struct gr_catalog_api *api,
                      gr_catalog_query *query, const gr_catalog_fields *fields)
{
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    gr_buf body = GR_BUF_INIT;
    json_t *access = NULL;
    int first = 1;
    int rc;

    if (query->limit > GR_CATALOG_QUERY_MAX_LIMIT)
        query->limit = GR_CATALOG_QUERY_MAX_LIMIT;
    rc = gr_catalog_api__read_access(req, api, &access);
    if (rc != GR_OK)
        goto done;
    query->access = access;
    rc = gr_catalog_query_run(api->db, query, fields, &page);
    query->access = NULL;
    if (rc != GR_OK)
        goto done;
    gr_buf_puts(&body, "{\"items\":[");
    gr_buf_append(&body, gr_buf_cstr(&page.items), page.items.len);
    gr_buf_printf(&body, "],\"totalItems\":%lld,\"pageInfo\":{", (long long)page.total);
    put_cursor(&body, "nextCursor", page.next, &first);
    put_cursor(&body, "prevCursor", page.prev, &first);
    gr_buf_puts(&body, "}}");
    rc = send_buf(req, res, 200, &body);
done:
    json_decref(access);
    gr_buf_free(&body);
    gr_catalog_page_free(&page);
    return rc;
}

/* Parses one `orderField` value "field[,asc|desc]". */
static int parse_order_field(const char *text, json_t *order_fields)
{
    const char *comma = strchr(text, ',');
    char *field = comma ? gr_xstrndup(text, (size_t)(comma - text)) : gr_xstrdup(text);
    const char *order = "asc";
    int rc = GR_OK;

    if (comma != NULL) {
        const char *end = strchr(comma + 1, ',');
        size_t len = end ? (size_t)(end - comma - 1) : strlen(comma + 1);

        if (len == 3 && strncmp(comma + 1, "asc", 3) == 0)
            order = "asc";
        else if (len == 4 && strncmp(comma + 1, "desc", 4) == 0)
            order = "desc";
        else
            rc = gr_error_set(GR_EINVALID, "Invalid order field order, must be asc or desc");
    }
    if (rc == GR_OK)
        json_array_append_new(order_fields, json_pack("{s:s,s:s}", "field", field, "order", order));
    free(field);
    return rc;
}

/* Reads totalItems=include|exclude into *count. */
static int parse_total_items(const char *value, int *count)
{
    if (value == NULL)
        return GR_OK;
    if (strcmp(value, "include") == 0 || strcmp(value, "exclude") == 0) {
        *count = strcmp(value, "include") == 0;
        return GR_OK;
    }
    return gr_error_set(GR_EINVALID,
                        "Invalid totalItems parameter \"%s\", expected one of: include, exclude",
                        value);
}

/* Builds {term, fields?} from fullTextFilterTerm and fullTextFilterFields. */
static json_t *full_text_param(gr_request *req)
{
    const char *term = gr_req_query(req, "fullTextFilterTerm");
    size_t count = 0;
    const char **fields = gr_req_query_split(req, "fullTextFilterFields", ',', &count);
    json_t *full_text = json_pack("{s:s}", "term", term ? term : "");

    if (fields != NULL) {
        json_t *list = json_array();

        for (size_t i = 0; i < count; i++)
            json_array_append_new(list, json_string(fields[i]));
        json_object_set_new(full_text, "fields", list);
    }
    return full_text;
}

static int by_query_get(gr_request *req, gr_response *res, void *payload)
{
    gr_catalog_query query = {0};
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    const char *cursor_text = gr_req_query(req, "cursor");
    size_t count = 0;
    const char **values = gr_req_query_all(req, "fields", &count);
    int64_t limit = GR_CATALOG_QUERY_DEFAULT_LIMIT;
    int64_t offset = 0;
    int rc;

    rc = gr_catalog_fields_add(&fields, values, count);
    if (rc == GR_OK)
        rc = gr_catalog_api__query_int(req, "limit", &limit);
    if (rc >= GR_OK)
        rc = gr_catalog_api__query_int(req, "offset", &offset);
    if (rc < GR_OK)
        goto done;

    if (cursor_text != NULL && cursor_text[0] != '\0') {
        json_t *cursor = NULL;

        rc = gr_catalog_cursor_decode(cursor_text, &cursor);
        if (rc != GR_OK)
            goto done;
        gr_catalog_query_continue(&query, cursor);
    } else {
        json_t *filter = NULL;
        json_t *order_fields = json_array();
        const char **orders = gr_req_query_all(req, "orderField", &count);
        int count_items = 1;

        rc = gr_catalog_api__filter_param(req, &filter);
        for (size_t i = 0; rc == GR_OK && i < count; i++)
            rc = parse_order_field(orders[i], order_fields);
        if (rc == GR_OK)
            rc = parse_total_items(gr_req_query(req, "totalItems"), &count_items);
        if (rc != GR_OK) {
            json_decref(filter);
            json_decref(order_fields);
            goto done;
        }
        gr_catalog_query_first(&query, filter, order_fields, full_text_param(req));
        query.count = count_items;
        query.offset = offset;
    }
    query.limit = limit;
    rc = send_query(req, res, payload, &query, &fields);
done:
    gr_catalog_query_free(&query);
    gr_catalog_fields_free(&fields);
    return rc;
}

/* Reads an optional non-negative integer member of a POST body. */
static int body_int(const json_t *body, const char *name, int64_t *out)
{
    const json_t *value = json_object_get(body, name);

    if (value == NULL || json_is_null(value))
        return GR_OK;
    if (!json_is_integer(value))
        return gr_error_set(GR_EINVALID, "request/body/%s must be integer", name);
    if (json_integer_value(value) < 0)
        return gr_error_set(GR_EINVALID, "request/body/%s must be >= 0", name);
    *out = json_integer_value(value);
    return GR_OK;
}

/* Checks orderBy: [{field, order: asc|desc}]. */
static int body_order_by(const json_t *body, json_t **out)
{
    const json_t *order_by = json_object_get(body, "orderBy");
    size_t index;
    json_t *item;

    *out = json_array();
    if (order_by == NULL)
        return GR_OK;
    if (!json_is_array(order_by))
        return gr_error_set(GR_EINVALID, "request/body/orderBy must be array");
    json_array_foreach(order_by, index, item)
    {
        const char *field = json_string_value(json_object_get(item, "field"));
        const char *order = json_string_value(json_object_get(item, "order"));

        if (field == NULL)
            return gr_error_set(GR_EINVALID, "request/body/orderBy/%zu must have required "
                                             "property 'field'",
                                index);
        if (order == NULL || (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0))
            return gr_error_set(GR_EINVALID, "Invalid order field order, must be asc or desc");
        json_array_append_new(*out, json_pack("{s:s,s:s}", "field", field, "order", order));
    }
    return GR_OK;
}

/* Checks fullTextFilter: {term?, fields?}. */
static int body_full_text(const json_t *body, json_t **out)
{
    const json_t *full_text = json_object_get(body, "fullTextFilter");
    const json_t *term;
    const json_t *fields;
    size_t index;
    json_t *item;

    *out = NULL;
    if (full_text == NULL)
        return GR_OK;
    term = json_object_get(full_text, "term");
    fields = json_object_get(full_text, "fields");
    if (!json_is_object(full_text) || (term != NULL && !json_is_string(term)))
        return gr_error_set(GR_EINVALID, "request/body/fullTextFilter must have a string term");
    json_array_foreach(fields, index, item)
    {
        if (!json_is_string(item))
            return gr_error_set(GR_EINVALID,
                                "request/body/fullTextFilter/fields must be an array of strings");
    }
    *out = json_pack("{s:s}", "term", term ? json_string_value(term) : "");
    if (json_is_array(fields))
        json_object_set(*out, "fields", (json_t *)fields);
    return GR_OK;
}

/* Fills `query` from a POST by-query body that has no cursor. */
static int query_from_body(const json_t *body, gr_catalog_query *query)
{
    const json_t *predicate = json_object_get(body, "query");
    const char *total = NULL;
    json_t *filter = NULL;
    json_t *order_fields = NULL;
    json_t *full_text = NULL;
    int count_items = 1;
    int rc = GR_OK;

    if (json_object_get(body, "totalItems") != NULL) {
        total = json_string_value(json_object_get(body, "totalItems"));
        if (total == NULL)
            return gr_error_set(GR_EINVALID, "Invalid totalItems value, expected one of: "
                                             "include, exclude");
    }
    if (predicate != NULL)
        rc = gr_catalog_predicate_check(predicate, &filter);
    if (rc == GR_OK)
        rc = body_order_by(body, &order_fields);
    if (rc == GR_OK)
        rc = body_full_text(body, &full_text);
    if (rc == GR_OK)
        rc = parse_total_items(total, &count_items);
    if (rc != GR_OK) {
        json_decref(filter);
        json_decref(order_fields);
        json_decref(full_text);
        return rc;
    }
    gr_catalog_query_first(query, filter, order_fields, full_text);
    query->count = count_items;
    return body_int(body, "offset", &query->offset);
}

static int by_query_post(gr_request *req, gr_response *res, void *payload)
{
    gr_catalog_query query = {0};
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    const json_t *cursor_value;
    json_t *body = NULL;
    int64_t limit = GR_CATALOG_QUERY_DEFAULT_LIMIT;
    int rc;

    rc = gr_catalog_api__body_object(req, &body);
    if (rc == GR_OK)
        rc = gr_catalog_fields_add_json(&fields, json_object_get(body, "fields"));
    if (rc == GR_OK)
        rc = body_int(body, "limit", &limit);
    if (rc != GR_OK)
        goto done;

    cursor_value = json_object_get(body, "cursor");
    if (cursor_value != NULL) {
        json_t *cursor = NULL;

        if (!json_is_string(cursor_value) || json_string_length(cursor_value) == 0) {
            rc = gr_error_set(GR_EINVALID, "Cursor cannot be empty");
            goto done;
        }
        rc = gr_catalog_cursor_decode(json_string_value(cursor_value), &cursor);
        if (rc != GR_OK)
            goto done;
        gr_catalog_query_continue(&query, cursor);
    } else {
        rc = query_from_body(body, &query);
        if (rc != GR_OK)
            goto done;
    }
    query.limit = limit;
    rc = send_query(req, res, payload, &query, &fields);
done:
    json_decref(body);
    gr_catalog_query_free(&query);
    gr_catalog_fields_free(&fields);
    return rc;
}

static int by_uid_get(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    const char *uid = gr_req_param(req, "uid");
    gr_buf body = GR_BUF_INIT;
    json_t *access = NULL;
    int rc;

    rc = gr_catalog_api__read_access(req, api, &access);
    if (rc == GR_OK)
        rc = gr_catalog_read_by_uid(api->db, uid, access, &body);
    json_decref(access);
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND, "No entity with uid %s", uid);
    if (rc == GR_OK)
        rc = send_buf(req, res, 200, &body);
    gr_buf_free(&body);
    return rc;
}

static int by_name_get(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    const char *kind = gr_req_param(req, "kind");
    const char *namespace = gr_req_param(req, "namespace");
    const char *name = gr_req_param(req, "name");
    char *ref = gr_arena_printf(gr_req_arena(req), "%s:%s/%s", kind, namespace, name);
    gr_buf body = GR_BUF_INIT;
    json_t *access = NULL;
    int rc;

    rc = gr_catalog_api__read_access(req, api, &access);
    if (rc == GR_OK)
        rc = gr_catalog_read_by_ref(api->db, gr_catalog_lower(ref), access, &body);
    json_decref(access);
    if (rc == GR_ENOTFOUND)
        rc = gr_error_set(GR_ENOTFOUND,
                          "No entity named '%s' found, with kind '%s' in namespace '%s'", name,
                          kind, namespace);
    if (rc == GR_OK)
        rc = send_buf(req, res, 200, &body);
    gr_buf_free(&body);
    return rc;
}

/* Checks the by-refs body: {entityRefs: string[], fields?: string[], query?: predicate}. */
static int refs_body(const json_t *body, json_t **query)
{
    const json_t *refs = json_object_get(body, "entityRefs");
    const json_t *fields = json_object_get(body, "fields");
    const json_t *predicate = json_object_get(body, "query");
    static const char prefix[] = "Malformed request body (did you remember to specify an "
                                 "application/json content type?), Validation error: ";
    size_t index;
    json_t *item;

    *query = NULL;
    if (!json_is_array(refs))
        return gr_error_set(GR_EINVALID, "%s%s at \"entityRefs\"", prefix,
                            refs ? "Expected array" : "Required");
    json_array_foreach(refs, index, item)
    {
        if (!json_is_string(item))
            return gr_error_set(GR_EINVALID, "%sExpected string at \"entityRefs[%zu]\"", prefix,
                                index);
    }
    if (fields != NULL && !json_is_array(fields))
        return gr_error_set(GR_EINVALID, "%sExpected array at \"fields\"", prefix);
    if (predicate != NULL)
        return gr_catalog_predicate_check(predicate, query);
    return GR_OK;
}

static int by_refs_post(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    size_t count = 0;
    const char **values = gr_req_query_all(req, "fields", &count);
    json_t *body = NULL;
    json_t *param_filter = NULL;
    json_t *body_filter = NULL;
    json_t *filter = NULL;
    json_t *access = NULL;
    gr_buf out = GR_BUF_INIT;
    int rc;

    rc = gr_catalog_api__body_object(req, &body);
    if (rc == GR_OK)
        rc = refs_body(body, &body_filter);
    if (rc == GR_OK)
        rc = gr_catalog_api__read_access(req, api, &access);
    if (rc == GR_OK)
        rc = gr_catalog_api__filter_param(req, &param_filter);
    if (rc == GR_OK)
        rc = gr_catalog_fields_add_json(&fields, json_object_get(body, "fields"));
    if (rc == GR_OK)
        rc = gr_catalog_fields_add(&fields, values, count);
    if (rc != GR_OK)
        goto done;

    if (param_filter != NULL && body_filter != NULL) {
        json_t *both = json_pack("{s:[O,O]}", "$all", param_filter, body_filter);

        filter = gr_catalog_access_and(both, access);
        json_decref(both);
    } else {
        filter = gr_catalog_access_and(param_filter ? param_filter : body_filter, access);
    }
    gr_buf_puts(&out, "{\"items\":");
    rc = gr_catalog_read_by_refs(api->db, json_object_get(body, "entityRefs"), filter, &fields,
                                 &out);
    gr_buf_putc(&out, '}');
    if (rc == GR_OK)
        rc = send_buf(req, res, 200, &out);
done:
    gr_buf_free(&out);
    json_decref(access);
    json_decref(filter);
    json_decref(param_filter);
    json_decref(body_filter);
    json_decref(body);
    gr_catalog_fields_free(&fields);
    return rc;
}

/* Counts facets over the entities that match `filter` and that the caller may read. */
static int send_facets(gr_request *req, gr_response *res, const struct gr_catalog_api *api,
                       const char *const *facets, size_t count, const json_t *filter)
{
    json_t *result = NULL;
    json_t *access = NULL;
    json_t *readable = NULL;
    int rc;

    rc = gr_catalog_api__read_access(req, api, &access);
    if (rc == GR_OK) {
        readable = gr_catalog_access_and(filter, access);
        rc = gr_catalog_read_facets(api->db, facets, count, readable, &result);
    }
    json_decref(readable);
    json_decref(access);
    if (rc == GR_OK)
        rc = gr_res_json(res, 200, result);
    return rc;
}

static int facets_get(gr_request *req, gr_response *res, void *payload)
{
    size_t count = 0;
    const char **all = gr_req_query_all(req, "facet", &count);
    const char **facets = gr_arena_calloc(gr_req_arena(req), (count + 1) * sizeof(*facets));
    size_t kept = 0;
    json_t *filter = NULL;
    int rc;

    for (size_t i = 0; i < count; i++) {
        if (all[i][0] != '\0')
            facets[kept++] = all[i];
    }
    if (kept == 0)
        return gr_error_set(GR_EINVALID, "Missing facet parameter");
    rc = gr_catalog_api__filter_param(req, &filter);
    if (rc == GR_OK)
        rc = send_facets(req, res, payload, facets, kept, filter);
    json_decref(filter);
    return rc;
}

static int facets_post(gr_request *req, gr_response *res, void *payload)
{
    json_t *body = NULL;
    json_t *filter = NULL;
    const json_t *list;
    const char **facets = NULL;
    size_t kept = 0;
    size_t index;
    json_t *item;
    int rc;

    rc = gr_catalog_api__body_object(req, &body);
    if (rc != GR_OK)
        return rc;
    list = json_object_get(body, "facets");
    facets = gr_arena_calloc(gr_req_arena(req), (json_array_size(list) + 1) * sizeof(*facets));
    json_array_foreach(list, index, item)
    {
        if (json_is_string(item) && json_string_length(item) > 0)
            facets[kept++] = gr_arena_strdup(gr_req_arena(req), json_string_value(item));
    }
    if (kept == 0)
        rc = gr_error_set(GR_EINVALID, "Missing or empty facets parameter");
    if (rc == GR_OK && json_object_get(body, "query") != NULL)
        rc = gr_catalog_predicate_check(json_object_get(body, "query"), &filter);
    if (rc == GR_OK)
        rc = send_facets(req, res, payload, facets, kept, filter);
    json_decref(filter);
    json_decref(body);
    return rc;
}

int gr_catalog_api__routes_read(const gr_catalog_api_router *router, struct gr_catalog_api *api)
{
    static const struct {
        const char *method;
        const char *pattern;
        gr_http_handler handler;
    } routes[] = {
        {"GET", "/entities", gr_catalog_api__entities_get},
        {"GET", "/entities/by-query", by_query_get},
        {"POST", "/entities/by-query", by_query_post},
        {"POST", "/entities/by-refs", by_refs_post},
        {"GET", "/entities/by-uid/:uid", by_uid_get},
        {"GET", "/entities/by-name/:kind/:namespace/:name", by_name_get},
        {"GET", "/entity-facets", facets_get},
        {"POST", "/entity-facets", facets_post},
    };

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        int rc = router->add(router->target, routes[i].method, routes[i].pattern,
                             routes[i].handler, api);

        if (rc != GR_OK)
            return rc;
    }
    return GR_OK;
}

int gr_catalog_api__read_access(gr_request *req, const struct gr_catalog_api *api, json_t **out)
{
    return gr_catalog_access_get(api->policy, gr_req_identity(req), "catalog.entity.read", out);
}

int gr_catalog_api__require(gr_request *req, const struct gr_catalog_api *api,
                            const char *permission)
{
    return gr_catalog_permission_require(api->policy, gr_req_identity(req), permission,
                                         gr_req_path(req));
}
