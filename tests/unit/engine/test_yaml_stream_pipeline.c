/* SPDX-License-Identifier: MIT */
/* Reading a YAML stream piece by piece, on the calling thread and with a parsing thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/yaml_stream.h"

/* Parses every piece on the calling thread, as gr_catalog__yaml_each() does for small texts. */
static const gr_catalog_yaml_pipeline one_thread = {SIZE_MAX, 64, (size_t)1 << 20, 1};

/* Queue sizes and parsing threads, from one piece of one byte to the defaults. */
static const gr_catalog_yaml_pipeline threaded[] = {
    {0, 1, 1, 1},
    {0, 2, 64, 1},
    {0, 5, 200, 1},
    {0, GR_CATALOG_YAML_QUEUE_MAX_PIECES, GR_CATALOG_YAML_QUEUE_MAX_BYTES, 1},
    {0, 1, 1, 2},
    {0, 2, 64, 3},
    {0, 5, 200, 2},
    {0, GR_CATALOG_YAML_QUEUE_MAX_PIECES, GR_CATALOG_YAML_QUEUE_MAX_BYTES,
     GR_CATALOG_YAML_PARSE_THREADS},
};

#define THREADED_COUNT (sizeof(threaded) / sizeof(threaded[0]))

/* A sink that writes down every call it gets. */
typedef struct {
    gr_buf calls; /* "LINE JSON\n" for each document and "restart\n" */
    size_t documents;
    size_t restarts;
    pthread_t caller;
    bool off_caller;      /* a call came on a thread other than the caller's */
    int threads_at_first; /* threads of the process during the first document */
    int slow_calls;       /* the first this many documents sleep 2 ms each */
} recorder;

/* Returns the number of threads of this process, or -1 when /proc cannot be read. */
static int thread_count(void)
{
    DIR *dir = opendir("/proc/self/task");
    struct dirent *entry;
    int count = 0;

    if (dir == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] != '.')
            count++;
    }
    closedir(dir);
    return count;
}

static void record_document(void *payload, json_t *root, int line)
{
    recorder *record = payload;
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);

    if (record->documents == 0)
        record->threads_at_first = thread_count();
    if (!pthread_equal(pthread_self(), record->caller))
        record->off_caller = true;
    gr_buf_printf(&record->calls, "%d %s\n", line, text);
    free(text);
    record->documents++;

    /* The sink owns the document for the call and may change it, as the catalog does. */
    if (json_is_object(root))
        json_object_set_new(root, "seen", json_true());
    if (record->slow_calls > 0) {
        struct timespec pause = {0, 2 * 1000 * 1000};

        record->slow_calls--;
        nanosleep(&pause, NULL);
    }
}

static void record_restart(void *payload)
{
    recorder *record = payload;

    if (!pthread_equal(pthread_self(), record->caller))
        record->off_caller = true;
    gr_buf_puts(&record->calls, "restart\n");
    record->restarts++;
}

/* The outcome of one read of a text. */
typedef struct {
    int rc;
    char *message; /* gr_error_last() after the call */
    char *calls;
    size_t documents;
    size_t restarts;
    bool off_caller;
    int threads_at_first;
    gr_catalog_yaml_stats stats;
} outcome;

static outcome read_with(const char *text, size_t len, const gr_yaml_limits *limits,
                         const gr_catalog_yaml_pipeline *pipeline, int slow_calls)
{
    recorder record = {.caller = pthread_self(), .threads_at_first = -1, .slow_calls = slow_calls};
    gr_catalog_yaml_sink sink = {record_document, record_restart, &record};
    outcome result = {0};

    gr_error_clear();
    if (pipeline != NULL)
        result.rc = gr_catalog__yaml_each_tuned("test.yaml", text, len, limits, &sink, pipeline,
                                                &result.stats);
    else
        result.rc = gr_catalog__yaml_each("test.yaml", text, len, limits, &sink);
    result.message = strdup(gr_error_last());
    result.calls = gr_buf_detach(&record.calls);
    result.documents = record.documents;
    result.restarts = record.restarts;
    result.off_caller = record.off_caller;
    result.threads_at_first = record.threads_at_first;
    return result;
}

