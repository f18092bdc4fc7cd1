/* SPDX-License-Identifier: MIT */
/* Search within one docs site, over its search/search_index.json. */
#include "plugins/techdocs/site_search.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"

typedef struct {
    char *text[GR_TECHDOCS_SEARCH_MAX_TERMS];
    size_t count;
    char *storage;
} query_terms;

static void split_terms(const char *query, query_terms *out)
{
    char *save = NULL;

    memset(out, 0, sizeof(*out));
    out->storage = gr_xstrdup(query);
    for (char *term = strtok_r(out->storage, " \t\r\n", &save);
         term != NULL && out->count < GR_TECHDOCS_SEARCH_MAX_TERMS;
         term = strtok_r(NULL, " \t\r\n", &save))
        out->text[out->count++] = term;
}

static int count_matches(const char *text, const char *term)
{
    int matches = 0;
    size_t len = strlen(term);

    for (const char *p = strcasestr(text, term); p != NULL && matches < 100;
         p = strcasestr(p + len, term))
        matches++;
    return matches;
}

/* Cuts about GR_TECHDOCS_SNIPPET_BYTES of `text` around `at`, on UTF-8 boundaries. */
static char *snippet_of(const char *text, const char *at)
{
    size_t len = strlen(text);
    size_t start = at != NULL && (size_t)(at - text) > GR_TECHDOCS_SNIPPET_BYTES / 4
                       ? (size_t)(at - text) - GR_TECHDOCS_SNIPPET_BYTES / 4
                       : 0;
    size_t end = start + GR_TECHDOCS_SNIPPET_BYTES < len ? start + GR_TECHDOCS_SNIPPET_BYTES : len;

    while (start > 0 && ((unsigned char)text[start] & 0xC0) == 0x80)
        start--;
    while (end < len && ((unsigned char)text[end] & 0xC0) == 0x80)
        end++;
    return gr_xasprintf("%s%.*s%s", start > 0 ? "..." : "", (int)(end - start), text + start,
                        end < len ? "..." : "");
}

static int compare_hits(const void *a, const void *b)
{
    const gr_techdocs_hit *x = a;
    const gr_techdocs_hit *y = b;

    return y->score - x->score;
}

void gr_techdocs_site_search(const json_t *index, const char *query, size_t max,
                             gr_techdocs_hit **hits, size_t *count)
{
    const json_t *docs = json_object_get(index, "docs");
    query_terms terms;
    size_t cap = 0;
    size_t i;
    const json_t *doc;

    *hits = NULL;
    *count = 0;
    split_terms(query, &terms);
    if (terms.count == 0) {
        free(terms.storage);
        return;
    }
    json_array_foreach(docs, i, doc)
    {
        const char *title = json_string_value(json_object_get(doc, "title"));
        const char *text = json_string_value(json_object_get(doc, "text"));
        const char *location = json_string_value(json_object_get(doc, "location"));
        int score = 0;
        size_t t;

        if (location == NULL)
            continue;
        for (t = 0; t < terms.count; t++) {
            int in_title = title ? count_matches(title, terms.text[t]) : 0;
            int in_text = text ? count_matches(text, terms.text[t]) : 0;

            if (in_title + in_text == 0)
                break;
            score += 10 * in_title + in_text;
        }
        if (t < terms.count)
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            *hits = gr_xrealloc(*hits, cap * sizeof(**hits));
        }
        (*hits)[*count].location = gr_xstrdup(location);
        (*hits)[*count].title = gr_xstrdup(title ? title : location);
        (*hits)[*count].snippet =
            snippet_of(text ? text : "", text ? strcasestr(text, terms.text[0]) : NULL);
        (*hits)[*count].score = score;
        (*count)++;
    }
    free(terms.storage);
    if (*count > 1)
        qsort(*hits, *count, sizeof(**hits), compare_hits);
    while (*count > max) {
        (*count)--;
        free((*hits)[*count].location);
        free((*hits)[*count].title);
        free((*hits)[*count].snippet);
    }
}

void gr_techdocs_hits_free(gr_techdocs_hit *hits, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(hits[i].location);
        free(hits[i].title);
        free(hits[i].snippet);
    }
    free(hits);
}
