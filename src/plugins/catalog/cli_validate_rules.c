/* SPDX-License-Identifier: MIT */
/* Catalog rules for `greenroom catalog validate --config FILE`: the kinds each file may hold. */
#include "plugins/catalog/cli_validate_rules.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "plugins/catalog/engine/settings.h"
#include "plugins/catalog/engine/util.h"

struct gr_catalog_validate_rules {
    gr_config *config;
    gr_catalog_settings settings;
};

/* Joins the config file names for an error message: "a.yaml, b.yaml". Caller frees. */
static char *file_list(const char *const *files, size_t count)
{
    gr_buf out = GR_BUF_INIT;

    for (size_t i = 0; i < count; i++)
        gr_buf_printf(&out, "%s%s", i > 0 ? ", " : "", files[i]);
    return gr_buf_detach(&out);
}

int gr_catalog_validate_rules_load(gr_catalog_validate_rules **out, const char *const *files,
                                   size_t count)
{
    gr_catalog_validate_rules *rules = gr_xcalloc(1, sizeof(*rules));
    gr_config_schema *schema = NULL;
    int rc;

    *out = NULL;
    rc = gr_config_schema_builtin(&schema);
    if (rc == GR_OK)
        rc = gr_config_load_section(&rules->config, files, count, schema, "catalog");
    gr_config_schema_free(schema);
    if (rc != GR_OK) {
        gr_catalog_validate_rules_free(rules);
        return rc;
    }

    /* The config loader checks types only, so the engine's reader finds the other mistakes. */
    rc = gr_catalog__settings_read(&rules->settings, gr_config_node(rules->config, ""));
    if (rc != GR_OK) {
        char *names = file_list(files, count);

        gr_error_wrap(rc, "%s", names);
        free(names);
        gr_config_free(rules->config);
        free(rules);
        return rc;
    }
    *out = rules;
    return GR_OK;
}

void gr_catalog_validate_rules_free(gr_catalog_validate_rules *rules)
{
    if (rules == NULL)
        return;
    gr_catalog__settings_free(&rules->settings);
    gr_config_free(rules->config);
    free(rules);
}

/*
 * True when a glob target matches the file at `real_path`. The engine walks the glob from
 * its folder before the first glob character, so that folder is resolved like the file,
 * and a symbolic link in it does not hide the match.
 */
static bool glob_names_file(const char *pattern, const char *real_path)
{
    const char *first_glob = strpbrk(pattern, "*?[");
    const char *slash = first_glob;
    char real_folder[PATH_MAX];
    char *folder;
    char *resolved;
    bool match;

    while (slash > pattern && *slash != '/')
        slash--;
    folder = slash > pattern ? gr_xstrndup(pattern, (size_t)(slash - pattern)) : gr_xstrdup("/");
    if (realpath(folder, real_folder) == NULL) {
        free(folder);
        return false;
    }
    resolved = gr_xasprintf("%s%s", strcmp(real_folder, "/") == 0 ? "" : real_folder, slash);
    match = gr_catalog__glob_match(resolved, real_path, false);
    free(resolved);
    free(folder);
    return match;
}

/* True when a file location's target names the file at `real_path`: the same file after
 * symbolic links are resolved, or a glob that matches it. */
static bool target_names_file(const char *target, const char *real_path)
{
    char real_target[PATH_MAX];

    if (gr_catalog__has_glob(target))
        return glob_names_file(target, real_path);
    return realpath(target, real_target) != NULL && strcmp(real_target, real_path) == 0;
}

static void origins_push(gr_catalog_validate_origins *out, const char *target, long config_index)
{
    out->items = gr_xrealloc(out->items, (out->count + 1) * sizeof(*out->items));
    out->items[out->count].target = gr_xstrdup(target);
    out->items[out->count].config_index = config_index;
    out->count++;
}

void gr_catalog_validate_rules_origins(const gr_catalog_validate_rules *rules,
                                       const char *real_path, gr_catalog_validate_origins *out)
{
    const gr_catalog_settings *settings = &rules->settings;
    size_t found = 0;

    /* TODO: url and git entries of catalog.locations never match, although one of them may
     * read the same file from its repository. */
    for (size_t i = 0; i < settings->location_count; i++) {
        const gr_catalog_config_location *location = &settings->locations[i];

        if (strcmp(location->type, "file") != 0 || !target_names_file(location->target, real_path))
            continue;
        origins_push(out, location->target, (long)i);
        found++;
    }
    if (found == 0)
        origins_push(out, real_path, -1);
}