static void outcome_free(outcome *result)
{
    free(result->message);
    free(result->calls);
}

/* Asserts that the threaded read gave the one-thread read's calls, result and message. */
static void assert_same_outcome(const outcome *expected, const outcome *got)
{
    assert_int_equal(got->rc, expected->rc);
    assert_string_equal(got->message, expected->message);
    assert_string_equal(got->calls, expected->calls);
    assert_int_equal(got->documents, expected->documents);
    assert_int_equal(got->restarts, expected->restarts);
    assert_false(got->off_caller);
}

/*
 * Reads `text` with each threaded pipeline and asserts that every read gave
 * the outcome of `serial`. With `must_thread`, each read must also have used
 * the parsing thread.
 */
static void assert_pipelines_match(const char *text, const gr_yaml_limits *limits,
                                   const outcome *serial, bool must_thread)
{
    for (size_t i = 0; i < THREADED_COUNT; i++) {
        outcome got = read_with(text, strlen(text), limits, &threaded[i], 0);

        if (must_thread)
            assert_true(got.stats.threaded);
        assert_same_outcome(serial, &got);
        outcome_free(&got);
    }
}

/* Appends `text` to `out` and adds its line breaks (CRLF counts once) to *line. */
static void append_lines(gr_buf *out, int *line, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n' || (*p == '\r' && p[1] != '\n'))
            (*line)++;
    }
    gr_buf_puts(out, text);
}

/*
 * Builds a stream of `count` documents and the calls that a recorder is
 * expected to get for it. The layouts vary: no marker before the first
 * document, markers with content, CRLF and lone CR line breaks, comments,
 * block scalars with an indented "---", and null and empty documents.
 */
static char *stream_text(size_t count, gr_buf *expected)
{
    gr_buf out = GR_BUF_INIT;
    int line = 1;
    char piece[256];

    gr_buf_printf(expected, "2 {\"index\":0}\n");
    append_lines(&out, &line, "# a stream of documents\nindex: 0\n");
    for (size_t i = 1; i < count; i++) {
        switch (i % 7) {
        case 0:
            gr_buf_printf(expected, "%d {\"index\":%zu,\"name\":\"item-%zu\"}\n", line, i, i);
            snprintf(piece, sizeof(piece), "---\nindex: %zu\nname: item-%zu\n", i, i);
            break;
        case 1:
            gr_buf_printf(expected, "%d {\"index\":%zu}\n", line, i);
            snprintf(piece, sizeof(piece), "--- {index: %zu}\n", i);
            break;
        case 2:
            gr_buf_printf(expected, "%d {\"index\":%zu,\"list\":[\"a\",\"b\"]}\n", line, i);
            snprintf(piece, sizeof(piece), "---\r\nindex: %zu\r\nlist:\r\n  - a\r\n  - b\r\n", i);
            break;
        case 3:
            gr_buf_printf(expected,
                          "%d {\"index\":%zu,\"block\":\"line one\\n--- indented\\n\"}\n",
                          line + 2, i);
            snprintf(piece, sizeof(piece),
                     "# comment\n\n---\nindex: %zu\nblock: |\n  line one\n  --- indented\n", i);
            break;
        case 4:
            gr_buf_printf(expected, "%d null\n", line);
            snprintf(piece, sizeof(piece), "---\n~\n");
            break;
        case 5:
            gr_buf_printf(expected, "%d {\"index\":%zu}\n", line + 1, i);
            snprintf(piece, sizeof(piece), "---\n---\nindex: %zu\n", i);
            break;
        default:
            gr_buf_printf(expected, "%d {\"index\":%zu}\n", line, i);
            snprintf(piece, sizeof(piece), "---\rindex: %zu\r", i);
            break;
        }
        append_lines(&out, &line, piece);
    }
    return gr_buf_detach(&out);
}

