/* SPDX-License-Identifier: MIT */
/* Validation of a merged config against the schema: types, allowed values, defaults, unknown keys.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/internal.h"
#include "host/log/log.h"

typedef struct {
    gr_config *cfg;
    gr_config__errors *errors;
    gr_buf path; /* dotted key path of the value being checked */
} validator;

static json_t *validate_node(validator *v, const gr_config__schema_node *node, json_t *value,
                             json_t *origin);

/* Returns the origin to name in a message: NULL for a filled-in default, which has no place. */
static const json_t *place(const json_t *origin)
{
    int file;
    int line;

    gr_config__origin_get(origin, &file, &line, NULL);
    return file == GR_CONFIG__FILE_DEFAULT ? NULL : origin;
}

/* Describes a value for a message: `the string "abc"`, `an object`, or for a secret only its type.
 */
static void describe(const json_t *value, bool secret, gr_buf *out)
{
    /* Indexed by json_type, whose order jansson fixes. */
    static const char *const types[] = {"an object", "an array",  "a string",  "an integer",
                                        "a number",  "a boolean", "a boolean", "null"};

    if (secret) {
        gr_buf_puts(out, types[json_typeof(value)]);
        return;
    }
    switch (json_typeof(value)) {
    case JSON_STRING:
        if (json_string_length(value) > 60)
            gr_buf_printf(out, "the string \"%.57s...\"", json_string_value(value));
        else
            gr_buf_printf(out, "the string \"%s\"", json_string_value(value));
        break;
    case JSON_INTEGER:
        gr_buf_printf(out, "the integer %" JSON_INTEGER_FORMAT, json_integer_value(value));
        break;
    case JSON_REAL:
        gr_buf_printf(out, "the number %g", json_real_value(value));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        gr_buf_printf(out, "the boolean %s", json_is_true(value) ? "true" : "false");
        break;
    case JSON_OBJECT:
        gr_buf_puts(out, "an object");
        break;
    case JSON_ARRAY:
        gr_buf_puts(out, "an array");
        break;
    case JSON_NULL:
        gr_buf_puts(out, "null");
        break;
    }
}

/* Returns true when the last key of `path` is named like a credential. */
static bool path_names_secret(const gr_buf *path)
{
    const char *text = gr_buf_cstr(path);
    const char *last = strrchr(text, '.');
    char *name =
        gr_xstrndup(last != NULL ? last + 1 : text, strcspn(last != NULL ? last + 1 : text, "["));
    bool secret = gr_config__secret_name(name);

    free(name);
    return secret;
}

static bool has_type(const json_t *value, unsigned types)
{
    switch (json_typeof(value)) {
    case JSON_STRING:
        return types & GR_CONFIG_STRING;
    case JSON_INTEGER:
        return types & (GR_CONFIG_INTEGER | GR_CONFIG_NUMBER);
    case JSON_REAL:
        return types & GR_CONFIG_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE:
        return types & GR_CONFIG_BOOLEAN;
    case JSON_OBJECT:
        return types & GR_CONFIG_OBJECT;
    case JSON_ARRAY:
        return types & GR_CONFIG_ARRAY;
    case JSON_NULL:
        break;
    }
    return false;
}

/*
 * Converts a value of another type into one the key accepts, as Backstage's
 * config reader does for values that came from ${VAR} substitution:
 * "7007" for an integer, "2.5" for a number, "true" for a boolean. An
 * integral real becomes an integer. Returns a new reference or NULL.
 */
static json_t *coerce(const json_t *value, unsigned types)
{
    const char *text = json_string_value(value);
    char *end = NULL;

    if (json_is_real(value) && (types & GR_CONFIG_INTEGER)) {
        double real = json_real_value(value);

        if (real == trunc(real) && fabs(real) < 9007199254740992.0)
            return json_integer((json_int_t)real);
    }
    if (text == NULL || text[0] == '\0' || (types & GR_CONFIG_STRING))
        return NULL;
    if (types & GR_CONFIG_INTEGER) {
        long long integer;

        errno = 0;
        integer = strtoll(text, &end, 10);
        if (*end == '\0' && errno == 0)
            return json_integer(integer);
    }
    if (types & GR_CONFIG_NUMBER) {
        double real;

        errno = 0;
        real = strtod(text, &end);
        if (*end == '\0' && errno == 0 && isfinite(real))
            return real == trunc(real) && fabs(real) < 9007199254740992.0
                       ? json_integer((json_int_t)real)
                       : json_real(real);
    }
    if ((types & GR_CONFIG_BOOLEAN) && strcasecmp(text, "true") == 0)
        return json_true();
    if ((types & GR_CONFIG_BOOLEAN) && strcasecmp(text, "false") == 0)
        return json_false();
    return NULL;
}