void gr_catalog_validate_origins_free(gr_catalog_validate_origins *origins)
{
    if (origins == NULL)
        return;
    for (size_t i = 0; i < origins->count; i++)
        free(origins->items[i].target);
    free(origins->items);
    origins->items = NULL;
    origins->count = 0;
}

/* Appends a config key and where it was written: "catalog.rules (app-config.yaml:12)". */
static void append_key(const gr_config *config, const char *path, gr_buf *out)
{
    const char *file = NULL;
    int line = 0;

    gr_buf_puts(out, path);
    if (gr_config_origin(config, path, &file, &line) != GR_OK || file == NULL)
        return;
    if (line > 0)
        gr_buf_printf(out, " (%s:%d)", file, line);
    else
        gr_buf_printf(out, " (%s)", file);
}

/* True when some rule allows a kind for one spec.type only, so that the type matters. */
static bool rules_name_spec_types(const gr_catalog_settings *settings)
{
    for (size_t i = 0; i < settings->rule_count; i++) {
        for (size_t k = 0; k < settings->rules[i].allow_count; k++) {
            if (settings->rules[i].allow[k].spec_type != NULL)
                return true;
        }
    }
    return false;
}

static void report_not_allowed(const gr_catalog_validate_rules *rules,
                               const gr_catalog_validate_origin *origin, const json_t *entity,
                               gr_model_problems *problems)
{
    const json_t *kind_value = json_object_get(entity, "kind");
    const char *kind = json_string_value(kind_value);
    const char *spec_type =
        json_string_value(json_object_get(json_object_get(entity, "spec"), "type"));
    char *allowed = gr_catalog__rules_allowed_text(&rules->settings, "file", origin->target);
    char *value = gr_model_value_text(kind_value);
    char location_rules[64];
    bool has_location_rules = false;
    gr_buf message = GR_BUF_INIT;

    if (origin->config_index >= 0) {
        snprintf(location_rules, sizeof(location_rules), "catalog.locations[%ld].rules",
                 origin->config_index);
        has_location_rules = gr_config_node(rules->config, location_rules) != NULL;
    }

    gr_buf_printf(&message, "kind %s", kind);
    if (spec_type != NULL && rules_name_spec_types(&rules->settings))
        gr_buf_printf(&message, " with spec.type %s", spec_type);
    gr_buf_puts(&message, " is not allowed by ");
    if (gr_config_node(rules->config, "catalog.rules") != NULL)
        append_key(rules->config, "catalog.rules", &message);
    else
        gr_buf_puts(&message, "Backstage's default rules, which apply because catalog.rules is "
                              "not set");
    if (has_location_rules) {
        gr_buf_puts(&message, " or ");
        append_key(rules->config, location_rules, &message);
    }

    gr_buf_puts(&message, ". The rules for ");
    if (origin->config_index >= 0)
        gr_buf_printf(&message, "catalog.locations[%ld] (file:%s)", origin->config_index,
                      origin->target);
    else
        gr_buf_printf(&message, "location file:%s", origin->target);
    gr_buf_printf(&message, " allow %s. ", allowed[0] ? allowed : "no kind");
    if (origin->config_index >= 0)
        gr_buf_printf(&message, "Add %s to catalog.rules or to catalog.locations[%ld].rules.", kind,
                      origin->config_index);
    else
        gr_buf_printf(&message,
                      "Add %s to catalog.rules, or add an entry for file:%s to catalog.locations "
                      "with rules that allow %s.",
                      kind, origin->target, kind);

    gr_model_problems_add(problems, "/kind", "catalog-rules", value, "%s", gr_buf_cstr(&message));
    gr_buf_free(&message);
    free(value);
    free(allowed);
}

void gr_catalog_validate_rules_check(const gr_catalog_validate_rules *rules,
                                     const gr_catalog_validate_origins *origins,
                                     const json_t *entity, gr_model_problems *problems)
{
    const char *kind = json_string_value(json_object_get(entity, "kind"));
    const char *spec_type =
        json_string_value(json_object_get(json_object_get(entity, "spec"), "type"));

    for (size_t i = 0; i < origins->count; i++) {
        if (!gr_catalog__rules_allow(&rules->settings, kind, spec_type, "file",
                                     origins->items[i].target))
            report_not_allowed(rules, &origins->items[i], entity, problems);
    }
}
