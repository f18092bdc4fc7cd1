/* SPDX-License-Identifier: MIT */
/* GET /entities: the legacy list, paged by limit/offset/after or streamed whole. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/catalog/api/cursor.h"
#include "plugins/catalog/api/query.h"
#include "plugins/catalog/api/read.h"
#include "plugins/catalog/api/request.h"
#include "plugins/catalog/api/routes.h"
#include "plugins/catalog/permission/access.h"

/* Entities fetched per step while streaming the unpaged list. */
#define STREAM_PAGE 1000

/* Parses `order=asc:field` values into [{field, order}]. */
static int parse_order(gr_request *req, json_t **out)
{
    size_t count = 0;
    const char **values = gr_req_query_all(req, "order", &count);

    *out = NULL;
    if (values == NULL)
        return GR_OK;
    /* Checked here as well as in gr_catalog_read_list(), because the unpaged list streams. */
    if (count > GR_CATALOG_ORDER_MAX)
        return gr_error_set(GR_ELIMIT, "Too many order parameters; at most %d",
                            GR_CATALOG_ORDER_MAX);
    *out = json_array();
    for (size_t i = 0; i < count; i++) {
        const char *colon = strchr(values[i], ':');
        size_t len = colon ? (size_t)(colon - values[i]) : 0;
        int asc = len == 3 && strncmp(values[i], "asc", 3) == 0;
        int desc = len == 4 && strncmp(values[i], "desc", 4) == 0;

        if ((!asc && !desc) || colon[1] == '\0') {
            json_decref(*out);
            *out = NULL;
            return gr_error_set(GR_EINVALID,
                                "Invalid order parameter \"%s\", expected \"<asc or desc>:<field "
                                "name>\"",
                                values[i]);
        }
        json_array_append_new(*out, json_pack("{s:s,s:s}", "field", colon + 1, "order",
                                              asc ? "asc" : "desc"));
    }
    return GR_OK;
}

/* Reads the `after` cursor of the legacy list: base64 of {limit?, offset?}. */
static int parse_after(const char *after, int64_t *limit, int64_t *offset)
{
    size_t len = 0;
    char *text;
    json_t *cursor;
    const json_t *value;

    if (after[0] == '\0')
        return gr_error_set(GR_EINVALID, "Invalid after, must not be empty");
    text = gr_catalog_base64_decode(after, &len);
    cursor = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    if (!json_is_object(cursor)) {
        json_decref(cursor);
        return gr_error_set(GR_EINVALID, "Malformed after cursor, could not be parsed");
    }
    value = json_object_get(cursor, "limit");
    if (value != NULL && !json_is_integer(value)) {
        json_decref(cursor);
        return gr_error_set(GR_EINVALID, "Malformed after cursor, limit was not an number");
    }
    if (value != NULL && json_integer_value(value) < 1) {
        json_decref(cursor);
        return gr_error_set(GR_EINVALID, "Malformed after cursor, limit must be greater than zero");
    }
    if (value != NULL)
        *limit = json_integer_value(value);
    value = json_object_get(cursor, "offset");
    if (value != NULL && !json_is_integer(value)) {
        json_decref(cursor);
        return gr_error_set(GR_EINVALID, "Malformed after cursor, offset was not a number");
    }
    if (value != NULL && json_integer_value(value) < 0) {
        json_decref(cursor);
        return gr_error_set(GR_EINVALID, "Malformed after cursor, offset must be >= 0");
    }
    if (value != NULL)
        *offset = json_integer_value(value);
    json_decref(cursor);
    return GR_OK;
}

/* Serves one page of the list with limit/offset/after, and the Link to the next page. */
static int send_page(gr_request *req, gr_response *res, gr_db *db, gr_catalog_list *list,
                     const gr_catalog_fields *fields)
{
    gr_buf body = GR_BUF_INIT;
    char *data;
    int more = 0;
    int rc;

    gr_buf_putc(&body, '[');
    rc = gr_catalog_read_list(db, list, fields, &body, &more);
    gr_buf_putc(&body, ']');
    if (rc != GR_OK)
        goto done;
    if (more) {
        /* Both are at least 0 and at most INT64_MAX, so the sum saturates instead of
         * overflowing. A next page at INT64_MAX is empty. */
        int64_t next =
            list->offset > INT64_MAX - list->limit ? INT64_MAX : list->offset + list->limit;
        char *json = gr_xasprintf("{\"limit\":%lld,\"offset\":%lld}", (long long)list->limit,
                                  (long long)next);
        char *after = gr_catalog_base64_encode(json, strlen(json));

        gr_res_header(res, "Link", gr_catalog_api__next_link(req, after));
        free(after);
        free(json);
    }
    data = gr_buf_detach(&body);
    gr_arena_defer(gr_req_arena(req), free, data);
    gr_res_body_borrowed(res, 200, GR_HTTP_JSON, data, strlen(data));
done:
    gr_buf_free(&body);
    return rc;
}

/* State of a streamed list: the query moves from page to page by cursor. */
typedef struct {
    gr_db *db;
    gr_catalog_query query;
    gr_catalog_fields fields;
    gr_buf pending; /* bytes not yet handed to the server */
    size_t sent;    /* bytes of `pending` already handed over */
    int done;       /* the closing ']' is in `pending` */
} list_stream;

