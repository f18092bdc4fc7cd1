/* SPDX-License-Identifier: MIT */
/* Parsing a YAML stream one document at a time, so a large catalog file is never held parsed. */
#include "plugins/catalog/engine/yaml_stream.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"

/* Returns the length of the line break at `p` (CRLF, CR or LF, as libyaml reads them), or 0. */
static size_t break_length(const char *p, const char *end)
{
    if (p < end && *p == '\n')
        return 1;
    if (p < end && *p == '\r')
        return p + 1 < end && p[1] == '\n' ? 2 : 1;
    return 0;
}

/* Whether `p` starts a line with the three characters `marker` followed by a blank or end. */
static bool is_marker(const char *p, const char *end, const char *marker)
{
    return end - p >= 3 && memcmp(p, marker, 3) == 0 &&
           (end - p == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\r' || p[3] == '\n');
}

/*
 * Whether cutting the text at document markers keeps its meaning and line
 * numbers: no directive or document end marker starts a line, and no
 * Unicode line break (NEL, LS, PS) would make libyaml count lines
 * differently from CR and LF.
 */
static bool can_cut(const char *text, size_t len)
{
    const char *end = text + len;
    bool line_start = true;

    for (const char *p = text; p < end; p++) {
        unsigned char c = (unsigned char)*p;

        if (line_start && (c == '%' || is_marker(p, end, "...")))
            return false;
        if (c == 0xc2 && p + 1 < end && (unsigned char)p[1] == 0x85)
            return false;
        if (c == 0xe2 && end - p >= 3 && (unsigned char)p[1] == 0x80 &&
            ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9))
            return false;
        line_start = c == '\n' || (c == '\r' && (p + 1 == end || p[1] != '\n'));
    }
    return true;
}

/* Returns the length of the piece starting at `text`: up to the next line that starts with a
 * document marker, not counting the piece's first line. Stores its line breaks in *lines. */
static size_t next_piece(const char *text, const char *end, int *lines)
{
    const char *p = text;

    *lines = 0;
    while (p < end) {
        size_t line_break = break_length(p, end);

        if (line_break == 0) {
            p++;
            continue;
        }
        p += line_break;
        (*lines)++;
        if (is_marker(p, end, "---"))
            break;
    }
    return (size_t)(p - text);
}

/* Adds what the parser charges for `value` to its limits: one value per node and per key, and
 * the bytes of keys and strings (other scalars are charged no bytes here). */
static void count_values(const json_t *value, size_t *nodes, size_t *bytes)
{
    const char *key;
    json_t *member;
    size_t index;

    (*nodes)++;
    if (json_is_string(value)) {
        *bytes += json_string_length(value);
    } else if (json_is_object(value)) {
        json_object_foreach ((json_t *)value, key, member) {
            (*nodes)++;
            *bytes += strlen(key);
            count_values(member, nodes, bytes);
        }
    } else if (json_is_array(value)) {
        json_array_foreach (value, index, member)
            count_values(member, nodes, bytes);
    }
}

/* Parses the whole text at once and passes every document to the sink. */
static int parse_whole(const char *source_name, const char *text, size_t len,
                       const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink)
{
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    int rc = gr_yaml_parse(source_name, text, len, limits, &docs, &count);

    for (size_t i = 0; i < count && rc == GR_OK; i++)
        sink->document(sink->payload, gr_yaml_doc_root(docs[i]), gr_yaml_doc_line(docs[i]));
    gr_yaml_docs_free(docs, count);
    return rc;
}

/* Parses the whole text again after a piece failed, once the sink forgot the documents passed.
 * The whole text gives the parser's own message and positions for the error. */
static int reparse_whole(const char *source_name, const char *text, size_t len,
                         const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink)
{
    sink->restart(sink->payload);
    return parse_whole(source_name, text, len, limits, sink);
}

/* One parsed piece of the text. */
typedef struct {
    gr_yaml_doc **docs;
    size_t count;
    int line_base; /* line breaks in the text before the piece */
    size_t len;    /* bytes of text in the piece */
} parsed_piece;

/* Cuts a text into pieces and parses them in order, charging the limits of the whole stream. */
typedef struct {
    const char *source_name;
    const char *next; /* start of the next piece */
    const char *end;
    gr_yaml_limits limits; /* with the stream limits' defaults filled in */
    size_t nodes, bytes;   /* charged by the pieces taken so far, in order */
    int line_base;
} piece_cutter;

