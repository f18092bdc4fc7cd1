/* SPDX-License-Identifier: MIT */
/* Fuzz target: a YAML stream read on parsing threads gives the sink the calls and the result
 * that reading it on the calling thread gives. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/buf.h"
#include "host/common/error.h"
#include "plugins/catalog/engine/yaml_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The calls a sink got, one line each, and the result of the read. */
typedef struct {
    gr_buf calls;
    int rc;
    char *message;
} reading;

static void record_document(void *payload, json_t *root, int line)
{
    reading *read = payload;
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);

    gr_buf_printf(&read->calls, "%d %s\n", line, text ? text : "(not JSON)");
    free(text);
}

static void record_restart(void *payload)
{
    reading *read = payload;

    gr_buf_puts(&read->calls, "restart\n");
}

static void read_with(const char *text, size_t len, const gr_yaml_limits *limits,
                      const gr_catalog_yaml_pipeline *pipeline, reading *out)
{
    gr_catalog_yaml_sink sink = {record_document, record_restart, out};

    memset(out, 0, sizeof(*out));
    gr_error_clear();
    out->rc = gr_catalog__yaml_each_tuned("fuzz.yaml", text, len, limits, &sink, pipeline, NULL);
    out->message = strdup(out->rc == GR_OK ? "" : gr_error_last());
}

static void reading_free(reading *read)
{
    gr_buf_free(&read->calls);
    free(read->message);
}

/*
 * The first byte chooses the parsing threads (1 to 3), the next two the
 * queue's pieces (1 to 4) and bytes (1 to 256), and the fourth the limit on
 * values (16 to 1,036). The rest is the YAML text.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const gr_catalog_yaml_pipeline serial = {SIZE_MAX, 64, (size_t)1 << 20, 1};
    gr_catalog_yaml_pipeline threaded;
    gr_yaml_limits limits = {0};
    reading expected;
    reading got;

    if (size < 4)
        return 0;
    threaded = (gr_catalog_yaml_pipeline){0, (size_t)(data[1] % 4) + 1, (size_t)data[2] + 1,
                                          data[0] % 3 + 1};
    limits.max_nodes = (size_t)data[3] * 4 + 16;
    read_with((const char *)data + 4, size - 4, &limits, &serial, &expected);
    read_with((const char *)data + 4, size - 4, &limits, &threaded, &got);

    if (got.rc != expected.rc || strcmp(got.message, expected.message) != 0 ||
        strcmp(gr_buf_cstr(&got.calls), gr_buf_cstr(&expected.calls)) != 0) {
        fprintf(stderr,
                "fuzz_yaml_stream: %d threads differ\ncalling thread: %d %s\n%s\nthreads: %d "
                "%s\n%s\n",
                threaded.parse_threads, expected.rc, expected.message, gr_buf_cstr(&expected.calls),
                got.rc, got.message, gr_buf_cstr(&got.calls));
        abort();
    }
    reading_free(&expected);
    reading_free(&got);
    return 0;
}
