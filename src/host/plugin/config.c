/* SPDX-License-Identifier: MIT */
/* A plugin's own config: checking it against the keys the plugin declares, and reading it by path. */
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/log/log.h"
#include "host/plugin/ctx.h"
#include "host/plugin/plugin.h"
#include "host/plugin/services.h"

/** Maximum length of a config path a plugin declares or reads, in bytes. */
#define PATH_MAX_BYTES 256

/* Reads one path step: a member name, then any number of [index] parts. */
const json_t *gr_plugin__json_path(const json_t *root, const char *path)
{
    const json_t *node = root;
    const char *p = path;

    if (path == NULL || strlen(path) > PATH_MAX_BYTES)
        return NULL;
    while (node != NULL && *p != '\0') {
        size_t len = strcspn(p, ".[");

        if (len > 0) {
            char name[PATH_MAX_BYTES + 1];

            memcpy(name, p, len);
            name[len] = '\0';
            node = json_is_object(node) ? json_object_get(node, name) : NULL;
            p += len;
        }
        while (node != NULL && *p == '[') {
            char *end = NULL;
            unsigned long index = strtoul(p + 1, &end, 10);

            if (end == p + 1 || *end != ']' || !json_is_array(node))
                return NULL;
            node = json_array_get(node, index);
            p = end + 1;
        }
        if (*p == '.')
            p++;
        else if (*p != '\0' && *p != '[')
            return NULL;
    }
    return node;
}

static bool has_type(const json_t *value, unsigned types)
{
    if ((types & GR_PLUGIN_CONFIG_STRING) && json_is_string(value))
        return true;
    if ((types & (GR_PLUGIN_CONFIG_INTEGER | GR_PLUGIN_CONFIG_NUMBER)) && json_is_integer(value))
        return true;
    if ((types & GR_PLUGIN_CONFIG_NUMBER) && json_is_real(value))
        return true;
    if ((types & GR_PLUGIN_CONFIG_BOOLEAN) && json_is_boolean(value))
        return true;
    if ((types & GR_PLUGIN_CONFIG_OBJECT) && json_is_object(value))
        return true;
    return (types & GR_PLUGIN_CONFIG_ARRAY) && json_is_array(value);
}

static void type_words(unsigned types, gr_buf *out)
{
    static const char *const names[] = {"string", "integer", "number",
                                        "boolean", "object", "array"};
    bool first = true;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(types & (1u << i)))
            continue;
        gr_buf_printf(out, "%s%s", first ? "" : " or ", names[i]);
        first = false;
    }
}

/* State of one check, for messages. */
typedef struct {
    const gr_config *cfg; /* host config, for file:line; may be NULL */
    const char *where;    /* "plugins[0].config" */
    const gr_plugin_config_key *key;
    gr_buf errors;
    int count;
} checker;

static void problem(checker *c, const char *path, const char *message)
{
    char *full = gr_xasprintf("%s.%s", c->where, path);
    const char *file = NULL;
    int line = 0;

    if (c->cfg != NULL) {
        /* A missing key has no origin: name the line of its nearest parent. */
        char *at = gr_xstrdup(full);

        while (gr_config_origin(c->cfg, at, &file, &line) != GR_OK) {
            char *cut = strrchr(at, '.');
            char *bracket = strrchr(at, '[');

            if (bracket != NULL && (cut == NULL || bracket > cut))
                cut = bracket;
            if (cut == NULL)
                break;
            *cut = '\0';
        }
        free(at);
    }
    if (c->count > 0)
        gr_buf_putc(&c->errors, '\n');
    if (file != NULL && line > 0)
        gr_buf_printf(&c->errors, "%s:%d: ", file, line);
    gr_buf_printf(&c->errors, "%s: %s", full, message);
    c->count++;
    free(full);
}

/* Returns whether `text` is one of the NULL-ended `allowed` strings. */
static bool is_allowed(const char *const *allowed, const char *text)
{
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(allowed[i], text) == 0)
            return true;
    }
    return false;
}

