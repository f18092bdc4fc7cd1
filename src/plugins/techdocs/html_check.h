/* SPDX-License-Identifier: MIT */
/* A check that HTML cannot run script, reading it as a browser's tokenizer does. */
#ifndef GR_PLUGINS_TECHDOCS_HTML_CHECK_H
#define GR_PLUGINS_TECHDOCS_HTML_CHECK_H

/*
 * The check is written apart from the sanitizer, so that tests and fuzzing
 * can hold the sanitizer's output to it. It reads tags, attributes with
 * quoted or bare values, '/' between attributes, and comments that end at
 * "-->", "--!>" or right after "<!--" or "<!---". It is stricter than a
 * browser in two ways: a script start tag anywhere (even in an attribute
 * value or a comment) counts, and markup inside raw-text elements (style, textarea,
 * title) is checked too, because inside SVG or MathML those hold markup.
 */

/**
 * Receives one problem: `at` points into the checked HTML, `what` names the
 * problem ("event-handler attribute", "script URL", ...). Both borrowed.
 */
typedef void (*gr_techdocs_html_problem_fn)(const char *at, const char *what, void *payload);

/**
 * Reports through `problem` every script element, <base> element,
 * <iframe>, <frame>, <frameset>, <object>, <embed> and <applet> element,
 * event-handler attribute, srcdoc attribute, meta http-equiv, animated event
 * handler and URL attribute whose value (character references decoded)
 * uses the javascript:, vbscript: or a data: scheme other than PNG, JPEG or
 * GIF images. `html` is NUL-terminated. Returns the number of problems.
 */
int gr_techdocs_html_check(const char *html, gr_techdocs_html_problem_fn problem, void *payload);

#endif
