/* SPDX-License-Identifier: MIT */
/* Parsing of search terms into parts and filters, and their FTS5 and tsquery forms. */
#include "plugins/search/terms.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/search/internal.h"
#include "plugins/search/words.h"

static const char *const term_fields[] = {GR_SEARCH_TERM_FIELDS};

/* The parser's position in the term and what it has kept so far. */
typedef struct {
    const char *at;
    gr_search_terms *terms;
    size_t words; /* over all parts */
} term_reader;

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const char *known_field(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof(term_fields) / sizeof(term_fields[0]); i++)
        if (strlen(term_fields[i]) == len && strncasecmp(term_fields[i], key, len) == 0)
            return term_fields[i];
    return NULL;
}

/* Adds the words of `text[0, len)`: a quoted or excluded text is one part
 * (a phrase), a plain one is one part per word, as type-ahead expects of
 * "payments-a" (the prefix mark then goes to the last one). */
static void add_words(term_reader *reader, const char *text, size_t len, bool excluded,
                      bool prefix, bool quoted)
{
    gr_search_terms *terms = reader->terms;
    char *copy = gr_xstrndup(text, len);
    char *folded = gr_search_fold(copy);
    char *save = NULL;
    gr_search_part *part = NULL;
    bool split = !quoted && !excluded;

    free(copy);
    if (folded == NULL)
        return;
    for (char *word = strtok_r(folded, " ", &save);
         word != NULL && reader->words < GR_SEARCH_MAX_QUERY_WORDS;
         word = strtok_r(NULL, " ", &save)) {
        if (part == NULL || split) {
            part = &terms->parts[terms->count++];
            part->words = gr_xcalloc(GR_SEARCH_MAX_QUERY_WORDS, sizeof(char *));
            part->excluded = excluded;
            part->quoted = quoted;
            if (!excluded)
                terms->included++;
        }
        part->words[part->count++] = gr_xstrdup(word);
        reader->words++;
    }
    if (part != NULL)
        part->prefix = prefix;
    free(folded);
}

static void add_filter(term_reader *reader, const char *key, const char *value, size_t len)
{
    gr_search_terms *terms = reader->terms;
    char *copy;
    char *lower;

    if (len == 0 || terms->filter_count >= GR_SEARCH_MAX_TERM_FILTERS)
        return;
    copy = gr_xstrndup(value, len);
    lower = gr_search__lower(copy);
    free(copy);
    if (lower == NULL)
        return;
    terms->filters[terms->filter_count].key = gr_xstrdup(key);
    terms->filters[terms->filter_count].value = lower;
    terms->filter_count++;
}

/* Reads a quoted string after its opening quote; an unclosed one runs to the end. */
static size_t read_quoted(term_reader *reader, const char **start)
{
    const char *end = strchr(reader->at, '"');
    size_t len = end != NULL ? (size_t)(end - reader->at) : strlen(reader->at);

    *start = reader->at;
    reader->at += len + (end != NULL);
    return len;
}

static bool read_stars(term_reader *reader)
{
    bool stars = false;

    while (*reader->at == '*') {
        reader->at++;
        stars = true;
    }
    return stars;
}

/* Reads `field:value` or `field:"quoted value"` when the token starts with a
 * known field name; returns false, reading nothing, otherwise. */
static bool read_filter(term_reader *reader, const char *token, size_t len)
{
    const char *colon = memchr(token, ':', len);
    const char *field = colon != NULL ? known_field(token, (size_t)(colon - token)) : NULL;
    const char *value;
    size_t value_len;

    if (field == NULL)
        return false;
    if (colon + 1 == token + len && *reader->at == '"') {
        reader->at++;
        value_len = read_quoted(reader, &value);
    } else {
        value = colon + 1;
        value_len = (size_t)(token + len - value);
        if (value_len == 0)
            return false;
    }
    add_filter(reader, field, value, value_len);
    return true;
}

