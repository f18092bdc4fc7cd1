/* SPDX-License-Identifier: MIT */
/* Catalog engine settings read from the app config: locations, rules, integrations, limits. */
#include "plugins/catalog/engine/settings.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/read.h"
#include "plugins/catalog/engine/util.h"

/* Processing workers when catalog.processingWorkers is absent: one more than the
 * processors, kept between 2 and 4. Each worker waits for the single SQLite writer part
 * of its time, and on 2 processors a first load of 100,000 entities took about 20 s with 3
 * workers against about 22 s with 2 (4 took 23 s). */
#define WORKERS_DEFAULT_MIN 2
#define WORKERS_DEFAULT_MAX 4

static const json_t *node_at(const json_t *root, const char *a, const char *b)
{
    const json_t *node = json_is_object(root) ? json_object_get(root, a) : NULL;

    if (b != NULL)
        node = json_is_object(node) ? json_object_get(node, b) : NULL;
    return node;
}

static char *dup_or_null(const json_t *value)
{
    return json_is_string(value) ? gr_xstrdup(json_string_value(value)) : NULL;
}

static char *trim_slash(char *url)
{
    size_t len = url ? strlen(url) : 0;

    while (len > 0 && url[len - 1] == '/')
        url[--len] = '\0';
    return url;
}

/* Makes a file target absolute against the working directory, without "." and ".." segments,
 * as Backstage's ConfigLocationEntityProvider resolves it with Node.js's path.resolve(). */
static char *absolute_path(const char *path)
{
    char cwd[PATH_MAX];

    if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
        return gr_catalog__normalize_path(gr_xstrdup(path));
    return gr_catalog__normalize_path(gr_xasprintf("%s/%s", cwd, path));
}

/* Returns the milliseconds of a unit word ("ms", "s", "seconds", "m", "h", "d"), or -1. */
static int64_t unit_ms(const char *word, size_t len)
{
    static const struct {
        const char *name;
        int64_t ms;
    } names[] = {
        {"ms", 1},         {"milliseconds", 1}, {"s", 1000},        {"sec", 1000},
        {"seconds", 1000}, {"second", 1000},    {"m", 60000},       {"min", 60000},
        {"minutes", 60000}, {"minute", 60000},  {"h", 3600000},     {"hours", 3600000},
        {"hour", 3600000}, {"d", 86400000},     {"days", 86400000}, {"day", 86400000},
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == len && strncasecmp(names[i].name, word, len) == 0)
            return names[i].ms;
    }
    return -1;
}

/* Maximum duration that duration_ms() reads, in ms: a year. It keeps the sum of the parts
 * and 1.5 times a refresh interval within int64_t. */
#define DURATION_MAX_MS 31536000000.0

/* Adds `count` units of `unit` ms to *total. Returns false for a negative or non-finite part, or
 * a total past DURATION_MAX_MS. */
static bool add_part(double *total, double count, int64_t unit)
{
    double part = count * (double)unit;

    if (!isfinite(part) || part < 0)
        return false;
    *total += part;
    return *total <= DURATION_MAX_MS;
}

/*
 * Reads a Backstage duration: an object of years, months, weeks, days,
 * hours, minutes, seconds and milliseconds, or a string such as "90s",
 * "2m", "1h" or the ISO 8601 form "PT1M30S". Returns milliseconds, or -1 for
 * a value without a part, with a negative part, or longer than DURATION_MAX_MS.
 */
