/* SPDX-License-Identifier: MIT */
/* Loading a config from files and the environment, and reading values by key path. */
#include "host/config/config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "host/config/internal.h"
#include "host/log/log.h"

extern char **environ;

static gr_config *config_new(void)
{
    gr_config *cfg = gr_xcalloc(1, sizeof(*cfg));

    cfg->root = json_object();
    cfg->origins = gr_config__origin_new(GR_CONFIG__FILE_DEFAULT, 0, 0);
    cfg->secrets = json_object();
    cfg->undefined = json_object();
    return cfg;
}

void gr_config_free(gr_config *cfg)
{
    if (cfg == NULL)
        return;
    json_decref(cfg->root);
    json_decref(cfg->origins);
    json_decref(cfg->secrets);
    json_decref(cfg->undefined);
    for (size_t i = 0; i < cfg->file_count; i++)
        free(cfg->files[i]);
    free(cfg->files);
    free(cfg);
}

/* GREENROOM_LOG_LEVEL sets backend.log.level over files and APP_CONFIG_ variables. */
static void apply_log_level_env(gr_config *cfg)
{
    const char *level = getenv("GREENROOM_LOG_LEVEL");
    json_t *value;
    json_t *origin;

    if (level == NULL || level[0] == '\0')
        return;
    value = json_pack("{s{s{ss}}}", "backend", "log", "level", level);
    if (value == NULL) {
        gr_warn("config", "GREENROOM_LOG_LEVEL is not valid UTF-8, so it is ignored");
        return;
    }
    origin = gr_config__origin_fill(value, gr_config__add_file(cfg, "GREENROOM_LOG_LEVEL"), 0, 0);
    gr_config__merge(cfg->root, cfg->origins, value, origin);
    json_decref(value);
    json_decref(origin);
}

/* Removes every top-level key except `only`, and the notes on unset variables under those keys. */
static void keep_only(gr_config *cfg, const char *only)
{
    json_t *children = gr_config__origin_children(cfg->origins, true);
    const char *key;
    json_t *value;
    void *next;
    size_t only_len = strlen(only);

    json_object_foreach_safe(cfg->root, next, key, value)
    {
        /* `key` belongs to the root object, so it goes from the origins first. */
        if (strcmp(key, only) != 0) {
            json_object_del(children, key);
            json_object_del(cfg->root, key);
        }
    }
    json_object_foreach_safe(cfg->undefined, next, key, value)
    {
        if (strncmp(key, only, only_len) != 0 ||
            (key[only_len] != '.' && key[only_len] != '[' && key[only_len] != '\0'))
            json_object_del(cfg->undefined, key);
    }
}

static int load(gr_config **out, const char *const *files, size_t count,
                const gr_config_schema *schema, const char *only)
{
    gr_config *cfg = config_new();
    gr_config__errors errors = {.text = GR_BUF_INIT};
    int rc = GR_OK;

    *out = NULL;
    for (size_t i = 0; i < count; i++) {
        json_t *value = NULL;
        json_t *origin = NULL;

        if (gr_config__read_file(cfg, &errors, files[i], &value, &origin) != GR_OK)
            continue;
        gr_config__merge(cfg->root, cfg->origins, value, origin);
        json_decref(value);
        json_decref(origin);
    }
    if (errors.count == 0 && only != NULL)
        keep_only(cfg, only);
    if (errors.count == 0)
        gr_config__apply_env(cfg, &errors, environ);
    if (errors.count == 0) {
        apply_log_level_env(cfg);
        gr_config__validate(cfg, schema, &errors);
    }

    if (errors.count > 0) {
        rc = gr_config__errors_report(&errors);
        gr_config_free(cfg);
        cfg = NULL;
    }
    gr_config__errors_free(&errors);
    *out = cfg;
    return rc;
}

int gr_config_load(gr_config **out, const char *const *files, size_t count,
                   const gr_config_schema *schema)
{
    return load(out, files, count, schema, NULL);
}

int gr_config_load_section(gr_config **out, const char *const *files, size_t count,
                           const gr_config_schema *schema, const char *section)
{
    return load(out, files, count, schema, section);
}

/* Returns whether `path` names a regular file (following symbolic links). */
static bool is_regular_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Fills `files` with the files that Backstage's backend reads when no --config is given:
 * app-config.yaml and then app-config.local.yaml, each when it exists in the working folder.
 * Names them on stderr, or reports that there is none, so that the config in use is never a
 * surprise.
 * Returns their count.
 */
