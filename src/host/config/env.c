/* SPDX-License-Identifier: MIT */
/* APP_CONFIG_* environment variables, which set config keys over every file. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/internal.h"

#define ENV_PREFIX "APP_CONFIG_"

/*
 * Returns true when `part` is a valid key: a letter, then letters and
 * digits, with single dashes between runs (Backstage's pattern, which also
 * allows no underscore because underscores separate the parts).
 */
static bool valid_part(const char *part, size_t len)
{
    if (len == 0 || !isalpha((unsigned char)part[0]))
        return false;
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)part[i];

        if (c == '-') {
            if (i + 1 >= len || !isalpha((unsigned char)part[i + 1]))
                return false;
        } else if (!isalnum(c)) {
            return false;
        }
    }
    return true;
}

/* Parses the value as JSON when it is valid JSON, else takes it as a string. */
static json_t *parse_value(const char *text)
{
    json_t *value = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);

    return value != NULL ? value : json_string(text);
}

/*
 * Sets `key` (the name after the prefix, parts joined by '_') to `text` in
 * `tree`, creating parents. Returns 0, or records an error.
 */
static int set_key(gr_config *cfg, gr_config__errors *errors, json_t *tree, json_t *origins,
                   const char *name, const char *key, const char *text)
{
    int file = gr_config__add_file(cfg, name);
    json_t *where = gr_config__origin_new(file, 0, 0);
    json_t *object = tree;
    json_t *origin = origins;
    const char *part = key;
    int rc = GR_EINVALID;

    for (;;) {
        const char *end = strchr(part, '_');
        size_t len = end != NULL ? (size_t)(end - part) : strlen(part);
        char *name_part = gr_xstrndup(part, len);
        json_t *children = gr_config__origin_children(origin, true);
        json_t *existing = json_object_get(object, name_part);

        if (!valid_part(part, len)) {
            gr_config__error(errors, cfg, GR_EINVALID, where, NULL,
                             "invalid config key '%s': each part between underscores must start "
                             "with a letter and hold only letters, digits and single dashes",
                             key);
            free(name_part);
            goto done;
        }
        if (end == NULL) {
            json_t *value = existing == NULL ? parse_value(text) : NULL;

            if (existing != NULL)
                gr_config__error(errors, cfg, GR_ECONFLICT, where, NULL,
                                 "another APP_CONFIG_ variable already sets key '%s'", key);
            else if (value == NULL || json_is_null(value))
                gr_config__error(errors, cfg, GR_EINVALID, where, NULL,
                                 "the value must be valid UTF-8 and not null");
            else {
                json_object_set_new(children, name_part, gr_config__origin_fill(value, file, 0, 0));
                json_object_set_new(object, name_part, value);
                value = NULL;
                rc = GR_OK;
            }
            json_decref(value);
            free(name_part);
            goto done;
        }
        if (existing == NULL) {
            existing = json_object();
            json_object_set_new(object, name_part, existing);
            json_object_set_new(children, name_part, gr_config__origin_new(file, 0, 0));
        } else if (!json_is_object(existing)) {
            gr_config__error(errors, cfg, GR_ECONFLICT, where, NULL,
                             "cannot set key '%s' under '%.*s', which another APP_CONFIG_ "
                             "variable sets to a value that is not an object",
                             key, (int)(end - key), key);
            free(name_part);
            goto done;
        }
        origin = json_object_get(children, name_part);
        object = existing;
        part = end + 1;
        free(name_part);
    }

done:
    json_decref(where);
    return rc;
}

void gr_config__apply_env(gr_config *cfg, gr_config__errors *errors, char *const *env)
{
    json_t *tree = json_object();
    json_t *origins = gr_config__origin_new(GR_CONFIG__FILE_DEFAULT, 0, 0);

    for (char *const *entry = env; entry != NULL && *entry != NULL; entry++) {
        const char *equals = strchr(*entry, '=');
        char *name;

        if (strncmp(*entry, ENV_PREFIX, strlen(ENV_PREFIX)) != 0 || equals == NULL)
            continue;
        /* An empty variable sets nothing, as in Backstage. */
        if (equals[1] == '\0')
            continue;
        name = gr_xstrndup(*entry, (size_t)(equals - *entry));
        set_key(cfg, errors, tree, origins, name, name + strlen(ENV_PREFIX), equals + 1);
        free(name);
    }
    gr_config__merge(cfg->root, cfg->origins, tree, origins);
    json_decref(tree);
    json_decref(origins);
}