static int64_t duration_ms(const json_t *value)
{
    static const struct {
        const char *key;
        int64_t ms;
    } units[] = {
        {"years", 31536000000LL}, {"months", 2592000000LL}, {"weeks", 604800000LL},
        {"days", 86400000LL},     {"hours", 3600000LL},     {"minutes", 60000LL},
        {"seconds", 1000LL},      {"milliseconds", 1LL},
    };
    double total = 0;
    size_t parts = 0;

    if (json_is_object(value)) {
        const char *key;
        const json_t *item;

        json_object_foreach ((json_t *)value, key, item) {
            size_t i;

            for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (strcmp(key, units[i].key) == 0)
                    break;
            }
            if (i == sizeof(units) / sizeof(units[0]) || !json_is_number(item) ||
                !add_part(&total, json_number_value(item), units[i].ms))
                return -1;
            parts++;
        }
        return parts > 0 ? (int64_t)total : -1;
    }
    if (json_is_string(value)) {
        const char *p = json_string_value(value);
        bool iso = *p == 'P' || *p == 'p';

        if (iso)
            p++;
        while (*p != '\0') {
            char *end;
            double number;
            const char *word;
            int64_t unit;

            if (iso && (*p == 'T' || *p == 't')) {
                p++;
                continue;
            }
            number = strtod(p, &end);
            if (end == p)
                return -1;
            for (p = end; *p == ' '; p++)
                ;
            for (word = p; isalpha((unsigned char)*p) && !(iso && p > word); p++)
                ;
            unit = unit_ms(word, (size_t)(p - word));
            if (unit < 0 || !add_part(&total, number, unit))
                return -1;
            parts++;
            while (*p == ' ' || *p == ',')
                p++;
        }
        return parts > 0 ? (int64_t)total : -1;
    }
    return -1;
}

#define INTERVAL_INVALID                                                                           \
    "invalid duration; use false or an object such as {minutes: 2}, up to a year"

int gr_catalog__interval_check(json_t **value, gr_buf *message)
{
    if (json_is_false(*value) || json_is_null(*value) || duration_ms(*value) >= 0)
        return GR_OK;
    gr_buf_puts(message, INTERVAL_INVALID);
    return GR_EINVALID;
}

static int read_interval(gr_catalog_settings *out, const json_t *config)
{
    const json_t *value = node_at(node_at(config, "catalog", NULL), "processingInterval", NULL);
    int64_t ms;

    out->interval_min_ms = GR_CATALOG_INTERVAL_MIN_DEFAULT_MS;
    out->interval_max_ms = GR_CATALOG_INTERVAL_MAX_DEFAULT_MS;
    if (value == NULL || json_is_null(value))
        return GR_OK;
    if (json_is_false(value)) {
        out->processing_disabled = true;
        return GR_OK;
    }
    ms = duration_ms(value);
    if (ms < 0)
        return gr_error_set(GR_EINVALID, "catalog.processingInterval: " INTERVAL_INVALID);
    /* As Backstage: whole seconds, at least one, and up to 1.5 times that. */
    ms = (ms + 500) / 1000 * 1000;
    if (ms < 1000)
        ms = 1000;
    out->interval_min_ms = ms;
    out->interval_max_ms = ms + ms / 2;
    return GR_OK;
}

static int read_rule_kinds(gr_catalog_rule *rule, const json_t *allow, const char *where)
{
    size_t index;
    const json_t *item;

    if (!json_is_array(allow))
        return gr_error_set(GR_EINVALID, "%s.allow: expected a list of kinds", where);
    rule->allow = gr_xcalloc(json_array_size(allow) + 1, sizeof(*rule->allow));
    json_array_foreach (allow, index, item) {
        gr_catalog_rule_kind *kind = &rule->allow[rule->allow_count];

        if (json_is_string(item)) {
            kind->kind = gr_xstrdup(json_string_value(item));
        } else if (json_is_object(item) && json_is_string(json_object_get(item, "kind"))) {
            kind->kind = dup_or_null(json_object_get(item, "kind"));
            kind->spec_type = dup_or_null(json_object_get(item, "spec.type"));
        } else {
            return gr_error_set(GR_EINVALID,
                                "%s.allow[%zu]: expected a kind or {kind, spec.type}", where,
                                index);
        }
        rule->allow_count++;
    }
    return GR_OK;
}

static char *canonical_target(const char *type, const char *target);