static void documents_in_order_across_threads(void **state)
{
    gr_buf expected = GR_BUF_INIT;
    char *text = stream_text(700, &expected);
    outcome serial = read_with(text, strlen(text), NULL, &one_thread, 0);

    (void)state;
    assert_int_equal(serial.rc, GR_OK);
    assert_string_equal(serial.calls, gr_buf_cstr(&expected));
    assert_false(serial.stats.threaded);
    assert_pipelines_match(text, NULL, &serial, true);
    outcome_free(&serial);
    gr_buf_free(&expected);
    free(text);
}

/* A sink that checks each document's "line" field against the line it is given. */
typedef struct {
    size_t documents;
    size_t wrong;
    int first_wrong; /* the line given with the first wrong document */
} line_checker;

static void check_line(void *payload, json_t *root, int line)
{
    line_checker *checker = payload;

    checker->documents++;
    if (json_integer_value(json_object_get(root, "line")) != line && checker->wrong++ == 0)
        checker->first_wrong = line;
}

static void ignore_restart(void *payload)
{
    (void)payload;
}

static void lines_match_document_starts(void **state)
{
    gr_buf text = GR_BUF_INIT;
    int line = 1;

    (void)state;
    /* Document i starts after i % 9 comment and blank lines, and names its own line. */
    for (int i = 0; i < 3000; i++) {
        for (int k = 0; k < i % 9; k++)
            append_lines(&text, &line, k % 2 ? "\n" : "# note\n");
        gr_buf_printf(&text, "---\nline: %d\nitems:\n  - one\n  - two\n", line);
        line += 5;
    }
    for (size_t i = 0; i < THREADED_COUNT + 1; i++) {
        const gr_catalog_yaml_pipeline *pipeline = i == 0 ? &one_thread : &threaded[i - 1];
        line_checker checker = {0};
        gr_catalog_yaml_sink sink = {check_line, ignore_restart, &checker};
        int rc = gr_catalog__yaml_each_tuned("test.yaml", text.data, text.len, NULL, &sink,
                                             pipeline, NULL);

        assert_int_equal(rc, GR_OK);
        assert_int_equal(checker.documents, 3000);
        if (checker.wrong > 0)
            print_message("first wrong line: %d\n", checker.first_wrong);
        assert_int_equal(checker.wrong, 0);
    }
    gr_buf_free(&text);
}

/* Builds `count` documents where document `bad` repeats its key, and stores the message
 * gr_yaml_parse() gives for the whole text in *message. */
static char *text_failing_at(int count, int bad, char **message)
{
    gr_buf text = GR_BUF_INIT;
    int line = 1;

    *message = NULL;
    for (int i = 0; i < count; i++) {
        if (i == bad) {
            *message = gr_xasprintf("test.yaml:%d:1: duplicate mapping key \"index\" (first "
                                    "defined at line %d); remove or rename one of them",
                                    line + 2, line + 1);
            gr_buf_printf(&text, "---\nindex: %d\nindex: %d\n", i, i);
            line += 3;
        } else {
            gr_buf_printf(&text, "---\nindex: %d\n", i);
            line += 2;
        }
    }
    return gr_buf_detach(&text);
}

static void late_failure_reparsed_whole(void **state)
{
    const int failing[] = {0, 1, 150, 298, 299};

    (void)state;
    for (size_t f = 0; f < sizeof(failing) / sizeof(failing[0]); f++) {
        char *message;
        char *text = text_failing_at(300, failing[f], &message);
        outcome serial = read_with(text, strlen(text), NULL, &one_thread, 0);

        assert_int_equal(serial.rc, GR_EINVALID);
        assert_string_equal(serial.message, message);
        /* The documents before the failed piece, then the restart, and none after it. */
        assert_int_equal(serial.documents, failing[f]);
        assert_int_equal(serial.restarts, 1);
        assert_non_null(strstr(serial.calls, "restart\n"));
        assert_string_equal(strstr(serial.calls, "restart\n"), "restart\n");
        assert_pipelines_match(text, NULL, &serial, true);
        outcome_free(&serial);
        free(message);
        free(text);
    }
}