static void cutter_init(piece_cutter *cutter, const char *source_name, const char *text, size_t len,
                        const gr_yaml_limits *limits)
{
    memset(cutter, 0, sizeof(*cutter));
    cutter->source_name = source_name;
    cutter->next = text;
    cutter->end = text + len;
    if (limits != NULL)
        cutter->limits = *limits;
    if (cutter->limits.max_nodes == 0)
        cutter->limits.max_nodes = GR_YAML_DEFAULT_MAX_NODES;
    if (cutter->limits.max_total_scalar_bytes == 0)
        cutter->limits.max_total_scalar_bytes = GR_YAML_DEFAULT_MAX_TOTAL_SCALAR_BYTES;
}

/* Parses `len` bytes at `text` with the stream's limits into *out and counts what its
 * documents charge to the limits. Returns GR_OK, or the error of gr_yaml_parse(). */
static int parse_piece(const piece_cutter *cutter, const char *text, size_t len, int line_base,
                       parsed_piece *out, size_t *nodes, size_t *bytes)
{
    int rc;

    memset(out, 0, sizeof(*out));
    *nodes = 0;
    *bytes = 0;
    rc = gr_yaml_parse(cutter->source_name, text, len, &cutter->limits, &out->docs, &out->count);
    out->line_base = line_base;
    out->len = len;
    /* Counted before the sink gets the documents, because the sink may change them. */
    for (size_t i = 0; i < out->count; i++)
        count_values(gr_yaml_doc_root(out->docs[i]), nodes, bytes);
    return rc;
}

/* Returns whether documents charging `nodes` and `bytes` more keep the stream within its limits. */
static bool within_limits(const piece_cutter *cutter, size_t nodes, size_t bytes)
{
    return nodes <= cutter->limits.max_nodes - cutter->nodes &&
           bytes <= cutter->limits.max_total_scalar_bytes - cutter->bytes;
}

/*
 * Parses the next piece, of `len` bytes and `lines` line breaks, into *out
 * and charges its documents. A piece that would take the stream past a
 * limit fails like a piece that does not parse. Returns GR_OK, or an error
 * with nothing stored.
 */
static int cutter_parse(piece_cutter *cutter, size_t len, int lines, parsed_piece *out)
{
    size_t nodes, bytes;
    int rc = parse_piece(cutter, cutter->next, len, cutter->line_base, out, &nodes, &bytes);

    if (rc == GR_OK && !within_limits(cutter, nodes, bytes))
        rc = GR_ELIMIT;
    if (rc != GR_OK) {
        gr_yaml_docs_free(out->docs, out->count);
        memset(out, 0, sizeof(*out));
        return rc;
    }
    cutter->nodes += nodes;
    cutter->bytes += bytes;
    cutter->line_base += lines;
    cutter->next += len;
    return GR_OK;
}

/* Passes the documents of `piece` to the sink, and frees them when `owned`. */
static void piece_pass(parsed_piece *piece, const gr_catalog_yaml_sink *sink, bool owned)
{
    for (size_t i = 0; i < piece->count; i++)
        sink->document(sink->payload, gr_yaml_doc_root(piece->docs[i]),
                       piece->line_base + gr_yaml_doc_line(piece->docs[i]));
    if (owned)
        gr_yaml_docs_free(piece->docs, piece->count);
}

/* Parses the pieces and passes their documents one after another on the calling thread. */
static int each_on_caller(piece_cutter *cutter, const char *text, size_t len,
                          const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink)
{
    while (cutter->next < cutter->end) {
        parsed_piece piece;
        int lines = 0;
        size_t piece_len = next_piece(cutter->next, cutter->end, &lines);

        if (cutter_parse(cutter, piece_len, lines, &piece) != GR_OK)
            return reparse_whole(cutter->source_name, text, len, limits, sink);
        piece_pass(&piece, sink, true);
    }
    return GR_OK;
}

/*
 * The pieces that the parsing threads made ahead of the sink, in a ring of
 * slots numbered by counters that only grow. A parsing thread cuts the next
 * piece under the lock, which gives it the piece's number, text and first
 * line, parses it outside the lock and marks its slot ready. The calling
 * thread takes the pieces in number order, so documents reach the sink in
 * the order of the text whichever thread parsed them.
 *
 * Pieces from `head` to `tail` are cut and not yet taken, and the count and
 * bytes of these are the `ahead_` figures that the queue bounds. A slot is
 * reused for the piece `slot_count` numbers later. That piece is cut only
 * after the calling thread passed the old piece and took the next one, so
 * the thread that fills the slot frees the old piece first. With glibc
 * 2.36's malloc, two threads wait on one arena's lock when one thread frees
 * much of what the other allocates. Freed by the calling thread, the
 * benchmark's 47 MB file passed to a sink that does nothing took 2.0 s
 * instead of 1.7 s on a 2-core machine.
 *
 * The limits on values and bytes apply to the stream in order: each
 * thread counts its piece with the stream's limits, and the calling thread
 * adds the counts as it takes the pieces. A piece that would cross a limit
 * ends the stream as a failed piece does, and the whole text is parsed
 * again, which gives the parser's own message.
 *
 * Each side wakes the other only when half the queue is filled or drained,
 * or before it waits itself, because a wake-up for every piece costs a
 * system call per document.
 */