static void list_stream_free(void *payload)
{
    list_stream *stream = payload;

    gr_catalog_query_free(&stream->query);
    gr_catalog_fields_free(&stream->fields);
    gr_buf_free(&stream->pending);
    free(stream);
}

/* Appends a fetched page to the pending bytes and moves the query to the next page. */
static void stream_take_page(list_stream *stream, gr_catalog_page *page, int first)
{
    if (page->count > 0) {
        gr_buf_puts(&stream->pending, first ? "" : ",");
        gr_buf_append(&stream->pending, gr_buf_cstr(&page->items), page->items.len);
    }
    if (page->next == NULL) {
        gr_buf_putc(&stream->pending, ']');
        stream->done = 1;
        return;
    }
    gr_catalog_query_free(&stream->query);
    gr_catalog_query_continue(&stream->query, page->next);
    stream->query.limit = STREAM_PAGE;
    stream->query.count = 0;
    page->next = NULL;
}

static ssize_t list_stream_read(void *payload, char *buf, size_t max)
{
    list_stream *stream = payload;
    size_t left;

    if (stream->sent == stream->pending.len && !stream->done) {
        gr_catalog_page page = GR_CATALOG_PAGE_INIT;
        int rc;

        gr_buf_reset(&stream->pending);
        stream->sent = 0;
        rc = gr_catalog_query_run(stream->db, &stream->query, &stream->fields, &page);
        if (rc != GR_OK) {
            gr_err("catalog", "streaming entities failed: %s", gr_error_last());
            gr_catalog_page_free(&page);
            return GR_STREAM_ERROR;
        }
        stream_take_page(stream, &page, 0);
        gr_catalog_page_free(&page);
    }
    left = stream->pending.len - stream->sent;
    if (left == 0)
        return GR_STREAM_END;
    if (left > max)
        left = max;
    memcpy(buf, stream->pending.data + stream->sent, left);
    stream->sent += left;
    return (ssize_t)left;
}

/* Serves every matching entity: the first page now, the rest streamed page by page. */
static int send_all(gr_response *res, gr_db *db, json_t *filter, json_t *order,
                    gr_catalog_fields *fields)
{
    list_stream *stream = gr_xcalloc(1, sizeof(*stream));
    gr_catalog_page page = GR_CATALOG_PAGE_INIT;
    int rc;

    stream->db = db;
    stream->fields = *fields;
    *fields = (gr_catalog_fields)GR_CATALOG_FIELDS_INIT;
    gr_catalog_query_first(&stream->query, json_incref(filter), json_incref(order), NULL);
    stream->query.limit = STREAM_PAGE;
    stream->query.count = 0;

    rc = gr_catalog_query_run(db, &stream->query, &stream->fields, &page);
    if (rc != GR_OK) {
        gr_catalog_page_free(&page);
        list_stream_free(stream);
        return rc;
    }
    gr_buf_putc(&stream->pending, '[');
    stream_take_page(stream, &page, 1);
    gr_catalog_page_free(&page);
    if (stream->done) {
        gr_res_body(res, 200, GR_HTTP_JSON, stream->pending.data, stream->pending.len);
        list_stream_free(stream);
        return GR_OK;
    }
    return gr_res_stream(res, 200, GR_HTTP_JSON, list_stream_read, stream, list_stream_free);
}

int gr_catalog_api__entities_get(gr_request *req, gr_response *res, void *payload)
{
    const struct gr_catalog_api *api = payload;
    gr_db *db = api->db;
    gr_catalog_fields fields = GR_CATALOG_FIELDS_INIT;
    gr_catalog_list list = {NULL, NULL, -1, 0};
    size_t count = 0;
    const char **values = gr_req_query_all(req, "fields", &count);
    const char *after = gr_req_query(req, "after");
    json_t *requested = NULL;
    json_t *access = NULL;
    json_t *filter = NULL;
    json_t *order = NULL;
    int has_limit = 0;
    int has_offset = 0;
    int rc;

    /* The list is built server-side page by page, so the access predicate
     * can travel in the filter: no cursor of this route reaches the client. */
    rc = gr_catalog_api__filter_param(req, &requested);
    if (rc == GR_OK)
        rc = gr_catalog_api__read_access(req, api, &access);
    if (rc == GR_OK)
        filter = gr_catalog_access_and(requested, access);
    if (rc == GR_OK)
        rc = gr_catalog_fields_add(&fields, values, count);
    if (rc == GR_OK)
        rc = parse_order(req, &order);
    if (rc == GR_OK)
        rc = has_limit = gr_catalog_api__query_int(req, "limit", &list.limit);
    if (rc >= GR_OK)
        rc = has_offset = gr_catalog_api__query_int(req, "offset", &list.offset);
    if (rc < GR_OK)
        goto done;

    if (!has_limit && !has_offset && after == NULL) {
        rc = send_all(res, db, filter, order, &fields);
        goto done;
    }
    if (has_limit && list.limit == 0) {
        rc = gr_error_set(GR_EINVALID, "Invalid limit, must be greater than zero");
        goto done;
    }
    if (after != NULL) {
        rc = parse_after(after, &list.limit, &list.offset);
        if (rc != GR_OK)
            goto done;
    }
    list.filter = filter;
    list.order = order;
    rc = send_page(req, res, db, &list, &fields);
done:
    json_decref(requested);
    json_decref(access);
    json_decref(filter);
    json_decref(order);
    gr_catalog_fields_free(&fields);
    return rc;
}