/* Builds `count` documents of one mapping with one string of ten bytes each. */
static char *small_documents(int count)
{
    gr_buf text = GR_BUF_INIT;

    for (int i = 0; i < count; i++)
        gr_buf_printf(&text, "---\nkey: v-%08d\n", i);
    return gr_buf_detach(&text);
}

static void limits_crossed_in_later_piece(void **state)
{
    char *text = small_documents(200);
    /* Each document makes three values (mapping, key, string) and 13 bytes (key and string). */
    gr_yaml_limits nodes_limit = {.max_nodes = 301};
    gr_yaml_limits bytes_limit = {.max_total_scalar_bytes = 1301};
    const gr_yaml_limits *limits[] = {&nodes_limit, &bytes_limit};
    const char *fragments[] = {"the text makes more than 301 values",
                               "the text makes more than 1301 bytes of scalars"};

    (void)state;
    for (size_t l = 0; l < 2; l++) {
        outcome serial = read_with(text, strlen(text), limits[l], &one_thread, 0);
        outcome within = read_with(text, strlen(text) / 2, limits[l], &threaded[1], 0);

        /* The first 100 documents stay within the limit, so the piece crossing it is later. */
        assert_int_equal(within.rc, GR_OK);
        assert_int_equal(within.documents, 100);
        assert_int_equal(serial.rc, GR_ELIMIT);
        if (strstr(serial.message, fragments[l]) == NULL)
            print_message("message: %s\n", serial.message);
        assert_non_null(strstr(serial.message, fragments[l]));
        assert_true(serial.documents >= 100);
        assert_int_equal(serial.restarts, 1);
        assert_pipelines_match(text, limits[l], &serial, false);
        outcome_free(&within);
        outcome_free(&serial);
    }
    free(text);
}

/* When the documents taken so far spend a limit exactly, the next document that charges
 * anything ends the stream, on the calling thread and on parsing threads alike. */
static void limit_spent_exactly_stops_next(void **state)
{
    const char *text = "---\na: 1\n---\nb: 2\n---\n~\n---\nc: 3\n";
    gr_yaml_limits limits = {.max_nodes = 6};
    outcome serial = read_with(text, strlen(text), &limits, &one_thread, 0);

    (void)state;
    assert_int_equal(serial.rc, GR_ELIMIT);
    assert_int_equal(serial.documents, 2);
    assert_int_equal(serial.restarts, 1);
    assert_pipelines_match(text, &limits, &serial, true);
    outcome_free(&serial);
}

/* Returns the calls that gr_yaml_parse() of the whole text gives a recorder. */
static char *whole_text_calls(const char *text)
{
    gr_buf calls = GR_BUF_INIT;
    gr_yaml_doc **docs = NULL;
    size_t count = 0;

    assert_int_equal(gr_yaml_parse("test.yaml", text, strlen(text), NULL, &docs, &count), GR_OK);
    for (size_t i = 0; i < count; i++) {
        char *json = json_dumps(gr_yaml_doc_root(docs[i]), JSON_COMPACT | JSON_ENCODE_ANY);

        gr_buf_printf(&calls, "%d %s\n", gr_yaml_doc_line(docs[i]), json);
        free(json);
    }
    gr_yaml_docs_free(docs, count);
    return gr_buf_detach(&calls);
}

