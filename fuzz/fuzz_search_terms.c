/* SPDX-License-Identifier: MIT */
/* Fuzz target: search terms parsed and run as FTS5 MATCH expressions on an in-memory SQLite table. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/search/terms.h"

/*
 * The input is a search term. Whatever it holds, parsing must succeed or
 * reject invalid UTF-8 only, and both expressions it makes must be accepted
 * by FTS5 (a syntax error there would be a server error for the user). The
 * tsquery form is checked for its shape: balanced parentheses and no empty
 * operand.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *problem, const char *term, const char *expression)
{
    fprintf(stderr, "fuzz_search_terms: %s\nterm: %s\nexpression: %s\n", problem, term,
            expression ? expression : "(none)");
    abort();
}

static sqlite3 *open_table(void)
{
    sqlite3 *db = NULL;

    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(title, text, keywords, "
                     "tokenize = 'unicode61 remove_diacritics 2');"
                     "INSERT INTO t VALUES ('card charges', 'the shop', 'pay');",
                     NULL, NULL, NULL) != SQLITE_OK)
        abort();
    return db;
}

static void run_match(sqlite3 *db, const char *term, const char *expression)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (expression == NULL)
        return;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?", -1, &stmt, NULL) !=
        SQLITE_OK)
        abort();
    sqlite3_bind_text(stmt, 1, expression, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW)
        fail(sqlite3_errmsg(db), term, expression);
}

static void check_tsquery(const char *term, const char *tsquery)
{
    int depth = 0;

    if (tsquery == NULL)
        return;
    for (const char *p = tsquery; *p != '\0'; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth < 0)
            fail("unbalanced parentheses in the tsquery", term, tsquery);
    }
    if (depth != 0 || strstr(tsquery, "()") != NULL || strstr(tsquery, "& &") != NULL)
        fail("malformed tsquery", term, tsquery);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sqlite3 *db;
    char *term = gr_xstrndup((const char *)data, size);
    gr_search_terms terms;
    char *included;
    char *excluded;
    char *tsquery;
    int rc;

    if (db == NULL)
        db = open_table();
    rc = gr_search_terms_parse(term, &terms);
    if (rc != 0 && rc != GR_EINVALID)
        fail("unexpected error code", term, gr_error_last());
    if (rc == 0 && terms.count > GR_SEARCH_MAX_QUERY_WORDS)
        fail("more parts than words allowed", term, NULL);

    included = gr_search_terms_fts5(&terms);
    excluded = gr_search_terms_fts5_excluded(&terms);
    tsquery = gr_search_terms_tsquery(&terms);
    run_match(db, term, included);
    run_match(db, term, excluded);
    check_tsquery(term, tsquery);

    free(included);
    free(excluded);
    free(tsquery);
    gr_search_terms_free(&terms);
    free(term);
    return 0;
}
