/* SPDX-License-Identifier: MIT */
/* A check that HTML cannot run script, reading it as a browser's tokenizer does. */
#include "plugins/techdocs/html_check.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

typedef struct {
    gr_techdocs_html_problem_fn problem;
    void *payload;
    int count;
} findings;

static void report(findings *found, const char *at, const char *what)
{
    found->problem(at, what, found->payload);
    found->count++;
}

/* Decodes character references as an attribute value does (a numeric one
 * needs no ';'), then drops ASCII whitespace and control characters and
 * lowers the case, giving the scheme as a URL parser reads it. */
static void scheme_view(const char *value, size_t len, char *out, size_t cap)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"colon;", ':'}, {"tab;", '\t'}, {"newline;", '\n'}, {"lpar;", '('},
                 {"rpar;", ')'},  {"sol;", '/'},  {"period;", '.'}};
    size_t used = 0;

    for (size_t i = 0; i < len && used + 1 < cap; i++) {
        unsigned long c = (unsigned char)value[i];

        if (c == '&' && i + 1 < len && value[i + 1] == '#') {
            size_t j = i + 2;
            int hex = j < len && (value[j] == 'x' || value[j] == 'X');
            unsigned long code = 0;

            j += hex;
            while (j < len && (hex ? isxdigit((unsigned char)value[j])
                                   : isdigit((unsigned char)value[j]))) {
                code = code * (hex ? 16 : 10) +
                       (unsigned long)(isdigit((unsigned char)value[j])
                                           ? value[j] - '0'
                                           : tolower((unsigned char)value[j]) - 'a' + 10);
                if (code > 0x10ffff)
                    code = 0x10ffff;
                j++;
            }
            /* Without digits, browsers keep "&#" as text. */
            if (j > i + 2 + (size_t)hex) {
                if (j < len && value[j] == ';')
                    j++;
                c = code;
                i = j - 1;
            }
        } else if (c == '&') {
            for (size_t n = 0; n < sizeof(named) / sizeof(named[0]); n++) {
                size_t name_len = strlen(named[n].name);

                if (i + 1 + name_len <= len &&
                    strncasecmp(value + i + 1, named[n].name, name_len) == 0) {
                    c = (unsigned char)named[n].c;
                    i += name_len;
                    break;
                }
            }
        }
        if (c <= 0x20 || c == 0x7f)
            continue;
        out[used++] = c < 128 ? (char)tolower((int)c) : '?';
    }
    out[used] = '\0';
}

static int url_runs_script(const char *value, size_t len)
{
    char scheme[64];

    scheme_view(value, len, scheme, sizeof(scheme));
    if (strncmp(scheme, "javascript:", 11) == 0 || strncmp(scheme, "vbscript:", 9) == 0)
        return 1;
    return strncmp(scheme, "data:", 5) == 0 && strncmp(scheme, "data:image/png", 14) != 0 &&
           strncmp(scheme, "data:image/jpeg", 15) != 0 && strncmp(scheme, "data:image/gif", 14) != 0;
}

static int is_url_attribute(const char *name)
{
    static const char *const names[] = {"href",     "src",    "action",   "formaction",
                                        "xlink:href", "data", "background", "poster",
                                        "codebase", "cite",   "ping",     "manifest",
                                        "icon",     "longdesc", "dynsrc", "lowsrc"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0)
            return 1;
    }
    return 0;
}

/* SVG elements whose attributeName attribute picks the attribute they set. */
static int is_animation(const char *tag)
{
    return strcmp(tag, "set") == 0 || strcmp(tag, "animate") == 0 ||
           strcmp(tag, "animatemotion") == 0 || strcmp(tag, "animatetransform") == 0;
}

/* Attributes that give an animation element the value it sets. */
static int is_animation_value(const char *name)
{
    return strcmp(name, "values") == 0 || strcmp(name, "to") == 0 || strcmp(name, "from") == 0 ||
           strcmp(name, "by") == 0;
}