static bool is_allowed(const gr_config_key *key, const json_t *value)
{
    const char *text = json_string_value(value);

    if (text == NULL)
        return true;
    for (const char *const *allowed = key->allowed; *allowed != NULL; allowed++) {
        if (strcmp(*allowed, text) == 0)
            return true;
    }
    return false;
}

/* Reports each string of `value` (or of its items) outside key->allowed. Returns false if any. */
static bool check_allowed(validator *v, const gr_config_key *key, const json_t *value,
                          const json_t *origin)
{
    gr_buf list = GR_BUF_INIT;
    bool ok = true;
    size_t index;
    const json_t *item;

    for (const char *const *allowed = key->allowed; *allowed != NULL; allowed++)
        gr_buf_printf(&list, "%s%s", list.len > 0 ? ", " : "", *allowed);
    if (!is_allowed(key, value)) {
        gr_config__error(v->errors, v->cfg, GR_EINVALID, place(origin), gr_buf_cstr(&v->path),
                         "must be one of %s; found \"%s\"", gr_buf_cstr(&list),
                         json_string_value(value));
        ok = false;
    }
    json_array_foreach(value, index, item)
    {
        if (is_allowed(key, item))
            continue;
        gr_config__error(v->errors, v->cfg, GR_EINVALID, place(origin), gr_buf_cstr(&v->path),
                         "item %zu must be one of %s; found \"%s\"", index, gr_buf_cstr(&list),
                         json_string_value(item));
        ok = false;
    }
    gr_buf_free(&list);
    return ok;
}

/*
 * Names, after a failed check of the value at the current path, the first unset environment
 * variable that left out a value inside it, such as options.token of an externalAccess entry.
 */
static void undefined_inside_hint(validator *v, gr_buf *out)
{
    const char *path = gr_buf_cstr(&v->path);
    size_t len = strlen(path);
    const char *inner;
    json_t *name;

    json_object_foreach(v->cfg->undefined, inner, name) {
        if (strncmp(inner, path, len) == 0 && (inner[len] == '.' || inner[len] == '[')) {
            gr_buf_printf(out, " (environment variable %s is not set, so %s was left out)",
                          json_string_value(name), inner);
            return;
        }
    }
}

/*
 * Checks a declared value: type (after coercion), allowed set and the key's
 * own check. Stores a replacement (new reference) in *replacement when the
 * value changed. Returns false after reporting an error.
 */
static bool check_declared(validator *v, const gr_config_key *key, json_t *value,
                           const json_t *origin, json_t **replacement)
{
    gr_buf message = GR_BUF_INIT;
    json_t *current = value;
    bool ok = true;

    *replacement = NULL;
    if (!has_type(value, key->types)) {
        *replacement = coerce(value, key->types);
        if (*replacement == NULL) {
            gr_config__type_words(key->types, &message);
            gr_buf_puts(&message, ", found ");
            describe(value, key->secret || path_names_secret(&v->path), &message);
            gr_config__error(v->errors, v->cfg, GR_EINVALID, place(origin), gr_buf_cstr(&v->path),
                             "must be %s %s", strchr("aeiou", message.data[0]) != NULL ? "an" : "a",
                             gr_buf_cstr(&message));
            ok = false;
            goto done;
        }
        current = *replacement;
    }
    if (key->allowed != NULL && !check_allowed(v, key, current, origin)) {
        ok = false;
        goto done;
    }
    if (key->check != NULL) {
        json_t *checked = current;

        if (key->check(&checked, &message) != 0) {
            undefined_inside_hint(v, &message);
            gr_config__error(v->errors, v->cfg, GR_EINVALID, place(origin), gr_buf_cstr(&v->path),
                             "%s", gr_buf_cstr(&message));
            ok = false;
            goto done;
        }
        if (checked != current) {
            json_decref(*replacement);
            *replacement = checked;
        }
    }

done:
    if (!ok) {
        json_decref(*replacement);
        *replacement = NULL;
    }
    gr_buf_free(&message);
    return ok;
}