/* Reports a string outside the key's allowed list; a secret's value is not shown. */
static void check_allowed(checker *c, const json_t *value, const char *path)
{
    const char *const *allowed = c->key->allowed;
    gr_buf words = GR_BUF_INIT;

    if (allowed == NULL || !json_is_string(value) || is_allowed(allowed, json_string_value(value)))
        return;
    if (c->key->secret)
        gr_buf_puts(&words, "this value is not allowed; use one of ");
    else
        gr_buf_printf(&words, "\"%s\" is not allowed; use one of ", json_string_value(value));
    for (size_t i = 0; allowed[i] != NULL; i++)
        gr_buf_printf(&words, "%s%s", i > 0 ? ", " : "", allowed[i]);
    problem(c, path, gr_buf_cstr(&words));
    gr_buf_free(&words);
}

static void check_value(checker *c, const json_t *value, const char *path)
{
    gr_buf words = GR_BUF_INIT;

    if (has_type(value, c->key->types)) {
        check_allowed(c, value, path);
        return;
    }
    gr_buf_puts(&words, "expected ");
    type_words(c->key->types, &words);
    problem(c, path, gr_buf_cstr(&words));
    gr_buf_free(&words);
}

/* Walks the declared path `rest` below `node`, whose path so far is `at`. */
static void walk(checker *c, json_t *node, const char *rest, gr_buf *at)
{
    size_t len = strcspn(rest, ".");
    size_t mark = at->len;
    bool items = len >= 2 && strncmp(rest + len - 2, "[]", 2) == 0;
    size_t name_len = items ? len - 2 : len;
    const char *next = rest[len] == '.' ? rest + len + 1 : NULL;
    char name[PATH_MAX_BYTES + 1];
    json_t *child;

    memcpy(name, rest, name_len);
    name[name_len] = '\0';
    if (!json_is_object(node))
        return;
    if (strcmp(name, "*") == 0) {
        const char *member;

        json_object_foreach (node, member, child) {
            gr_buf sub = GR_BUF_INIT;

            gr_buf_printf(&sub, "%s%s%s", gr_buf_cstr(at), mark > 0 ? "." : "", member);
            if (next != NULL)
                walk(c, child, next, &sub);
            else
                check_value(c, child, gr_buf_cstr(&sub));
            gr_buf_free(&sub);
        }
        return;
    }
    gr_buf_printf(at, "%s%s", mark > 0 ? "." : "", name);
    child = json_object_get(node, name);
    if (child == NULL || json_is_null(child)) {
        if (c->key->required && next == NULL && !items)
            problem(c, gr_buf_cstr(at), "missing, and the plugin requires it");
        return;
    }
    if (items) {
        size_t index;
        json_t *item;

        if (!json_is_array(child)) {
            problem(c, gr_buf_cstr(at), "expected an array");
            return;
        }
        json_array_foreach (child, index, item) {
            gr_buf sub = GR_BUF_INIT;

            gr_buf_printf(&sub, "%s[%zu]", gr_buf_cstr(at), index);
            if (next != NULL)
                walk(c, item, next, &sub);
            else
                check_value(c, item, gr_buf_cstr(&sub));
            gr_buf_free(&sub);
        }
        return;
    }
    if (next != NULL)
        walk(c, child, next, at);
    else
        check_value(c, child, gr_buf_cstr(at));
}

/* Sets a default at a plain dotted path (no wildcard), creating parent objects. */
static int fill_default(checker *c, json_t *root, const gr_plugin_config_key *key)
{
    json_error_t error;
    json_t *value;
    json_t *node = root;
    char *path = gr_xstrdup(key->path);
    char *save = NULL;
    char *part = strtok_r(path, ".", &save);

    if (strchr(key->path, '*') != NULL || strchr(key->path, '[') != NULL) {
        free(path);
        return GR_OK;
    }
    value = json_loads(key->default_json, JSON_DECODE_ANY, &error);
    if (value != NULL && key->allowed != NULL && json_is_string(value) &&
        !is_allowed(key->allowed, json_string_value(value))) {
        problem(c, key->path, "the plugin declares a default outside its allowed values; "
                              "report this to the plugin's authors");
        json_decref(value);
        free(path);
        return GR_EINVALID;
    }
    if (value == NULL || !has_type(value, key->types)) {
        problem(c, key->path, "the plugin declares a default of the wrong type");
        json_decref(value);
        free(path);
        return GR_EINVALID;
    }
    while (part != NULL) {
        char *next = strtok_r(NULL, ".", &save);
        json_t *child = json_object_get(node, part);

        if (next == NULL) {
            if (child == NULL || json_is_null(child))
                json_object_set(node, part, value);
            break;
        }
        if (child == NULL) {
            child = json_object();
            json_object_set_new(node, part, child);
        }
        if (!json_is_object(child))
            break;
        node = child;
        part = next;
    }
    json_decref(value);
    free(path);
    return GR_OK;
}

