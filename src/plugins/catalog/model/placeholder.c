/* SPDX-License-Identifier: MIT */
/* Placeholders in entities ($text, $json, $yaml), resolved through a reader callback. */
#include "plugins/catalog/model/placeholder.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/yaml/yaml.h"
#include "plugins/catalog/model/pointer.h"

typedef struct {
    const gr_model_placeholder_reader *reader;
    gr_model_problems *problems;
    gr_buf pointer;
    size_t resolved;
    size_t failed;
} resolution;

static void fail(resolution *state, const char *key, const json_t *target, const char *detail)
{
    char *text = gr_model_value_text(target);

    gr_model_problems_add(state->problems, gr_buf_cstr(&state->pointer), "placeholder", text,
                          "placeholder $%s %s in %s: %s", key, text, state->reader->base, detail);
    free(text);
    state->failed++;
}

static int is_valid_utf8(const char *text, size_t len)
{
    json_t *probe = json_stringn(text, len);

    json_decref(probe);
    return probe != NULL;
}

static json_t *parse_yaml_value(resolution *state, const char *key, const json_t *target,
                                const char *text, size_t len)
{
    gr_yaml_limits limits = {0};
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    json_t *value = NULL;
    char *detail;

    /* Backstage reads placeholder YAML without merge keys, as it does catalog files. */
    limits.no_merge_keys = 1;
    limits.max_input_bytes = GR_MODEL_PLACEHOLDER_MAX_BYTES;
    if (gr_yaml_parse(json_string_value(target), text, len, &limits, &docs, &count) != GR_OK) {
        detail = gr_xasprintf("invalid YAML: %s", gr_error_last());
        fail(state, key, target, detail);
        free(detail);
        return NULL;
    }
    if (count != 1) {
        detail = gr_xasprintf("expected exactly one YAML document, found %zu", count);
        fail(state, key, target, detail);
        free(detail);
    } else {
        value = json_deep_copy(gr_yaml_doc_root(docs[0]));
    }
    gr_yaml_docs_free(docs, count);
    return value;
}

/* Reads and converts one placeholder; returns the new value (caller owns) or NULL after fail(). */
static json_t *resolve_one(resolution *state, const char *key, const json_t *target)
{
    char *text = NULL;
    size_t len = 0;
    json_t *value = NULL;
    json_error_t error;
    char *detail;
    int read_status;

    if (!json_is_string(target)) {
        fail(state, key, target, "expected a string: a relative path or an absolute URL");
        return NULL;
    }
    if (state->resolved >= GR_MODEL_PLACEHOLDER_MAX_COUNT) {
        detail = gr_xasprintf("more than %d placeholders in one entity",
                              GR_MODEL_PLACEHOLDER_MAX_COUNT);
        fail(state, key, target, detail);
        free(detail);
        return NULL;
    }
    state->resolved++;
    read_status = state->reader->read(state->reader->payload, state->reader->base,
                                      json_string_value(target), &text, &len);
    if (read_status == GR_MODEL_READ_SKIPPED) {
        detail = gr_xasprintf("(not read: %s)", json_string_value(target));
        value = json_string(detail);
        free(detail);
        return value;
    }
    if (read_status != GR_OK) {
        detail = gr_xasprintf("could not read it: %s", gr_error_last());
        fail(state, key, target, detail);
        free(detail);
        return NULL;
    }

    if (strcmp(key, "text") == 0) {
        value = json_stringn(text, len);
        if (value == NULL)
            fail(state, key, target, "the file is not valid UTF-8 text");
    } else if (strcmp(key, "json") == 0) {
        value = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);

        /* JavaScript's JSON.parse reads every number as a double, so an integer beyond 64 bits
         * is a number there. jansson rejects it as an integer, so such a file is read again with
         * all its integers as reals, which the catalog writes in JavaScript's form. */
        if (value == NULL && json_error_code(&error) == json_error_numeric_overflow)
            value = json_loadb(text, len,
                               JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &error);
        if (value == NULL) {
            detail = gr_xasprintf("invalid JSON at line %d, column %d: %s", error.line,
                                  error.column, error.text);
            fail(state, key, target, detail);
            free(detail);
        }
    } else if (!is_valid_utf8(text, len)) {
        fail(state, key, target, "the file is not valid UTF-8 text");
    } else {
        value = parse_yaml_value(state, key, target, text, len);
    }
    free(text);
    return value;
}

