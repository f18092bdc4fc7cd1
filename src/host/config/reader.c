/* SPDX-License-Identifier: MIT */
/* Reading one config file: YAML, substitutions, and the $env, $file and $include forms. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/internal.h"
#include "host/log/log.h"
#include "host/yaml/yaml.h"

/* State of reading one top-level file and everything it includes. */
typedef struct {
    gr_config *cfg;
    gr_config__errors *errors;
    /* Real paths of the files being read, the top-level file first, so that
     * an include of a file already on the chain is a cycle. */
    char *chain[GR_CONFIG_MAX_INCLUDE_DEPTH + 1];
    int chain_len;
} reader;

/* Where the values being transformed were written. */
typedef struct {
    const gr_yaml_doc *doc; /* positions of the values */
    int file;               /* index in cfg->files */
    const char *dir;        /* folder that relative paths start from */
} source;

/* Counts one more file read for the load; false when GR_CONFIG_MAX_FILES is reached. */
static bool count_read(gr_config *cfg)
{
    if (cfg->files_read >= GR_CONFIG_MAX_FILES)
        return false;
    cfg->files_read++;
    return true;
}

/*
 * Reads a whole regular file of at most GR_CONFIG_MAX_FILE_BYTES into a
 * NUL-terminated buffer (caller frees). Returns 0, or an error code with the
 * message set.
 */
static int read_text(const char *path, char **text_out, size_t *len_out)
{
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    int fd;
    int rc = GR_OK;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gr_error_set(errno == ENOENT ? GR_ENOTFOUND : GR_EBACKEND, "cannot read %s: %s",
                            path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = gr_error_set(GR_EINVALID, "cannot read %s: not a regular file", path);
        goto done;
    }
    if ((size_t)st.st_size > GR_CONFIG_MAX_FILE_BYTES) {
        rc = gr_error_set(GR_ELIMIT, "%s is larger than the limit of %zu bytes", path,
                          GR_CONFIG_MAX_FILE_BYTES);
        goto done;
    }
    text = gr_xmalloc((size_t)st.st_size + 1);
    while (len < (size_t)st.st_size) {
        ssize_t got = read(fd, text + len, (size_t)st.st_size - len);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = gr_error_set(GR_EBACKEND, "cannot read %s: %s", path,
                              got < 0 ? strerror(errno) : "file shrank while reading");
            goto done;
        }
        len += (size_t)got;
    }
    text[len] = '\0';
    *text_out = text;
    *len_out = len;
    text = NULL;

done:
    free(text);
    close(fd);
    return rc;
}

/* Returns `rel` resolved against `dir` as shown to users; caller frees. */
static char *join_path(const char *dir, const char *rel)
{
    if (rel[0] == '/' || strcmp(dir, ".") == 0)
        return gr_xstrdup(rel);
    return gr_xasprintf("%s/%s", dir, rel);
}

/* Returns the folder of `path` ("." when it has none); caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return gr_xstrdup(".");
    if (slash == path)
        return gr_xstrdup("/");
    return gr_xstrndup(path, (size_t)(slash - path));
}

static void pointer_push(gr_buf *pointer, const char *key)
{
    gr_buf_putc(pointer, '/');
    for (const char *p = key; *p != '\0'; p++) {
        if (*p == '~')
            gr_buf_puts(pointer, "~0");
        else if (*p == '/')
            gr_buf_puts(pointer, "~1");
        else
            gr_buf_putc(pointer, *p);
    }
}

/* Makes the origin of the value at `pointer`: the line of its key when it has one. */
static json_t *mark_origin(const source *src, const gr_buf *pointer)
{
    gr_yaml_mark mark = {0};

    if (src->doc == NULL ||
        gr_yaml_doc_find_mark(src->doc, gr_buf_cstr(pointer), &mark) == GR_ENOTFOUND)
        return gr_config__origin_new(src->file, mark.line, mark.column);
    if (mark.key_line > 0)
        return gr_config__origin_new(src->file, mark.key_line, mark.key_column);
    return gr_config__origin_new(src->file, mark.line, mark.column);
}

/* Notes that `path` was left undefined because variable `name` is unset. */
static void note_undefined(reader *r, const gr_buf *path, char *name)
{
    json_object_set_new(r->cfg->undefined, gr_buf_cstr(path), json_string(name));
    free(name);
}