/* The hint for Backstage's sign-in providers that speak OpenID Connect. */
static const char oidc_hint[] =
    ". greenroom signs in through OpenID Connect instead: configure auth.providers.oidc with this "
    "provider's metadataUrl, clientId and clientSecret";

/* Backstage keys that greenroom does not read, each with a hint that names its replacement. */
static const struct {
    const char *path;
    const char *hint;
} backstage_replacements[] = {
    {"backend.auth.keys",
     ". Write each of its secrets as an entry of backend.auth.externalAccess with type legacy, "
     "options.secret and options.subject (docs/security.md, External access)"},
    {"auth.providers.google", oidc_hint},
    {"auth.providers.microsoft", oidc_hint},
    {"auth.providers.okta", oidc_hint},
    {"auth.providers.auth0", oidc_hint},
    {"auth.providers.onelogin", oidc_hint},
    {"auth.providers.gitlab", oidc_hint},
    {"auth.providers.github",
     ". greenroom has no GitHub sign-in, because GitHub's user sign-in is not OpenID "
     "Connect. Sign in through auth.providers.oidc with an identity provider that GitHub users "
     "share, or behind an identity-aware proxy (auth.providers.oauth2Proxy)"},
};

/* Returns the hint that ends the warning about unknown key `path`, or "" when there is none. */
static const char *replacement_hint(const char *path)
{
    size_t count = sizeof(backstage_replacements) / sizeof(backstage_replacements[0]);

    for (size_t i = 0; i < count; i++) {
        if (strcmp(backstage_replacements[i].path, path) == 0)
            return backstage_replacements[i].hint;
    }
    return "";
}

static void warn_unknown(validator *v, const json_t *origin)
{
    gr_buf where = GR_BUF_INIT;
    const char *hint = replacement_hint(gr_buf_cstr(&v->path));

    if (origin != NULL && place(origin) != NULL) {
        gr_config__where(v->cfg, origin, &where);
        gr_warn("config", "%s: %s: unknown key, greenroom does not read it%s", gr_buf_cstr(&where),
                gr_buf_cstr(&v->path), hint);
    } else {
        gr_warn("config", "%s: unknown key, greenroom does not read it%s", gr_buf_cstr(&v->path),
                hint);
    }
    gr_buf_free(&where);
}

/* Returns true when `node` or a child below it by name has a default or is required. */
static bool has_fillable(const gr_config__schema_node *node)
{
    if (node->key != NULL && (node->key->default_json != NULL || node->key->required))
        return true;
    for (size_t i = 0; i < node->child_count; i++) {
        const gr_config__schema_node *child = node->children[i];

        if (strcmp(child->segment, "*") != 0 && strcmp(child->segment, "[]") != 0 &&
            has_fillable(child))
            return true;
    }
    return false;
}

/* Explains a missing value that an unset environment variable removed, if one did. */
static void undefined_hint(validator *v, gr_buf *out)
{
    const char *name = json_string_value(json_object_get(v->cfg->undefined, gr_buf_cstr(&v->path)));

    if (name != NULL)
        gr_buf_printf(out, " (its value was left out because environment variable %s is not set)",
                      name);
}

/*
 * Makes the value of a key absent from its object: the default, or for an
 * object key an object of its children's defaults. Reports a required key.
 * Returns a new reference or NULL.
 */