/* Checks the attribute `name` = value[0..len) of element `tag`. */
static void check_attribute(findings *found, const char *at, const char *tag, const char *name,
                            const char *value, size_t len)
{
    if (strncmp(name, "on", 2) == 0 && name[2] != '\0')
        report(found, at, "event-handler attribute");
    else if (strcmp(name, "srcdoc") == 0)
        report(found, at, "srcdoc attribute (a document in an attribute)");
    else if (strcmp(name, "http-equiv") == 0 && strcmp(tag, "meta") == 0)
        report(found, at, "meta http-equiv");
    else if (strcmp(name, "attributename") == 0 && is_animation(tag) && len >= 2 &&
             strncasecmp(value, "on", 2) == 0)
        report(found, at, "animation of an event handler");
    else if ((is_url_attribute(name) || (is_animation(tag) && is_animation_value(name))) &&
             url_runs_script(value, len))
        report(found, at, "script URL");
}

/* Skips a comment starting at `p` ("<!"), returning the position after it. */
static const char *skip_comment(const char *p)
{
    const char *end;

    if (strncmp(p, "<!--", 4) != 0) {
        end = strchr(p, '>');
        return end ? end + 1 : p + strlen(p);
    }
    if (p[4] == '>')
        return p + 5;
    if (strncmp(p + 4, "->", 2) == 0)
        return p + 6;
    for (end = p + 4; *end != '\0'; end++) {
        if (strncmp(end, "-->", 3) == 0)
            return end + 3;
        if (strncmp(end, "--!>", 4) == 0)
            return end + 4;
    }
    return end;
}

static const char *read_name(const char *p, char *out, size_t cap)
{
    size_t used = 0;

    while (*p != '\0' && !isspace((unsigned char)*p) && *p != '/' && *p != '>' && *p != '=') {
        if (used + 1 < cap)
            out[used++] = (char)tolower((unsigned char)*p);
        p++;
    }
    out[used] = '\0';
    return p;
}

/* Whether `tag` loads another document into the page. */
static int is_embedding(const char *tag)
{
    static const char *const names[] = {"iframe", "frame", "frameset", "object", "embed",
                                        "applet"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(tag, names[i]) == 0)
            return 1;
    }
    return 0;
}

/* Reads one tag starting at `p` ('<' then a letter or '/'); returns the position after it. */
static const char *check_tag(findings *found, const char *p)
{
    const char *start = p;
    int closing = p[1] == '/';
    char tag[64];
    char name[64];

    p = read_name(p + 1 + closing, tag, sizeof(tag));
    if (!closing && (strcmp(tag, "script") == 0 || strcmp(tag, "base") == 0))
        report(found, start, strcmp(tag, "base") == 0 ? "base element" : "script element");
    if (!closing && is_embedding(tag))
        report(found, start, "frame, object or embed element");
    while (*p != '\0' && *p != '>') {
        const char *value = "";
        size_t len = 0;
        const char *attr_at;

        while (isspace((unsigned char)*p) || *p == '/')
            p++;
        if (*p == '>' || *p == '\0')
            break;
        attr_at = p;
        p = read_name(p == attr_at && *p == '=' ? p + 1 : p, name, sizeof(name));
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '=') {
            p++;
            while (isspace((unsigned char)*p))
                p++;
            if (*p == '"' || *p == '\'') {
                char quote = *p++;
                const char *end = strchr(p, quote);

                value = p;
                len = end ? (size_t)(end - p) : strlen(p);
                p = end ? end + 1 : p + len;
            } else {
                value = p;
                while (*p != '\0' && !isspace((unsigned char)*p) && *p != '>')
                    p++;
                len = (size_t)(p - value);
            }
        }
        if (!closing)
            check_attribute(found, attr_at, tag, name, value, len);
    }
    return *p == '>' ? p + 1 : p;
}

int gr_techdocs_html_check(const char *html, gr_techdocs_html_problem_fn problem, void *payload)
{
    findings state = {problem, payload, 0};
    findings *found = &state;
    const char *p = html;

    for (const char *s = strcasestr(html, "<script"); s != NULL; s = strcasestr(s + 1, "<script")) {
        char next = s[7];

        if (next == '\0' || next == '/' || next == '>' || isspace((unsigned char)next))
            report(found, s, "the text <script");
    }
    while ((p = strchr(p, '<')) != NULL) {
        if (p[1] == '!')
            p = skip_comment(p);
        else if (isalpha((unsigned char)p[1]) || (p[1] == '/' && isalpha((unsigned char)p[2])))
            p = check_tag(found, p);
        else
            p++;
    }
    return found->count;
}