typedef struct {
    parsed_piece piece;
    size_t nodes, bytes; /* what the piece's documents charge to the limits */
    bool ready;          /* parsed, or failed */
    bool failed;
} piece_slot;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t filled; /* a piece became ready, or the parsing threads ended */
    pthread_cond_t room;   /* pieces were taken, or the calling thread stopped the queue */
    piece_slot *slots;     /* a ring of max_pieces + 1 entries */
    size_t slot_count;
    size_t max_pieces, max_bytes;
    size_t head, tail;
    size_t ahead_pieces, ahead_bytes;
    size_t next_bytes;   /* length of the piece a parsing thread waits to cut */
    int running;         /* parsing threads that have not ended */
    int parsers_waiting;
    bool caller_waiting;
    bool cut_all;         /* no piece is left to cut, or a piece failed */
    bool stopped;         /* the calling thread takes no more pieces */
    piece_cutter *cutter; /* cut under the lock */
    gr_catalog_yaml_stats stats;
} piece_queue;

static void queue_init(piece_queue *queue, piece_cutter *cutter,
                       const gr_catalog_yaml_pipeline *pipeline)
{
    memset(queue, 0, sizeof(*queue));
    pthread_mutex_init(&queue->lock, NULL);
    pthread_cond_init(&queue->filled, NULL);
    pthread_cond_init(&queue->room, NULL);
    queue->max_pieces = pipeline->queue_max_pieces > 0 ? pipeline->queue_max_pieces : 1;
    queue->max_bytes = pipeline->queue_max_bytes > 0 ? pipeline->queue_max_bytes : 1;
    /* The pieces ahead, at most max_pieces, and the one being passed. */
    queue->slot_count = queue->max_pieces + 1;
    queue->slots = gr_xcalloc(queue->slot_count, sizeof(*queue->slots));
    queue->cutter = cutter;
}

/* Frees every piece left and the queue. The parsing threads must have ended. */
static void queue_destroy(piece_queue *queue)
{
    for (size_t i = 0; i < queue->slot_count; i++)
        gr_yaml_docs_free(queue->slots[i].piece.docs, queue->slots[i].piece.count);
    free(queue->slots);
    pthread_cond_destroy(&queue->room);
    pthread_cond_destroy(&queue->filled);
    pthread_mutex_destroy(&queue->lock);
}

/* Whether a piece of `len` bytes may be cut: a slot is free and its bytes fit, or no piece
 * is ahead at all. Called with the lock held. */
static bool queue_has_room(const piece_queue *queue, size_t len)
{
    if (queue->ahead_pieces == 0)
        return true;
    return queue->ahead_pieces < queue->max_pieces && queue->ahead_bytes <= queue->max_bytes &&
           len <= queue->max_bytes - queue->ahead_bytes;
}

/* A piece cut from the text for one parsing thread. */
typedef struct {
    size_t number;
    const char *text;
    size_t len;
    int line_base;
} piece_cut;

/*
 * Waits until the next piece fits in the queue and cuts it. Returns false
 * when no piece is left, a piece failed or the calling thread stopped the
 * queue. Runs on a parsing thread.
 */
static bool queue_cut(piece_queue *queue, piece_cut *out)
{
    piece_cutter *cutter = queue->cutter;
    bool cut = false;

    pthread_mutex_lock(&queue->lock);
    while (!queue->stopped && !queue->cut_all) {
        int lines = 0;
        size_t len;

        if (cutter->next >= cutter->end) {
            queue->cut_all = true;
            break;
        }
        len = next_piece(cutter->next, cutter->end, &lines);
        if (queue_has_room(queue, len)) {
            *out = (piece_cut){queue->tail++, cutter->next, len, cutter->line_base};
            cutter->next += len;
            cutter->line_base += lines;
            queue->ahead_pieces++;
            queue->ahead_bytes += len;
            if (queue->ahead_pieces > queue->stats.max_pieces_ahead)
                queue->stats.max_pieces_ahead = queue->ahead_pieces;
            if (queue->ahead_bytes > queue->stats.max_bytes_ahead)
                queue->stats.max_bytes_ahead = queue->ahead_bytes;
            cut = true;
            break;
        }
        /* Pieces are queued here, and only the calling thread can take them. */
        if (queue->caller_waiting)
            pthread_cond_signal(&queue->filled);
        queue->next_bytes = len;
        queue->parsers_waiting++;
        pthread_cond_wait(&queue->room, &queue->lock);
        queue->parsers_waiting--;
    }
    pthread_mutex_unlock(&queue->lock);
    return cut;
}

