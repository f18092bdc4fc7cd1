/* SPDX-License-Identifier: MIT */
/* Tests that cross the search limits: collators, documents, pages, the queue, schedules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four headers above first. */
#include <cmocka.h>

#include "search_fixture.h"

#include "host/log/log.h"
#include "plugins/search/internal.h"
#include "plugins/search/schedule.h"

#define assert_contains(text, part)                                                                \
    do {                                                                                           \
        if (strstr((text), (part)) == NULL)                                                        \
            fail_msg("\"%s\" does not contain \"%s\"", (text), (part));                            \
    } while (0)

/* The limits checked here do not depend on the engine, so one engine is enough. */
#define SQLITE_TEST(fn)                                                                            \
    {                                                                                              \
        "sqlite: " #fn, fn, search_fixture_setup, search_fixture_teardown,                         \
            (void *)&db_fixture_sqlite                                                             \
    }

/* Documents a test collator adds, and what the sink returned for each. */
typedef struct {
    const gr_search_doc *docs;
    size_t count;
    int rc[4];
    char *message[4];
} doc_list;

static int list_collate_all(void *payload, gr_search_sink *sink)
{
    doc_list *list = payload;

    for (size_t i = 0; i < list->count; i++) {
        list->rc[i] = gr_search_sink_add(sink, &list->docs[i]);
        list->message[i] = list->rc[i] < 0 ? gr_xstrdup(gr_error_last()) : NULL;
    }
    return 0;
}

static void doc_list_clear(doc_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->message[i]);
}

static int64_t count_of(gr_search *search, const char *term)
{
    const char *types[] = {"limits"};
    gr_search_request request = {.term = term, .types = types, .type_count = 1};
    json_t *result = query_ok(search, &request);
    int64_t count = result_count(result);

    json_decref(result);
    return count;
}

static char *repeated(char ch, size_t count)
{
    char *text = gr_xmalloc(count + 1);

    memset(text, ch, count);
    text[count] = '\0';
    return text;
}

/* Collators are registered up to GR_SEARCH_MAX_COLLATORS, but the next one is rejected. */
static void collators_over_max(void **state)
{
    search_fixture *fixture = *state;
    /* The registry borrows type names until the service is freed. */
    static char types[GR_SEARCH_MAX_COLLATORS + 1][16];
    int rc = 0;

    for (int i = 0; i <= GR_SEARCH_MAX_COLLATORS && rc == 0; i++) {
        gr_search_collator collator = {.type = types[i], .collate_all = list_collate_all};

        snprintf(types[i], sizeof(types[i]), "extra-%d", i);
        rc = gr_search_register_collator(fixture->search, &collator);
    }
    assert_int_equal(rc, GR_ELIMIT);
    assert_string_equal(gr_error_last(), "more than 32 search collators");
    assert_int_equal(fixture->search->collator_count, GR_SEARCH_MAX_COLLATORS);
}

/* A type name of GR_SEARCH_MAX_TYPE_BYTES is taken, but one byte more is rejected. */
static void type_bytes_over_max(void **state)
{
    search_fixture *fixture = *state;
    static char at[GR_SEARCH_MAX_TYPE_BYTES + 1];
    static char over[GR_SEARCH_MAX_TYPE_BYTES + 2];
    gr_search_collator collator = {.type = at, .collate_all = list_collate_all};

    memset(at, 't', GR_SEARCH_MAX_TYPE_BYTES);
    memset(over, 'u', GR_SEARCH_MAX_TYPE_BYTES + 1);

    assert_int_equal(gr_search_register_collator(fixture->search, &collator), 0);
    collator.type = over;
    assert_int_equal(gr_search_register_collator(fixture->search, &collator), GR_EINVALID);
    assert_contains(gr_error_last(), over);
    assert_contains(gr_error_last(), "at most 64 bytes");
}

/* A title of GR_SEARCH_MAX_FIELD_BYTES is indexed, but one byte more rejects the document. */
static void field_bytes_over_max(void **state)
{
    search_fixture *fixture = *state;
    char *at = repeated('a', GR_SEARCH_MAX_FIELD_BYTES);
    char *over = repeated('b', GR_SEARCH_MAX_FIELD_BYTES + 1);
    gr_search_doc docs[] = {
        {.source = "at", .title = at, .location = "/at"},
        {.source = "over", .title = over, .location = "/over"},
    };
    doc_list list = {.docs = docs, .count = 2};
    gr_search_collator collator = {
        .type = "limits", .collate_all = list_collate_all, .payload = &list};

    assert_int_equal(gr_search_register_collator(fixture->search, &collator), 0);
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);
    assert_int_equal(list.rc[0], 0);
    assert_int_equal(list.rc[1], GR_ELIMIT);
    assert_string_equal(list.message[1], "search document 'over': title is longer than 16384 "
                                         "bytes");
    assert_int_equal(count_of(fixture->search, ""), 1);
    doc_list_clear(&list);
    free(at);
    free(over);
}

/*
 * Text longer than GR_SEARCH_MAX_TEXT_BYTES is cut: a word that ends at the
 * limit is found, a word just past it is not.
 */