/*
 * Parses `text` as a config document. Stores the caller-owned documents
 * (at most one) in *docs. Returns 0 or an error code with the message set.
 */
static int parse_document(const char *name, const char *text, size_t len, gr_yaml_doc ***docs,
                          size_t *count)
{
    gr_yaml_limits limits = {.max_input_bytes = GR_CONFIG_MAX_FILE_BYTES};
    int rc = gr_yaml_parse(name, text, len, &limits, docs, count);

    if (rc != GR_OK)
        return rc;
    if (*count > 1) {
        gr_yaml_docs_free(*docs, *count);
        *docs = NULL;
        *count = 0;
        return gr_error_set(GR_EINVALID,
                            "%s contains several YAML documents, but a config file has one", name);
    }
    return GR_OK;
}

static void transform(reader *r, const source *src, json_t *in, gr_buf *pointer, gr_buf *path,
                      json_t **out, json_t **out_origin);

/* Substitutes variables in a string. An unset variable leaves *out NULL. */
static void transform_string(reader *r, json_t *in, const gr_buf *path, json_t **out)
{
    gr_buf text = GR_BUF_INIT;
    char *missing = NULL;

    if (gr_config__substitute(json_string_value(in), json_string_length(in), &text, &missing))
        *out = json_stringn(gr_buf_cstr(&text), text.len);
    else
        note_undefined(r, path, missing);
    gr_buf_free(&text);
}

static void transform_object(reader *r, const source *src, json_t *in, gr_buf *pointer,
                             gr_buf *path, json_t *origin, json_t **out)
{
    json_t *children = gr_config__origin_children(origin, true);
    size_t pointer_len = pointer->len;
    size_t path_len = path->len;
    const char *key;
    json_t *member;

    *out = json_object();
    json_object_foreach(in, key, member)
    {
        json_t *value = NULL;
        json_t *value_origin = NULL;

        pointer_push(pointer, key);
        gr_config__path_key(path, key);
        transform(r, src, member, pointer, path, &value, &value_origin);
        if (value != NULL) {
            json_object_set_new(*out, key, value);
            json_object_set_new(children, key, value_origin);
        }
        gr_config__path_cut(pointer, pointer_len);
        gr_config__path_cut(path, path_len);
    }
}

/*
 * Logs a list item that an unset variable left out. Unlike a key, it leaves
 * no gap that validation could name, and a list such as catalog.rules or an
 * allow list silently loses an entry.
 */
static void warn_dropped_item(reader *r, const source *src, const gr_buf *pointer,
                              const gr_buf *path)
{
    const char *name = json_string_value(json_object_get(r->cfg->undefined, gr_buf_cstr(path)));
    json_t *origin;
    gr_buf where = GR_BUF_INIT;

    if (name == NULL)
        return;
    origin = mark_origin(src, pointer);
    gr_config__where(r->cfg, origin, &where);
    gr_warn("config",
            "%s: %s: the list item is left out because environment variable %s is not set, "
            "so the later items move up",
            gr_buf_cstr(&where), gr_buf_cstr(path), name);
    json_decref(origin);
    gr_buf_free(&where);
}

static void transform_array(reader *r, const source *src, json_t *in, gr_buf *pointer, gr_buf *path,
                            json_t *origin, json_t **out)
{
    json_t *children = gr_config__origin_children(origin, false);
    size_t pointer_len = pointer->len;
    size_t path_len = path->len;
    size_t index;
    json_t *item;

    *out = json_array();
    json_array_foreach(in, index, item)
    {
        json_t *value = NULL;
        json_t *value_origin = NULL;

        gr_buf_printf(pointer, "/%zu", index);
        gr_config__path_index(path, json_array_size(*out));
        transform(r, src, item, pointer, path, &value, &value_origin);
        /* Backstage drops undefined items, so later items move up. */
        if (value != NULL) {
            json_array_append_new(*out, value);
            json_array_append_new(children, value_origin);
        } else {
            warn_dropped_item(r, src, pointer, path);
        }
        gr_config__path_cut(pointer, pointer_len);
        gr_config__path_cut(path, path_len);
    }
}

