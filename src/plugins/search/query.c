/* SPDX-License-Identifier: MIT */
/* Queries: checking a request, running it on the active generation and shaping Backstage's result set. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/log/log.h"
#include "plugins/search/internal.h"

/* Cursors are Backstage's: the page number in decimal, base64-encoded ("MQ==" is page 1). */
static char *cursor_encode(int64_t page)
{
    char digits[32];
    unsigned char encoded[64];

    snprintf(digits, sizeof(digits), "%lld", (long long)page);
    EVP_EncodeBlock(encoded, (const unsigned char *)digits, (int)strlen(digits));
    return gr_xstrdup((const char *)encoded);
}

static int cursor_decode(const char *cursor, int64_t *page)
{
    unsigned char decoded[64];
    size_t len = strlen(cursor);
    int n;
    char *end = NULL;
    long long value;

    *page = 0;
    if (len == 0 || len % 4 != 0 || len > 40)
        goto invalid;
    n = EVP_DecodeBlock(decoded, (const unsigned char *)cursor, (int)len);
    if (n <= 0)
        goto invalid;
    decoded[n] = '\0';
    if (decoded[0] < '0' || decoded[0] > '9')
        goto invalid;
    value = strtoll((const char *)decoded, &end, 10);
    if (*end != '\0' || value < 0 || value > GR_SEARCH_MAX_PAGE)
        goto invalid;
    *page = value;
    return 0;
invalid:
    return gr_error_set(GR_EINVALID, "Invalid query string: pageCursor '%.64s' is not a cursor "
                                     "this service returned",
                        cursor);
}

static size_t utf8_length(const char *text, int *valid)
{
    size_t count = 0;
    size_t len = strlen(text);

    *valid = 1;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t codepoint;
        utf8proc_ssize_t used = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                                 (utf8proc_ssize_t)(len - i), &codepoint);

        if (used <= 0) {
            *valid = 0;
            return count;
        }
        i += (size_t)used;
        count++;
    }
    return count;
}

static int check_types(gr_search *search, const gr_search_request *request)
{
    if (request->type_count > GR_SEARCH_MAX_QUERY_TYPES)
        return gr_error_set(GR_EINVALID, "Invalid query string: more than %d types",
                            GR_SEARCH_MAX_QUERY_TYPES);
    for (size_t i = 0; i < request->type_count; i++)
        if (gr_search__collator(search, request->types[i]) == NULL)
            return gr_error_set(GR_EINVALID, "Invalid query string: unknown type '%.64s'",
                                request->types[i]);
    return 0;
}

static void filters_free(gr_search_filter *filters, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < filters[i].count; j++)
            free((char *)filters[i].values[j]);
        free(filters[i].values);
    }
    free(filters);
}

/* Copies the filters with their values case-folded. */
static int copy_filters(const gr_search_request *request, gr_search__query *query)
{
    if (request->filter_count > GR_SEARCH_MAX_FILTERS)
        return gr_error_set(GR_EINVALID, "Invalid query string: more than %d filters",
                            GR_SEARCH_MAX_FILTERS);
    query->filters = gr_xcalloc(request->filter_count + 1, sizeof(*query->filters));
    for (size_t i = 0; i < request->filter_count; i++) {
        const gr_search_filter *in = &request->filters[i];
        gr_search_filter *out = &query->filters[i];

        query->filter_count++;
        out->key = in->key;
        if (in->key == NULL || in->key[0] == '\0' || strlen(in->key) > GR_SEARCH_MAX_FILTER_BYTES)
            return gr_error_set(GR_EINVALID, "Invalid query string: a filter key is empty or "
                                             "longer than %d bytes",
                                GR_SEARCH_MAX_FILTER_BYTES);
        if (in->count == 0 || in->count > GR_SEARCH_MAX_FILTER_VALUES)
            return gr_error_set(GR_EINVALID, "Invalid query string: filter '%.64s' needs 1 to "
                                             "%d values",
                                in->key, GR_SEARCH_MAX_FILTER_VALUES);
        out->values = gr_xcalloc(in->count, sizeof(char *));
        for (size_t j = 0; j < in->count; j++) {
            char *lower = gr_search__lower(in->values[j] ? in->values[j] : "");

            if (lower == NULL || strlen(lower) > GR_SEARCH_MAX_FILTER_BYTES) {
                free(lower);
                return gr_error_set(GR_EINVALID, "Invalid query string: a value of filter "
                                                 "'%.64s' is not UTF-8 or longer than %d bytes",
                                    in->key, GR_SEARCH_MAX_FILTER_BYTES);
            }
            out->values[out->count++] = lower;
        }
    }
    return 0;
}