static int read_rule_locations(gr_catalog_rule *rule, const json_t *locations, const char *where)
{
    size_t index;
    const json_t *item;

    if (locations == NULL)
        return GR_OK;
    if (!json_is_array(locations))
        return gr_error_set(GR_EINVALID, "%s.locations: expected a list", where);
    rule->locations = gr_xcalloc(json_array_size(locations) + 1, sizeof(*rule->locations));
    json_array_foreach (locations, index, item) {
        gr_catalog_rule_location *location = &rule->locations[rule->location_count];
        const json_t *type = json_object_get(item, "type");

        if (!json_is_string(type))
            return gr_error_set(GR_EINVALID, "%s.locations[%zu].type: missing", where, index);
        location->type = gr_xstrdup(json_string_value(type));
        location->pattern = dup_or_null(json_object_get(item, "pattern"));
        if (json_is_string(json_object_get(item, "exact")))
            location->exact =
                canonical_target(location->type, json_string_value(json_object_get(item, "exact")));
        rule->location_count++;
        if (location->exact != NULL && location->pattern != NULL)
            return gr_error_set(GR_EINVALID,
                                "%s.locations[%zu]: a catalog rule location cannot have both "
                                "exact and pattern values",
                                where, index);
    }
    return GR_OK;
}

static gr_catalog_rule *rule_push(gr_catalog_settings *out)
{
    out->rules = gr_xrealloc(out->rules, (out->rule_count + 1) * sizeof(*out->rules));
    memset(&out->rules[out->rule_count], 0, sizeof(*out->rules));
    return &out->rules[out->rule_count++];
}

static int read_rules(gr_catalog_settings *out, const json_t *catalog)
{
    const json_t *rules = node_at(catalog, "rules", NULL);
    size_t index;
    const json_t *item;
    int rc;

    if (rules == NULL) {
        /* Backstage's default: Component, API and Location from every location. */
        static const char *const kinds[] = {"Component", "API", "Location"};
        gr_catalog_rule *rule = rule_push(out);

        rule->allow = gr_xcalloc(3, sizeof(*rule->allow));
        for (size_t i = 0; i < 3; i++)
            rule->allow[i].kind = gr_xstrdup(kinds[i]);
        rule->allow_count = 3;
        return GR_OK;
    }
    if (!json_is_array(rules))
        return gr_error_set(GR_EINVALID, "catalog.rules: expected a list of {allow: [...]}");
    json_array_foreach (rules, index, item) {
        char where[64];
        gr_catalog_rule *rule = rule_push(out);

        snprintf(where, sizeof(where), "catalog.rules[%zu]", index);
        rc = read_rule_kinds(rule, json_object_get(item, "allow"), where);
        if (rc == GR_OK)
            rc = read_rule_locations(rule, json_object_get(item, "locations"), where);
        if (rc != GR_OK)
            return rc;
    }
    return GR_OK;
}

static int read_locations(gr_catalog_settings *out, const json_t *catalog)
{
    const json_t *locations = node_at(catalog, "locations", NULL);
    size_t index;
    const json_t *item;
    int rc;

    if (locations == NULL)
        return GR_OK;
    if (!json_is_array(locations))
        return gr_error_set(GR_EINVALID, "catalog.locations: expected a list of {type, target}");
    out->locations = gr_xcalloc(json_array_size(locations) + 1, sizeof(*out->locations));
    json_array_foreach (locations, index, item) {
        const json_t *type = json_object_get(item, "type");
        const json_t *target = json_object_get(item, "target");
        const json_t *rules = json_object_get(item, "rules");
        gr_catalog_config_location *location = &out->locations[out->location_count];

        if (!json_is_string(type) || !json_is_string(target))
            return gr_error_set(GR_EINVALID,
                                "catalog.locations[%zu]: both type and target must be strings",
                                index);
        location->type = gr_xstrdup(json_string_value(type));
        if (strcmp(location->type, "file") == 0)
            location->target = absolute_path(json_string_value(target));
        else
            location->target = gr_xstrdup(json_string_value(target));
        out->location_count++;

        if (rules == NULL)
            continue;
        if (!json_is_array(rules))
            return gr_error_set(GR_EINVALID, "catalog.locations[%zu].rules: expected a list",
                                index);
        for (size_t r = 0; r < json_array_size(rules); r++) {
            char where[80];
            gr_catalog_rule *rule = rule_push(out);

            snprintf(where, sizeof(where), "catalog.locations[%zu].rules[%zu]", index, r);
            rc = read_rule_kinds(rule, json_object_get(json_array_get(rules, r), "allow"), where);
            if (rc != GR_OK)
                return rc;
            rule->locations = gr_xcalloc(1, sizeof(*rule->locations));
            rule->locations[0].type = gr_xstrdup(location->type);
            rule->locations[0].exact = canonical_target(location->type, location->target);
            rule->location_count = 1;
        }
    }
    return GR_OK;
}