/* Returns the include form of an object ("$file", "$env", "$include") or NULL. */
static const char *include_form(json_t *object)
{
    static const char *const forms[] = {"$file", "$env", "$include"};

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (json_object_get(object, forms[i]) != NULL)
            return forms[i];
    }
    return NULL;
}

/* Resolves `{$env: NAME}`. */
static void include_env(reader *r, const char *name, const gr_buf *path, json_t **out)
{
    const char *value = getenv(name);
    char *trimmed;

    if (value == NULL) {
        note_undefined(r, path, gr_xstrdup(name));
        return;
    }
    trimmed = gr_config__trimmed(value, strlen(value));
    *out = json_string(trimmed);
    free(trimmed);
    if (*out == NULL)
        gr_config__error(r->errors, r->cfg, GR_EINVALID, NULL, gr_buf_cstr(path),
                         "$env: environment variable %s is not valid UTF-8", name);
}

/* Resolves `{$file: path}`: the file's text without trailing whitespace. */
static void include_file(reader *r, const source *src, const char *rel, const json_t *origin,
                         const gr_buf *path, json_t **out)
{
    char *full = join_path(src->dir, rel);
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!count_read(r->cfg)) {
        gr_config__error(r->errors, r->cfg, GR_ELIMIT, origin, gr_buf_cstr(path),
                         "$file: more than %d files read for one config", GR_CONFIG_MAX_FILES);
        goto done;
    }
    gr_config__add_file(r->cfg, full);
    rc = read_text(full, &text, &len);
    if (rc != GR_OK) {
        gr_config__error(r->errors, r->cfg, rc, origin, gr_buf_cstr(path), "$file: %s",
                         gr_error_last());
        goto done;
    }
    /* Backstage trims trailing whitespace, including the final newline. */
    while (len > 0 && strchr(" \t\r\n\f\v", text[len - 1]) != NULL)
        len--;
    if (memchr(text, '\0', len) != NULL || (*out = json_stringn(text, len)) == NULL)
        gr_config__error(r->errors, r->cfg, GR_EINVALID, origin, gr_buf_cstr(path),
                         "$file: %s is not UTF-8 text", full);

done:
    free(text);
    free(full);
}

/* Returns true when `path` ends in an extension $include can parse. */
static bool includable(const char *path)
{
    const char *dot = strrchr(path, '.');

    if (dot == NULL || strchr(dot, '/') != NULL)
        return false;
    return strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0;
}

/*
 * Checks the chain before including `full`: the depth limit and cycles.
 * Returns its real path (caller frees), or NULL after recording an error.
 */
static char *chain_enter(reader *r, const char *full, const json_t *origin, const gr_buf *path)
{
    char *real = realpath(full, NULL);
    gr_buf cycle = GR_BUF_INIT;

    if (real == NULL) {
        gr_config__error(r->errors, r->cfg, errno == ENOENT ? GR_ENOTFOUND : GR_EBACKEND, origin,
                         gr_buf_cstr(path), "$include: cannot read %s: %s", full, strerror(errno));
        return NULL;
    }
    for (int i = 0; i < r->chain_len; i++) {
        if (strcmp(r->chain[i], real) != 0)
            continue;
        for (int j = i; j < r->chain_len; j++)
            gr_buf_printf(&cycle, "%s -> ", r->chain[j]);
        gr_config__error(r->errors, r->cfg, GR_EINVALID, origin, gr_buf_cstr(path),
                         "$include: include cycle: %s%s", gr_buf_cstr(&cycle), real);
        gr_buf_free(&cycle);
        free(real);
        return NULL;
    }
    if (r->chain_len > GR_CONFIG_MAX_INCLUDE_DEPTH) {
        gr_config__error(r->errors, r->cfg, GR_ELIMIT, origin, gr_buf_cstr(path),
                         "$include: includes are nested more than %d deep",
                         GR_CONFIG_MAX_INCLUDE_DEPTH);
        free(real);
        return NULL;
    }
    return real;
}

/*
 * Walks the dotted `fragment` from the root of an included document, as
 * Backstage does: every step but a missing last one needs an object.
 * Returns the value (borrowed; NULL when the last key is missing) and its
 * JSON pointer in `pointer`, or sets *failed after recording an error.
 */
