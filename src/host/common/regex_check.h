/* SPDX-License-Identifier: MIT */
/* A size check of regular expressions from schemas, run before regcomp() compiles them. */
#ifndef GR_HOST_COMMON_REGEX_CHECK_H
#define GR_HOST_COMMON_REGEX_CHECK_H

/*
 * Maximum estimated size of a pattern once its repetitions are expanded, in pattern
 * elements. glibc's regcomp() copies the repeated part once per repetition, so a
 * pattern of 300 bytes such as a++++... or (a{100}){100} can take gigabytes.
 */
#define GR_REGEX_MAX_SIZE 20000
/* Maximum bound of one {n} or {n,m} repetition. */
#define GR_REGEX_MAX_BOUND 1000
/* Maximum nesting of groups. */
#define GR_REGEX_MAX_DEPTH 32

/**
 * Checks a POSIX extended regular expression (as schema patterns are
 * translated for regcomp()) before it is compiled. Rejects a repetition of a
 * repetition (a++, a*{2}, a{2}{3}; one lazy `?` after a quantifier is
 * allowed, as ECMAScript reads it), a bound over GR_REGEX_MAX_BOUND, groups
 * nested deeper than GR_REGEX_MAX_DEPTH, and patterns whose expanded size is
 * estimated over GR_REGEX_MAX_SIZE. Returns 0, or GR_ELIMIT with a message
 * that names the rule the pattern breaks.
 */
int gr_regex_check(const char *pattern);

#endif