/* Returns the resolver name of a placeholder object ("text", "json", "yaml"), or NULL. */
static const char *placeholder_key(const json_t *object)
{
    const char *key;

    if (json_object_size(object) != 1)
        return NULL;
    key = json_object_iter_key(json_object_iter((json_t *)object));
    if (key[0] != '$')
        return NULL;
    if (strcmp(key, "$text") == 0 || strcmp(key, "$json") == 0 || strcmp(key, "$yaml") == 0)
        return key + 1;
    return NULL;
}

static int has_dollar_key(const json_t *object)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)object, key, value)
    {
        if (key[0] == '$')
            return 1;
    }
    return 0;
}

static void walk(resolution *state, json_t *value);

/* Resolves `child` if it is a placeholder, storing the result through `replace`; else walks it. */
static json_t *visit(resolution *state, json_t *child)
{
    const char *key;

    if (json_is_object(child) && (key = placeholder_key(child)) != NULL)
        return resolve_one(state, key, json_object_get(child, json_object_iter_key(
                                                                  json_object_iter(child))));
    walk(state, child);
    return NULL;
}

static void walk(resolution *state, json_t *value)
{
    size_t mark = state->pointer.len;

    if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value); i++) {
            json_t *resolved;

            gr_model_pointer_push_index(&state->pointer, i);
            resolved = visit(state, json_array_get(value, i));
            if (resolved != NULL)
                json_array_set_new(value, i, resolved);
            gr_model_pointer_pop(&state->pointer, mark);
        }
        return;
    }
    /* Objects with a "$" key that are not a placeholder are left alone, children included. */
    if (!json_is_object(value) || has_dollar_key(value))
        return;

    void *iter = json_object_iter(value);

    while (iter != NULL) {
        json_t *resolved;

        gr_model_pointer_push(&state->pointer, json_object_iter_key(iter));
        resolved = visit(state, json_object_iter_value(iter));
        if (resolved != NULL)
            json_object_iter_set_new(value, iter, resolved);
        gr_model_pointer_pop(&state->pointer, mark);
        iter = json_object_iter_next(value, iter);
    }
}

int gr_model_resolve_placeholders(json_t *entity, const gr_model_placeholder_reader *reader,
                                  gr_model_problems *problems)
{
    resolution state = {reader, problems, GR_BUF_INIT, 0, 0};

    /* The root itself is never replaced: an entity must stay an object. */
    walk(&state, entity);
    gr_buf_free(&state.pointer);
    return state.failed > 0 ? GR_EINVALID : GR_OK;
}

static int has_scheme(const char *target)
{
    const char *c = target;

    while ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
           *c == '+' || *c == '-' || *c == '.')
        c++;
    return c != target && c[0] == ':' && c[1] == '/' && c[2] == '/';
}