static json_t *select_fragment(reader *r, json_t *value, const char *fragment, const char *file,
                               const json_t *origin, const gr_buf *path, gr_buf *pointer,
                               bool *failed)
{
    char *parts = gr_xstrdup(fragment);
    char *save = NULL;
    size_t walked = 0;

    *failed = false;
    for (char *part = strtok_r(parts, ".", &save); part != NULL;
         part = strtok_r(NULL, ".", &save)) {
        if (!json_is_object(value)) {
            gr_config__error(r->errors, r->cfg, GR_EINVALID, origin, gr_buf_cstr(path),
                             "$include: value at '%.*s' in included file %s is not an object",
                             (int)(walked > 0 ? walked - 1 : 0), fragment, file);
            *failed = true;
            value = NULL;
            break;
        }
        value = json_object_get(value, part);
        pointer_push(pointer, part);
        walked = (size_t)(part - parts) + strlen(part) + 1;
    }
    free(parts);
    return value;
}

/* Resolves `{$include: file#fragment}`. */
static void include_document(reader *r, const source *src, const char *target, const json_t *origin,
                             gr_buf *path, json_t **out, json_t **out_origin)
{
    const char *hash = strchr(target, '#');
    char *rel = hash != NULL ? gr_xstrndup(target, (size_t)(hash - target)) : gr_xstrdup(target);
    char *full = join_path(src->dir, rel);
    char *real = NULL;
    char *dir = NULL;
    char *text = NULL;
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    size_t len = 0;
    gr_buf pointer = GR_BUF_INIT;
    json_t *value = NULL;
    bool failed = false;
    int rc;

    if (!includable(rel)) {
        gr_config__error(r->errors, r->cfg, GR_EINVALID, origin, gr_buf_cstr(path),
                         "$include: no parser for %s; name a .yaml, .yml or .json file", rel);
        goto done;
    }
    if (!count_read(r->cfg)) {
        gr_config__error(r->errors, r->cfg, GR_ELIMIT, origin, gr_buf_cstr(path),
                         "$include: more than %d files read for one config", GR_CONFIG_MAX_FILES);
        goto done;
    }
    real = chain_enter(r, full, origin, path);
    if (real == NULL)
        goto done;
    rc = read_text(full, &text, &len);
    if (rc == GR_OK)
        rc = parse_document(full, text, len, &docs, &count);
    if (rc != GR_OK) {
        gr_config__error(r->errors, r->cfg, rc, origin, gr_buf_cstr(path), "$include: %s",
                         gr_error_last());
        goto done;
    }

    value = count > 0 ? gr_yaml_doc_root(docs[0]) : json_null();
    value = select_fragment(r, value, hash != NULL ? hash + 1 : "", rel, origin, path, &pointer,
                            &failed);
    if (value != NULL) {
        source included = {.doc = count > 0 ? docs[0] : NULL};

        dir = dir_of(full);
        included.file = gr_config__add_file(r->cfg, full);
        included.dir = dir;
        r->chain[r->chain_len++] = real;
        transform(r, &included, value, &pointer, path, out, out_origin);
        r->chain[--r->chain_len] = NULL;
    } else if (!failed) {
        gr_buf where = GR_BUF_INIT;

        gr_config__where(r->cfg, origin, &where);
        gr_warn("config", "%s: %s: $include: %s has no value at '%s', so the key is left out",
                gr_buf_cstr(&where), gr_buf_cstr(path), rel, hash + 1);
        gr_buf_free(&where);
    }

done:
    gr_buf_free(&pointer);
    gr_yaml_docs_free(docs, count);
    free(text);
    free(dir);
    free(real);
    free(full);
    free(rel);
}

