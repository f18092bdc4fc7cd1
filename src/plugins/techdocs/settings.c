/* SPDX-License-Identifier: MIT */
/* The techdocs.* settings greenroom reads, their declarations for the plugin ABI and their checks. */
#include "plugins/techdocs/settings.h"

#include <string.h>

#include "host/common/error.h"
#include "host/log/log.h"

/* Turns Backstage's duration object ({days, hours, minutes, seconds,
 * milliseconds}) into milliseconds, so readers see one integer. */
static int check_duration(json_t **value, gr_buf *message)
{
    static const struct {
        const char *unit;
        json_int_t ms;
    } units[] = {{"milliseconds", 1}, {"seconds", 1000},      {"minutes", 60000},
                 {"hours", 3600000},  {"days", 86400000},     {"weeks", 604800000}};
    json_int_t total = 0;
    const char *key;
    json_t *item;

    if (json_is_integer(*value)) {
        if (json_integer_value(*value) < 0) {
            gr_buf_puts(message, "must not be negative");
            return -1;
        }
        return 0;
    }
    json_object_foreach(*value, key, item)
    {
        size_t i = 0;

        while (i < sizeof(units) / sizeof(units[0]) && strcmp(units[i].unit, key) != 0)
            i++;
        if (i == sizeof(units) / sizeof(units[0]) || !json_is_integer(item) ||
            json_integer_value(item) < 0) {
            gr_buf_printf(message,
                          "must be milliseconds or an object of non-negative whole "
                          "milliseconds, seconds, minutes, hours, days or weeks; '%s' is not one",
                          key);
            return -1;
        }
        total += json_integer_value(item) * units[i].ms;
    }
    *value = json_integer(total);
    return 0;
}

static int check_positive(json_t **value, gr_buf *message)
{
    if (json_integer_value(*value) < 1) {
        gr_buf_puts(message, "must be at least 1");
        return -1;
    }
    return 0;
}

static int check_workers(json_t **value, gr_buf *message)
{
    json_int_t workers = json_integer_value(*value);

    if (workers < 1 || workers > GR_TECHDOCS_WORKERS_MAX) {
        gr_buf_printf(message, "must be from 1 to %d", GR_TECHDOCS_WORKERS_MAX);
        return -1;
    }
    return 0;
}

static int check_wait(json_t **value, gr_buf *message)
{
    json_int_t wait = json_integer_value(*value);

    if (wait < 0 || wait > GR_TECHDOCS_WAIT_MAX_MS) {
        gr_buf_printf(message, "must be from 0 to %d milliseconds", GR_TECHDOCS_WAIT_MAX_MS);
        return -1;
    }
    return 0;
}

static const char *const builders[] = {"local", "external", NULL};
static const char *const run_in[] = {"local", "docker", NULL};
static const char *const publishers[] = {"database", "local", NULL};