static size_t default_files(const char **files)
{
    static const char *const names[] = {"app-config.yaml", "app-config.local.yaml"};
    size_t count = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (is_regular_file(names[i]))
            files[count++] = names[i];
    }
    if (count == 0)
        fprintf(stderr, "greenroom: no --config given and no ./app-config.yaml, using the "
                        "built-in defaults\n");
    else if (count == 1)
        fprintf(stderr, "greenroom: no --config given, reading ./%s\n", files[0]);
    else if (count == 2)
        fprintf(stderr, "greenroom: no --config given, reading ./%s and ./%s\n", files[0],
                files[1]);
    return count;
}

int gr_config_load_args(gr_config **out, int argc, char *const *argv,
                        const gr_config_schema *schema)
{
    const char **files = gr_xcalloc((size_t)argc + 2, sizeof(*files));
    size_t count = 0;
    int rc;

    *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--config=", 9) == 0) {
            files[count++] = argv[i] + 9;
        } else if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                free(files);
                return gr_error_set(GR_EINVALID, "--config needs a file name");
            }
            files[count++] = argv[++i];
        }
    }
    if (count == 0)
        count = default_files(files);
    rc = gr_config_load(out, files, count, schema);
    free(files);
    return rc;
}

/*
 * Reads the next step of a key path at *cursor: a name up to '.' or '[',
 * or an index in brackets. Returns 1 for a name (in *name, caller frees),
 * 2 for an index, 0 at the end, -1 when the path is malformed.
 */
static int next_step(const char **cursor, char **name, size_t *index)
{
    const char *p = *cursor;
    size_t len;

    if (*p == '.')
        p++;
    if (*p == '\0')
        return 0;
    if (*p == '[') {
        char *end = NULL;

        if (!isdigit((unsigned char)p[1]))
            return -1;
        *index = strtoul(p + 1, &end, 10);
        if (*end != ']')
            return -1;
        *cursor = end + 1;
        return 2;
    }
    len = strcspn(p, ".[");
    if (len == 0)
        return -1;
    *name = gr_xstrndup(p, len);
    *cursor = p + len;
    return 1;
}

const json_t *gr_config__lookup(const gr_config *cfg, const char *path, const json_t **origin)
{
    const json_t *value = cfg->root;
    const json_t *where = cfg->origins;
    const char *cursor = path;
    char *name = NULL;
    size_t index = 0;
    int step;

    while (value != NULL && (step = next_step(&cursor, &name, &index)) != 0) {
        if (step < 0) {
            value = NULL;
        } else if (step == 1) {
            value = json_object_get(value, name);
            where = gr_config__origin_member(where, name);
            free(name);
            name = NULL;
        } else {
            value = json_array_get(value, index);
            where = gr_config__origin_item(where, index);
        }
    }
    if (origin != NULL)
        *origin = value != NULL ? where : NULL;
    return value;
}

const char *gr_config_string(const gr_config *cfg, const char *path, const char *fallback)
{
    const char *text = json_string_value(gr_config__lookup(cfg, path, NULL));

    return text != NULL ? text : fallback;
}

int64_t gr_config_int(const gr_config *cfg, const char *path, int64_t fallback)
{
    const json_t *value = gr_config__lookup(cfg, path, NULL);

    return json_is_integer(value) ? (int64_t)json_integer_value(value) : fallback;
}

bool gr_config_bool(const gr_config *cfg, const char *path, bool fallback)
{
    const json_t *value = gr_config__lookup(cfg, path, NULL);

    return json_is_boolean(value) ? json_is_true(value) : fallback;
}

double gr_config_double(const gr_config *cfg, const char *path, double fallback)
{
    const json_t *value = gr_config__lookup(cfg, path, NULL);

    return json_is_number(value) ? json_number_value(value) : fallback;
}

const json_t *gr_config_node(const gr_config *cfg, const char *path)
{
    return gr_config__lookup(cfg, path, NULL);
}

int gr_config_origin(const gr_config *cfg, const char *path, const char **file, int *line)
{
    const json_t *origin = NULL;
    int file_index;
    int line_number;

    if (gr_config__lookup(cfg, path, &origin) == NULL)
        return gr_error_set(GR_ENOTFOUND, "config key %s is not set", path);
    gr_config__origin_get(origin, &file_index, &line_number, NULL);
    if (file != NULL)
        *file = gr_config__file_name(cfg, file_index);
    if (line != NULL)
        *line = line_number;
    return GR_OK;
}

int gr_config_apply_log_level(const gr_config *cfg)
{
    gr_log_level level;
    int rc = gr_log_parse_level(gr_config_string(cfg, "backend.log.level", "info"), &level);

    if (rc == GR_OK)
        gr_log_set_level(level);
    return rc;
}