static void uncut_text_parsed_whole(void **state)
{
    /* A directive, a document end marker, and a NEL, LS or PS line break each keep the text
     * whole, even when the thread threshold is zero. */
    const char *texts[] = {
        "%YAML 1.2\n---\na: 1\n---\nb: 2\n",
        "---\na: 1\n...\n---\nb: 2\n",
        "---\na: \"x\xc2\x85y\"\n---\nb: 2\n",
        "---\na: \"x\xe2\x80\xa8y\"\n---\nb: 2\n",
        "---\na: \"x\xe2\x80\xa9y\"\n---\nb: 2\n",
    };

    (void)state;
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        char *expected = whole_text_calls(texts[t]);
        int threads_before = thread_count();
        outcome got = read_with(texts[t], strlen(texts[t]), NULL, &threaded[0], 0);

        assert_int_equal(got.rc, GR_OK);
        assert_int_equal(got.documents, 2);
        assert_string_equal(got.calls, expected);
        assert_false(got.stats.threaded);
        assert_int_equal(got.threads_at_first, threads_before);
        outcome_free(&got);
        free(expected);
    }
}

static void empty_text_passes_nothing(void **state)
{
    const char *texts[] = {"", "# only a comment\n", "---\n---\n", "\n\n"};

    (void)state;
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        for (size_t i = 0; i < THREADED_COUNT + 1; i++) {
            const gr_catalog_yaml_pipeline *pipeline = i == 0 ? &one_thread : &threaded[i - 1];
            outcome got = read_with(texts[t], strlen(texts[t]), NULL, pipeline, 0);

            assert_int_equal(got.rc, GR_OK);
            assert_string_equal(got.calls, "");
            assert_int_equal(got.restarts, 0);
            outcome_free(&got);
        }
    }
}

/* Builds documents filling exactly `len` bytes, the last line padded as a comment. */
static char *text_of_length(size_t len, int *documents)
{
    gr_buf text = GR_BUF_INIT;

    *documents = 0;
    while (text.len + 64 < len) {
        gr_buf_printf(&text, "---\nname: item-%08d\n", *documents);
        (*documents)++;
    }
    gr_buf_puts(&text, "#");
    while (text.len < len - 1)
        gr_buf_putc(&text, ' ');
    gr_buf_putc(&text, '\n');
    return gr_buf_detach(&text);
}

static void small_text_on_calling_thread(void **state)
{
    int documents;
    char *below = text_of_length(GR_CATALOG_YAML_THREAD_MIN_BYTES - 1, &documents);
    int threads_before = thread_count();
    outcome got = read_with(below, GR_CATALOG_YAML_THREAD_MIN_BYTES - 1, NULL, NULL, 0);

    (void)state;
    assert_true(threads_before > 0);
    assert_int_equal(strlen(below), GR_CATALOG_YAML_THREAD_MIN_BYTES - 1);
    assert_int_equal(got.rc, GR_OK);
    assert_int_equal(got.documents, documents);
    assert_int_equal(got.threads_at_first, threads_before);
    outcome_free(&got);
    free(below);
}

/* The parsing threads gr_catalog__yaml_each() starts for a large text on this machine. */
static int expected_parse_threads(void)
{
    long processors = sysconf(_SC_NPROCESSORS_ONLN);

    return processors < GR_CATALOG_YAML_PARSE_THREADS ? 1 : GR_CATALOG_YAML_PARSE_THREADS;
}

static void large_text_on_parsing_thread(void **state)
{
    int documents;
    char *large = text_of_length(GR_CATALOG_YAML_THREAD_MIN_BYTES, &documents);
    int threads_before = thread_count();
    outcome got;

    (void)state;
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        free(large);
        skip(); /* one processor: gr_catalog__yaml_each() starts no thread */
    }
    /* With more pieces than fit in the queue, the parsing threads are alive at the first
     * document. */
    assert_true(documents > 2 * GR_CATALOG_YAML_QUEUE_MAX_PIECES);
    got = read_with(large, GR_CATALOG_YAML_THREAD_MIN_BYTES, NULL, NULL, 0);
    assert_int_equal(got.rc, GR_OK);
    assert_int_equal(got.documents, documents);
    assert_false(got.off_caller);
    assert_int_equal(got.threads_at_first, threads_before + expected_parse_threads());
    assert_int_equal(thread_count(), threads_before);
    outcome_free(&got);
    free(large);
}