static bool declared_top(const gr_plugin_config_key *keys, const char *member)
{
    size_t len = strlen(member);

    for (const gr_plugin_config_key *key = keys; key != NULL && key->path != NULL; key++) {
        if (key->path[0] == '*')
            return true;
        if (strncmp(key->path, member, len) == 0 &&
            (key->path[len] == '\0' || key->path[len] == '.' || key->path[len] == '['))
            return true;
    }
    return false;
}

int gr_plugin__config_check(gr_plugin_ctx *ctx, const char *where)
{
    gr_plugin_config_key *keys =
        ctx->info != NULL ? gr_plugin__config_keys_copy(ctx->info, ctx->info->config_keys) : NULL;
    checker c = {.cfg = ctx->host != NULL ? ctx->host->config : NULL, .where = where};
    const char *member;
    json_t *value;
    int rc = GR_OK;

    if (ctx->config == NULL)
        ctx->config = json_object();
    if (!json_is_object(ctx->config)) {
        free(keys);
        return gr_error_set(GR_EINVALID, "%s: expected an object", where);
    }
    for (const gr_plugin_config_key *key = keys; key != NULL && key->path != NULL; key++) {
        gr_buf at = GR_BUF_INIT;

        c.key = key;
        if (key->types == 0 || strlen(key->path) > PATH_MAX_BYTES) {
            problem(&c, key->path, "the plugin declares this key without a type");
            continue;
        }
        if (key->default_json != NULL && fill_default(&c, ctx->config, key) < 0)
            continue;
        walk(&c, ctx->config, key->path, &at);
        gr_buf_free(&at);
    }
    json_object_foreach (ctx->config, member, value) {
        if (!declared_top(keys, member))
            gr_log_fields(GR_LOG_WARN, "plugin", "unknown config key; the plugin ignores it",
                          "plugin", ctx->id, "key", member, NULL);
    }
    if (c.count > 0)
        rc = gr_error_set(GR_EINVALID, "%s", gr_buf_cstr(&c.errors));
    gr_buf_free(&c.errors);
    free(keys);
    return rc;
}

const char *gr_plugin__config_string(const gr_plugin_ctx *ctx, const char *path,
                                     const char *fallback)
{
    const json_t *node = gr_plugin__json_path(ctx->config, path);

    return json_is_string(node) ? json_string_value(node) : fallback;
}

int64_t gr_plugin__config_int(const gr_plugin_ctx *ctx, const char *path, int64_t fallback)
{
    const json_t *node = gr_plugin__json_path(ctx->config, path);

    return json_is_integer(node) ? (int64_t)json_integer_value(node) : fallback;
}

int gr_plugin__config_bool(const gr_plugin_ctx *ctx, const char *path, int fallback)
{
    const json_t *node = gr_plugin__json_path(ctx->config, path);

    return json_is_boolean(node) ? json_is_true(node) : fallback;
}

double gr_plugin__config_double(const gr_plugin_ctx *ctx, const char *path, double fallback)
{
    const json_t *node = gr_plugin__json_path(ctx->config, path);

    return json_is_number(node) ? json_number_value(node) : fallback;
}

size_t gr_plugin__config_count(const gr_plugin_ctx *ctx, const char *path)
{
    const json_t *node = gr_plugin__json_path(ctx->config, path);

    if (json_is_array(node))
        return json_array_size(node);
    return json_is_object(node) ? json_object_size(node) : 0;
}

char *gr_plugin__config_json(const gr_plugin_ctx *ctx, const char *path)
{
    const json_t *node = gr_plugin__json_path(ctx->config, path);

    return node != NULL ? json_dumps(node, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}