static int read_integrations(gr_catalog_integration **list, size_t *count, const json_t *items,
                             const char *name)
{
    size_t index;
    const json_t *item;
    bool has_default = false;
    const char *default_host = strcmp(name, "github") == 0 ? "github.com" : "gitlab.com";

    if (items != NULL && !json_is_array(items))
        return gr_error_set(GR_EINVALID, "integrations.%s: expected a list", name);
    *list = gr_xcalloc(json_array_size(items) + 2, sizeof(**list));
    json_array_foreach (items, index, item) {
        gr_catalog_integration *integration = &(*list)[*count];
        const json_t *host = json_object_get(item, "host");

        integration->host = gr_xstrdup(json_is_string(host) ? json_string_value(host) : default_host);
        integration->token = dup_or_null(json_object_get(item, "token"));
        integration->api_base_url = trim_slash(dup_or_null(json_object_get(item, "apiBaseUrl")));
        integration->raw_base_url = trim_slash(dup_or_null(json_object_get(item, "rawBaseUrl")));
        if (integration->token != NULL) {
            /* Backstage trims the token, since it often comes from a file. */
            char *end = integration->token + strlen(integration->token);

            while (end > integration->token && isspace((unsigned char)end[-1]))
                *--end = '\0';
        }
        if (strcmp(integration->host, default_host) == 0)
            has_default = true;
        (*count)++;
    }
    if (!has_default) {
        gr_catalog_integration *integration = &(*list)[(*count)++];

        integration->host = gr_xstrdup(default_host);
    }
    for (size_t i = 0; i < *count; i++) {
        gr_catalog_integration *integration = &(*list)[i];

        if (strcmp(name, "github") == 0 && strcmp(integration->host, "github.com") == 0) {
            if (integration->api_base_url == NULL)
                integration->api_base_url = gr_xstrdup("https://api.github.com");
            if (integration->raw_base_url == NULL)
                integration->raw_base_url = gr_xstrdup("https://raw.githubusercontent.com");
        }
        if (strcmp(name, "gitlab") == 0 && integration->api_base_url == NULL)
            integration->api_base_url = gr_xasprintf("https://%s/api/v4", integration->host);
    }
    return GR_OK;
}

static int read_allow(gr_catalog_settings *out, const json_t *config)
{
    const json_t *allow = node_at(node_at(config, "backend", "reading"), "allow", NULL);
    size_t index;
    const json_t *item;

    if (allow == NULL)
        return GR_OK;
    if (!json_is_array(allow))
        return gr_error_set(GR_EINVALID, "backend.reading.allow: expected a list of {host}");
    out->read_allow = gr_xcalloc(json_array_size(allow) + 1, sizeof(*out->read_allow));
    json_array_foreach (allow, index, item) {
        gr_catalog_read_allow *entry = &out->read_allow[out->read_allow_count];
        const json_t *host = json_object_get(item, "host");
        const json_t *paths = json_object_get(item, "paths");

        if (!json_is_string(host))
            return gr_error_set(GR_EINVALID, "backend.reading.allow[%zu].host: missing", index);
        entry->host = gr_xstrdup(json_string_value(host));
        out->read_allow_count++;
        if (json_is_array(paths)) {
            entry->paths = gr_xcalloc(json_array_size(paths) + 1, sizeof(char *));
            for (size_t i = 0; i < json_array_size(paths); i++) {
                const json_t *path = json_array_get(paths, i);

                if (json_is_string(path))
                    entry->paths[entry->path_count++] = gr_xstrdup(json_string_value(path));
            }
        }
    }
    return GR_OK;
}

