/* SPDX-License-Identifier: MIT */
/* Documents from collators: checked, copied and given the columns the index needs. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/internal.h"

struct gr_search_sink {
    gr_search *search;
    char *type;
    gr_search__doc *docs;
    size_t count;
    size_t cap;
    /* Writing sinks flush every GR_SEARCH__BATCH documents to this generation. */
    int64_t generation;
    size_t written;
};

void gr_search__doc_free(gr_search__doc *doc)
{
    if (doc == NULL)
        return;
    free(doc->type);
    free(doc->source);
    free(doc->title);
    free(doc->text);
    free(doc->keywords);
    free(doc->location);
    free(doc->resource_ref);
    free(doc->document);
    free(doc->sort_key);
    for (size_t i = 0; i < doc->field_count; i++) {
        free(doc->fields[i].key);
        free(doc->fields[i].value);
    }
    free(doc->fields);
    memset(doc, 0, sizeof(*doc));
}

/* Returns the length of the longest valid UTF-8 prefix of `text` that ends
 * at a character boundary within `max` bytes. Sets *valid to 0 when invalid
 * bytes come before that point. */
static size_t utf8_prefix(const char *text, size_t max, int *valid)
{
    size_t len = strlen(text);
    size_t i = 0;

    *valid = 1;
    while (i < len) {
        utf8proc_int32_t codepoint;
        utf8proc_ssize_t used =
            utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i),
                             &codepoint);

        if (used <= 0) {
            *valid = 0;
            return i;
        }
        if (i + (size_t)used > max)
            break;
        i += (size_t)used;
    }
    return i;
}

static int check_string(const char *name, const char *value, size_t max, const char *source)
{
    int valid;

    if (strlen(value) > max)
        return gr_error_set(GR_ELIMIT, "search document '%s': %s is longer than %zu bytes",
                            source, name, max);
    utf8_prefix(value, max, &valid);
    if (!valid)
        return gr_error_set(GR_EINVALID, "search document '%s': %s is not valid UTF-8", source,
                            name);
    return 0;
}

/* A location is a path inside the portal or an http(s) URL; anything else
 * (javascript:, data:, //host) could run code or leave the portal when
 * the UI links to it. */