/* Resolves an object with an include form; `origin` is the object's own. */
static void transform_include(reader *r, const source *src, json_t *in, const char *form,
                              json_t *origin, gr_buf *path, json_t **out, json_t **out_origin)
{
    json_t *operand = json_object_get(in, form);
    gr_buf target = GR_BUF_INIT;
    char *missing = NULL;

    if (json_object_size(in) != 1) {
        gr_config__error(r->errors, r->cfg, GR_EINVALID, origin, gr_buf_cstr(path),
                         "%s cannot have other keys next to it", form);
        goto done;
    }
    if (!json_is_string(operand)) {
        gr_config__error(r->errors, r->cfg, GR_EINVALID, origin, gr_buf_cstr(path),
                         "%s value must be a string", form);
        goto done;
    }
    if (!gr_config__substitute(json_string_value(operand), json_string_length(operand), &target,
                               &missing)) {
        gr_config__error(r->errors, r->cfg, GR_EINVALID, origin, gr_buf_cstr(path),
                         "%s value is undefined because environment variable %s is not set", form,
                         missing);
        goto done;
    }

    if (strcmp(form, "$env") == 0) {
        include_env(r, gr_buf_cstr(&target), path, out);
    } else if (strcmp(form, "$file") == 0) {
        include_file(r, src, gr_buf_cstr(&target), origin, path, out);
    } else {
        include_document(r, src, gr_buf_cstr(&target), origin, path, out, out_origin);
        goto done;
    }
    if (*out != NULL)
        *out_origin = json_incref(origin);

done:
    free(missing);
    gr_buf_free(&target);
}

/*
 * Transforms the value `in` found at `pointer` of `src`, whose config key
 * path is `path`. Stores new references to the result and its origin tree,
 * or leaves both NULL when the value is undefined or invalid.
 */
static void transform(reader *r, const source *src, json_t *in, gr_buf *pointer, gr_buf *path,
                      json_t **out, json_t **out_origin)
{
    json_t *origin = mark_origin(src, pointer);
    const char *form;

    *out = NULL;
    *out_origin = NULL;
    if (json_is_string(in)) {
        transform_string(r, in, path, out);
    } else if (json_is_object(in) && (form = include_form(in)) != NULL) {
        transform_include(r, src, in, form, origin, path, out, out_origin);
        json_decref(origin);
        return;
    } else if (json_is_object(in)) {
        transform_object(r, src, in, pointer, path, origin, out);
    } else if (json_is_array(in)) {
        transform_array(r, src, in, pointer, path, origin, out);
    } else {
        *out = json_incref(in);
    }

    if (*out != NULL)
        *out_origin = origin;
    else
        json_decref(origin);
}

int gr_config__read_file(gr_config *cfg, gr_config__errors *errors, const char *path,
                         json_t **value, json_t **origin)
{
    reader r = {.cfg = cfg, .errors = errors};
    int errors_before = errors->count;
    gr_yaml_doc **docs = NULL;
    size_t count = 0;
    char *text = NULL;
    size_t len = 0;
    gr_buf pointer = GR_BUF_INIT;
    gr_buf keypath = GR_BUF_INIT;
    char *dir = dir_of(path);
    source src = {.file = gr_config__add_file(cfg, path), .dir = dir};
    json_t *root;
    int rc;

    *value = NULL;
    *origin = NULL;
    rc = count_read(cfg) ? read_text(path, &text, &len)
                         : gr_error_set(GR_ELIMIT, "%s: more than %d files read for one config",
                                        path, GR_CONFIG_MAX_FILES);
    if (rc == GR_OK)
        rc = parse_document(path, text, len, &docs, &count);
    if (rc != GR_OK) {
        gr_config__error(errors, cfg, rc, NULL, NULL, "%s", gr_error_last());
        goto done;
    }
    root = count > 0 ? gr_yaml_doc_root(docs[0]) : NULL;
    if (root == NULL || json_is_null(root)) {
        *value = json_object();
        *origin = gr_config__origin_new(src.file, 0, 0);
        goto done;
    }
    if (!json_is_object(root)) {
        gr_config__error(errors, cfg, GR_EINVALID, NULL, NULL,
                         "%s: the top level must be a mapping of keys to values", path);
        goto done;
    }

    r.chain[0] = realpath(path, NULL);
    if (r.chain[0] == NULL)
        r.chain[0] = gr_xstrdup(path);
    r.chain_len = 1;
    src.doc = docs[0];
    transform(&r, &src, root, &pointer, &keypath, value, origin);
    free(r.chain[0]);

done:
    if (errors->count > errors_before) {
        json_decref(*value);
        json_decref(*origin);
        *value = NULL;
        *origin = NULL;
    }
    gr_buf_free(&pointer);
    gr_buf_free(&keypath);
    gr_yaml_docs_free(docs, count);
    free(text);
    free(dir);
    return errors->count > errors_before ? errors->code : GR_OK;
}