static int read_allowed_types(gr_catalog_settings *out, const json_t *catalog)
{
    const json_t *types = node_at(catalog, "allowedLocationTypes", NULL);
    size_t index;
    const json_t *item;

    if (types == NULL) {
        out->allowed_types = gr_xcalloc(1, sizeof(char *));
        out->allowed_types[0] = gr_xstrdup("url");
        out->allowed_type_count = 1;
        return GR_OK;
    }
    if (!json_is_array(types))
        return gr_error_set(GR_EINVALID,
                            "catalog.allowedLocationTypes: expected a list such as [url, git]");
    out->allowed_types = gr_xcalloc(json_array_size(types) + 1, sizeof(char *));
    json_array_foreach (types, index, item) {
        if (!json_is_string(item))
            return gr_error_set(GR_EINVALID, "catalog.allowedLocationTypes[%zu]: expected a string",
                                index);
        out->allowed_types[out->allowed_type_count++] = gr_xstrdup(json_string_value(item));
    }
    return GR_OK;
}

bool gr_catalog__type_allowed(const gr_catalog_settings *settings, const char *type)
{
    for (size_t i = 0; i < settings->allowed_type_count; i++) {
        if (strcmp(settings->allowed_types[i], type) == 0)
            return true;
    }
    return false;
}

char *gr_catalog__allowed_types_text(const gr_catalog_settings *settings)
{
    json_t *list = json_array();
    char *text;

    for (size_t i = 0; i < settings->allowed_type_count; i++)
        json_array_append_new(list, json_string(settings->allowed_types[i]));
    text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    return text ? text : gr_xstrdup("[]");
}

static bool workers_valid(const json_t *value)
{
    return json_is_integer(value) && json_integer_value(value) >= 1 &&
           json_integer_value(value) <= GR_CATALOG_WORKERS_MAX;
}

int gr_catalog__workers_check(json_t **value, gr_buf *message)
{
    if (workers_valid(*value))
        return GR_OK;
    gr_buf_printf(message, "expected an integer from 1 to %d", GR_CATALOG_WORKERS_MAX);
    return GR_EINVALID;
}

int gr_catalog__settings_read(gr_catalog_settings *out, const json_t *config)
{
    const json_t *catalog = node_at(config, "catalog", NULL);
    const json_t *workers = node_at(catalog, "processingWorkers", NULL);
    const json_t *orphans = node_at(catalog, "orphanStrategy", NULL);
    const json_t *readonly = node_at(catalog, "readonly", NULL);
    const json_t *integrations = node_at(config, "integrations", NULL);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int rc;

    memset(out, 0, sizeof(*out));
    out->read_max_bytes = GR_CATALOG_READ_MAX_BYTES;
    out->read_timeout_ms = GR_CATALOG_READ_TIMEOUT_MS;
    out->glob_max_entries = GR_CATALOG_GLOB_MAX_ENTRIES;
    out->workers = (int)(cpus + 1 < WORKERS_DEFAULT_MIN   ? WORKERS_DEFAULT_MIN
                         : cpus + 1 > WORKERS_DEFAULT_MAX ? WORKERS_DEFAULT_MAX
                                                          : cpus + 1);
    if (workers != NULL) {
        if (!workers_valid(workers))
            return gr_error_set(GR_EINVALID,
                                "catalog.processingWorkers: expected an integer from 1 to %d",
                                GR_CATALOG_WORKERS_MAX);
        out->workers = (int)json_integer_value(workers);
    }
    if (orphans != NULL) {
        if (!json_is_string(orphans) || (strcmp(json_string_value(orphans), "keep") != 0 &&
                                         strcmp(json_string_value(orphans), "delete") != 0))
            return gr_error_set(GR_EINVALID,
                                "catalog.orphanStrategy: expected 'keep' or 'delete'");
        out->orphan_delete = strcmp(json_string_value(orphans), "delete") == 0;
    }
    if (readonly != NULL) {
        if (!json_is_boolean(readonly))
            return gr_error_set(GR_EINVALID, "catalog.readonly: expected true or false");
        out->readonly = json_is_true(readonly);
    }
    rc = read_interval(out, config);
    if (rc == GR_OK)
        rc = read_rules(out, catalog);
    if (rc == GR_OK)
        rc = read_locations(out, catalog);
    if (rc == GR_OK)
        rc = read_integrations(&out->github, &out->github_count,
                               node_at(integrations, "github", NULL), "github");
    if (rc == GR_OK)
        rc = read_integrations(&out->gitlab, &out->gitlab_count,
                               node_at(integrations, "gitlab", NULL), "gitlab");
    if (rc == GR_OK)
        rc = read_allow(out, config);
    if (rc == GR_OK)
        rc = read_allowed_types(out, catalog);
    if (rc != GR_OK)
        gr_catalog__settings_free(out);
    return rc;
}