static void read_part(term_reader *reader)
{
    bool excluded = false;
    const char *start;
    size_t len;
    bool prefix;

    if (reader->at[0] == '-' && reader->at[1] != '\0' && !is_space(reader->at[1])) {
        excluded = true;
        reader->at++;
    }
    if (*reader->at == '"') {
        reader->at++;
        len = read_quoted(reader, &start);
        prefix = read_stars(reader);
        add_words(reader, start, len, excluded, prefix, true);
        return;
    }

    start = reader->at;
    while (*reader->at != '\0' && !is_space(*reader->at) && *reader->at != '"')
        reader->at++;
    len = (size_t)(reader->at - start);
    if (!excluded && read_filter(reader, start, len))
        return;
    prefix = len > 0 && start[len - 1] == '*';
    while (len > 0 && start[len - 1] == '*')
        len--;
    add_words(reader, start, len, excluded, prefix, false);
}

int gr_search_terms_parse(const char *term, gr_search_terms *out)
{
    char *check = gr_search_fold(term);
    term_reader reader = {term, out, 0};

    memset(out, 0, sizeof(*out));
    if (check == NULL)
        return gr_error_set(GR_EINVALID, "the search term is not valid UTF-8");
    free(check);

    out->parts = gr_xcalloc(GR_SEARCH_MAX_QUERY_WORDS, sizeof(*out->parts));
    out->filters = gr_xcalloc(GR_SEARCH_MAX_TERM_FILTERS, sizeof(*out->filters));
    while (*reader.at != '\0' && reader.words < GR_SEARCH_MAX_QUERY_WORDS) {
        if (is_space(*reader.at))
            reader.at++;
        else
            read_part(&reader);
    }
    return GR_OK;
}

void gr_search_terms_free(gr_search_terms *terms)
{
    if (terms == NULL)
        return;
    for (size_t i = 0; i < terms->count; i++) {
        for (size_t j = 0; j < terms->parts[i].count; j++)
            free(terms->parts[i].words[j]);
        free(terms->parts[i].words);
    }
    for (size_t i = 0; i < terms->filter_count; i++) {
        free(terms->filters[i].key);
        free(terms->filters[i].value);
    }
    free(terms->parts);
    free(terms->filters);
    memset(terms, 0, sizeof(*terms));
}

/* Words hold only letters and digits, so they need no quoting beyond the
 * double quotes FTS5 puts around a string. A plain included word matches
 * exactly or as a prefix. When `scored`, both forms are written so that an
 * exact match scores twice; otherwise the prefix alone matches the same rows
 * at a lower cost. */
static void fts5_part(gr_buf *out, const gr_search_part *part, bool scored)
{
    if (part->count == 1 && !part->prefix && !part->excluded && !part->quoted) {
        if (scored)
            gr_buf_printf(out, "(\"%s\" OR \"%s\"*)", part->words[0], part->words[0]);
        else
            gr_buf_printf(out, "(\"%s\"*)", part->words[0]);
        return;
    }
    gr_buf_putc(out, '"');
    for (size_t i = 0; i < part->count; i++)
        gr_buf_printf(out, "%s%s", i > 0 ? " " : "", part->words[i]);
    gr_buf_puts(out, part->prefix ? "\"*" : "\"");
}

/* Joins the parts whose exclusion mark is `excluded` with `joiner`. */
static void fts5_join(gr_buf *out, const gr_search_terms *terms, bool excluded,
                      const char *joiner, bool scored)
{
    size_t written = 0;

    for (size_t i = 0; i < terms->count; i++) {
        if (terms->parts[i].excluded != excluded)
            continue;
        if (written++ > 0)
            gr_buf_puts(out, joiner);
        fts5_part(out, &terms->parts[i], scored);
    }
}

