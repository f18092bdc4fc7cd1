/* SPDX-License-Identifier: MIT */
/* Fuzz target: app-config loading: YAML, ${VAR} substitution, $env, $file, $include, validation. */
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/common/alloc.h"
#include "host/common/buf.h"
#include "host/common/error.h"
#include "host/config/config.h"
#include "host/config/internal.h"
#include "host/log/log.h"

/*
 * Each input is written to app-config.yaml in a folder that also holds
 * include.yaml, include.json and secret.txt, so relative $include and
 * $file references resolve. A few environment variables are set for the
 * substitutions. The config is loaded with the schema of this binary, as
 * `greenroom serve` loads it, and when it loads, read back through the
 * accessors. A failed load must leave a message.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *folder;
static char *config_path;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_config: %s: %s\n", what, gr_error_last());
    abort();
}

static void write_file(const char *name, const char *text, size_t len)
{
    char *path = gr_xasprintf("%s/%s", folder, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0 || write(fd, text, len) != (ssize_t)len)
        fail("writing a config file");
    close(fd);
    free(path);
}

static void remove_files(void)
{
    static const char *const names[] = {"app-config.yaml", "include.yaml", "include.json",
                                        "secret.txt"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *path = gr_xasprintf("%s/%s", folder, names[i]);

        unlink(path);
        free(path);
    }
    rmdir(folder);
    free(folder);
    free(config_path);
}

static const gr_config_schema *setup(void)
{
    static gr_config_schema *schema;
    const char *tmp = getenv("TMPDIR");
    static const char include_yaml[] = "backend:\n  baseUrl: http://127.0.0.1:7007\n"
                                       "  listen: {port: 7007}\nnested: {a: {b: [1, 2]}}\n";
    static const char include_json[] = "{\"catalog\": {\"locations\": []}, \"n\": 1.5}";

    if (schema != NULL)
        return schema;
    gr_log_set_level(GR_LOG_ERROR);
    folder = gr_xasprintf("%s/gr-fuzz-config-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(folder) == NULL)
        fail("mkdtemp");
    config_path = gr_xasprintf("%s/app-config.yaml", folder);
    atexit(remove_files);
    write_file("include.yaml", include_yaml, sizeof(include_yaml) - 1);
    write_file("include.json", include_json, sizeof(include_json) - 1);
    write_file("secret.txt", "s3cr3t-value\n", 13);
    setenv("FUZZ_HOST", "127.0.0.1", 1);
    setenv("FUZZ_PORT", " 7007 ", 1);
    setenv("FUZZ_EMPTY", "", 1);
    setenv("FUZZ_TOKEN", "fuzz-static-token", 1);
    if (gr_config_schema_builtin(&schema) != GR_OK)
        fail("gr_config_schema_builtin");
    return schema;
}

/* Reads the loaded config the way the server's startup does. */
static void read_back(const gr_config *cfg)
{
    static const char *const paths[] = {"backend.baseUrl", "backend.listen.port",
                                        "backend.database.client", "catalog.locations[0].target",
                                        "auth.providers", "app.title", ""};
    json_t *masked = gr_config_masked(cfg);
    const char *file = NULL;
    int line = 0;

    if (masked == NULL)
        fail("a loaded config cannot be masked");
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        (void)gr_config_string(cfg, paths[i], NULL);
        (void)gr_config_int(cfg, paths[i], 0);
        (void)gr_config_bool(cfg, paths[i], false);
        (void)gr_config_double(cfg, paths[i], 0);
        (void)gr_config_node(cfg, paths[i]);
        (void)gr_config_origin(cfg, paths[i], &file, &line);
    }
    json_decref(masked);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const gr_config_schema *schema = setup();
    const char *files[1];
    gr_config *cfg = NULL;
    gr_buf substituted = GR_BUF_INIT;
    char *missing = NULL;

    write_file("app-config.yaml", (const char *)data, size);
    files[0] = config_path;
    if (gr_config_load(&cfg, files, 1, schema) == GR_OK) {
        read_back(cfg);
    } else if (cfg != NULL) {
        fail("a failed load returned a config");
    } else if (gr_error_last()[0] == '\0') {
        fail("a failed load has no message");
    }
    gr_config_free(cfg);

    (void)gr_config__substitute((const char *)data, size, &substituted, &missing);
    free(missing);
    gr_buf_free(&substituted);
    return 0;
}
