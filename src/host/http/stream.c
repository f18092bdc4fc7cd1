/* SPDX-License-Identifier: MIT */
/* Streamed response bodies, with connections suspended while no data is ready. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/http/internal.h"
#include "host/log/log.h"

/*
 * When a reader has nothing to send it returns 0. Returning 0 to
 * libmicrohttpd would make its thread call again at once, so the connection
 * is suspended instead and a poller thread resumes it after
 * GR_HTTP_STREAM_POLL_MS. The server lock guards the list and the
 * `suspended` flags. A connection is suspended only by its own thread,
 * inside the reader, and resumed only after that, by the poller or by stop.
 *
 * TODO: let a producer resume its stream as soon as it has data; live logs
 * now reach clients up to GR_HTTP_STREAM_POLL_MS late.
 *
 * TODO: keep a stream to a slow reader open. The kernel takes megabytes of a
 * stream at once, and while the client drains them no send() happens, so
 * libmicrohttpd's idle timeout (backend.server.timeout) can cut a response
 * that the client is still reading.
 */
struct http_stream {
    gr_http_server *server;
    gr_request *req;
    struct MHD_Connection *connection;
    gr_stream_read_fn read;
    void *payload;
    void (*free_fn)(void *payload);
    int suspended;
    http_stream *prev;
    http_stream *next;
};

int gr_res_stream(gr_response *res, int status, const char *content_type, gr_stream_read_fn read,
                  void *payload, void (*free_fn)(void *payload))
{
    http_stream *stream = gr_xcalloc(1, sizeof(http_stream));

    gr_res_body_borrowed(res, status, content_type, NULL, 0);
    gr_res_header(res, "Cache-Control", "no-cache");
    stream->server = res->req->server;
    stream->req = res->req;
    stream->connection = res->req->connection;
    stream->read = read;
    stream->payload = payload;
    stream->free_fn = free_fn;
    res->stream = stream;
    return 0;
}

void gr_http__stream_free(http_stream *stream)
{
    if (stream == NULL)
        return;
    if (stream->free_fn != NULL)
        stream->free_fn(stream->payload);
    free(stream);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    http_stream *stream = cls;
    gr_http_server *server = stream->server;
    ssize_t got;

    (void)pos;
    if (atomic_load(&server->state) >= SERVER_STOPPING)
        return MHD_CONTENT_READER_END_OF_STREAM;

    gr_log_set_request_id(stream->req->id);
    got = stream->read(stream->payload, buf, max);
    gr_log_set_request_id(NULL);
    if (got > 0) {
        stream->req->bytes_sent += (uint64_t)got;
        return got;
    }
    if (got == GR_STREAM_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (got < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;

    pthread_mutex_lock(&server->lock);
    if (atomic_load(&server->state) >= SERVER_STOPPING) {
        pthread_mutex_unlock(&server->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    stream->suspended = 1;
    MHD_suspend_connection(stream->connection);
    pthread_mutex_unlock(&server->lock);
    return 0;
}

static void stream_release(void *cls)
{
    http_stream *stream = cls;
    gr_http_server *server = stream->server;

    pthread_mutex_lock(&server->lock);
    if (stream->prev != NULL)
        stream->prev->next = stream->next;
    else
        server->streams = stream->next;
    if (stream->next != NULL)
        stream->next->prev = stream->prev;
    pthread_mutex_unlock(&server->lock);
    gr_http__stream_free(stream);
}

struct MHD_Response *gr_http__stream_response(gr_request *req)
{
    http_stream *stream = req->response.stream;
    gr_http_server *server = req->server;
    struct MHD_Response *mhd;

    mhd = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, stream,
                                            stream_release);
    if (mhd == NULL) {
        gr_http__stream_free(stream);
        return NULL;
    }
    pthread_mutex_lock(&server->lock);
    stream->next = server->streams;
    if (server->streams != NULL)
        server->streams->prev = stream;
    server->streams = stream;
    pthread_mutex_unlock(&server->lock);
    return mhd;
}

/* Clears the suspended flag of every waiting stream and returns their
 * connections, to resume outside the lock. Called with the lock held. */
static size_t streams_take_suspended(gr_http_server *server, struct MHD_Connection ***out)
{
    struct MHD_Connection **connections = NULL;
    size_t count = 0;

    for (http_stream *stream = server->streams; stream != NULL; stream = stream->next) {
        if (!stream->suspended)
            continue;
        stream->suspended = 0;
        connections = gr_xrealloc(connections, (count + 1) * sizeof(*connections));
        connections[count++] = stream->connection;
    }
    *out = connections;
    return count;
}

static void streams_resume(gr_http_server *server)
{
    struct MHD_Connection **connections;
    size_t count;

    pthread_mutex_lock(&server->lock);
    count = streams_take_suspended(server, &connections);
    pthread_mutex_unlock(&server->lock);
    for (size_t i = 0; i < count; i++)
        MHD_resume_connection(connections[i]);
    free(connections);
}

static void *stream_poller(void *arg)
{
    gr_http_server *server = arg;

    for (;;) {
        struct timespec deadline;

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_nsec += GR_HTTP_STREAM_POLL_MS * 1000000L;
        deadline.tv_sec += deadline.tv_nsec / 1000000000L;
        deadline.tv_nsec %= 1000000000L;

        pthread_mutex_lock(&server->lock);
        while (atomic_load(&server->state) == SERVER_RUNNING &&
               pthread_cond_timedwait(&server->poller_wake, &server->lock, &deadline) != ETIMEDOUT) {
        }
        pthread_mutex_unlock(&server->lock);
        if (atomic_load(&server->state) != SERVER_RUNNING)
            return NULL;
        streams_resume(server);
    }
}

int gr_http__streams_start(gr_http_server *server)
{
    int rc = pthread_create(&server->poller, NULL, stream_poller, server);

    if (rc != 0)
        return gr_error_set(GR_ERROR, "starting the stream poller thread failed: error %d", rc);
    server->poller_started = 1;
    return 0;
}

void gr_http__streams_close(gr_http_server *server)
{
    if (server->poller_started) {
        pthread_mutex_lock(&server->lock);
        pthread_cond_broadcast(&server->poller_wake);
        pthread_mutex_unlock(&server->lock);
        pthread_join(server->poller, NULL);
        server->poller_started = 0;
    }
    /* The state is SERVER_STOPPING, so resumed readers end their streams. */
    streams_resume(server);
}
