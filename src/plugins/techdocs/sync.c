/* SPDX-License-Identifier: MIT */
/* GET /api/techdocs/sync: Backstage's event stream that reports a docs build as it runs. */
#include "plugins/techdocs/sync.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "host/auth/identity.h"
#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/techdocs/api.h"
#include "plugins/techdocs/service.h"

/* One open stream: the job it follows and the bytes not yet sent. */
typedef struct {
    gr_techdocs_job *job; /* NULL when the outcome was known at once */
    size_t cursor;
    gr_buf pending;
    size_t sent;
    int finished; /* the last event is in `pending` */
} sync_stream;

static void put_event(gr_buf *out, const char *name, json_t *data)
{
    char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);

    gr_buf_printf(out, "event: %s\ndata: %s\n\n", name, text ? text : "null");
    free(text);
    json_decref(data);
}

static void put_finish(sync_stream *stream, int updated)
{
    put_event(&stream->pending, "finish", json_pack("{s:b}", "updated", updated));
    stream->finished = 1;
}

/* Moves the job's next line or its outcome into `pending`. */
static void poll_job(sync_stream *stream)
{
    gr_techdocs_job_event event;

    gr_techdocs_job_poll(stream->job, &stream->cursor, &event);
    if (event.line != NULL) {
        put_event(&stream->pending, "log", json_string(event.line));
    } else if (event.done && event.error != NULL) {
        put_event(&stream->pending, "error", json_string(event.error));
        stream->finished = 1;
    } else if (event.done) {
        put_finish(stream, event.updated);
    }
    free(event.line);
    free(event.error);
}

static ssize_t read_stream(void *payload, char *buf, size_t max)
{
    sync_stream *stream = payload;
    size_t count;

    if (stream->sent == stream->pending.len) {
        if (stream->finished)
            return GR_STREAM_END;
        gr_buf_reset(&stream->pending);
        stream->sent = 0;
        poll_job(stream);
        if (stream->pending.len == 0)
            return 0;
    }
    count = stream->pending.len - stream->sent;
    if (count > max)
        count = max;
    memcpy(buf, stream->pending.data + stream->sent, count);
    stream->sent += count;
    return (ssize_t)count;
}

static void free_stream(void *payload)
{
    sync_stream *stream = payload;

    gr_techdocs_job_release(stream->job);
    gr_buf_free(&stream->pending);
    free(stream);
}

/* Returns the caller's subject ("user:default/jane"), or NULL without an identity. */
static const char *request_subject(gr_request *req)
{
    const gr_identity *identity = gr_req_identity(req);

    return identity != NULL ? identity->subject : NULL;
}

int gr_techdocs_sync_handler(gr_request *req, gr_response *res, void *payload)
{
    gr_techdocs_service *service = payload;
    gr_techdocs_triplet triplet;
    json_t *entity = NULL;
    sync_stream *stream;
    int needed = 0;
    int rc = gr_techdocs_api_load_entity(req, service, &triplet, &entity);

    if (rc == GR_ENOTFOUND)
        return gr_res_error(res, GR_ENOTFOUND, "Entity metadata UID missing");
    if (rc != GR_OK)
        return rc;
    json_decref(entity);
    stream = gr_xcalloc(1, sizeof(*stream));
    if (!gr_techdocs_service_settings(service)->external)
        rc = gr_techdocs_service_needs_check(service, &triplet, &needed);
    /* Only a sync that starts a build counts against the limit, so that
     * reading docs that are up to date never reaches it. */
    if (rc == GR_OK && needed)
        rc = gr_http_rate_limit(req, GR_RATE_EXPENSIVE, request_subject(req));
    if (rc == GR_OK && needed)
        stream->job = gr_techdocs_service_request(service, &triplet);
    if (rc == GR_OK && stream->job == NULL)
        put_finish(stream, 0);
    gr_techdocs_triplet_free(&triplet);
    if (rc != GR_OK) {
        free_stream(stream);
        return rc;
    }
    return gr_res_stream(res, 200, "text/event-stream", read_stream, stream, free_stream);
}