/* Adds the term's `field:value` filters to the request's; filters on the
 * same field are one filter whose values are alternatives. */
static int add_term_filters(gr_search__query *query)
{
    const gr_search_terms *terms = &query->terms;
    size_t first = query->filter_count;

    for (size_t i = 0; i < terms->filter_count; i++) {
        const gr_search_term_filter *in = &terms->filters[i];
        gr_search_filter *out = NULL;

        for (size_t j = first; j < query->filter_count && out == NULL; j++)
            if (strcmp(query->filters[j].key, in->key) == 0)
                out = &query->filters[j];
        if (out == NULL) {
            if (query->filter_count >= GR_SEARCH_MAX_FILTERS)
                return gr_error_set(GR_EINVALID, "Invalid query string: more than %d filters",
                                    GR_SEARCH_MAX_FILTERS);
            query->filters = gr_xrealloc(query->filters,
                                         (query->filter_count + 1) * sizeof(*query->filters));
            out = &query->filters[query->filter_count++];
            memset(out, 0, sizeof(*out));
            out->key = in->key;
        }
        out->values = gr_xrealloc(out->values, (out->count + 1) * sizeof(char *));
        out->values[out->count++] = gr_xstrdup(in->value);
    }
    return 0;
}

/* Checks the request and fills `query`; the page number goes to *page. */
static int prepare(gr_search *search, const gr_search_request *request, gr_search__query *query,
                   int64_t *page)
{
    const char *term = request->term ? request->term : "";
    int valid;
    size_t length = utf8_length(term, &valid);
    int rc;

    if (!valid)
        return gr_error_set(GR_EINVALID, "Invalid query string: the term is not valid UTF-8");
    if (length > (size_t)search->max_term_length)
        return gr_error_set(GR_EINVALID,
                            "Invalid query string: the term length \"%zu\" is greater than "
                            "\"%d\"",
                            length, search->max_term_length);
    if (request->page_limit < 0 || request->page_limit > search->max_page_limit)
        return gr_error_set(GR_EINVALID,
                            "Invalid query string: the page limit \"%d\" is greater than \"%d\"",
                            request->page_limit, search->max_page_limit);
    if ((rc = check_types(search, request)) < 0)
        return rc;
    if (request->page_cursor != NULL && (rc = cursor_decode(request->page_cursor, page)) < 0)
        return rc;
    if ((rc = copy_filters(request, query)) < 0)
        return rc;
    if ((rc = gr_search_terms_parse(term, &query->terms)) < 0)
        return rc;
    if ((rc = add_term_filters(query)) < 0)
        return rc;

    query->types = request->types;
    query->type_count = request->type_count;
    query->limit = request->page_limit > 0 ? request->page_limit : GR_SEARCH_DEFAULT_PAGE_LIMIT;
    query->offset = *page * query->limit;
    query->pre_tag = search->pre_tag;
    query->post_tag = search->post_tag;
    query->suggest = request->suggest != 0;
    return 0;
}

/*
 * Reads the active generation and queries it inside one read transaction,
 * so a rebuild cannot drop that generation's tables during the query.
 * SQLite readers keep their WAL snapshot. On PostgreSQL, the shared row lock
 * on search_state delays the switch to a new generation until the query ends.
 */