static json_t *missing_value(validator *v, const gr_config__schema_node *node,
                             const json_t *parent_origin)
{
    const gr_config_key *key = node->key;
    json_t *value = NULL;
    json_t *origin;
    json_t *replacement;

    if (key != NULL && key->required) {
        gr_buf hint = GR_BUF_INIT;

        undefined_hint(v, &hint);
        gr_config__error(v->errors, v->cfg, GR_EINVALID, place(parent_origin),
                         gr_buf_cstr(&v->path), "missing required key%s", gr_buf_cstr(&hint));
        gr_buf_free(&hint);
        return NULL;
    }
    if (key != NULL && key->default_json != NULL)
        return json_loads(key->default_json, JSON_DECODE_ANY, NULL);
    if ((key != NULL && !(key->types & GR_CONFIG_OBJECT)) || !has_fillable(node))
        return NULL;

    value = json_object();
    origin = gr_config__origin_new(GR_CONFIG__FILE_DEFAULT, 0, 0);
    replacement = validate_node(v, node, value, origin);
    if (replacement != NULL) {
        json_decref(value);
        value = replacement;
    }
    json_decref(origin);
    if (json_is_object(value) && json_object_size(value) == 0) {
        json_decref(value);
        value = NULL;
    }
    return value;
}

static void fill_missing(validator *v, const gr_config__schema_node *node, json_t *object,
                         json_t *origin)
{
    json_t *children = gr_config__origin_children(origin, true);
    size_t path_len = v->path.len;

    for (size_t i = 0; i < node->child_count; i++) {
        const gr_config__schema_node *child = node->children[i];
        json_t *existing = json_object_get(object, child->segment);
        json_t *value;

        if (strcmp(child->segment, "*") == 0 || strcmp(child->segment, "[]") == 0)
            continue;
        if (existing != NULL && !json_is_null(existing))
            continue;
        gr_config__path_key(&v->path, child->segment);
        value = missing_value(v, child, origin);
        if (value != NULL) {
            json_object_set_new(children, child->segment,
                                gr_config__origin_fill(value, GR_CONFIG__FILE_DEFAULT, 0, 0));
            json_object_set_new(object, child->segment, value);
        }
        gr_config__path_cut(&v->path, path_len);
    }
}

static void validate_members(validator *v, const gr_config__schema_node *node, json_t *object,
                             json_t *origin)
{
    json_t *children = gr_config__origin_children(origin, true);
    size_t path_len = v->path.len;
    const char *name;
    json_t *member;
    void *iter;

    json_object_foreach_safe(object, iter, name, member)
    {
        const gr_config__schema_node *child = gr_config__schema_member(node, name);
        json_t *member_origin = json_object_get(children, name);
        json_t *replacement;

        gr_config__path_key(&v->path, name);
        if (child == NULL) {
            warn_unknown(v, member_origin);
        } else {
            if (member_origin == NULL) {
                member_origin = gr_config__origin_fill(member, GR_CONFIG__FILE_DEFAULT, 0, 0);
                json_object_set_new(children, name, member_origin);
            }
            replacement = validate_node(v, child, member, member_origin);
            if (replacement != NULL)
                json_object_set_new(object, name, replacement);
        }
        gr_config__path_cut(&v->path, path_len);
    }
    fill_missing(v, node, object, origin);
}

static void validate_items(validator *v, const gr_config__schema_node *node, json_t *array,
                           json_t *origin)
{
    const gr_config__schema_node *items = gr_config__schema_items(node);
    json_t *children = gr_config__origin_children(origin, false);
    size_t path_len = v->path.len;
    size_t index;
    json_t *item;

    json_array_foreach(array, index, item)
    {
        json_t *item_origin = json_array_get(children, index);
        json_t *replacement;

        gr_config__path_index(&v->path, index);
        if (items == NULL) {
            warn_unknown(v, item_origin);
        } else {
            /* Origins are built beside their values, so every item has one. */
            assert(item_origin != NULL);
            replacement = validate_node(v, items, item, item_origin);
            if (replacement != NULL)
                json_array_set_new(array, index, replacement);
        }
        gr_config__path_cut(&v->path, path_len);
    }
}

/*
 * Checks `value` (borrowed) against `node` and walks its children. Returns
 * a replacement (new reference) when the value was converted, else NULL.
 */