static char *fts5_expression(const gr_search_terms *terms, bool scored)
{
    gr_buf out = GR_BUF_INIT;

    if (terms->included == 0)
        return NULL;
    gr_buf_putc(&out, '(');
    fts5_join(&out, terms, false, " AND ", scored);
    gr_buf_putc(&out, ')');
    if (terms->count > terms->included) {
        gr_buf_puts(&out, " NOT (");
        fts5_join(&out, terms, true, " OR ", scored);
        gr_buf_putc(&out, ')');
    }
    return gr_buf_detach(&out);
}

char *gr_search_terms_fts5(const gr_search_terms *terms)
{
    return fts5_expression(terms, true);
}

char *gr_search_terms_fts5_unscored(const gr_search_terms *terms)
{
    return fts5_expression(terms, false);
}

char *gr_search_terms_fts5_typeahead(const gr_search_terms *terms)
{
    gr_buf out = GR_BUF_INIT;

    if (terms->included == 0 || terms->included < terms->count)
        return NULL;
    gr_buf_putc(&out, '(');
    for (size_t i = 0; i < terms->count; i++) {
        const gr_search_part *part = &terms->parts[i];

        if (i > 0)
            gr_buf_puts(&out, " AND ");
        if (part->count == 1 && !part->prefix && !part->quoted && i + 1 < terms->count)
            gr_buf_printf(&out, "\"%s\"", part->words[0]);
        else
            fts5_part(&out, part, false);
    }
    gr_buf_putc(&out, ')');
    return gr_buf_detach(&out);
}

char *gr_search_terms_fts5_excluded(const gr_search_terms *terms)
{
    gr_buf out = GR_BUF_INIT;

    if (terms->count == terms->included)
        return NULL;
    fts5_join(&out, terms, true, " OR ", false);
    return gr_buf_detach(&out);
}

static void tsquery_part(gr_buf *out, const gr_search_part *part)
{
    if (part->excluded)
        gr_buf_putc(out, '!');
    if (part->count == 1 && !part->prefix && !part->excluded && !part->quoted) {
        gr_buf_printf(out, "(%s | %s:*)", part->words[0], part->words[0]);
        return;
    }
    gr_buf_putc(out, '(');
    for (size_t i = 0; i < part->count; i++)
        gr_buf_printf(out, "%s%s", i > 0 ? " <-> " : "", part->words[i]);
    gr_buf_puts(out, part->prefix ? ":*)" : ")");
}

char *gr_search_terms_tsquery(const gr_search_terms *terms)
{
    gr_buf out = GR_BUF_INIT;

    if (terms->count == 0)
        return NULL;
    for (size_t i = 0; i < terms->count; i++) {
        if (i > 0)
            gr_buf_puts(&out, " & ");
        tsquery_part(&out, &terms->parts[i]);
    }
    return gr_buf_detach(&out);
}

/* Writes `word` with the prefix mark and the weight label of the type-ahead tsquery. */
static void tsquery_lexeme(gr_buf *out, const char *word, bool prefix, const char *weight)
{
    gr_buf_puts(out, word);
    if (prefix || weight[0] != '\0')
        gr_buf_printf(out, ":%s%s", prefix ? "*" : "", weight);
}

char *gr_search_terms_tsquery_typeahead(const gr_search_terms *terms, const char *weight)
{
    gr_buf out = GR_BUF_INIT;

    if (terms->included == 0 || terms->included < terms->count)
        return NULL;
    for (size_t i = 0; i < terms->count; i++) {
        const gr_search_part *part = &terms->parts[i];
        bool plain = part->count == 1 && !part->prefix && !part->quoted;

        gr_buf_puts(&out, i > 0 ? " & (" : "(");
        for (size_t j = 0; j < part->count; j++) {
            bool last = j + 1 == part->count;

            if (j > 0)
                gr_buf_puts(&out, " <-> ");
            tsquery_lexeme(&out, part->words[j],
                           last && (part->prefix || (plain && i + 1 == terms->count)), weight);
        }
        gr_buf_putc(&out, ')');
    }
    return gr_buf_detach(&out);
}