/* True when `path` is `root` or lies below it; both are canonical. */
static int is_inside(const char *root, const char *path)
{
    size_t len = strlen(root);

    if (strcmp(root, "/") == 0)
        return 1;
    return strncmp(root, path, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/* Counts the segments of `path` below `root` (a prefix of it, as is_inside() checks). */
static int depth_below(const char *root, const char *path)
{
    int depth = 0;

    for (const char *p = path + (strcmp(root, "/") == 0 ? 0 : strlen(root)); *p != '\0'; p++) {
        if (*p == '/' && p[1] != '\0' && p[1] != '/')
            depth++;
    }
    return depth;
}

/*
 * True when the relative `target`, read from the folder `depth` segments below the root,
 * climbs above the root with "..", judged from its text alone. Checked before the file
 * system is asked, so that the error for a path outside the root is the same whether that
 * path exists or not.
 */
static bool climbs_above(int depth, const char *target)
{
    for (const char *p = target; *p != '\0';) {
        size_t len = strcspn(p, "/");

        if (len == 2 && p[0] == '.' && p[1] == '.')
            depth--;
        else if (len > 0 && !(len == 1 && p[0] == '.'))
            depth++;
        if (depth < 0)
            return true;
        p += len;
        if (*p == '/')
            p++;
    }
    return false;
}

/*
 * True when the deepest existing folder of the missing path `joined` lies outside `root`,
 * as when a link inside the root leads above it. Such a path gets the error of any other
 * path outside the root, so that the error does not tell whether the file exists.
 */
static bool missing_path_outside(const char *root, const char *joined)
{
    char *path = gr_xstrdup(joined);
    char resolved[PATH_MAX];
    bool outside = false;
    char *slash;

    while ((slash = strrchr(path, '/')) != NULL) {
        *slash = '\0';
        if (realpath(path[0] ? path : "/", resolved) != NULL) {
            outside = !is_inside(root, resolved);
            break;
        }
        if (errno != ENOENT)
            break;
    }
    free(path);
    return outside;
}

static int read_regular_file(const char *path, const char *target, char **text_out,
                             size_t *len_out)
{
    struct stat info;
    char *text = NULL;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int rc = GR_OK;

    if (fd < 0)
        return gr_error_set(GR_EBACKEND, "cannot open %s: %s", target, strerror(errno));
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        rc = gr_error_set(GR_EDENIED, "%s is not a regular file", target);
        goto done;
    }
    if ((size_t)info.st_size > GR_MODEL_PLACEHOLDER_MAX_BYTES) {
        rc = gr_error_set(GR_ELIMIT, "%s is %lld bytes, more than the limit of %zu", target,
                          (long long)info.st_size, GR_MODEL_PLACEHOLDER_MAX_BYTES);
        goto done;
    }
    text = gr_xmalloc((size_t)info.st_size + 1);
    while (got < (size_t)info.st_size) {
        ssize_t n = read(fd, text + got, (size_t)info.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    text[got] = '\0';
    *text_out = text;
    *len_out = got;
    text = NULL;

done:
    free(text);
    close(fd);
    return rc;
}

int gr_model_file_read(void *payload, const char *base, const char *target, char **text_out,
                       size_t *len_out)
{
    const gr_model_file_reader *reader = payload;
    char *folder = NULL;
    char *joined = NULL;
    char root[PATH_MAX];
    char resolved[PATH_MAX];
    const char *slash;
    int rc;

    *text_out = NULL;
    *len_out = 0;
    if (target[0] == '\0')
        return gr_error_set(GR_EINVALID, "the target is empty");
    if (has_scheme(target))
        return gr_error_set(GR_EDENIED, "%s is a URL; only relative file paths can be read here",
                            target);
    if (target[0] == '/')
        return gr_error_set(GR_EDENIED,
                            "%s is an absolute path; use a path relative to the entity's file",
                            target);
    if (realpath(reader->root, root) == NULL)
        return gr_error_set(GR_EBACKEND, "cannot resolve the root folder %s: %s", reader->root,
                            strerror(errno));

    slash = strrchr(base, '/');
    folder = slash ? gr_xstrndup(base, (size_t)(slash - base)) : gr_xstrdup(".");
    if (realpath(folder[0] ? folder : "/", resolved) != NULL && is_inside(root, resolved) &&
        climbs_above(depth_below(root, resolved), target)) {
        rc = gr_error_set(GR_EDENIED, "%s leaves the root folder %s", target, root);
        goto done;
    }
    joined = gr_xasprintf("%s/%s", folder[0] ? folder : "/", target);
    if (realpath(joined, resolved) == NULL) {
        int error = errno;

        if (error == ENOENT && missing_path_outside(root, joined))
            rc = gr_error_set(GR_EDENIED, "%s leaves the root folder %s", target, root);
        else if (error == ENOENT)
            rc = gr_error_set(GR_ENOTFOUND, "%s does not exist", target);
        else
            rc = gr_error_set(GR_EBACKEND, "cannot resolve %s: %s", target, strerror(error));
        goto done;
    }
    if (!is_inside(root, resolved)) {
        rc = gr_error_set(GR_EDENIED, "%s leaves the root folder %s", target, root);
        goto done;
    }
    rc = read_regular_file(resolved, target, text_out, len_out);

done:
    free(folder);
    free(joined);
    return rc;
}