static void text_bytes_over_max(void **state)
{
    search_fixture *fixture = *state;
    gr_buf text = GR_BUF_INIT;
    gr_search_doc docs[1] = {{.source = "long", .title = "Long page", .location = "/long"}};
    doc_list list = {.docs = docs, .count = 1};
    gr_search_collator collator = {
        .type = "limits", .collate_all = list_collate_all, .payload = &list};

    while (text.len + 7 <= GR_SEARCH_MAX_TEXT_BYTES - 9)
        gr_buf_puts(&text, "filler ");
    while (text.len < GR_SEARCH_MAX_TEXT_BYTES - 9)
        gr_buf_putc(&text, ' ');
    gr_buf_puts(&text, " edgeword");
    assert_int_equal(text.len, GR_SEARCH_MAX_TEXT_BYTES);
    gr_buf_puts(&text, " tailword");
    docs[0].text = gr_buf_cstr(&text);

    assert_int_equal(gr_search_register_collator(fixture->search, &collator), 0);
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);
    assert_int_equal(list.rc[0], 0);
    assert_int_equal(count_of(fixture->search, "edgeword"), 1);
    assert_int_equal(count_of(fixture->search, "tailword"), 0);
    doc_list_clear(&list);
    gr_buf_free(&text);
}

/* Adds `count` documents "Page N" of type "limits". */
static int many_collate_all(void *payload, gr_search_sink *sink)
{
    int count = *(const int *)payload;
    int rc = 0;

    for (int i = 0; i < count && rc == 0; i++) {
        char title[32];
        char location[32];
        char source[32];
        gr_search_doc doc = {.source = source, .title = title, .location = location};

        snprintf(title, sizeof(title), "Page %d", i);
        snprintf(location, sizeof(location), "/pages/%d", i);
        snprintf(source, sizeof(source), "page-%d", i);
        rc = gr_search_sink_add(sink, &doc);
    }
    return rc;
}

/* A query without a page limit returns GR_SEARCH_DEFAULT_PAGE_LIMIT of 26 documents and a cursor.
 */
static void default_page_limit_over(void **state)
{
    search_fixture *fixture = *state;
    int count = GR_SEARCH_DEFAULT_PAGE_LIMIT + 1;
    gr_search_collator collator = {
        .type = "limits", .collate_all = many_collate_all, .payload = &count};
    const char *types[] = {"limits"};
    gr_search_request request = {.types = types, .type_count = 1};
    json_t *result;

    assert_int_equal(gr_search_register_collator(fixture->search, &collator), 0);
    assert_int_equal(gr_search_reindex(fixture->search, NULL), 0);
    result = query_ok(fixture->search, &request);
    assert_int_equal(json_array_size(json_object_get(result, "results")),
                     GR_SEARCH_DEFAULT_PAGE_LIMIT);
    assert_true(json_is_string(json_object_get(result, "nextPageCursor")));
    json_decref(result);
}

static void keep_line(gr_log_level level, const char *line, void *payload)
{
    (void)level;
    gr_buf_printf(payload, "%s\n", line);
}

/* The change after the queue's limit is dropped with one warning naming it. */
static void queue_over_max(void **state)
{
    search_fixture *fixture = *state;
    gr_buf lines = GR_BUF_INIT;
    char source[32];

    gr_log_set_sink(keep_line, &lines);
    for (int i = 0; i <= GR_SEARCH_MAX_QUEUE; i++) {
        snprintf(source, sizeof(source), "component:default/c%d", i);
        gr_search_notify(fixture->search, "software-catalog", source);
    }
    gr_log_set_sink(NULL, NULL);
    assert_int_equal(fixture->search->queue_count, GR_SEARCH_MAX_QUEUE);
    assert_int_equal(fixture->search->dropped, 1);
    assert_contains(gr_buf_cstr(&lines), "more than 100000 changes wait for the search index; "
                                         "dropping 'component:default/c100000'");
    gr_buf_free(&lines);
}

/* 100 years is the longest schedule duration, but one millisecond more is rejected. */
static void duration_over_max(void **state)
{
    json_t *at = json_pack("{s:i}", "years", 100);
    json_t *over = json_pack("{s:i, s:i}", "years", 100, "milliseconds", 1);
    json_t *iso_over = json_string("P36500DT0.001S");
    gr_buf message = GR_BUF_INIT;
    int64_t ms = 0;

    (void)state;
    assert_int_equal(gr_search_duration_ms(at, &ms, NULL), 0);
    assert_int_equal(ms, 100LL * 365 * 86400000);
    assert_int_equal(gr_search_duration_ms(over, &ms, &message), GR_EINVALID);
    assert_contains(gr_buf_cstr(&message), "the duration is longer than 100 years");
    gr_buf_free(&message);
    assert_int_equal(gr_search_duration_ms(iso_over, &ms, &message), GR_EINVALID);
    assert_contains(gr_buf_cstr(&message), "the duration is longer than 100 years");
    gr_buf_free(&message);
    json_decref(at);
    json_decref(over);
    json_decref(iso_over);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        SQLITE_TEST(collators_over_max),      SQLITE_TEST(type_bytes_over_max),
        SQLITE_TEST(field_bytes_over_max),    SQLITE_TEST(text_bytes_over_max),
        SQLITE_TEST(default_page_limit_over), SQLITE_TEST(queue_over_max),
        cmocka_unit_test(duration_over_max),
    };

    return cmocka_run_group_tests(tests, NULL, db_fixture_group_teardown);
}