static int run(gr_search *search, const gr_search__query *query, gr_search__page *page)
{
    gr_db_conn *conn = NULL;
    int64_t generation = 0;
    int rc;

    if ((rc = gr_db_acquire(search->db, GR_DB_READ, &conn)) < 0)
        return rc;
    rc = gr_db_begin(conn);
    if (rc == 0)
        rc = gr_search__state(conn, &generation, NULL, 1);
    if (rc == 0)
        rc = search->engine->query(search, conn, generation, query, page);
    if (rc == 0)
        rc = gr_db_commit(conn);
    else
        gr_db_rollback(conn);
    gr_db_release(conn);
    return rc;
}

static json_t *hit_json(const gr_search *search, const gr_search__hit *hit, int64_t rank)
{
    json_t *result = json_object();
    json_t *document = json_loads(hit->document ? hit->document : "{}", 0, NULL);
    json_t *highlight = json_object();
    json_t *fields = json_object();

    if (document == NULL)
        document = json_object();
    if (hit->title_highlight != NULL && strstr(hit->title_highlight, search->pre_tag) != NULL)
        json_object_set_new(fields, "title", json_string(hit->title_highlight));
    if (hit->text_highlight != NULL && strstr(hit->text_highlight, search->pre_tag) != NULL)
        json_object_set_new(fields, "text", json_string(hit->text_highlight));
    json_object_set_new(highlight, "preTag", json_string(search->pre_tag));
    json_object_set_new(highlight, "postTag", json_string(search->post_tag));
    json_object_set_new(highlight, "fields", fields);

    json_object_set_new(result, "type", json_string(hit->type ? hit->type : ""));
    json_object_set_new(result, "document", document);
    json_object_set_new(result, "rank", json_integer(rank));
    json_object_set_new(result, "highlight", highlight);
    return result;
}

static json_t *result_set(const gr_search *search, const gr_search__query *query,
                          const gr_search__page *page, int64_t page_number)
{
    json_t *out = json_object();
    json_t *results = json_array();

    for (size_t i = 0; i < page->count; i++)
        json_array_append_new(results,
                              hit_json(search, &page->hits[i], query->offset + (int64_t)i + 1));
    json_object_set_new(out, "results", results);
    json_object_set_new(out, "numberOfResults", json_integer(page->total));
    if (!query->suggest && query->offset + (int64_t)page->count < page->total &&
        page_number < GR_SEARCH_MAX_PAGE) {
        char *cursor = cursor_encode(page_number + 1);

        json_object_set_new(out, "nextPageCursor", json_string(cursor));
        free(cursor);
    }
    if (page_number > 0) {
        char *cursor = cursor_encode(page_number - 1);

        json_object_set_new(out, "previousPageCursor", json_string(cursor));
        free(cursor);
    }
    return out;
}

int gr_search_query(gr_search *search, const gr_search_request *request, const void *caller,
                    json_t **out)
{
    gr_search__query query;
    gr_search__page page;
    gr_search_access access;
    int64_t page_number = 0;
    int rc;

    *out = NULL;
    memset(&query, 0, sizeof(query));
    memset(&page, 0, sizeof(page));
    memset(&access, 0, sizeof(access));

    if ((rc = prepare(search, request, &query, &page_number)) < 0)
        goto done;
    if (search->access_fn != NULL) {
        if ((rc = search->access_fn(search->access_payload, caller, "fe.entity_id", &access)) < 0)
            goto done;
        query.access = &access;
    }
    if ((rc = run(search, &query, &page)) < 0)
        goto done;
    *out = result_set(search, &query, &page, page_number);
done:
    gr_search__page_free(&page);
    gr_search_access_free(&access);
    gr_search_terms_free(&query.terms);
    filters_free(query.filters, query.filter_count);
    return rc;
}
