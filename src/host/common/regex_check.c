/* SPDX-License-Identifier: MIT */
/* A size check of regular expressions from schemas, run before regcomp() compiles them. */
#include "host/common/regex_check.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>

#include "host/common/error.h"

/* The state of the scan: the estimated size of each open group and of the last atom. */
typedef struct {
    size_t sizes[GR_REGEX_MAX_DEPTH + 1]; /* [0] is the whole pattern */
    size_t depth;
    size_t last;     /* size of the atom a quantifier would repeat, 0 when there is none */
    bool quantified; /* the last atom already carries a quantifier */
    bool lazy_taken; /* ... and the one `?` that may follow it */
} regex_scan;

/* Returns the character after the bracket expression that opens at `open`. */
static const char *skip_bracket(const char *open)
{
    const char *p = open + 1;

    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p != '\0' && *p != ']') {
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            char kind = p[1];

            for (p += 2; *p != '\0' && !(p[0] == kind && p[1] == ']'); p++)
                ;
            if (*p != '\0')
                p++;
        }
        if (*p != '\0')
            p++;
    }
    return *p == ']' ? p + 1 : p;
}

/* Reads "{n}", "{n,}" or "{n,m}" at `open`: the largest count in *bound and the end in *end.
 * Returns false when the text is no interval (regcomp() then reads or rejects the '{'). */
static bool read_interval(const char *open, long *bound, const char **end)
{
    char *after;
    long low = strtol(open + 1, &after, 10);
    long high = low;

    if (!isdigit((unsigned char)open[1]))
        return false;
    if (*after == ',') {
        const char *rest = after + 1;

        if (isdigit((unsigned char)*rest))
            high = strtol(rest, &after, 10);
        else
            high = low + 1;
    }
    if (*after != '}')
        return false;
    *bound = high > low ? high : low;
    *end = after + 1;
    return true;
}

static void add_atom(regex_scan *scan, size_t size)
{
    scan->sizes[scan->depth] += size;
    scan->last = size;
    scan->quantified = false;
    scan->lazy_taken = false;
}

/* Applies a quantifier that repeats the last atom up to `count` times. */
static int quantify(regex_scan *scan, const char *pattern, long count, bool lazy_mark)
{
    if (scan->quantified) {
        if (lazy_mark && !scan->lazy_taken) {
            scan->lazy_taken = true;
            return GR_OK;
        }
        return gr_error_set(GR_ELIMIT,
                            "pattern \"%.80s\" repeats a repetition (such as a++ or a{2}{3}); "
                            "use one quantifier per atom",
                            pattern);
    }
    if (count > GR_REGEX_MAX_BOUND)
        return gr_error_set(GR_ELIMIT, "pattern \"%.80s\" repeats an atom more than %d times",
                            pattern, GR_REGEX_MAX_BOUND);
    scan->sizes[scan->depth] += scan->last * (size_t)(count > 1 ? count - 1 : 1);
    scan->quantified = true;
    return GR_OK;
}

int gr_regex_check(const char *pattern)
{
    regex_scan scan = {.depth = 0};
    int rc = GR_OK;

    for (const char *p = pattern; *p != '\0' && rc == GR_OK;) {
        const char *end = p + 1;
        long bound = 0;

        if (*p == '\\' && p[1] != '\0') {
            end = p + 2;
            add_atom(&scan, 1);
        } else if (*p == '[') {
            end = skip_bracket(p);
            add_atom(&scan, 1);
        } else if (*p == '(') {
            if (scan.depth == GR_REGEX_MAX_DEPTH)
                return gr_error_set(GR_ELIMIT, "pattern \"%.80s\" nests groups deeper than %d",
                                    pattern, GR_REGEX_MAX_DEPTH);
            scan.sizes[++scan.depth] = 0;
            scan.last = 0;
            scan.quantified = false;
        } else if (*p == ')' && scan.depth > 0) {
            size_t size = scan.sizes[scan.depth--];

            add_atom(&scan, size > 0 ? size : 1);
        } else if (*p == '|') {
            scan.last = 0;
            scan.quantified = false;
        } else if (*p == '*' || *p == '+') {
            rc = quantify(&scan, pattern, 2, false);
        } else if (*p == '?') {
            rc = quantify(&scan, pattern, 1, true);
        } else if (*p == '{' && read_interval(p, &bound, &end)) {
            rc = quantify(&scan, pattern, bound, false);
        } else {
            add_atom(&scan, 1);
        }
        if (rc == GR_OK && scan.sizes[scan.depth] > GR_REGEX_MAX_SIZE)
            rc = gr_error_set(GR_ELIMIT,
                              "pattern \"%.80s\" expands to more than %d elements; repeat "
                              "smaller parts or use fewer repetitions",
                              pattern, GR_REGEX_MAX_SIZE);
        p = end;
    }
    return rc;
}