static void queue_bounds_respected(void **state)
{
    char *text = small_documents(200);
    size_t piece_len = strlen("---\nkey: v-00000000\n");
    gr_catalog_yaml_pipeline three_pieces = {0, 3, (size_t)1 << 20, 2};
    gr_catalog_yaml_pipeline few_bytes = {0, 64, 4 * piece_len, 2};
    outcome by_count;
    outcome by_bytes;

    (void)state;
    /* A slow sink lets the parsing thread fill the queue. */
    by_count = read_with(text, strlen(text), NULL, &three_pieces, 50);
    assert_int_equal(by_count.rc, GR_OK);
    assert_int_equal(by_count.documents, 200);
    assert_int_equal(by_count.stats.max_pieces_ahead, 3);
    by_bytes = read_with(text, strlen(text), NULL, &few_bytes, 50);
    assert_int_equal(by_bytes.rc, GR_OK);
    assert_int_equal(by_bytes.documents, 200);
    assert_int_equal(by_bytes.stats.max_pieces_ahead, 4);
    assert_int_equal(by_bytes.stats.max_bytes_ahead, 4 * piece_len);
    outcome_free(&by_count);
    outcome_free(&by_bytes);
    free(text);
}

/* A request for more parsing threads than the bound starts the bound's number. */
static void parse_threads_capped(void **state)
{
    char *text = small_documents(200);
    gr_catalog_yaml_pipeline many = {0, 64, (size_t)1 << 20, GR_CATALOG_YAML_MAX_PARSE_THREADS + 5};
    outcome serial = read_with(text, strlen(text), NULL, &one_thread, 0);
    outcome got = read_with(text, strlen(text), NULL, &many, 0);

    (void)state;
    assert_true(got.stats.threaded);
    assert_int_equal(got.stats.parse_threads, GR_CATALOG_YAML_MAX_PARSE_THREADS);
    assert_same_outcome(&serial, &got);
    outcome_free(&serial);
    outcome_free(&got);
    free(text);
}

static void piece_over_byte_limit_parsed(void **state)
{
    gr_buf text = GR_BUF_INIT;
    gr_catalog_yaml_pipeline few_bytes = {0, 64, 100, 2};
    outcome got;
    size_t large_len;

    (void)state;
    gr_buf_puts(&text, "---\nkey: small\n");
    gr_buf_puts(&text, "---\nkey: ");
    for (int i = 0; i < 1000; i++)
        gr_buf_putc(&text, 'x');
    gr_buf_puts(&text, "\n");
    large_len = text.len - strlen("---\nkey: small\n");
    gr_buf_puts(&text, "---\nkey: small\n");
    /* A piece longer than the byte limit is still parsed ahead, alone. */
    got = read_with(text.data, text.len, NULL, &few_bytes, 3);
    assert_int_equal(got.rc, GR_OK);
    assert_int_equal(got.documents, 3);
    assert_int_equal(got.stats.max_bytes_ahead, large_len);
    outcome_free(&got);
    gr_buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(documents_in_order_across_threads),
        cmocka_unit_test(lines_match_document_starts),
        cmocka_unit_test(late_failure_reparsed_whole),
        cmocka_unit_test(limits_crossed_in_later_piece),
        cmocka_unit_test(limit_spent_exactly_stops_next),
        cmocka_unit_test(uncut_text_parsed_whole),
        cmocka_unit_test(empty_text_passes_nothing),
        cmocka_unit_test(small_text_on_calling_thread),
        cmocka_unit_test(large_text_on_parsing_thread),
        cmocka_unit_test(queue_bounds_respected),
        cmocka_unit_test(piece_over_byte_limit_parsed),
        cmocka_unit_test(parse_threads_capped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