const gr_plugin_config_key gr_techdocs_top_config_keys[] = {
    {
        .path = "techdocs.builder",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"local\"",
        .allowed = builders,
        .description = "Who builds docs sites. local: greenroom builds an entity's site from "
                       "its backstage.io/techdocs-ref source when the docs are first viewed, "
                       "and rebuilds it when the source changes. external: greenroom only "
                       "serves sites published with `greenroom techdocs publish` (for "
                       "example from CI).",
    },
    {
        .path = "techdocs.generator.runIn",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"local\"",
        .allowed = run_in,
        .description = "Accepted for Backstage configs. greenroom has no MkDocs container: "
                       "its builder runs inside the server process for both values, so "
                       "docker behaves as local.",
    },
    {
        .path = "techdocs.publisher.type",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"database\"",
        .allowed = publishers,
        .description = "Where built sites are stored. database: in the techdocs_files table, "
                       "so every instance that shares the database serves the same docs. "
                       "local: under techdocs.publisher.local.publishDirectory, laid out as "
                       "Backstage's local publisher does (<namespace>/<kind>/<name>/).",
    },
    {
        .path = "techdocs.publisher.local.publishDirectory",
        .types = GR_PLUGIN_CONFIG_STRING,
        .default_json = "\"./data/techdocs\"",
        .description = "Folder of the local publisher, relative to the working directory. "
                       "Used when techdocs.publisher.type is local.",
    },
    {
        .path = "techdocs.cache.ttl",
        .types = GR_PLUGIN_CONFIG_INTEGER | GR_PLUGIN_CONFIG_OBJECT,
        .description = "How long served site files are kept in memory, in milliseconds or "
                       "as a duration object such as {minutes: 10}. Unset: every request "
                       "reads the store. Another instance's rebuild shows here after at most "
                       "this time; this instance's own builds clear the cache at once.",
    },
    {
        .path = "techdocs.build.workers",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "2",
        .description = "Build threads per instance, so at most this many sites build at once "
                       "here.",
    },
    {
        .path = "techdocs.build.waitMs",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "3000",
        .description = "How long a page request waits for a site's first build before it "
                       "shows a \"building\" notice that reloads itself, in milliseconds "
                       "(at most 30000).",
    },
    {
        .path = "techdocs.build.leaseMs",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "600000",
        .description = "How long one instance keeps the lease of a site while building it, in "
                       "milliseconds. When an instance dies mid-build, another one builds "
                       "the site after this time; a build that runs longer may be repeated.",
    },
    {
        .path = "techdocs.build.checkIntervalMs",
        .types = GR_PLUGIN_CONFIG_INTEGER,
        .default_json = "60000",
        .description = "Minimum time between two comparisons of a site's source with the "
                       "built site, in milliseconds. A view or a sync request after that "
                       "time hashes the docs folder and rebuilds when it changed.",
    },
    {
        .path = "techdocs.build.prebuild",
        .types = GR_PLUGIN_CONFIG_BOOLEAN,
        .default_json = "false",
        .description = "With the local builder, build the docs of every documented entity that "
                       "has no site yet, a few seconds after start and then every minute, so "
                       "search finds their pages before anyone opens them. Off: a site is "
                       "built on its first view or sync, as in Backstage.",
    },
    {.path = NULL},
};

const gr_config_key gr_techdocs_config_checks[] = {
    {.path = "techdocs.cache.ttl", .check = check_duration},
    {.path = "techdocs.build.workers", .check = check_workers},
    {.path = "techdocs.build.waitMs", .check = check_wait},
    {.path = "techdocs.build.leaseMs", .check = check_positive},
    {.path = "techdocs.build.checkIntervalMs", .check = check_positive},
    {.path = NULL},
};

int gr_techdocs_settings_read(const gr_config *cfg, gr_techdocs_settings *out)
{
    const char *builder = cfg ? gr_config_string(cfg, "techdocs.builder", "local") : "local";
    const char *publisher =
        cfg ? gr_config_string(cfg, "techdocs.publisher.type", "database") : "database";
    const char *runner =
        cfg ? gr_config_string(cfg, "techdocs.generator.runIn", "local") : "local";

    memset(out, 0, sizeof(*out));
    out->external = strcmp(builder, "external") == 0;
    out->store = strcmp(publisher, "local") == 0 ? GR_TECHDOCS_STORE_FOLDER
                                                  : GR_TECHDOCS_STORE_DATABASE;
    out->publish_directory =
        cfg ? gr_config_string(cfg, "techdocs.publisher.local.publishDirectory", "./data/techdocs")
            : "./data/techdocs";
    out->workers = cfg ? (int)gr_config_int(cfg, "techdocs.build.workers",
                                            GR_TECHDOCS_WORKERS_DEFAULT)
                       : GR_TECHDOCS_WORKERS_DEFAULT;
    out->wait_ms = cfg ? gr_config_int(cfg, "techdocs.build.waitMs", GR_TECHDOCS_WAIT_DEFAULT_MS)
                       : GR_TECHDOCS_WAIT_DEFAULT_MS;
    out->lease_ms = cfg ? gr_config_int(cfg, "techdocs.build.leaseMs", GR_TECHDOCS_LEASE_DEFAULT_MS)
                        : GR_TECHDOCS_LEASE_DEFAULT_MS;
    out->check_interval_ms =
        cfg ? gr_config_int(cfg, "techdocs.build.checkIntervalMs", GR_TECHDOCS_CHECK_DEFAULT_MS)
            : GR_TECHDOCS_CHECK_DEFAULT_MS;
    out->cache_ttl_ms = cfg ? gr_config_int(cfg, "techdocs.cache.ttl", 0) : 0;
    out->prebuild = cfg ? gr_config_bool(cfg, "techdocs.build.prebuild", 0) : 0;
    if (!out->external && strcmp(runner, "docker") == 0)
        gr_info("techdocs", "techdocs.generator.runIn is docker, but greenroom builds docs "
                            "in-process without MkDocs or a container");
    return GR_OK;
}