static void integrations_free(gr_catalog_integration *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(list[i].host);
        free(list[i].token);
        free(list[i].api_base_url);
        free(list[i].raw_base_url);
    }
    free(list);
}

void gr_catalog__settings_free(gr_catalog_settings *settings)
{
    if (settings == NULL)
        return;
    for (size_t i = 0; i < settings->rule_count; i++) {
        gr_catalog_rule *rule = &settings->rules[i];

        for (size_t k = 0; k < rule->allow_count; k++) {
            free(rule->allow[k].kind);
            free(rule->allow[k].spec_type);
        }
        for (size_t k = 0; k < rule->location_count; k++) {
            free(rule->locations[k].type);
            free(rule->locations[k].exact);
            free(rule->locations[k].pattern);
        }
        free(rule->allow);
        free(rule->locations);
    }
    free(settings->rules);
    for (size_t i = 0; i < settings->location_count; i++) {
        free(settings->locations[i].type);
        free(settings->locations[i].target);
    }
    free(settings->locations);
    integrations_free(settings->github, settings->github_count);
    integrations_free(settings->gitlab, settings->gitlab_count);
    for (size_t i = 0; i < settings->read_allow_count; i++) {
        for (size_t k = 0; k < settings->read_allow[i].path_count; k++)
            free(settings->read_allow[i].paths[k]);
        free(settings->read_allow[i].paths);
        free(settings->read_allow[i].host);
    }
    free(settings->read_allow);
    for (size_t i = 0; i < settings->allowed_type_count; i++)
        free(settings->allowed_types[i]);
    free(settings->allowed_types);
    memset(settings, 0, sizeof(*settings));
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Returns the form in which rules compare URL targets, after Backstage's
 * canonicalUrlTarget: scheme and host in lower case, percent-encodings in
 * the path decoded and backslashes turned into '/', so that an encoded
 * path cannot pass for another location. Other types compare as written.
 */
static char *canonical_target(const char *type, const char *target)
{
    const char *scheme_end;
    const char *path;
    gr_buf out = GR_BUF_INIT;

    if (strcmp(type, "url") != 0)
        return gr_xstrdup(target);
    scheme_end = strstr(target, "://");
    if (scheme_end == NULL)
        return gr_xstrdup(target);
    path = strchr(scheme_end + 3, '/');
    if (path == NULL)
        path = target + strlen(target);
    for (const char *p = target; p < path; p++)
        gr_buf_putc(&out, (char)tolower((unsigned char)*p));
    for (const char *p = path; *p != '\0'; p++) {
        if (*p == '%' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
            gr_buf_putc(&out, (char)(hex_value(p[1]) * 16 + hex_value(p[2])));
            p += 2;
        } else {
            gr_buf_putc(&out, *p == '\\' ? '/' : *p);
        }
    }
    return gr_buf_detach(&out);
}

static bool rule_matches_location(const gr_catalog_rule *rule, const char *type,
                                  const char *canonical)
{
    if (rule->locations == NULL)
        return true;
    for (size_t i = 0; i < rule->location_count; i++) {
        const gr_catalog_rule_location *location = &rule->locations[i];

        if (type == NULL || strcmp(location->type, type) != 0)
            continue;
        if (location->exact != NULL && strcmp(location->exact, canonical) != 0)
            continue;
        if (location->pattern != NULL &&
            !gr_catalog__glob_match_dots(location->pattern, canonical, true))
            continue;
        return true;
    }
    return false;
}

bool gr_catalog__rules_allow(const gr_catalog_settings *settings, const char *kind,
                             const char *spec_type, const char *type, const char *target)
{
    char *canonical = canonical_target(type ? type : "", target ? target : "");
    bool allowed = false;

    for (size_t i = 0; i < settings->rule_count && !allowed; i++) {
        const gr_catalog_rule *rule = &settings->rules[i];

        if (!rule_matches_location(rule, type, canonical))
            continue;
        for (size_t k = 0; k < rule->allow_count && !allowed; k++) {
            const gr_catalog_rule_kind *allow = &rule->allow[k];

            if (kind == NULL || strcasecmp(allow->kind, kind) != 0)
                continue;
            if (allow->spec_type != NULL &&
                (spec_type == NULL || strcasecmp(allow->spec_type, spec_type) != 0))
                continue;
            allowed = true;
        }
    }
    free(canonical);
    return allowed;
}

static bool allow_listed_before(const gr_catalog_rule_kind *const *listed, size_t count,
                                const gr_catalog_rule_kind *allow)
{
    for (size_t i = 0; i < count; i++) {
        bool same_type = listed[i]->spec_type == NULL
                             ? allow->spec_type == NULL
                             : allow->spec_type != NULL &&
                                   strcasecmp(listed[i]->spec_type, allow->spec_type) == 0;

        if (same_type && strcasecmp(listed[i]->kind, allow->kind) == 0)
            return true;
    }
    return false;
}

char *gr_catalog__rules_allowed_text(const gr_catalog_settings *settings, const char *type,
                                     const char *target)
{
    char *canonical = canonical_target(type, target);
    const gr_catalog_rule_kind *listed[GR_CATALOG_ALLOWED_TEXT_MAX_KINDS];
    size_t listed_count = 0;
    bool more = false;
    gr_buf out = GR_BUF_INIT;

    /* At most GR_CATALOG_ALLOWED_TEXT_MAX_KINDS kinds are listed, so each repeat check is short. */
    for (size_t i = 0; i < settings->rule_count && !more; i++) {
        const gr_catalog_rule *rule = &settings->rules[i];

        if (!rule_matches_location(rule, type, canonical))
            continue;
        for (size_t k = 0; k < rule->allow_count && !more; k++) {
            const gr_catalog_rule_kind *allow = &rule->allow[k];

            if (allow_listed_before(listed, listed_count, allow))
                continue;
            if (listed_count == GR_CATALOG_ALLOWED_TEXT_MAX_KINDS) {
                more = true;
                continue;
            }
            listed[listed_count++] = allow;
            gr_buf_printf(&out, "%s%s", out.len > 0 ? ", " : "", allow->kind);
            if (allow->spec_type != NULL)
                gr_buf_printf(&out, " (spec.type %s)", allow->spec_type);
        }
    }
    if (more)
        gr_buf_puts(&out, " and other kinds");
    free(canonical);
    return out.data != NULL ? gr_buf_detach(&out) : gr_xstrdup("");
}

const gr_catalog_integration *gr_catalog__integration_find(const gr_catalog_integration *list,
                                                           size_t count, const char *host)
{
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(list[i].host, host) == 0)
            return &list[i];
    }
    return NULL;
}