/* Stores a parsed or failed piece in its slot. Runs on a parsing thread. */
static void queue_fill(piece_queue *queue, size_t number, const piece_slot *filled)
{
    piece_slot *slot = &queue->slots[number % queue->slot_count];

    /* The old piece of this slot was passed (see piece_queue), so no thread reads it. */
    gr_yaml_docs_free(slot->piece.docs, slot->piece.count);
    pthread_mutex_lock(&queue->lock);
    *slot = *filled;
    if (filled->failed) {
        queue->cut_all = true;
        pthread_cond_broadcast(&queue->room);
    }
    if (queue->caller_waiting &&
        (number == queue->head || queue->tail - queue->head >= (queue->max_pieces + 1) / 2))
        pthread_cond_signal(&queue->filled);
    pthread_mutex_unlock(&queue->lock);
}

/* Marks that one parsing thread ended. Runs on a parsing thread. */
static void queue_leave(piece_queue *queue)
{
    pthread_mutex_lock(&queue->lock);
    queue->running--;
    pthread_cond_signal(&queue->filled);
    pthread_mutex_unlock(&queue->lock);
}

/* Charges the piece's counts to the stream, or returns false when they would take it past a
 * limit. Called with the lock held, which guards the cutter's counts here. */
static bool queue_charge(piece_queue *queue, const piece_slot *slot)
{
    piece_cutter *cutter = queue->cutter;

    if (!within_limits(cutter, slot->nodes, slot->bytes))
        return false;
    cutter->nodes += slot->nodes;
    cutter->bytes += slot->bytes;
    return true;
}

/*
 * Waits for the next piece in order and takes it. Returns 1 with the piece
 * in *out, 0 when every piece of the text was taken, or -1 when the next
 * piece failed to parse or would cross a limit. The piece stays in its
 * slot, which the parsing threads free later. Runs on the calling thread.
 */
static int queue_pop(piece_queue *queue, parsed_piece *out)
{
    piece_slot *slot = &queue->slots[queue->head % queue->slot_count];
    int got;

    pthread_mutex_lock(&queue->lock);
    while ((queue->head == queue->tail || !slot->ready) &&
           !(queue->head == queue->tail && queue->cut_all) &&
           !(queue->head == queue->tail && queue->running == 0)) {
        queue->caller_waiting = true;
        pthread_cond_wait(&queue->filled, &queue->lock);
        queue->caller_waiting = false;
    }
    if (queue->head == queue->tail) {
        got = 0;
    } else if (slot->failed || !queue_charge(queue, slot)) {
        got = -1;
    } else {
        *out = slot->piece;
        slot->ready = false;
        queue->head++;
        queue->ahead_pieces--;
        queue->ahead_bytes -= out->len;
        /* queue_has_room() is true once nothing is queued, so waiting parsing threads are
         * woken at the latest when the queue is empty. */
        if (queue->parsers_waiting > 0 && queue->tail - queue->head <= queue->max_pieces / 2 &&
            queue_has_room(queue, queue->next_bytes))
            pthread_cond_broadcast(&queue->room);
        got = 1;
    }
    pthread_mutex_unlock(&queue->lock);
    return got;
}

/* Tells the parsing threads to stop at their next piece. Runs on the calling thread. */
static void queue_stop(piece_queue *queue)
{
    pthread_mutex_lock(&queue->lock);
    queue->stopped = true;
    pthread_cond_broadcast(&queue->room);
    pthread_mutex_unlock(&queue->lock);
}

/* Parses one cut piece into *out, marking it failed when it does not parse. */
static void parse_cut(const piece_cutter *cutter, const piece_cut *cut, piece_slot *out)
{
    memset(out, 0, sizeof(*out));
    out->failed = parse_piece(cutter, cut->text, cut->len, cut->line_base, &out->piece, &out->nodes,
                              &out->bytes) != GR_OK;
    out->ready = true;
}

/* A parsing thread: cuts and parses pieces into the queue until the text ends, a piece fails
 * (its message stays on this thread, unused) or the queue is stopped. */