static int check_location(const char *location, const char *source)
{
    int ok = (location[0] == '/' && location[1] != '/') ||
             strncasecmp(location, "http://", 7) == 0 || strncasecmp(location, "https://", 8) == 0;

    for (const char *p = location; ok && *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            ok = 0;
    if (!ok)
        return gr_error_set(GR_EINVALID,
                            "search document '%s': location '%.200s' is neither a path starting "
                            "with '/' nor an http(s) URL",
                            source, location);
    return 0;
}

char *gr_search__lower(const char *text)
{
    utf8proc_uint8_t *out = NULL;

    if (utf8proc_map((const utf8proc_uint8_t *)text, 0, &out,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_CASEFOLD) < 0)
        return NULL;
    return (char *)out;
}

static void doc_add_field(gr_search__doc *doc, const char *key, const char *value)
{
    char *lower = gr_search__lower(value);

    if (lower == NULL || strlen(key) > GR_SEARCH_MAX_FILTER_BYTES ||
        strlen(lower) > GR_SEARCH_MAX_FILTER_BYTES) {
        free(lower);
        return;
    }
    doc->fields = gr_xrealloc(doc->fields, (doc->field_count + 1) * sizeof(*doc->fields));
    doc->fields[doc->field_count].key = gr_xstrdup(key);
    doc->fields[doc->field_count].value = lower;
    doc->field_count++;
}

/* Filters match strings, numbers and booleans, and each string of an array. */
static void doc_add_filter_value(gr_search__doc *doc, const char *key, const json_t *value)
{
    char number[64];

    if (json_is_string(value)) {
        doc_add_field(doc, key, json_string_value(value));
    } else if (json_is_integer(value)) {
        snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        doc_add_field(doc, key, number);
    } else if (json_is_real(value)) {
        snprintf(number, sizeof(number), "%.17g", json_real_value(value));
        doc_add_field(doc, key, number);
    } else if (json_is_boolean(value)) {
        doc_add_field(doc, key, json_is_true(value) ? "true" : "false");
    }
}

static int doc_build_document(gr_search__doc *doc, const json_t *fields)
{
    json_t *document = json_object();
    const char *key;
    json_t *value;

    /* Backstage's order: title and text, the fields, then the location. */
    json_object_set_new(document, "title", json_string(doc->title));
    json_object_set_new(document, "text", json_string(doc->text));
    if (fields != NULL) {
        json_object_foreach((json_t *)fields, key, value) {
            if (strcmp(key, "authorization") == 0 || strcmp(key, "title") == 0 ||
                strcmp(key, "text") == 0 || strcmp(key, "location") == 0)
                continue;
            json_object_set(document, key, value);
            if (json_is_array(value)) {
                size_t i;
                json_t *item;

                json_array_foreach(value, i, item)
                    doc_add_filter_value(doc, key, item);
            } else {
                doc_add_filter_value(doc, key, value);
            }
        }
    }
    json_object_set_new(document, "location", json_string(doc->location));
    doc->document = json_dumps(document, JSON_COMPACT);
    json_decref(document);
    if (doc->document == NULL)
        return gr_error_set(GR_EINVALID, "search document '%s': its fields cannot be encoded",
                            doc->source);
    return 0;
}

static int doc_prepare(const char *type, const gr_search_doc *in, gr_search__doc *doc)
{
    const char *source = in->source ? in->source : "";
    size_t text_len;
    int valid;
    int rc;

    memset(doc, 0, sizeof(*doc));
    if (in->source == NULL || in->source[0] == '\0')
        return gr_error_set(GR_EINVALID, "search document of type '%s' has no source", type);
    if (in->title == NULL || in->location == NULL)
        return gr_error_set(GR_EINVALID, "search document '%s' has no %s", source,
                            in->title == NULL ? "title" : "location");
    if (in->fields != NULL && !json_is_object(in->fields))
        return gr_error_set(GR_EINVALID, "search document '%s': fields must be an object",
                            source);
    if ((rc = check_string("source", source, GR_SEARCH_MAX_FIELD_BYTES, source)) < 0 ||
        (rc = check_string("title", in->title, GR_SEARCH_MAX_FIELD_BYTES, source)) < 0 ||
        (rc = check_string("location", in->location, GR_SEARCH_MAX_FIELD_BYTES, source)) < 0 ||
        (rc = check_string("keywords", in->keywords ? in->keywords : "",
                           GR_SEARCH_MAX_FIELD_BYTES, source)) < 0 ||
        (rc = check_location(in->location, source)) < 0)
        return rc;

    text_len = utf8_prefix(in->text ? in->text : "", GR_SEARCH_MAX_TEXT_BYTES, &valid);
    if (!valid)
        return gr_error_set(GR_EINVALID, "search document '%s': text is not valid UTF-8",
                            source);

    doc->type = gr_xstrdup(type);
    doc->source = gr_xstrdup(source);
    doc->title = gr_xstrdup(in->title);
    doc->text = gr_xstrndup(in->text ? in->text : "", text_len);
    doc->keywords = gr_xstrdup(in->keywords ? in->keywords : "");
    doc->location = gr_xstrdup(in->location);
    doc->sort_key = gr_search_fold(in->title);
    if (in->resource_ref != NULL) {
        doc->resource_ref = gr_xstrdup(in->resource_ref);
        for (char *p = doc->resource_ref; *p != '\0'; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
    return doc_build_document(doc, in->fields);
}

static gr_search_sink *sink_new(gr_search *search, const char *type)
{
    gr_search_sink *sink = gr_xcalloc(1, sizeof(*sink));

    sink->search = search;
    sink->type = gr_xstrdup(type);
    return sink;
}

gr_search_sink *gr_search__sink_collect(gr_search *search, const char *type)
{
    return sink_new(search, type);
}

gr_search_sink *gr_search__sink_write(gr_search *search, const char *type, int64_t generation)
{
    gr_search_sink *sink = sink_new(search, type);

    sink->generation = generation;
    return sink;
}

static void sink_clear(gr_search_sink *sink)
{
    for (size_t i = 0; i < sink->count; i++)
        gr_search__doc_free(&sink->docs[i]);
    sink->count = 0;
}

/* Writes the held documents in one short transaction and renews the
 * rebuild's lease, so that no other process takes the rebuild over. The
 * writer connection is released between batches, so other writers (the
 * catalog, incremental updates) wait at most one batch. */
int gr_search__sink_flush(gr_search_sink *sink)
{
    gr_db *db = sink->search->db;
    gr_db_conn *conn = NULL;
    gr_db_stmt *stmt = NULL;
    char *sql = NULL;
    int rc;

    if (sink->generation == 0 || sink->count == 0)
        return 0;
    if ((rc = gr_db_acquire(db, GR_DB_WRITE, &conn)) < 0)
        return rc;
    if ((rc = gr_db_begin(conn)) < 0)
        goto done;
    for (size_t i = 0; rc == 0 && i < sink->count; i++)
        rc = sink->search->engine->insert(sink->search, conn, sink->generation, &sink->docs[i]);

    sql = gr_xasprintf("UPDATE search_state SET building_heartbeat_at = %s "
                       "WHERE id = 1 AND building_generation = ?",
                       gr_db_sql_now_ms(db));
    if (rc == 0)
        rc = gr_db_prepare(conn, sql, &stmt);
    if (rc == 0)
        rc = gr_db_bind_int64(stmt, 1, sink->generation);
    if (rc == 0 && (rc = gr_db_step(stmt)) == GR_DB_DONE)
        rc = 0;
    gr_db_finalize(stmt);
    if (rc == 0)
        rc = gr_db_commit(conn);
    if (rc == 0)
        sink->written += sink->count;
done:
    if (rc < 0)
        gr_db_rollback(conn);
    gr_db_release(conn);
    free(sql);
    sink_clear(sink);
    return rc;
}

int gr_search_sink_add(gr_search_sink *sink, const gr_search_doc *doc)
{
    gr_search__doc prepared;
    int rc = doc_prepare(sink->type, doc, &prepared);

    if (rc < 0) {
        gr_search__doc_free(&prepared);
        return rc;
    }
    if (sink->count == sink->cap) {
        sink->cap = sink->cap ? sink->cap * 2 : 16;
        sink->docs = gr_xrealloc(sink->docs, sink->cap * sizeof(*sink->docs));
    }
    sink->docs[sink->count++] = prepared;
    if (sink->generation != 0 && sink->count >= GR_SEARCH__BATCH)
        return gr_search__sink_flush(sink);
    return 0;
}

gr_search__doc *gr_search__sink_docs(gr_search_sink *sink, size_t *count)
{
    *count = sink->count;
    return sink->docs;
}

size_t gr_search__sink_written(const gr_search_sink *sink)
{
    return sink->written;
}

void gr_search__sink_free(gr_search_sink *sink)
{
    if (sink == NULL)
        return;
    sink_clear(sink);
    free(sink->docs);
    free(sink->type);
    free(sink);
}