static json_t *validate_node(validator *v, const gr_config__schema_node *node, json_t *value,
                             json_t *origin)
{
    json_t *replacement = NULL;
    json_t *current = value;

    if (json_is_null(value))
        return NULL;
    if (node->key != NULL) {
        if (!check_declared(v, node->key, value, origin, &replacement))
            return NULL;
        if (replacement != NULL) {
            json_t *filled;
            int file;
            int line;
            int column;

            /* Values made by a check were written where the original was. */
            gr_config__origin_get(origin, &file, &line, &column);
            filled = gr_config__origin_fill(replacement, file, line, column);
            json_array_set(origin, 3, json_array_get(filled, 3));
            json_decref(filled);
            current = replacement;
        }
        if (node->key->secret)
            json_object_set_new(v->cfg->secrets, gr_buf_cstr(&v->path), json_true());
        /* A declared object or array without declared children is free-form. */
        if (node->child_count == 0)
            return replacement;
    } else if (!json_is_object(value) && !json_is_array(value)) {
        gr_buf found = GR_BUF_INIT;

        describe(value, false, &found);
        gr_config__error(v->errors, v->cfg, GR_EINVALID, place(origin), gr_buf_cstr(&v->path),
                         "must be %s, found %s",
                         gr_config__schema_items(node) != NULL ? "an array" : "an object",
                         gr_buf_cstr(&found));
        gr_buf_free(&found);
        return NULL;
    }

    if (json_is_object(current))
        validate_members(v, node, current, origin);
    else if (json_is_array(current))
        validate_items(v, node, current, origin);
    return replacement;
}

/* Sets `value` (stolen) at dotted `path` of names, creating parent objects. */
static void set_path(gr_config *cfg, const char *path, json_t *value)
{
    json_t *object = cfg->root;
    json_t *origin = cfg->origins;
    const char *part = path;

    for (;;) {
        const char *dot = strchr(part, '.');
        char *name = dot != NULL ? gr_xstrndup(part, (size_t)(dot - part)) : gr_xstrdup(part);
        json_t *children = gr_config__origin_children(origin, true);
        json_t *next = json_object_get(object, name);

        if (dot == NULL) {
            json_object_set_new(children, name,
                                gr_config__origin_fill(value, GR_CONFIG__FILE_DEFAULT, 0, 0));
            json_object_set_new(object, name, value);
            free(name);
            return;
        }
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(object, name, next);
            json_object_set_new(children, name,
                                gr_config__origin_new(GR_CONFIG__FILE_DEFAULT, 0, 0));
        }
        origin = json_object_get(children, name);
        object = next;
        part = dot + 1;
        free(name);
    }
}

/* State of one pass over the keys with computed defaults. */
typedef struct {
    gr_config *cfg;
    bool changed;
} derive_pass;

static void derive_key(const char *owner, const gr_config_key *key, void *payload)
{
    derive_pass *pass = payload;
    const json_t *existing;
    json_t *value;

    (void)owner;
    if (key->derive == NULL || strpbrk(key->path, "*[") != NULL)
        return;
    existing = gr_config__lookup(pass->cfg, key->path, NULL);
    if (existing != NULL && !json_is_null(existing))
        return;
    value = key->derive(pass->cfg);
    if (value != NULL) {
        set_path(pass->cfg, key->path, value);
        pass->changed = true;
    }
}

/* Fills computed defaults. One may read another, so passes repeat until none changes. */
static void derive_defaults(gr_config *cfg, const gr_config_schema *schema)
{
    derive_pass pass = {.cfg = cfg, .changed = true};

    while (pass.changed) {
        pass.changed = false;
        gr_config__schema_each(schema, derive_key, &pass);
    }
}

void gr_config__validate(gr_config *cfg, const gr_config_schema *schema, gr_config__errors *errors)
{
    validator v = {.cfg = cfg, .errors = errors, .path = GR_BUF_INIT};
    json_t *replacement =
        validate_node(&v, gr_config__schema_root(schema), cfg->root, cfg->origins);

    /* The root is an undeclared object, which is never replaced. */
    json_decref(replacement);
    gr_buf_free(&v.path);
    if (errors->count == 0)
        derive_defaults(cfg, schema);
}