static void *parse_ahead(void *arg)
{
    piece_queue *queue = arg;
    piece_cut cut;

    while (queue_cut(queue, &cut)) {
        piece_slot filled;

        parse_cut(queue->cutter, &cut, &filled);
        queue_fill(queue, cut.number, &filled);
    }
    queue_leave(queue);
    return NULL;
}

/* Starts up to `count` parsing threads into `threads` and returns how many started. */
static int start_parsers(piece_queue *queue, pthread_t *threads, int count)
{
    int started = 0;

    pthread_mutex_lock(&queue->lock);
    for (int i = 0; i < count; i++) {
        int error = pthread_create(&threads[started], NULL, parse_ahead, queue);

        if (error != 0) {
            gr_warn("catalog", "starting a thread to parse %s failed (%s)",
                    queue->cutter->source_name, strerror(error));
            break;
        }
        started++;
    }
    queue->running = started;
    pthread_mutex_unlock(&queue->lock);
    return started;
}

/*
 * Parses the pieces on parsing threads while the calling thread passes their
 * documents to the sink in order. The sink gets the calls that
 * each_on_caller() makes: after a failed piece, the pieces before it are
 * passed, and then the calling thread parses the whole text again.
 */
static int each_on_threads(piece_cutter *cutter, const char *text, size_t len,
                           const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink,
                           const gr_catalog_yaml_pipeline *pipeline, gr_catalog_yaml_stats *stats)
{
    int thread_count = pipeline->parse_threads > 0 ? pipeline->parse_threads : 1;
    pthread_t threads[GR_CATALOG_YAML_MAX_PARSE_THREADS];
    piece_queue queue;
    parsed_piece piece;
    int started;
    int got;

    if (thread_count > GR_CATALOG_YAML_MAX_PARSE_THREADS)
        thread_count = GR_CATALOG_YAML_MAX_PARSE_THREADS;
    /* NOTE: glibc keeps a thread's malloc arena after the thread ends, for later threads.
     * After the benchmark's 47 MB file, about 1.3 MiB of it stayed resident. */
    queue_init(&queue, cutter, pipeline);
    started = start_parsers(&queue, threads, thread_count);
    if (started == 0) {
        queue_destroy(&queue);
        return each_on_caller(cutter, text, len, limits, sink);
    }

    while ((got = queue_pop(&queue, &piece)) > 0)
        piece_pass(&piece, sink, false);

    queue_stop(&queue);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    *stats = queue.stats;
    stats->threaded = true;
    stats->parse_threads = started;
    queue_destroy(&queue);
    if (got < 0)
        return reparse_whole(cutter->source_name, text, len, limits, sink);
    return GR_OK;
}

int gr_catalog__yaml_each_tuned(const char *source_name, const char *text, size_t len,
                                const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink,
                                const gr_catalog_yaml_pipeline *pipeline,
                                gr_catalog_yaml_stats *stats)
{
    gr_catalog_yaml_stats unused;
    piece_cutter cutter;

    if (stats == NULL)
        stats = &unused;
    memset(stats, 0, sizeof(*stats));
    if (!can_cut(text, len))
        return parse_whole(source_name, text, len, limits, sink);

    cutter_init(&cutter, source_name, text, len, limits);
    if (len >= pipeline->thread_min_bytes)
        return each_on_threads(&cutter, text, len, limits, sink, pipeline, stats);
    return each_on_caller(&cutter, text, len, limits, sink);
}

int gr_catalog__yaml_each(const char *source_name, const char *text, size_t len,
                          const gr_yaml_limits *limits, const gr_catalog_yaml_sink *sink)
{
    gr_catalog_yaml_pipeline pipeline = {
        .thread_min_bytes = GR_CATALOG_YAML_THREAD_MIN_BYTES,
        .queue_max_pieces = GR_CATALOG_YAML_QUEUE_MAX_PIECES,
        .queue_max_bytes = GR_CATALOG_YAML_QUEUE_MAX_BYTES,
    };

    long processors = sysconf(_SC_NPROCESSORS_ONLN);

    /* On one processor the threads would only take turns. */
    if (len >= pipeline.thread_min_bytes && processors < 2)
        pipeline.thread_min_bytes = SIZE_MAX;
    pipeline.parse_threads =
        processors < GR_CATALOG_YAML_PARSE_THREADS ? 1 : GR_CATALOG_YAML_PARSE_THREADS;
    return gr_catalog__yaml_each_tuned(source_name, text, len, limits, sink, &pipeline, NULL);
}
